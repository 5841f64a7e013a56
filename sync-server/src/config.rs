//! The server's configuration: defaults, then a TOML file, then environment variables,
//! then command-line flags (applied by `main`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The SQLite database file.
    pub database: PathBuf,
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
            database: PathBuf::from("lagesbild-sync.sqlite3"),
            log: "info".into(),
            public_url: None,
        }
    }
}

impl Config {
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
        if let Some(database) = std::env::var_os("LAGESBILD_SYNC_DATABASE") {
            config.database = database.into();
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
