//! `enroll` and `sync`: the device side of sync from the command line.

use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result, anyhow, bail};
use lagesbild_client::sync_once;
use lagesbild_core::inert::terminal_line;
use lagesbild_core::store::STORE_FILE;
use lagesbild_core::sync::engine::Connection;
use lagesbild_core::{Lang, ObservationId, Store};

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the network runtime")
}

pub fn enroll(
    dir: &Path,
    server: &str,
    code: &str,
    ca: Option<&str>,
    device_name: &str,
    lang: Lang,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let store = Mutex::new(crate::stores::open_path(&dir.join(STORE_FILE))?);
    let me = runtime()?
        .block_on(lagesbild_client::enrol(
            &store,
            server,
            code,
            ca,
            device_name,
        ))
        .map_err(|e| enrol_refusal(e, lang))?;
    let store = store
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match store.credential()?.map(|c| c.device) {
        Some(device) => println!("enrolled as {} ({device})", terminal_line(&me.name)),
        None => println!("enrolled as {}", terminal_line(&me.name)),
    }
    for m in &me.memberships {
        println!(
            "  {}: {}, {}",
            terminal_line(&m.workspace.name),
            terminal_line(&m.organisation.name),
            m.role.label(Lang::Sv)
        );
    }
    // The first sync brings the register (places, categories) and the reports.
    sync(store, false, lang)
}

/// Why an enrolment did not go through, and what to do, as a sentence.
fn enrol_refusal(e: lagesbild_client::FlowError, lang: Lang) -> anyhow::Error {
    use lagesbild_client::FlowError;
    use lagesbild_core::sync::engine::TransportError;
    let sentence = match (&e, lang) {
        // The server's words say the same, in English.
        (FlowError::Server(TransportError::Unauthorized(_)), Lang::Sv) => {
            "Koden godtogs inte: den kan vara felskriven, redan använd eller för gammal. \
             Be samordnaren om en ny kod."
                .to_string()
        }
        (FlowError::Server(TransportError::Unauthorized(_)), Lang::En) => {
            "The code was not accepted: it may be mistyped, used already or expired. \
             Ask the coordinator for a new one."
                .to_string()
        }
        (FlowError::Server(TransportError::Unreachable(why)), Lang::Sv) => format!(
            "Servern gick inte att nå ({why}). Kontrollera adressen och nätet och försök igen."
        ),
        (FlowError::Server(TransportError::Unreachable(why)), Lang::En) => format!(
            "The server could not be reached ({why}). Check the address and the network and try again."
        ),
        // An untrusted server is explained where it is found (`sync::link`).
        _ => return anyhow!(e),
    };
    anyhow!(sentence)
}

pub fn sync(store: Store, json: bool, lang: Lang) -> Result<()> {
    let credential = store.credential()?.ok_or_else(|| {
        anyhow!("this store is not enrolled; run `lagesbild enroll <server> <code>` first")
    })?;
    let transport = lagesbild_client::credential_transport(&credential).map_err(|e| anyhow!(e))?;
    let workspaces: Vec<_> = store
        .memberships()?
        .into_iter()
        .map(|m| (m.workspace.id, m.workspace.name))
        .collect();
    let shared = Mutex::new(store);
    let runtime = runtime()?;
    let mut statuses = Vec::new();
    for (id, name) in &workspaces {
        let status = runtime.block_on(sync_once(&shared, &transport, *id))?;
        statuses.push((name.clone(), status));
    }
    let store = shared
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if json {
        let value: Vec<_> = statuses
            .iter()
            .map(|(name, s)| serde_json::json!({ "workspace": name, "status": s }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    let mut failed = Vec::new();
    for (name, s) in &statuses {
        let state = match (&s.connection, lang) {
            (Connection::Synced { at }, Lang::Sv) => format!("synkad {}", at.local_display()),
            (Connection::Synced { at }, Lang::En) => format!("synced {}", at.local_display()),
            (Connection::Syncing, Lang::Sv) => "synkar".into(),
            (Connection::Syncing, Lang::En) => "syncing".into(),
            (refused, _) => {
                failed.push(refusal(refused, lang));
                match lang {
                    Lang::Sv => "inte synkad".into(),
                    Lang::En => "not synced".into(),
                }
            }
        };
        println!(
            "{}: {}; {} waiting, {} refused",
            terminal_line(name),
            terminal_line(&state),
            s.waiting,
            s.refused
        );
    }
    for refused in store.refused_changes()? {
        println!(
            "  refused change to {}: {}",
            refused.doc,
            terminal_line(&refused.message)
        );
    }
    if let Some(why) = failed.first() {
        bail!("{}", terminal_line(why));
    }
    Ok(())
}

/// Why a sync did not complete, and what to do, as a sentence for the person at the
/// keyboard; the server's own words in parentheses.
fn refusal(connection: &Connection, lang: Lang) -> String {
    match (connection, lang) {
        (Connection::Revoked { reason }, Lang::Sv) => format!(
            "Den här enheten är spärrad och kan inte längre synka ({reason}). Det som inte \
             hunnit skickas finns kvar här. Be samordnaren om en ny anslutningskod och anslut \
             enheten igen med `lagesbild enroll`."
        ),
        (Connection::Revoked { reason }, Lang::En) => format!(
            "This device has been revoked and can no longer sync ({reason}). What had not \
             been sent is still here. Ask the coordinator for a new enrolment code and enrol \
             the device again with `lagesbild enroll`."
        ),
        (Connection::Deactivated { reason }, Lang::Sv) => format!(
            "Ditt konto är avaktiverat, så enheten kan inte synka ({reason}). Det som inte \
             hunnit skickas finns kvar här och skickas om kontot aktiveras igen. Tala med \
             samordnaren om det är fel."
        ),
        (Connection::Deactivated { reason }, Lang::En) => format!(
            "Your account has been deactivated, so this device cannot sync ({reason}). What \
             had not been sent is still here, and goes if the account is activated again. \
             Talk to the coordinator if this is a mistake."
        ),
        (Connection::Offline { reason }, Lang::Sv) => format!(
            "Servern gick inte att nå ({reason}). Allt finns kvar här och skickas vid nästa \
             synk; kontrollera nätet och serverns adress."
        ),
        (Connection::Offline { reason }, Lang::En) => format!(
            "The server could not be reached ({reason}). Everything is still here and goes \
             at the next sync; check the network and the server's address."
        ),
        (Connection::Synced { .. } | Connection::Syncing, _) => String::new(),
    }
}

pub fn erase(store: Store, id: ObservationId) -> Result<()> {
    let store = Mutex::new(store);
    runtime()?
        .block_on(lagesbild_client::erase_everywhere(&store, id))
        .map_err(|e| anyhow!(e))?;
    println!("erased {id}; every device removes it at its next sync");
    Ok(())
}
