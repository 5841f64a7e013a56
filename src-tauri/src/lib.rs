//! The Lägesbild app: a Tauri shell over core. Commands delegate to core; the client
//! syncs in the background; the UI in `ui/` does the rest.

mod admin;
mod basemap;
pub mod bindings;
mod commands;
mod error;
mod navigation;
mod pdf;
mod pmtiles;
mod state;
mod tiles;
mod unlock;

use std::path::PathBuf;

use tauri::Manager;

/// Where the store lives: `LAGESBILD_APP_DATA` if set (tests run several apps side by
/// side), else the platform's app data directory.
fn data_dir(app: &tauri::App) -> PathBuf {
    std::env::var_os("LAGESBILD_APP_DATA")
        .map(PathBuf::from)
        .or_else(|| app.path().app_data_dir().ok())
        .unwrap_or_else(|| PathBuf::from("lagesbild-data"))
}

/// The app's one entry point: `main` on desktops; on Android and iOS the mobile runtime
/// calls it (`tauri::mobile_entry_point`).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LAGESBILD_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let builder = tauri::Builder::default();
    // Phones: position and QR scanning through Tauri's official plugins.
    #[cfg(mobile)]
    let builder = builder
        .plugin(tauri_plugin_geolocation::init())
        .plugin(tauri_plugin_barcode_scanner::init());
    // Computers: the save dialog for files the user keeps.
    #[cfg(desktop)]
    let builder = builder.plugin(tauri_plugin_dialog::init());
    let result = builder
        // The offline basemap's tiles, read from its MBTiles file off the UI's thread.
        .register_asynchronous_uri_scheme_protocol("basemap", |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            let path = request.uri().path().to_owned();
            tauri::async_runtime::spawn_blocking(move || {
                let basemap = app.state::<basemap::Basemap>();
                responder.respond(basemap::serve(&basemap, &path));
            });
        })
        // Online tiles, fetched by the app from the tile server the user set: the page
        // itself loads nothing from outside the app (see the CSP in tauri.conf.json).
        .register_asynchronous_uri_scheme_protocol("tiles", |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            let path = request.uri().path().to_owned();
            tauri::async_runtime::spawn(async move {
                let online = app.state::<tiles::OnlineTiles>();
                responder.respond(tiles::serve(&online, &path).await);
            });
        })
        .setup(|app| {
            let dir = data_dir(app);
            let dev_url = app
                .config()
                .build
                .dev_url
                .clone()
                .filter(|_| tauri::is_dev());
            // What the page's schemes serve is in place before the page loads.
            app.manage(basemap::Basemap::at(dir.join("basemap.mbtiles")));
            app.manage(tiles::OnlineTiles::default());
            // The window is made here rather than in tauri.conf.json so that its web
            // storage (language, theme, recent places) lives with the store. It shows
            // only the app: navigation elsewhere and new windows are refused.
            tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::default())
                .on_navigation(move |url| navigation::allowed(url, dev_url.as_ref()))
                .on_new_window(|url, _| {
                    tracing::warn!(%url, "refused to open a window");
                    tauri::webview::NewWindowResponse::Deny
                })
                .title("Lägesbild")
                .inner_size(1366.0, 768.0)
                .min_inner_size(360.0, 600.0)
                .data_directory(dir.join("webview"))
                .build()?;
            unlock::open_at_start(app.handle(), dir)?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            unlock::store_lock,
            unlock::unlock,
            unlock::retry_key_store,
            commands::ui_ready,
            commands::overview,
            commands::enroll,
            commands::start_local,
            commands::add_local_place,
            commands::rehome,
            commands::categories,
            commands::places,
            commands::organisations,
            commands::record,
            commands::edit,
            commands::add_note,
            commands::observation,
            commands::list,
            commands::lagesbild,
            commands::sync_status,
            commands::sync_now,
            commands::agenda,
            commands::start_meeting,
            commands::edit_meeting_notes,
            commands::add_attendee,
            commands::decide,
            commands::set_decision_status,
            commands::assess,
            commands::efforts,
            commands::add_promise,
            commands::add_activity,
            commands::edit_activity,
            commands::reconsider,
            commands::mark_reviewed,
            commands::mark_reviewed_many,
            commands::link,
            commands::erase,
            commands::change_register,
            commands::report_sheet,
            commands::delivery,
            commands::place_habits,
            commands::save_report,
            commands::publications,
            commands::export,
            pdf::save_pdf,
            admin::people,
            admin::administer,
            admin::audit,
            admin::export_audit,
            admin::qr_code,
            basemap::basemap,
            basemap::basemap_upload,
            basemap::remove_basemap,
            tiles::set_tile_url,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Lägesbild could not start: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    /// The app's own sources: its page, the IPC and the basemap and tiles schemes, as
    /// `scheme:` (Linux, macOS, iOS) and as `http://scheme.localhost` (Windows, Android).
    const OWN_SCHEMES: [&str; 3] = ["ipc", "basemap", "tiles"];

    fn csp() -> String {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
        config["app"]["security"]["csp"]
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn the_page_loads_and_sends_nothing_outside_the_app() {
        let csp = csp();
        for directive in csp.split(';') {
            let mut words = directive.split_whitespace();
            let name = words.next().unwrap_or_default();
            for source in words {
                let own = ["'self'", "'none'", "data:", "blob:"].contains(&source)
                    || (name == "style-src" && source == "'unsafe-inline'")
                    || OWN_SCHEMES.iter().any(|scheme| {
                        source == format!("{scheme}:")
                            || source == format!("http://{scheme}.localhost")
                    });
                assert!(own, "{name} allows {source}, outside the app: {csp}");
            }
        }
    }

    #[test]
    fn the_page_embeds_no_plugin_and_keeps_its_base() {
        let csp = csp();
        let directives: Vec<Vec<&str>> = csp
            .split(';')
            .map(|d| d.split_whitespace().collect())
            .collect();
        for needed in [
            ["object-src", "'none'"],
            ["base-uri", "'none'"],
            ["form-action", "'none'"],
        ] {
            assert!(directives.contains(&needed.to_vec()), "{needed:?} in {csp}");
        }
        assert!(
            directives.iter().any(|d| d.first() == Some(&"default-src")),
            "a default for what is not named: {csp}"
        );
    }
}
