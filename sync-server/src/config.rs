//! The server's configuration: defaults, then a TOML file, then environment variables,
//! then command-line flags (applied by `main`).

use std::net::SocketAddr;
use std::path::Path;

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
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            database: "lagesbild-sync.sqlite3".into(),
            log: "info".into(),
            public_url: None,
        }
    }
}

impl Config {
    /// The database as it may be logged: a URL's password left out.
    pub fn redacted_database(&self) -> String {
        redact(&self.database)
    }

    /// Defaults, overridden by `file` (if given) and then by `LAGESBILD_SYNC_LISTEN`,
    /// `LAGESBILD_SYNC_DATABASE`, `LAGESBILD_SYNC_LOG` and `LAGESBILD_SYNC_PUBLIC_URL`.
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
        Ok(config)
    }
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
