//! Map tiles from an online tile server, fetched by the app itself and handed to its map
//! on its own `tiles` scheme: the map's page then needs no address outside the app, and
//! its content security policy names none. Only the tile server the device was given is
//! asked, over `https://` (or `http://` on this machine), and an answer is taken only
//! when it is an image of a bounded size.

use std::time::Duration;

use lagesbild_core::sync::link::{PlainServer, check_server_address};

/// The largest tile taken: a 512-pixel raster tile is tens of kilobytes.
pub const MAX_TILE_BYTES: usize = 2 * 1024 * 1024;

/// Why a tile template is not taken or a tile not fetched.
#[derive(Debug, thiserror::Error)]
pub enum TileError {
    #[error("a tile address holds {{z}}, {{x}} and {{y}}: {0}")]
    NotATemplate(String),
    #[error(transparent)]
    Plain(#[from] PlainServer),
    #[error("the tile server did not give the tile: {0}")]
    Failed(String),
}

/// A tile server's address with `{z}`, `{x}` and `{y}` in it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileTemplate(String);

impl TileTemplate {
    pub fn parse(template: &str) -> Result<TileTemplate, TileError> {
        let template = template.trim();
        if !["{z}", "{x}", "{y}"].iter().all(|p| template.contains(p)) {
            return Err(TileError::NotATemplate(template.to_string()));
        }
        let template = TileTemplate(template.to_string());
        check_server_address(&template.url(0, 0, 0))?;
        Ok(template)
    }

    pub fn url(&self, z: u8, x: u32, y: u32) -> String {
        self.0
            .replace("{z}", &z.to_string())
            .replace("{x}", &x.to_string())
            .replace("{y}", &y.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Fetches tiles; one per app, its connections kept.
#[derive(Debug, Clone)]
pub struct TileClient {
    client: reqwest::Client,
}

impl TileClient {
    pub fn new() -> Result<TileClient, TileError> {
        let client = crate::transport::client(None)
            .map_err(|e| TileError::Failed(format!("no HTTP client: {e}")))?;
        Ok(TileClient { client })
    }

    /// The tile at `z`/`x`/`y` and its media type; `None` where the server has none.
    pub async fn fetch(
        &self,
        template: &TileTemplate,
        z: u8,
        x: u32,
        y: u32,
    ) -> Result<Option<(Vec<u8>, String)>, TileError> {
        let failed = |e: &dyn std::fmt::Display| TileError::Failed(e.to_string());
        let mut response = self
            .client
            .get(template.url(z, x, y))
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .map_err(|e| failed(&e))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::NO_CONTENT {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(failed(&format!("HTTP {status}")));
        }
        let kind = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        if !kind.starts_with("image/") {
            return Err(failed(&format!("the answer is {kind:?}, not an image")));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| failed(&e))? {
            if bytes.len() + chunk.len() > MAX_TILE_BYTES {
                return Err(failed(&format!("a tile over {MAX_TILE_BYTES} bytes")));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Some((bytes, kind)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_is_taken_only_with_its_places_and_a_safe_address() {
        let osm = TileTemplate::parse("https://tile.openstreetmap.org/{z}/{x}/{y}.png").unwrap();
        assert_eq!(
            osm.url(12, 2250, 1190),
            "https://tile.openstreetmap.org/12/2250/1190.png"
        );
        assert!(TileTemplate::parse("http://127.0.0.1:9000/{z}/{x}/{y}").is_ok());
        assert!(matches!(
            TileTemplate::parse("https://tile.openstreetmap.org/{z}/{x}.png"),
            Err(TileError::NotATemplate(_))
        ));
        assert!(
            matches!(
                TileTemplate::parse("http://tiles.example.org/{z}/{x}/{y}.png"),
                Err(TileError::Plain(_))
            ),
            "tiles are not fetched in the clear from another machine"
        );
    }
}
