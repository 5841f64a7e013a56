//! Map tiles from an online tile server, fetched by the app itself and handed to its map
//! on its own `tiles` scheme: the map's page then needs no address outside the app, and
//! its content security policy names none. Only the tile server the device was given is
//! asked — every request, and every redirect, stays on the origin (scheme, host and
//! port) of its tile address — over `https://` (or `http://` on this machine), and an
//! answer is taken only when it is a raster image of a bounded size.

use std::time::Duration;

use lagesbild_core::sync::link::{PlainServer, check_server_address};
use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, HeaderValue};

/// The largest tile taken: a 512-pixel raster tile is tens of kilobytes.
pub const MAX_TILE_BYTES: usize = 2 * 1024 * 1024;

/// The deepest zoom asked for; no raster tile service goes past it.
pub const MAX_ZOOM: u8 = 24;

/// The images a map tile may be; anything else (markup, SVG, scripts) is not passed on.
const TILE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/webp", "image/avif"];

/// Redirects followed within the tile server's origin.
const MAX_REDIRECTS: usize = 5;

/// Why a tile address is not taken or a tile not fetched.
#[derive(Debug, thiserror::Error)]
pub enum TileError {
    #[error("a tile address holds {{z}}, {{x}} and {{y}} in its path: {0}")]
    NotATemplate(String),
    #[error(transparent)]
    Plain(#[from] PlainServer),
    #[error("{url} is not on the tile server's origin {origin}")]
    OtherOrigin { url: String, origin: String },
    #[error("there is no tile {z}/{x}/{y}")]
    NoSuchTile { z: u8, x: u32, y: u32 },
    #[error("the tile server did not give the tile: {0}")]
    Failed(String),
}

/// A tile server's address with `{z}`, `{x}` and `{y}` in its path or query, checked:
/// the origin every tile comes from is fixed by the address, whatever the numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileTemplate {
    template: String,
    /// Its origin, serialised: `https://tile.example.org`.
    origin: String,
}

impl TileTemplate {
    /// Takes an XYZ address or a WMTS one (`{TileMatrix}`, `{TileCol}`, `{TileRow}`),
    /// as the workspace's register does (`validate::register::tile_template`).
    pub fn parse(template: &str) -> Result<TileTemplate, TileError> {
        let normal = lagesbild_core::validate::register::xyz_template(template);
        let template = normal.as_str();
        let not_a_template = || TileError::NotATemplate(template.to_string());
        if !["{z}", "{x}", "{y}"].iter().all(|p| template.contains(p)) {
            return Err(not_a_template());
        }
        // The scheme and the authority (user, host, port) hold no place for a number:
        // a `{z}` in the host would let each tile come from another server.
        let (_, rest) = template.split_once("://").ok_or_else(not_a_template)?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains(['{', '}']) {
            return Err(not_a_template());
        }
        let example = fill(template, 0, 0, 0);
        check_server_address(&example)?;
        let url = Url::parse(&example).map_err(|_| not_a_template())?;
        if !url.origin().is_tuple() {
            return Err(not_a_template());
        }
        Ok(TileTemplate {
            template: template.to_string(),
            origin: url.origin().ascii_serialization(),
        })
    }

    /// The origin every tile is fetched from: `https://tile.example.org`, say.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn as_str(&self) -> &str {
        &self.template
    }

    /// The address of tile `z`/`x`/`y`: a tile that cannot exist at that zoom is
    /// refused, and so is an address off the template's origin (never the case for a
    /// parsed template; checked all the same, as the last word before a request).
    pub fn tile_url(&self, z: u8, x: u32, y: u32) -> Result<Url, TileError> {
        let side = 1u64 << z.min(MAX_ZOOM);
        if z > MAX_ZOOM || u64::from(x) >= side || u64::from(y) >= side {
            return Err(TileError::NoSuchTile { z, x, y });
        }
        let text = fill(&self.template, z, x, y);
        let url = Url::parse(&text).map_err(|e| TileError::Failed(e.to_string()))?;
        self.on_origin(&url)?;
        Ok(url)
    }

    /// Refuses `url` unless it is on the tile server's origin.
    pub fn on_origin(&self, url: &Url) -> Result<(), TileError> {
        let origin = url.origin();
        if origin.is_tuple() && origin.ascii_serialization() == self.origin {
            Ok(())
        } else {
            Err(TileError::OtherOrigin {
                url: url.to_string(),
                origin: self.origin.clone(),
            })
        }
    }
}

fn fill(template: &str, z: u8, x: u32, y: u32) -> String {
    template
        .replace("{z}", &z.to_string())
        .replace("{x}", &x.to_string())
        .replace("{y}", &y.to_string())
}

/// One tile: its bytes and their media type (one of the raster image types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tile {
    pub bytes: Vec<u8>,
    pub media_type: &'static str,
}

/// Fetches tiles; one per app, its connections kept.
#[derive(Debug, Clone)]
pub struct TileClient {
    client: reqwest::Client,
}

impl TileClient {
    pub fn new() -> Result<TileClient, TileError> {
        // A redirect is followed only within the origin the request was made to: the
        // first address of every chain is a tile address, checked against the template.
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            let first = attempt.previous().first().map(Url::origin);
            if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else if first.as_ref() != Some(&attempt.url().origin()) {
                let next = attempt.url().clone();
                attempt.error(OffOrigin(next))
            } else {
                attempt.follow()
            }
        });
        let client = reqwest::Client::builder()
            .redirect(redirects)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("lagesbild/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TileError::Failed(format!("no HTTP client: {e}")))?;
        Ok(TileClient { client })
    }

    /// The tile at `z`/`x`/`y`; `None` where the server has none.
    pub async fn fetch(
        &self,
        template: &TileTemplate,
        z: u8,
        x: u32,
        y: u32,
    ) -> Result<Option<Tile>, TileError> {
        let url = template.tile_url(z, x, y)?;
        let failed = |e: &dyn std::fmt::Display| TileError::Failed(e.to_string());
        let mut response = self
            .client
            .get(url.clone())
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .map_err(|e| match off_origin(&e) {
                Some(OffOrigin(next)) => TileError::OtherOrigin {
                    url: next.to_string(),
                    origin: template.origin().to_string(),
                },
                None => failed(&e),
            })?;
        template.on_origin(response.url())?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::NO_CONTENT {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(failed(&format!("HTTP {status}")));
        }
        let media_type = media_type(response.headers().get(CONTENT_TYPE))
            .ok_or_else(|| failed(&"the answer is not a raster image"))?;
        if response
            .content_length()
            .is_some_and(|n| n > MAX_TILE_BYTES as u64)
        {
            return Err(failed(&format!("a tile over {MAX_TILE_BYTES} bytes")));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| failed(&e))? {
            if bytes.len() + chunk.len() > MAX_TILE_BYTES {
                return Err(failed(&format!("a tile over {MAX_TILE_BYTES} bytes")));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Some(Tile { bytes, media_type }))
    }
}

/// A redirect the tile client refused: to another origin than the tile's.
#[derive(Debug, thiserror::Error)]
#[error("a redirect off the tile server to {0}")]
struct OffOrigin(Url);

/// The refused redirect behind a failed request, if that is why it failed.
fn off_origin(error: &reqwest::Error) -> Option<&OffOrigin> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if let Some(off) = e.downcast_ref::<OffOrigin>() {
            return Some(off);
        }
        cause = e.source();
    }
    None
}

/// The raster image type a `Content-Type` names, if it names one.
fn media_type(header: Option<&HeaderValue>) -> Option<&'static str> {
    let essence = header?.to_str().ok()?.split(';').next()?.trim();
    TILE_TYPES
        .into_iter()
        .find(|t| t.eq_ignore_ascii_case(essence))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_is_taken_only_with_its_places_in_the_path_and_a_safe_address() {
        let osm = TileTemplate::parse(" https://tile.openstreetmap.org/{z}/{x}/{y}.png ").unwrap();
        assert_eq!(osm.origin(), "https://tile.openstreetmap.org");
        assert_eq!(
            osm.tile_url(12, 2250, 1190).unwrap().as_str(),
            "https://tile.openstreetmap.org/12/2250/1190.png"
        );
        let query = TileTemplate::parse("https://maps.example.org/wmts?z={z}&x={x}&y={y}").unwrap();
        assert_eq!(
            query.tile_url(3, 4, 5).unwrap().as_str(),
            "https://maps.example.org/wmts?z=3&x=4&y=5"
        );
        // WMTS, RESTful and key-value: the tile matrix is the zoom, the column x, the row y.
        let rest = TileTemplate::parse(
            "https://maps.example.se/wmts/topowebb/default/3857/{TileMatrix}/{TileRow}/{TileCol}.png",
        )
        .unwrap();
        assert_eq!(
            rest.tile_url(12, 2250, 1190).unwrap().as_str(),
            "https://maps.example.se/wmts/topowebb/default/3857/12/1190/2250.png"
        );
        let kvp = TileTemplate::parse(
            "https://maps.example.se/wmts?SERVICE=WMTS&REQUEST=GetTile&TILEMATRIX={tilematrix}&TILEROW={tilerow}&TILECOL={tilecol}",
        )
        .unwrap();
        assert_eq!(
            kvp.tile_url(3, 4, 5).unwrap().as_str(),
            "https://maps.example.se/wmts?SERVICE=WMTS&REQUEST=GetTile&TILEMATRIX=3&TILEROW=5&TILECOL=4"
        );
        assert!(TileTemplate::parse("http://127.0.0.1:9000/{z}/{x}/{y}").is_ok());
        assert!(TileTemplate::parse("http://localhost/{z}/{x}/{y}.png").is_ok());
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
        for elsewhere in [
            "https://{z}.tiles.example.org/{x}/{y}.png",
            "https://tiles{x}.example.org/{z}/{y}.png",
            "https://tiles.example.org:{z}/{x}/{y}.png",
            "https://{z}@tiles.example.org/{x}/{y}.png",
            "http://127.0.0.{z}/{x}/{y}.png",
            "{z}://tiles.example.org/{x}/{y}.png",
            "file:///{z}/{x}/{y}.png",
            "javascript:{z}{x}{y}",
        ] {
            assert!(
                TileTemplate::parse(elsewhere).is_err(),
                "{elsewhere}: each tile would come from a server the numbers choose"
            );
        }
    }

    #[test]
    fn every_tile_address_is_on_the_template_s_origin() {
        let template = TileTemplate::parse("https://tiles.example.org/{z}/{x}/{y}.png").unwrap();
        for (z, x, y) in [(0, 0, 0), (12, 2250, 1190), (MAX_ZOOM, (1 << 24) - 1, 0)] {
            let url = template.tile_url(z, x, y).unwrap();
            assert_eq!(url.origin().ascii_serialization(), template.origin());
            assert!(template.on_origin(&url).is_ok());
        }
        for (z, x, y) in [
            (0, 1, 0),
            (12, 4096, 0),
            (12, 0, 4096),
            (MAX_ZOOM + 1, 0, 0),
        ] {
            assert!(
                matches!(
                    template.tile_url(z, x, y),
                    Err(TileError::NoSuchTile { .. })
                ),
                "{z}/{x}/{y} is no tile"
            );
        }
        for other in [
            "https://tiles.example.org.evil.example/1/0/0.png",
            "http://tiles.example.org/1/0/0.png",
            "https://tiles.example.org:8443/1/0/0.png",
            "https://evil.example/1/0/0.png",
            "data:image/png;base64,AAAA",
        ] {
            assert!(
                matches!(
                    template.on_origin(&Url::parse(other).unwrap()),
                    Err(TileError::OtherOrigin { .. })
                ),
                "{other} is not the tile server"
            );
        }
    }

    #[test]
    fn only_raster_images_are_tiles() {
        let kind = |v: &str| media_type(Some(&HeaderValue::from_str(v).unwrap()));
        assert_eq!(kind("image/png"), Some("image/png"));
        assert_eq!(kind("Image/JPEG; charset=binary"), Some("image/jpeg"));
        assert_eq!(kind("image/webp"), Some("image/webp"));
        for not in ["image/svg+xml", "text/html", "application/octet-stream", ""] {
            assert_eq!(kind(not), None, "{not:?} is not a tile");
        }
        assert_eq!(media_type(None), None);
    }
}
