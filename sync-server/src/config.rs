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
    /// The database as it may be logged: a URL's password left out.
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

/// `postgres://user:secret@host/db` as `postgres://user:…@host/db`.
fn redact(database: &str) -> String {
    let Some((scheme, rest)) = database.split_once("://") else {
        return database.to_string();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            let hidden = if credentials.contains(':') {
                ":…"
            } else {
                ""
            };
            format!("{scheme}://{user}{hidden}@{host}")
        }
        None => database.to_string(),
    }
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
}
