//! The Lägesbild app: a Tauri shell over core. Commands delegate to core; the client
//! syncs in the background; the UI in `ui/` does the rest.

mod admin;
mod basemap;
pub mod bindings;
mod commands;
mod error;
mod state;
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
        .setup(|app| {
            let dir = data_dir(app);
            // The window is made here rather than in tauri.conf.json so that its web
            // storage (language, theme, recent places) lives with the store.
            tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::default())
                .title("Lägesbild")
                .inner_size(1366.0, 768.0)
                .min_inner_size(360.0, 600.0)
                .data_directory(dir.join("webview"))
                .build()?;
            app.manage(basemap::Basemap::at(dir.join("basemap.mbtiles")));
            unlock::open_at_start(app.handle(), dir)?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            unlock::store_lock,
            unlock::unlock,
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
            commands::mark_reviewed,
            commands::link,
            commands::erase,
            commands::change_register,
            commands::report_sheet,
            commands::delivery,
            commands::save_report,
            commands::export,
            admin::people,
            admin::administer,
            admin::audit,
            admin::export_audit,
            admin::qr_code,
            basemap::basemap,
            basemap::basemap_upload,
            basemap::remove_basemap,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Lägesbild could not start: {e}");
        std::process::exit(1);
    }
}
