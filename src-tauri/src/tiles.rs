//! Online map tiles on the app's own `tiles` scheme (`/{z}/{x}/{y}`): the app fetches
//! them from the tile server the user set (`set_tile_url`), so the page's content
//! security policy allows no address outside the app. The page names only a tile's
//! numbers, never an address: a page that injected markup could not load from, or send
//! to, anywhere else, and a tile server's redirect elsewhere is refused.

use std::sync::{Mutex, PoisonError};

use lagesbild_client::tiles::{TileClient, TileError, TileTemplate};
use lagesbild_core::ErrorCode;
use tauri::State;
use tauri::http::{Response, StatusCode, header};

use crate::error::{CommandError, CommandResult};

/// The tile server in use, if any, and the client that fetches from it.
pub struct OnlineTiles {
    template: Mutex<Option<TileTemplate>>,
    client: Option<TileClient>,
}

impl Default for OnlineTiles {
    /// None set yet: the page tells it at start (`set_tile_url`).
    fn default() -> OnlineTiles {
        let client = TileClient::new()
            .inspect_err(|e| tracing::warn!(error = %e, "online tiles are not available"))
            .ok();
        OnlineTiles {
            template: Mutex::new(None),
            client,
        }
    }
}

impl OnlineTiles {
    fn template(&self) -> Option<TileTemplate> {
        self.template
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Sets the tile server's address (`https://…/{z}/{x}/{y}.png`); empty: none.
    pub fn set(&self, template: &str) -> Result<(), TileError> {
        let template = match template.trim() {
            "" => None,
            text => Some(TileTemplate::parse(text)?),
        };
        *self.template.lock().unwrap_or_else(PoisonError::into_inner) = template;
        Ok(())
    }
}

/// Sets the tile server's address (`https://…/{z}/{x}/{y}.png`); empty: none.
#[tauri::command]
pub fn set_tile_url(tiles: State<'_, OnlineTiles>, template: String) -> CommandResult<()> {
    tiles
        .set(&template)
        .map_err(|e| CommandError::new(ErrorCode::Invalid, e.to_string()))
}

/// The `tiles` URI scheme: `/{z}/{x}/{y}` answers the tile from the tile server; 204
/// where it has none or none is set (the map leaves it empty), 404 for an address that
/// is no tile, 403 where the tile would come from another origin, 502 where the server
/// failed.
pub async fn serve(tiles: &OnlineTiles, path: &str) -> Response<Vec<u8>> {
    let builder = Response::builder()
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    let tile = crate::basemap::tile_path(path);
    let response = match (tile, tiles.template(), &tiles.client) {
        (None, _, _) => builder.status(StatusCode::NOT_FOUND).body(Vec::new()),
        (Some((z, x, y)), Some(template), Some(client)) => {
            match client.fetch(&template, z, x, y).await {
                Ok(Some(tile)) => builder
                    .header(header::CONTENT_TYPE, tile.media_type)
                    .header(header::CACHE_CONTROL, "max-age=3600")
                    .body(tile.bytes),
                Ok(None) => builder.status(StatusCode::NO_CONTENT).body(Vec::new()),
                Err(TileError::NoSuchTile { .. }) => {
                    builder.status(StatusCode::NOT_FOUND).body(Vec::new())
                }
                Err(e @ TileError::OtherOrigin { .. }) => {
                    tracing::warn!(error = %e, "refused a tile from another origin");
                    builder.status(StatusCode::FORBIDDEN).body(Vec::new())
                }
                Err(e) => {
                    tracing::debug!(error = %e, z, x, y, "no tile");
                    builder.status(StatusCode::BAD_GATEWAY).body(Vec::new())
                }
            }
        }
        _ => builder.status(StatusCode::NO_CONTENT).body(Vec::new()),
    };
    response.unwrap_or_else(|_| Response::new(Vec::new()))
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A tile server on loopback, one connection at a time: `answer` gives the whole
    /// HTTP answer to a path, the server's own address at hand; the paths asked for are
    /// kept.
    struct Server {
        base: String,
        asked: Arc<Mutex<Vec<String>>>,
    }

    impl Server {
        fn start(answer: impl Fn(&str, &str) -> Vec<u8> + Send + 'static) -> Server {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let asked = Arc::new(Mutex::new(Vec::new()));
            let (own, seen) = (base.clone(), asked.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(mut stream) = stream else { continue };
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    let _ = reader.read_line(&mut line);
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) <= 2 {
                            break;
                        }
                    }
                    seen.lock().unwrap().push(path.clone());
                    let _ = stream.write_all(&answer(&own, &path));
                }
            });
            Server { base, asked }
        }

        fn asked(&self) -> Vec<String> {
            self.asked.lock().unwrap().clone()
        }
    }

    fn answer(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
        let mut text = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        text.push_str("\r\n");
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n not really, but the proxy does not decode it";

    fn online(template: &str) -> OnlineTiles {
        let tiles = OnlineTiles::default();
        tiles.set(template).unwrap();
        tiles
    }

    #[tokio::test]
    async fn a_tile_comes_from_the_tile_server_the_user_set() {
        let server = Server::start(|_, _| answer("200 OK", &[("Content-Type", "image/png")], PNG));
        let tiles = online(&format!("{}/osm/{{z}}/{{x}}/{{y}}.png", server.base));
        let response = serve(&tiles, "/12/2250/1190").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "image/png");
        assert_eq!(response.body(), PNG);
        assert_eq!(server.asked(), ["/osm/12/2250/1190.png"]);
    }

    #[tokio::test]
    async fn a_tile_on_another_origin_is_refused() {
        // The tile server sends the map elsewhere: to another port on the same machine.
        let elsewhere =
            Server::start(|_, _| answer("200 OK", &[("Content-Type", "image/png")], PNG));
        let target = elsewhere.base.clone();
        let server = Server::start(move |own, path| {
            if let Some(rest) = path.strip_prefix("/moved") {
                // Within the tile server: followed.
                answer("302 Found", &[("Location", &format!("{own}{rest}"))], b"")
            } else if path.starts_with("/tiles/") {
                answer("200 OK", &[("Content-Type", "image/png")], PNG)
            } else {
                answer(
                    "302 Found",
                    &[("Location", &format!("{target}{path}"))],
                    b"",
                )
            }
        });

        let tiles = online(&format!("{}/away/{{z}}/{{x}}/{{y}}.png", server.base));
        let response = serve(&tiles, "/1/0/0").await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(response.body().is_empty());
        assert_eq!(server.asked(), ["/away/1/0/0.png"]);
        assert!(
            elsewhere.asked().is_empty(),
            "the other origin is never asked: {:?}",
            elsewhere.asked()
        );

        let tiles = online(&format!(
            "{}/moved/tiles/{{z}}/{{x}}/{{y}}.png",
            server.base
        ));
        let response = serve(&tiles, "/1/0/0").await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "a redirect on the origin"
        );
        assert_eq!(response.body(), PNG);
    }

    #[tokio::test]
    async fn only_a_tile_address_and_only_an_image_are_served() {
        let server = Server::start(|_, path| match path {
            "/page/1/0/0" => answer("200 OK", &[("Content-Type", "text/html")], b"<p>hi"),
            "/svg/1/0/0" => answer("200 OK", &[("Content-Type", "image/svg+xml")], b"<svg/>"),
            "/none/1/0/0" => answer("404 Not Found", &[], b""),
            _ => answer("500 Internal Server Error", &[], b""),
        });
        for (kind, status) in [
            ("page", StatusCode::BAD_GATEWAY),
            ("svg", StatusCode::BAD_GATEWAY),
            ("none", StatusCode::NO_CONTENT),
            ("broken", StatusCode::BAD_GATEWAY),
        ] {
            let tiles = online(&format!("{}/{kind}/{{z}}/{{x}}/{{y}}", server.base));
            assert_eq!(serve(&tiles, "/1/0/0").await.status(), status, "{kind}");
        }
        let tiles = online(&format!("{}/none/{{z}}/{{x}}/{{y}}", server.base));
        let asked = server.asked().len();
        for path in [
            "/",
            "/1/0",
            "/a/b/c",
            "/1/2/0",
            "/99/0/0",
            "/https://evil.example/1/0/0",
        ] {
            assert_eq!(
                serve(&tiles, path).await.status(),
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        assert_eq!(server.asked().len(), asked, "no tile address, no request");
        let unset = OnlineTiles::default();
        assert_eq!(
            serve(&unset, "/1/0/0").await.status(),
            StatusCode::NO_CONTENT,
            "no tile URL: no tiles"
        );
    }

    #[test]
    fn the_tile_url_is_checked_when_it_is_set() {
        let tiles = OnlineTiles::default();
        assert!(
            tiles
                .set("https://{z}.tiles.example.org/{x}/{y}.png")
                .is_err()
        );
        assert!(
            tiles
                .set("http://tiles.example.org/{z}/{x}/{y}.png")
                .is_err()
        );
        assert!(
            tiles
                .set("https://tiles.example.org/{z}/{x}/{y}.png")
                .is_ok()
        );
        assert!(tiles.set("").is_ok());
        assert!(tiles.template().is_none());
    }
}
