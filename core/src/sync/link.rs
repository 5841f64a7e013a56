//! The enrolment link a coordinator hands a device as text or as a QR code:
//! `lagesbild://enroll?server=<address>&code=<code>[&ca=<certificate>]`. The server's
//! `enroll` command prints it, the command line's `enroll` takes it, and the app's
//! enrolment form (`ui/src/lib/enrolment.ts`) fills its fields from it. `ca` is the
//! municipality's own CA certificate (DER, base64url), when the server's certificate is
//! issued by one the system does not know: the device then trusts it besides the
//! system's roots, for this server.

use std::fmt;

const PREFIX: &str = "lagesbild://enroll?";

/// A server address and a one-time enrolment code, together, and the CA the server's
/// certificate is issued by when the device must be told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentLink {
    pub server: String,
    pub code: String,
    /// A CA certificate, DER in base64url (no padding).
    pub ca: Option<String>,
}

impl EnrolmentLink {
    /// The server and code `text` carries, or `None` when it is not an enrolment link
    /// (a typed code, an address). Whitespace around it, as a QR reader's clipboard may
    /// add, is ignored; the server must be a web address.
    pub fn parse(text: &str) -> Option<EnrolmentLink> {
        let text = text.trim();
        let query = text
            .get(..PREFIX.len())
            .filter(|head| head.eq_ignore_ascii_case(PREFIX))
            .map(|_| &text[PREFIX.len()..])?;
        let (mut server, mut code, mut ca) = (None, None, None);
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "server" => server = Some(value.trim().to_string()),
                "code" => code = Some(value.trim().to_string()),
                "ca" => ca = Some(value.trim().to_string()),
                _ => {}
            }
        }
        let (server, code) = (server?, code?);
        let web = ["http://", "https://"].iter().any(|scheme| {
            server
                .get(..scheme.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
        });
        let ca_valid = ca.as_deref().is_none_or(|ca| {
            !ca.is_empty()
                && ca
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
        (web && server.len() > "https://".len()
            && !server.contains(char::is_whitespace)
            && !code.is_empty()
            && ca_valid)
            .then_some(EnrolmentLink { server, code, ca })
    }
}

/// A server address a device will not send its credential and reports to: plain
/// `http://` to another machine (anyone on the way reads and changes them), or no web
/// address at all. The text says why, in Swedish, as the device shows it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Lägesbild skickar inloggning och rapporter bara krypterat, och {server} är ingen https://-adress: \
     ange serverns https://-adress (okrypterad http:// går bara till den egna datorn: localhost, 127.0.0.1, ::1)."
)]
pub struct PlainServer {
    pub server: String,
}

/// Whether a device may talk to `server`: `https://` always; `http://` only to this
/// machine (`localhost`, 127.0.0.0/8, `::1`), where nothing crosses a network. Checked
/// before any connection is made, and again on every redirect.
pub fn check_server_address(server: &str) -> Result<(), PlainServer> {
    let server = server.trim();
    let scheme = |s: &str| {
        server
            .get(..s.len())
            .filter(|head| head.eq_ignore_ascii_case(s))
            .map(|_| &server[s.len()..])
    };
    if scheme("https://").is_some_and(|rest| !rest.is_empty()) {
        return Ok(());
    }
    let refused = || PlainServer {
        server: server.to_string(),
    };
    let rest = scheme("http://").ok_or_else(refused)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Whatever precedes an `@` is a user's name, not the host.
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback { Ok(()) } else { Err(refused()) }
}

impl fmt::Display for EnrolmentLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("server", &self.server)
            .append_pair("code", &self.code);
        if let Some(ca) = &self.ca {
            query.append_pair("ca", ca);
        }
        let query = query.finish();
        write!(f, "{PREFIX}{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::EnrolmentLink;

    fn link(server: &str, code: &str) -> EnrolmentLink {
        EnrolmentLink {
            server: server.into(),
            code: code.into(),
            ca: None,
        }
    }

    #[test]
    fn a_link_carries_the_municipality_s_ca_when_it_has_one() {
        let original = EnrolmentLink {
            ca: Some("MIIBkTCCATegAwIBAgIU-_x".into()),
            ..link("https://lagesbild.salem.se", "K7QX-M2PA-9RTW")
        };
        let text = original.to_string();
        assert!(text.ends_with("&ca=MIIBkTCCATegAwIBAgIU-_x"), "{text}");
        assert_eq!(EnrolmentLink::parse(&text), Some(original));
        // Not base64url: not a link this app made.
        assert_eq!(
            EnrolmentLink::parse(
                "lagesbild://enroll?server=https%3A%2F%2Fa.se&code=K7QX&ca=%3Cscript%3E"
            ),
            None
        );
    }

    #[test]
    fn a_printed_link_reads_back_with_its_server_and_code() {
        let original = link(
            "https://lagesbild.salem.se:8443/sync?x=1&y=2",
            "K7QX-M2PA-9RTW",
        );
        let text = original.to_string();
        assert!(
            text.starts_with("lagesbild://enroll?server=https%3A%2F%2F"),
            "{text}"
        );
        assert_eq!(EnrolmentLink::parse(&format!("  {text}\n")), Some(original));
    }

    #[test]
    fn typed_codes_addresses_and_other_links_are_not_enrolment_links() {
        for text in [
            "K7QX-M2PA-9RTW",
            "https://lagesbild.salem.se",
            "lagesbild://enroll?server=https%3A%2F%2Fa.se",
            "lagesbild://enroll?code=K7QX",
            "lagesbild://enroll?server=javascript%3Aalert(1)&code=K7QX",
            "lagesbild://enroll?server=https%3A%2F%2F&code=K7QX",
            "lagesbild://report?server=https%3A%2F%2Fa.se&code=K7QX",
            "lagesbild://enroll?server=https%3A%2F%2Fa.se&code=",
            "",
        ] {
            assert_eq!(EnrolmentLink::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn plain_http_goes_only_to_this_machine() {
        use super::check_server_address;
        for allowed in [
            "https://lagesbild.salem.se",
            "HTTPS://lagesbild.salem.se:8443/sync",
            "http://127.0.0.1:8787",
            "http://127.5.6.7/",
            "http://[::1]:8787",
            "http://localhost:8787",
            "http://LOCALHOST",
        ] {
            assert_eq!(check_server_address(allowed), Ok(()), "{allowed} is safe");
        }
        for refused in [
            "http://example.org/sync",
            "http://10.0.0.5:8787",
            "http://[::ffff:10.0.0.5]:8787",
            "http://127.0.0.1@example.org",
            "http://localhost.example.org",
            "http://127.0.0.1.nip.io",
            "ftp://127.0.0.1",
            "lagesbild.salem.se",
            "https://",
        ] {
            let refusal = check_server_address(refused).unwrap_err().to_string();
            assert!(
                refusal.contains("krypterat") && refusal.contains("https://-adress"),
                "{refused} must be refused with the reason: {refusal}"
            );
        }
    }

    #[test]
    fn the_scheme_may_come_in_capitals_as_some_qr_readers_give_it() {
        assert_eq!(
            EnrolmentLink::parse("LAGESBILD://ENROLL?server=http://10.0.0.5:8787&code=ABCD"),
            Some(link("http://10.0.0.5:8787", "ABCD"))
        );
    }
}
