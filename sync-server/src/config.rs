//! The server's configuration: defaults, then a TOML file, then environment variables,
//! then command-line flags (applied by `main`).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The database: a SQLite file, or a PostgreSQL URL (`postgres://…`).
    pub database: String,
    /// A `tracing` filter, such as `info` or `lagesbild_sync=debug`.
    pub log: String,
    /// The address devices reach the server at (behind a proxy it is the proxy's), such
    /// as `https://lagesbild.salem.se`; enrolment links and QR codes carry it.
    pub public_url: Option<String>,
    /// The server's certificate chain (PEM, the server's own first): with `tls_key`, the
    /// server speaks HTTPS itself.
    pub tls_certificate: Option<PathBuf>,
    /// The certificate's private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// The CA certificate (PEM) the server's certificate is issued by, when the systems'
    /// roots do not know it (a municipality's own CA): enrolment links carry it, and
    /// devices trust it for this server besides the system's roots.
    pub tls_ca: Option<PathBuf>,
    /// A TLS proxy in front terminates HTTPS: plain HTTP may then be served on an address
    /// other machines reach. Without it (and without a certificate) the server serves
    /// plain HTTP only on a loopback address.
    pub behind_tls_proxy: bool,
    /// Proxies in front (their addresses, such as `127.0.0.1`) trusted to name the client
    /// in `X-Forwarded-For` or `Forwarded`: the limits per address then count each
    /// client, not the proxy. A header from any other peer is ignored.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            database: "lagesbild-sync.sqlite3".into(),
            log: "info".into(),
            public_url: None,
            tls_certificate: None,
            tls_key: None,
            tls_ca: None,
            behind_tls_proxy: false,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Config {
    /// The database as it may be logged: a URL's password left out (see `redact`).
    pub fn redacted_database(&self) -> String {
        redact(&self.database)
    }

    /// Defaults, overridden by `file` (if given) and then by `LAGESBILD_SYNC_LISTEN`,
    /// `LAGESBILD_SYNC_DATABASE`, `LAGESBILD_SYNC_LOG`, `LAGESBILD_SYNC_PUBLIC_URL`,
    /// `LAGESBILD_SYNC_TLS_CERTIFICATE`, `LAGESBILD_SYNC_TLS_KEY`, `LAGESBILD_SYNC_TLS_CA`,
    /// `LAGESBILD_SYNC_BEHIND_TLS_PROXY` (`true` or `false`) and
    /// `LAGESBILD_SYNC_TRUSTED_PROXIES` (addresses separated by commas; empty for none).
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        use anyhow::Context;
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("{} is not a valid configuration", path.display()))?
            }
            None => Config::default(),
        };
        if let Ok(listen) = std::env::var("LAGESBILD_SYNC_LISTEN") {
            config.listen = listen
                .parse()
                .with_context(|| format!("LAGESBILD_SYNC_LISTEN={listen} is not an address"))?;
        }
        if let Ok(database) = std::env::var("LAGESBILD_SYNC_DATABASE") {
            config.database = database;
        }
        if let Ok(log) = std::env::var("LAGESBILD_SYNC_LOG") {
            config.log = log;
        }
        if let Ok(url) = std::env::var("LAGESBILD_SYNC_PUBLIC_URL") {
            config.public_url = Some(url);
        }
        if let Ok(path) = std::env::var("LAGESBILD_SYNC_TLS_CERTIFICATE") {
            config.tls_certificate = Some(path.into());
        }
        if let Ok(path) = std::env::var("LAGESBILD_SYNC_TLS_KEY") {
            config.tls_key = Some(path.into());
        }
        if let Ok(path) = std::env::var("LAGESBILD_SYNC_TLS_CA") {
            config.tls_ca = Some(path.into());
        }
        if let Ok(proxy) = std::env::var("LAGESBILD_SYNC_BEHIND_TLS_PROXY") {
            config.behind_tls_proxy = proxy.parse().with_context(|| {
                format!("LAGESBILD_SYNC_BEHIND_TLS_PROXY={proxy} is neither true nor false")
            })?;
        }
        if let Ok(proxies) = std::env::var("LAGESBILD_SYNC_TRUSTED_PROXIES") {
            config.trusted_proxies = parse_addresses(&proxies).with_context(|| {
                format!("LAGESBILD_SYNC_TRUSTED_PROXIES={proxies} is not a list of addresses")
            })?;
        }
        Ok(config)
    }

    /// The CA devices are handed in enrolment links (`tls_ca`): its first certificate,
    /// DER in base64url.
    pub fn device_ca(&self) -> anyhow::Result<Option<String>> {
        use anyhow::Context;
        use base64::Engine;
        use tokio_rustls::rustls::pki_types::CertificateDer;
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        let Some(path) = &self.tls_ca else {
            return Ok(None);
        };
        let ca = CertificateDer::from_pem_file(path)
            .with_context(|| format!("cannot read the CA certificate {}", path.display()))?;
        Ok(Some(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ca.as_ref()),
        ))
    }

    /// How `serve` is to listen on `listen`: with TLS from the certificate and key, or
    /// plain HTTP where that is safe. Plain HTTP on an address other machines reach
    /// would carry the devices' credentials and reports in the clear: refused unless a
    /// TLS proxy is said to be in front.
    pub fn tls(&self, listen: SocketAddr) -> anyhow::Result<Option<(&Path, &Path)>> {
        match (&self.tls_certificate, &self.tls_key) {
            (Some(certificate), Some(key)) => Ok(Some((certificate, key))),
            (Some(_), None) | (None, Some(_)) => {
                anyhow::bail!("HTTPS needs both tls_certificate and tls_key")
            }
            (None, None) if listen.ip().is_loopback() || self.behind_tls_proxy => Ok(None),
            (None, None) => anyhow::bail!(
                "refusing to serve plain HTTP on {listen}, which other machines reach: the \
                 devices' credentials and reports would cross the network in the clear. \
                 Give tls_certificate and tls_key (LAGESBILD_SYNC_TLS_CERTIFICATE, \
                 LAGESBILD_SYNC_TLS_KEY), or set behind_tls_proxy = true \
                 (LAGESBILD_SYNC_BEHIND_TLS_PROXY=true) when a TLS proxy in front \
                 terminates HTTPS"
            ),
        }
    }
}

/// `127.0.0.1, ::1` as addresses; an empty list is none.
fn parse_addresses(list: &str) -> Result<Vec<IpAddr>, std::net::AddrParseError> {
    list.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::parse)
        .collect()
}

/// Query parameters of a PostgreSQL URL whose values are shown in logs; every other
/// value (`password`, `sslpassword`, anything this list does not know) is hidden.
const SHOWN_PARAMETERS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "sslmode",
    "connect_timeout",
    "application_name",
    "target_session_attrs",
    "load_balance_hosts",
    "channel_binding",
];

/// A database as it may be logged: `postgres://user:secret@host/db` as
/// `postgres://user:…@host/db`, wherever the URL holds its password — in the user
/// information (which may itself hold `@`: all up to the last `@` is hidden but the
/// user's name), or as a parameter (`?password=…`: every value but the harmless ones
/// in `SHOWN_PARAMETERS` is hidden). A path that is no URL but names a password
/// (`host=db password=…`) is cut there.
pub fn redact(database: &str) -> String {
    let Some((scheme, rest)) = database.split_once("://") else {
        return match database.to_ascii_lowercase().find("password") {
            Some(at) => format!("{}…", &database[..at]),
            None => database.to_string(),
        };
    };
    let (credentials, location) = match rest.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let user_end = userinfo
                .find([':', '/', '?', '#', '@'])
                .unwrap_or(userinfo.len());
            let hidden = if user_end < userinfo.len() {
                ":…"
            } else {
                ""
            };
            (
                format!("{}{hidden}@", &userinfo[..user_end]),
                &rest[at + 1..],
            )
        }
        None => (String::new(), rest),
    };
    // Parameters follow `?` and `&`; where the last `@` was in a parameter, the others
    // are found all the same.
    let location: String = location
        .split_inclusive(['?', '&'])
        .map(|part| {
            let (pair, separator) = match part.strip_suffix(['?', '&']) {
                Some(pair) => (pair, &part[pair.len()..]),
                None => (part, ""),
            };
            match pair.split_once('=') {
                Some((key, _))
                    if !SHOWN_PARAMETERS
                        .contains(&percent_decode(key).to_ascii_lowercase().as_str()) =>
                {
                    format!("{key}=…{separator}")
                }
                _ => part.to_string(),
            }
        })
        .collect();
    format!("{scheme}://{credentials}{location}")
}

/// The secrets a database setting holds, every way a message could quote them: the
/// password as PostgreSQL's client reads it, and whatever `redact` hides, raw and
/// percent-decoded. `scrub` takes them out of error text that may quote them.
pub fn secrets(database: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    if let Ok(config) = database.parse::<postgres::Config>()
        && let Some(password) = config.get_password()
    {
        secrets.push(String::from_utf8_lossy(password).into_owned());
    }
    if let Some((_, rest)) = database.split_once("://") {
        if let Some(at) = rest.rfind('@')
            && let Some((_, password)) = rest[..at].split_once(':')
        {
            // PostgreSQL's client ends the password at its first `@` and reads the rest
            // as the host: a message naming the host would quote that part.
            secrets.extend(password.split('@').map(str::to_string));
            secrets.push(password.to_string());
        }
        for pair in rest.split(['?', '&']) {
            if let Some((key, value)) = pair.split_once('=')
                && !SHOWN_PARAMETERS.contains(&percent_decode(key).to_ascii_lowercase().as_str())
            {
                secrets.push(value.to_string());
            }
        }
    }
    let decoded: Vec<String> = secrets.iter().map(|s| percent_decode(s)).collect();
    secrets.extend(decoded);
    secrets.retain(|s| !s.is_empty());
    // Longest first, so that a secret holding another is taken out whole.
    secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    secrets.dedup();
    secrets
}

/// `text` with every one of `secrets` replaced by `…`.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    secrets.iter().fold(text.to_string(), |text, secret| {
        text.replace(secret.as_str(), "…")
    })
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn plain_http_only_on_loopback_or_behind_a_proxy() {
        let config = Config::default();
        let at = |a: &str| a.parse().unwrap();
        assert!(config.tls(at("127.0.0.1:8787")).unwrap().is_none());
        assert!(config.tls(at("[::1]:8787")).unwrap().is_none());
        let refused = config.tls(at("0.0.0.0:8787")).unwrap_err().to_string();
        assert!(
            refused.contains("refusing to serve plain HTTP"),
            "{refused}"
        );
        assert!(config.tls(at("10.1.2.3:8787")).is_err());
        let proxied = Config {
            behind_tls_proxy: true,
            ..Config::default()
        };
        assert!(proxied.tls(at("0.0.0.0:8787")).unwrap().is_none());
        let half = Config {
            tls_certificate: Some("cert.pem".into()),
            ..Config::default()
        };
        assert!(half.tls(at("127.0.0.1:8787")).is_err());
        let tls = Config {
            tls_certificate: Some("cert.pem".into()),
            tls_key: Some("key.pem".into()),
            ..Config::default()
        };
        assert!(tls.tls(at("0.0.0.0:443")).unwrap().is_some());
    }

    #[test]
    fn trusted_proxies_are_a_list_of_addresses() {
        assert_eq!(
            super::parse_addresses("127.0.0.1, ::1").unwrap(),
            vec![
                std::net::IpAddr::from([127, 0, 0, 1]),
                std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST)
            ]
        );
        assert!(super::parse_addresses("").unwrap().is_empty());
        assert!(super::parse_addresses("10.0.0.0/8").is_err());
        let file: Config = toml::from_str("trusted_proxies = [\"127.0.0.1\"]").unwrap();
        assert_eq!(
            file.trusted_proxies,
            vec![std::net::IpAddr::from([127, 0, 0, 1])]
        );
    }

    #[test]
    fn a_database_url_is_logged_without_its_password() {
        assert_eq!(
            super::redact("postgres://lagesbild:hemligt@db:5432/lb"),
            "postgres://lagesbild:…@db:5432/lb"
        );
        assert_eq!(super::redact("postgres://db/lb"), "postgres://db/lb");
        assert_eq!(
            super::redact("/var/lib/lagesbild/sync.sqlite3"),
            "/var/lib/lagesbild/sync.sqlite3"
        );
    }

    #[test]
    fn a_password_is_hidden_wherever_the_url_holds_it() {
        for (url, password) in [
            ("postgres://lb@db/lb?password=hunter2", "hunter2"),
            (
                "postgres://lb@db/lb?sslmode=require&PassWord=hunter2",
                "hunter2",
            ),
            ("postgres://lb@db/lb?pass%77ord=hunter2", "hunter2"),
            ("postgresql://lb:p@ss@db:5432/lb", "ss"),
            ("postgres://lb:a/b?c@db/lb", "a/b?c"),
            ("postgres://db/lb?user=a@b&password=hunter2", "hunter2"),
            ("host=db user=lb password=hunter2", "hunter2"),
        ] {
            let shown = super::redact(url);
            assert!(
                !shown.contains(password),
                "{url} shown as {shown} still holds the password"
            );
        }
        assert_eq!(
            super::redact("postgres://lb@db/lb?sslmode=require&password=x"),
            "postgres://lb@db/lb?sslmode=require&password=…",
            "harmless parameters stay readable"
        );
        assert_eq!(
            super::redact("postgres://lb:p@ss@db:5432/lb"),
            "postgres://lb:…@db:5432/lb"
        );
    }

    #[test]
    fn error_text_quoting_a_password_is_scrubbed() {
        let secrets = super::secrets("postgres://lb:hunter2@hunter3@db/lb?password=hunter4");
        let said = "cannot connect to hunter3@db as lb with hunter2 or hunter4 or hunter2@hunter3";
        let scrubbed = super::scrub(said, &secrets);
        for secret in ["hunter2", "hunter3", "hunter4"] {
            assert!(!scrubbed.contains(secret), "{scrubbed} holds {secret}");
        }
        assert!(scrubbed.contains("cannot connect to"), "{scrubbed}");
        assert!(
            super::secrets("/var/lib/lagesbild/sync.sqlite3").is_empty(),
            "a file has no password"
        );
    }
}
