//! The commands the UI calls: each one a thin delegate to core (or the client for
//! enrolment). Nothing here decides.

use lagesbild_core::agenda::Agenda;
use lagesbild_core::exchange;
use lagesbild_core::lagesbild::Lagesbild;
use lagesbild_core::store::{ActivityDraft, PromiseDraft, RefusedChange};
use lagesbild_core::sync::engine::{SyncStatus, TransportError};
use lagesbild_core::sync::wire::{Membership, RegisterChange};
use lagesbild_core::time::{local_midnight, parse_day};
use lagesbild_core::views;
use lagesbild_core::{
    Activity, ActivityId, Assessment, Category, Decision, DecisionDraft, DecisionId,
    DecisionStatus, Grade, Identity, IsoWeek, Lang, ListQuery, Meeting, MeetingId, Observation,
    ObservationDraft, ObservationFilter, ObservationId, ObservationPatch, ObservationRow,
    Organisation, Place, PlaceId, Position, Promise, Reconsideration, Workspace,
};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};

use crate::error::{CommandError, CommandResult};
use crate::state::{AppState, now};
use lagesbild_client::FlowError;
use lagesbild_core::ErrorCode;

/// The page has drawn its first screen. With `LAGESBILD_STARTUP_LOG` set it says so on
/// standard error, once: `./scripts/bench app` times the app's start by that line.
#[tauri::command]
pub fn ui_ready() {
    static SAID: std::sync::Once = std::sync::Once::new();
    if std::env::var_os("LAGESBILD_STARTUP_LOG").is_some() {
        SAID.call_once(|| eprintln!("lagesbild: first screen ready"));
    }
}

/// Who this device is and where it syncs: what the start screen needs.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct Overview {
    pub identity: Option<Identity>,
    pub workspace: Option<Workspace>,
    pub organisation: Option<Organisation>,
    pub server: Option<String>,
    pub memberships: Vec<Membership>,
    /// The device records into its own local workspace: not enrolled yet.
    pub local: bool,
    /// Reports made before enrolment whose place the workspace does not know: the user
    /// picks one for each.
    pub waiting_for_place: Vec<ObservationRow>,
    /// What this user may do, from core's table of who may write what; none before
    /// enrolment (the local workspace is the device's alone).
    pub abilities: lagesbild_core::permissions::Abilities,
}

#[tauri::command]
pub async fn overview(state: State<'_, AppState>) -> CommandResult<Overview> {
    let store = state.store();
    let identity = store.identity()?;
    let workspace = identity
        .as_ref()
        .map(|i| store.workspace(i.workspace))
        .transpose()?;
    let organisation = identity
        .as_ref()
        .and_then(|i| store.organisation(i.organisation).ok());
    let local_workspace = store.local_workspace()?;
    let local =
        local_workspace.is_some() && local_workspace == identity.as_ref().map(|i| i.workspace);
    let waiting_for_place = match local_workspace {
        Some(workspace) if !local => store.list(&ListQuery {
            workspace: Some(workspace),
            ..ListQuery::default()
        })?,
        _ => Vec::new(),
    };
    let abilities = match &identity {
        Some(i) if !local => lagesbild_core::permissions::Abilities::of(i.role),
        _ => lagesbild_core::permissions::Abilities::default(),
    };
    Ok(Overview {
        abilities,
        server: store.credential()?.map(|c| c.server),
        memberships: store.memberships()?,
        identity,
        workspace,
        organisation,
        local,
        waiting_for_place,
    })
}

/// Lets the device record before it is enrolled, into a local workspace of its own.
#[tauri::command]
pub async fn start_local(state: State<'_, AppState>, name: String) -> CommandResult<Overview> {
    state.store().start_local(&name)?;
    overview(state).await
}

/// A place named while recording before enrolment.
#[tauri::command]
pub async fn add_local_place(
    state: State<'_, AppState>,
    name: String,
    position: Option<Position>,
) -> CommandResult<Place> {
    Ok(state.store().add_local_place(&name, position)?)
}

/// Moves a report made before enrolment into the workspace, at the place picked.
#[tauri::command]
pub async fn rehome(
    state: State<'_, AppState>,
    id: ObservationId,
    place: PlaceId,
) -> CommandResult<Observation> {
    state.change(|store| store.rehome(id, place, now()))
}

#[tauri::command]
pub async fn enroll(
    app: AppHandle,
    state: State<'_, AppState>,
    server: String,
    code: String,
    ca: Option<String>,
    device_name: String,
) -> CommandResult<Overview> {
    enroll_with(&state, &server, &code, ca.as_deref(), &device_name).await?;
    state.start_sync(&app)?;
    overview(state).await
}

/// Exchanges an enrolment code for this device's credential and stores it.
pub async fn enroll_with(
    state: &AppState,
    server: &str,
    code: &str,
    ca: Option<&str>,
    device_name: &str,
) -> CommandResult<()> {
    // Refused by the client as well; named here so the page can say why.
    lagesbild_core::sync::link::check_server_address(server)
        .map_err(|e| CommandError::new(ErrorCode::PlainHttp, e.to_string()))?;
    lagesbild_client::enrol(&state.store, server, code, ca, device_name)
        .await
        .map_err(|e| match e {
            FlowError::Server(TransportError::Unauthorized(body)) => {
                CommandError::new(ErrorCode::EnrolmentRefused, body.message)
            }
            FlowError::Server(TransportError::Untrusted(message)) => {
                CommandError::new(ErrorCode::Untrusted, message)
            }
            FlowError::Store(e) => CommandError::from(e),
            other => CommandError::new(ErrorCode::Unreachable, other.to_string()),
        })?;
    Ok(())
}

#[tauri::command]
pub async fn categories(state: State<'_, AppState>) -> CommandResult<Vec<Category>> {
    let store = state.store();
    let workspace = store.require_identity()?.workspace;
    Ok(store.categories(workspace)?)
}

#[tauri::command]
pub async fn places(state: State<'_, AppState>) -> CommandResult<Vec<Place>> {
    let store = state.store();
    let workspace = store.require_identity()?.workspace;
    Ok(store.places(workspace)?)
}

#[tauri::command]
pub async fn organisations(state: State<'_, AppState>) -> CommandResult<Vec<Organisation>> {
    let store = state.store();
    let workspace = store.require_identity()?.workspace;
    Ok(store.organisations(workspace)?)
}

#[tauri::command]
pub async fn record(
    state: State<'_, AppState>,
    draft: ObservationDraft,
) -> CommandResult<Observation> {
    state.change(|store| store.record(&draft, now()))
}

#[tauri::command]
pub async fn edit(
    state: State<'_, AppState>,
    id: ObservationId,
    patch: ObservationPatch,
) -> CommandResult<Observation> {
    state.change(|store| store.edit(id, &patch, now()))
}

#[tauri::command]
pub async fn add_note(
    state: State<'_, AppState>,
    id: ObservationId,
    text: String,
    acknowledge_personnummer: bool,
) -> CommandResult<Observation> {
    state.change(|store| store.add_note(id, &text, acknowledge_personnummer, now()))
}

#[tauri::command]
pub async fn observation(
    state: State<'_, AppState>,
    id: ObservationId,
) -> CommandResult<Observation> {
    Ok(state.store().observation(id)?)
}

#[tauri::command]
pub async fn list(
    state: State<'_, AppState>,
    query: ListQuery,
) -> CommandResult<Vec<ObservationRow>> {
    Ok(state.store().list(&query)?)
}

#[tauri::command]
pub async fn lagesbild(
    state: State<'_, AppState>,
    week: Option<String>,
    filter: ObservationFilter,
) -> CommandResult<Lagesbild> {
    let store = state.store();
    let workspace = store.require_identity()?.workspace;
    Ok(views::lagesbild(
        &store,
        workspace,
        parse_week(week)?,
        &filter,
    )?)
}

#[derive(Debug, Serialize, ts_rs::TS)]
pub struct SyncOverview {
    /// None before enrolment: the app records locally only.
    pub status: Option<SyncStatus>,
    /// Reports (documents) with changes still to send.
    pub waiting: u64,
    pub refused: Vec<RefusedChange>,
}

#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> CommandResult<SyncOverview> {
    let store = state.store();
    let workspace = store.identity()?.map(|i| i.workspace);
    let status = workspace.and_then(|w| state.sync_status().and_then(|all| all.get(&w).cloned()));
    Ok(SyncOverview {
        status,
        waiting: store.pending_document_count()?,
        refused: store.refused_changes()?,
    })
}

/// Where each of these reports stands with the server, for *Mina rapporter*.
#[tauri::command]
pub async fn delivery(
    state: State<'_, AppState>,
    ids: Vec<ObservationId>,
) -> CommandResult<Vec<lagesbild_core::store::Delivery>> {
    Ok(state.store().delivery(&ids)?)
}

/// How often each place has been reported from lately, and at this time of day: the
/// report form's order of places after the nearest and the recent.
#[tauri::command]
pub async fn place_habits(
    state: State<'_, AppState>,
) -> CommandResult<Vec<lagesbild_core::store::PlaceHabit>> {
    let store = state.store();
    let workspace = store.require_identity()?.workspace;
    Ok(store.place_habits(workspace, now())?)
}

#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> CommandResult<()> {
    state.wake_sync();
    Ok(())
}

fn parse_week(week: Option<String>) -> CommandResult<IsoWeek> {
    match week {
        Some(w) => w
            .parse::<IsoWeek>()
            .map_err(|e| CommandError::new(ErrorCode::Invalid, e)),
        None => Ok(now().week()),
    }
}

/// The meeting's agenda for a week (this week if none).
#[tauri::command]
pub async fn agenda(state: State<'_, AppState>, week: Option<String>) -> CommandResult<Agenda> {
    let week = parse_week(week)?;
    Ok(views::agenda(&state.store(), week, now())?)
}

#[tauri::command]
pub async fn start_meeting(state: State<'_, AppState>, week: String) -> CommandResult<Meeting> {
    let week = parse_week(Some(week))?;
    state.change(|store| store.start_meeting(week, now()))
}

#[tauri::command]
pub async fn edit_meeting_notes(
    state: State<'_, AppState>,
    id: MeetingId,
    text: String,
) -> CommandResult<Meeting> {
    state.change(|store| store.edit_meeting_notes(id, &text, now()))
}

#[tauri::command]
pub async fn add_attendee(
    state: State<'_, AppState>,
    id: MeetingId,
    name: String,
) -> CommandResult<Meeting> {
    state.change(|store| store.add_attendee(id, &name, now()))
}

#[tauri::command]
pub async fn decide(state: State<'_, AppState>, draft: DecisionDraft) -> CommandResult<Decision> {
    state.change(|store| store.decide(&draft, now()))
}

#[tauri::command]
pub async fn set_decision_status(
    state: State<'_, AppState>,
    id: DecisionId,
    status: DecisionStatus,
    note: String,
) -> CommandResult<Decision> {
    state.change(|store| store.set_decision_status(id, status, &note, now()))
}

/// The citizen promises and the activity plan, each activity followed up.
#[tauri::command]
pub async fn efforts(state: State<'_, AppState>) -> CommandResult<views::Efforts> {
    Ok(views::efforts(&state.store(), now())?)
}

#[tauri::command]
pub async fn add_promise(
    state: State<'_, AppState>,
    draft: PromiseDraft,
) -> CommandResult<Promise> {
    state.change(|store| store.add_promise(&draft, now()))
}

#[tauri::command]
pub async fn add_activity(
    state: State<'_, AppState>,
    draft: ActivityDraft,
) -> CommandResult<Activity> {
    state.change(|store| store.add_activity(&draft, now()))
}

#[tauri::command]
pub async fn edit_activity(
    state: State<'_, AppState>,
    id: ActivityId,
    draft: ActivityDraft,
) -> CommandResult<Activity> {
    state.change(|store| store.edit_activity(id, &draft, now()))
}

/// The deployment group's reconsideration of an activity, at a meeting or not.
#[tauri::command]
pub async fn reconsider(
    state: State<'_, AppState>,
    id: ActivityId,
    outcome: Reconsideration,
    reason: String,
    meeting: Option<MeetingId>,
) -> CommandResult<Activity> {
    state.change(|store| store.reconsider(id, outcome, &reason, meeting, now()))
}

/// Sets an area's official assessment for a week, or this organisation's own.
#[tauri::command]
pub async fn assess(
    state: State<'_, AppState>,
    area: PlaceId,
    week: String,
    official: bool,
    grade: Grade,
    motivation: String,
) -> CommandResult<Assessment> {
    let week = parse_week(Some(week))?;
    state.change(|store| store.assess(area, week, official, grade, &motivation, now()))
}

/// Marks a report reviewed (the coordinator).
#[tauri::command]
pub async fn mark_reviewed(
    state: State<'_, AppState>,
    id: ObservationId,
) -> CommandResult<Observation> {
    state.change(|store| store.mark_reviewed(id, now()))
}

/// Marks many reports reviewed at once (the coordinator's review at volume), in order;
/// a refusal stops it there, and those before it stay reviewed.
#[tauri::command]
pub async fn mark_reviewed_many(
    state: State<'_, AppState>,
    ids: Vec<ObservationId>,
) -> CommandResult<usize> {
    state.change(|store| {
        let at = now();
        for id in &ids {
            store.mark_reviewed(*id, at)?;
        }
        Ok(ids.len())
    })
}

/// Links reports of one event (the coordinator).
#[tauri::command]
pub async fn link(state: State<'_, AppState>, ids: Vec<ObservationId>) -> CommandResult<()> {
    state.change(|store| store.link(&ids, now()))
}

/// Erases a report everywhere (the coordinator): the server first, which every device
/// then follows; then this device at once. Needs a connection.
#[tauri::command]
pub async fn erase(state: State<'_, AppState>, id: ObservationId) -> CommandResult<()> {
    lagesbild_client::erase_everywhere(&state.store, id)
        .await
        .map_err(online_error)
}

/// What a coordinator's action that needs the server (erasure, the register) calls.
pub(crate) fn online(
    state: &AppState,
) -> CommandResult<(lagesbild_client::HttpTransport, lagesbild_core::WorkspaceId)> {
    lagesbild_client::online(&state.store()).map_err(online_error)
}

pub(crate) fn online_error(e: impl Into<FlowError>) -> CommandError {
    let e = match e.into() {
        FlowError::Server(e) => e,
        FlowError::Store(e) => return CommandError::from(e),
        other => return CommandError::new(ErrorCode::Forbidden, other.to_string()),
    };
    match e {
        TransportError::Unauthorized(body) => CommandError::new(ErrorCode::Forbidden, body.message),
        TransportError::Rejected { status: 403, body } => {
            CommandError::new(ErrorCode::Forbidden, body.message)
        }
        TransportError::Rejected { body, .. } => {
            CommandError::new(ErrorCode::Invalid, body.message)
        }
        TransportError::Untrusted(message) => CommandError::new(ErrorCode::Untrusted, message),
        other => CommandError::new(ErrorCode::Unreachable, other.to_string()),
    }
}

/// Changes the place register, an area's outline, the map's tile address or the
/// categories (the coordinator; needs a connection). The device applies the server's new
/// register at once.
#[tauri::command]
pub async fn change_register(
    state: State<'_, AppState>,
    change: RegisterChange,
) -> CommandResult<()> {
    let (transport, workspace) = online(&state)?;
    // Checked here first by the server's own rules, against the register this device
    // holds: a refusal names its field, so the screen can say what to do. The server
    // checks again against the register as it stands.
    {
        let store = state.store();
        lagesbild_core::validate::register::plan_change(
            &store.places(workspace)?,
            &store.categories(workspace)?,
            workspace,
            &change,
        )?;
    }
    let register = transport
        .change_register(workspace, &change)
        .await
        .map_err(online_error)?;
    state.store().save_register(workspace, &register)?;
    Ok(())
}

/// Where files the user makes (reports, exports, the minutes) go when no one is asked:
/// `LAGESBILD_EXPORT_DIR` (kiosks and tests), else the downloads folder, else the app's
/// own data folder (phones).
fn output_dir(app: &AppHandle) -> CommandResult<std::path::PathBuf> {
    if let Some(dir) = std::env::var_os("LAGESBILD_EXPORT_DIR") {
        return Ok(dir.into());
    }
    app.path()
        .download_dir()
        .or_else(|_| app.path().app_data_dir().map(|d| d.join("exports")))
        .map_err(|e| CommandError::new(ErrorCode::Internal, e.to_string()))
}

/// `name` with only letters, digits, `-`, `_` and `.`: a file name on every system.
fn file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Where to save a file called `name`: on a computer the user chooses in the system's
/// save dialog (opened in the downloads folder with the name filled in); with
/// `LAGESBILD_EXPORT_DIR` set, and on phones, the output folder without asking. None:
/// the user closed the dialog without saving.
pub(crate) fn choose_output(
    app: &AppHandle,
    name: &str,
) -> CommandResult<Option<std::path::PathBuf>> {
    let name = file_name(name);
    let dir = output_dir(app)?;
    #[cfg(desktop)]
    if std::env::var_os("LAGESBILD_EXPORT_DIR").is_none() {
        use tauri_plugin_dialog::DialogExt;
        let chosen = app
            .dialog()
            .file()
            .set_directory(&dir)
            .set_file_name(&name)
            .blocking_save_file();
        return chosen
            .map(|path| {
                path.into_path()
                    .map_err(|e| CommandError::new(ErrorCode::Internal, e.to_string()))
            })
            .transpose();
    }
    std::fs::create_dir_all(&dir)
        .map_err(|e| CommandError::new(ErrorCode::Internal, format!("{}: {e}", dir.display())))?;
    Ok(Some(dir.join(name)))
}

/// Saves `bytes` as a file called `name` where the user chooses (`choose_output`);
/// answers its path, or "" when the user chose not to save.
pub(crate) fn write_output(app: &AppHandle, name: &str, bytes: &[u8]) -> CommandResult<String> {
    match choose_output(app, name)? {
        Some(path) => write_file(&path, bytes),
        None => Ok(String::new()),
    }
}

/// Writes `bytes` to `path`; answers the path as the user reads it.
fn write_file(path: &std::path::Path, bytes: &[u8]) -> CommandResult<String> {
    std::fs::write(path, bytes)
        .map_err(|e| CommandError::new(ErrorCode::Internal, format!("{}: {e}", path.display())))?;
    Ok(path.display().to_string())
}

/// The lägesrapport from `from` up to (not including) `until` as the app shows it: the
/// HTML the core renders for it (the command line's `lagesbild report` gives the same),
/// in the version for politicians when asked, whose counts are protected.
#[tauri::command]
pub async fn report_sheet(
    state: State<'_, AppState>,
    from: String,
    until: String,
    politicians: bool,
    lang: Lang,
) -> CommandResult<String> {
    let store = state.store();
    Ok(if politicians {
        views::politicians_report(&store, &from, &until, now())?.html_fragment(lang)
    } else {
        views::period_report(&store, &from, &until, now())?.html_fragment(lang)
    })
}

/// Saves the lägesrapport as a file to send, `html` (a whole page) or `csv`, where the
/// user chooses; returns its path ("" when the user chose not to save). Saving the version for politicians publishes it: the ledger records what
/// it published (`Store::publish`), and nothing is written if that is refused.
#[tauri::command]
pub async fn save_report(
    app: AppHandle,
    state: State<'_, AppState>,
    from: String,
    until: String,
    politicians: bool,
    lang: Lang,
    format: String,
) -> CommandResult<String> {
    if !matches!(format.as_str(), "html" | "csv") {
        return Err(CommandError::new(
            ErrorCode::Invalid,
            format!("unknown format '{format}'; expected html or csv"),
        ));
    }
    let until_last = parse_day(&until)?
        .pred_opt()
        .map_or(until.clone(), |d| d.to_string());
    let whom = if politicians { "-politiker" } else { "" };
    // Where first: a version for politicians is published only once it has somewhere to
    // go, and the store is not held while the user chooses.
    let Some(path) = choose_output(
        &app,
        &format!("lagesrapport-{from}-{until_last}{whom}.{format}"),
    )?
    else {
        return Ok(String::new());
    };
    let mut store = state.store();
    let html = format == "html";
    let text = if politicians {
        let report = views::politicians_report(&store, &from, &until, now())?;
        let text = if html {
            report.html(lang)
        } else {
            report.csv(lang)
        };
        store.publish(&report, text.as_bytes(), now())?;
        text
    } else {
        let report = views::period_report(&store, &from, &until, now())?;
        if html {
            report.html(lang)
        } else {
            report.csv(lang)
        }
    };
    drop(store);
    write_file(&path, text.as_bytes())
}

/// The publication ledger: every version for politicians published, oldest first.
#[tauri::command]
pub async fn publications(
    state: State<'_, AppState>,
) -> CommandResult<Vec<lagesbild_core::report::ledger::LedgerEntry>> {
    Ok(state.store().ledger()?)
}

/// Exports the reports of a period as CSV or GeoJSON; returns the file's path.
#[tauri::command]
pub async fn export(
    app: AppHandle,
    state: State<'_, AppState>,
    format: String,
    from: String,
    until: String,
) -> CommandResult<String> {
    let query = ListQuery {
        from: Some(local_midnight(parse_day(&from)?)),
        until: Some(local_midnight(parse_day(&until)?)),
        ..ListQuery::default()
    };
    let mut bytes = Vec::new();
    let store = state.store();
    let extension = match format.as_str() {
        "csv" => {
            exchange::export_csv(&store, &query, &mut bytes)?;
            "csv"
        }
        "geojson" => {
            exchange::export_geojson(&store, &query, &mut bytes)?;
            "geojson"
        }
        other => {
            return Err(CommandError::new(
                ErrorCode::Invalid,
                format!("unknown export format {other}"),
            ));
        }
    };
    drop(store);
    write_output(
        &app,
        &format!("lagesbild-{from}-{until}.{extension}"),
        &bytes,
    )
}
