//! Online map tiles on the app's own `tiles` scheme (`/{z}/{x}/{y}`): the app fetches
//! them from the tile server the user set (`set_tile_url`), so the page's content
//! security policy allows no address outside the app. A page that injected markup could
//! not load from, or send to, anywhere else; nor can it choose the server: only the
//! command sets it.

use std::sync::{Mutex, PoisonError};

use lagesbild_client::tiles::{TileClient, TileTemplate};
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
}

/// Sets the tile server's address (`https://…/{z}/{x}/{y}.png`); empty: none.
#[tauri::command]
pub fn set_tile_url(tiles: State<'_, OnlineTiles>, template: String) -> CommandResult<()> {
    let template = match template.trim() {
        "" => None,
        text => Some(
            TileTemplate::parse(text)
                .map_err(|e| CommandError::new(ErrorCode::Invalid, e.to_string()))?,
        ),
    };
    *tiles
        .template
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = template;
    Ok(())
}

/// The `tiles` URI scheme: `/{z}/{x}/{y}` answers the tile from the tile server, 204
/// where it has none or none is set (the map leaves it empty).
pub async fn serve(tiles: &OnlineTiles, path: &str) -> Response<Vec<u8>> {
    let builder = Response::builder().header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    let tile = crate::basemap::tile_path(path);
    let response = match (tile, tiles.template(), &tiles.client) {
        (None, _, _) => builder.status(StatusCode::NOT_FOUND).body(Vec::new()),
        (Some((z, x, y)), Some(template), Some(client)) => {
            match client.fetch(&template, z, x, y).await {
                Ok(Some((data, kind))) => builder
                    .header(header::CONTENT_TYPE, kind)
                    .header(header::CACHE_CONTROL, "max-age=3600")
                    .body(data),
                Ok(None) => builder.status(StatusCode::NO_CONTENT).body(Vec::new()),
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
