//! The coordinator's administration: people, devices, enrolment codes and the audit log.
//! Each command is one request through the client; the server decides who may do it.

use lagesbild_core::audit_detail::{self, Names};
use lagesbild_core::sync::wire::{AdminChange, AdminOutcome, AuditEntry, People};
use lagesbild_core::{ErrorCode, Lang, WorkspaceId};
use serde::Serialize;
use tauri::{AppHandle, State};

use crate::commands::{online, online_error, write_output};
use crate::error::{CommandError, CommandResult};
use crate::state::{AppState, now};

/// The organisations and people of this workspace, or of another where this coordinator
/// is coordinator too (to give someone a membership there).
#[tauri::command]
pub async fn people(
    state: State<'_, AppState>,
    workspace: Option<WorkspaceId>,
) -> CommandResult<People> {
    let (transport, current) = online(&state)?;
    transport
        .people(workspace.unwrap_or(current))
        .await
        .map_err(online_error)
}

/// One administrative act; answers the people as they are now and the code issued, if
/// any, with its enrolment link.
#[tauri::command]
pub async fn administer(
    state: State<'_, AppState>,
    change: AdminChange,
) -> CommandResult<AdminOutcome> {
    let (transport, workspace) = online(&state)?;
    let outcome = transport
        .administer(workspace, &change)
        .await
        .map_err(online_error)?;
    // Organisations are part of the register every device holds: fetch it now.
    state.wake_sync();
    Ok(outcome)
}

/// A page of the audit log, newest first, older than `before`, each entry's `detail` said
/// as a sentence in `lang` (the server keeps facts; `audit_detail` says them, naming
/// places and categories from the register this device holds). A detail that is not
/// such facts, as older servers wrote, comes as it is.
#[tauri::command]
pub async fn audit(
    state: State<'_, AppState>,
    before: Option<i64>,
    lang: Lang,
) -> CommandResult<Vec<AuditEntry>> {
    let (transport, workspace) = online(&state)?;
    let mut page = transport
        .audit(workspace, before)
        .await
        .map_err(online_error)?;
    let store = state.store();
    let places = store.places(workspace)?;
    let categories = store.categories(workspace)?;
    let names = Names::new(&places, &categories);
    for entry in &mut page {
        entry.detail = audit_detail::render(&entry.action, &entry.detail, lang, &names);
    }
    Ok(page)
}

/// Saves the whole audit log as the server's CSV; returns the file's path.
#[tauri::command]
pub async fn export_audit(app: AppHandle, state: State<'_, AppState>) -> CommandResult<String> {
    let (transport, workspace) = online(&state)?;
    let csv = transport.audit_csv(workspace).await.map_err(online_error)?;
    let day = now().local_display();
    let day = day.get(..10).unwrap_or("");
    write_output(&app, &format!("lagesbild-logg-{day}.csv"), csv.as_bytes())
}

/// A QR code as its modules: `width` × `width`, row by row, `true` for dark. The UI draws
/// it; nothing leaves the device to make it.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct QrCode {
    pub width: u32,
    pub dark: Vec<bool>,
}

#[tauri::command]
pub fn qr_code(text: String) -> CommandResult<QrCode> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| CommandError::new(ErrorCode::Invalid, e.to_string()))?;
    Ok(QrCode {
        width: code.width() as u32,
        dark: code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::qr_code;

    #[test]
    fn a_qr_code_reads_back_as_the_text_it_was_made_from() {
        let text = "lagesbild://enroll?server=https%3A%2F%2Flagesbild.salem.se&code=K7QX-M2PA-9RTW";
        let qr = qr_code(text.into()).unwrap();
        let width = qr.width as usize;
        assert_eq!(qr.dark.len(), width * width);
        // Drawn at 4 pixels a module with a quiet zone of 4, as the UI does.
        let (scale, quiet) = (4, 4);
        let side = (width + 2 * quiet) * scale;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            let (mx, my) = (
                (x / scale).wrapping_sub(quiet),
                (y / scale).wrapping_sub(quiet),
            );
            if mx < width && my < width && qr.dark[my * width + mx] {
                0
            } else {
                255
            }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, text);
    }
}
