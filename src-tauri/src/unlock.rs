//! Opening the encrypted store. Its key normally comes from the platform's key store, and
//! the app opens as usual. Where there is no key store the app starts locked: the UI asks
//! for a passphrase (to create the store, or to open it) and calls `unlock`. It never
//! falls back to a plain file.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use lagesbild_client::keystore::{Missing, OpenError, Unlock, open_store};
use lagesbild_core::ErrorCode;
use lagesbild_core::store::STORE_FILE;
use serde::Serialize;
use tauri::{AppHandle, Manager, State};

use crate::commands;
use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// Whether the store is still locked, as the UI asks at start.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct StoreLock {
    pub locked: bool,
    /// There is an encrypted store to open (else a passphrase creates one).
    pub exists: bool,
    /// Why no key was at hand, in kind: the screen says what to do about it.
    pub kind: LockKind,
    /// Why no key was at hand (English, for the details line).
    pub reason: String,
}

/// Why the store is locked (`lagesbild_client::keystore::Missing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum LockKind {
    /// Not locked.
    None,
    NoKeyStore,
    KeyStoreLocked,
    NoKey,
    Damaged,
}

impl From<Missing> for LockKind {
    fn from(missing: Missing) -> LockKind {
        match missing {
            Missing::NoKeyStore => LockKind::NoKeyStore,
            Missing::KeyStoreLocked => LockKind::KeyStoreLocked,
            Missing::NoKey => LockKind::NoKey,
            Missing::Damaged => LockKind::Damaged,
        }
    }
}

const UNLOCKED: StoreLock = StoreLock {
    locked: false,
    exists: true,
    kind: LockKind::None,
    reason: String::new(),
};

/// Managed from the start, before the store is open.
#[derive(Debug)]
pub struct Lock {
    dir: PathBuf,
    state: Mutex<StoreLock>,
}

impl Lock {
    fn set(&self, lock: StoreLock) {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = lock;
    }
}

/// Opens the store in `dir` with the key store's key; a missing key store leaves the app
/// locked instead. Any other failure stops the app.
pub fn open_at_start(app: &AppHandle, dir: PathBuf) -> Result<(), String> {
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let opened = open_store(&dir.join(STORE_FILE), Unlock::KeyStore);
    let lock = Lock {
        dir: dir.clone(),
        state: Mutex::new(UNLOCKED),
    };
    match opened {
        Ok(store) => {
            app.manage(lock);
            tauri::async_runtime::block_on(start(app, AppState::new(store))).map_err(|e| e.message)
        }
        Err(OpenError::Locked {
            exists,
            missing,
            reason,
            ..
        }) => {
            tracing::warn!(%reason, "the store stays locked until a passphrase is given");
            lock.set(StoreLock {
                locked: true,
                exists,
                kind: missing.into(),
                reason,
            });
            app.manage(lock);
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Whether the UI must ask for a passphrase first.
#[tauri::command]
pub fn store_lock(lock: State<'_, Lock>) -> StoreLock {
    lock.state
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// Opens (or creates) the store with a passphrase the person typed.
#[tauri::command]
pub async fn unlock(
    app: AppHandle,
    lock: State<'_, Lock>,
    passphrase: String,
) -> CommandResult<()> {
    if !store_lock(lock.clone()).locked {
        return Ok(());
    }
    let path = lock.dir.join(STORE_FILE);
    let store = tauri::async_runtime::spawn_blocking(move || {
        open_store(&path, Unlock::Passphrase(&passphrase))
    })
    .await
    .map_err(|e| CommandError::new(ErrorCode::Internal, e.to_string()))?
    .map_err(|e| match e {
        OpenError::Store(e) => CommandError::from(e),
        other => CommandError::new(ErrorCode::Internal, other.to_string()),
    })?;
    start(&app, AppState::new(store)).await?;
    lock.set(UNLOCKED);
    Ok(())
}

/// Tries the key store again, once the person has unlocked it; answers the lock as it
/// stands after.
#[tauri::command]
pub async fn retry_key_store(app: AppHandle, lock: State<'_, Lock>) -> CommandResult<StoreLock> {
    if !store_lock(lock.clone()).locked {
        return Ok(UNLOCKED);
    }
    let path = lock.dir.join(STORE_FILE);
    // Unlocking may have meant logging in again, which restarts the key store.
    lagesbild_client::keystore::reconnect_key_store();
    let opened = tauri::async_runtime::spawn_blocking(move || open_store(&path, Unlock::KeyStore))
        .await
        .map_err(|e| CommandError::new(ErrorCode::Internal, e.to_string()))?;
    match opened {
        Ok(store) => {
            start(&app, AppState::new(store)).await?;
            lock.set(UNLOCKED);
        }
        Err(OpenError::Locked {
            exists,
            missing,
            reason,
            ..
        }) => lock.set(StoreLock {
            locked: true,
            exists,
            kind: missing.into(),
            reason,
        }),
        Err(OpenError::Store(e)) => return Err(CommandError::from(e)),
        Err(other) => return Err(CommandError::new(ErrorCode::Internal, other.to_string())),
    }
    Ok(store_lock(lock))
}

/// What follows an open store: enrolment handed over by whoever started the app (the
/// demo, the tests), background sync, and the state every command uses.
async fn start(app: &AppHandle, state: AppState) -> CommandResult<()> {
    if let (Ok(server), Ok(code)) = (
        std::env::var("LAGESBILD_SERVER"),
        std::env::var("LAGESBILD_ENROLMENT_CODE"),
    ) && state.store().credential()?.is_none()
    {
        let enrolled = commands::enroll_with(&state, &server, &code, None, "Lägesbild").await;
        if let Err(e) = enrolled {
            tracing::error!(error = ?e, "enrolment from the environment failed");
        }
    }
    state.start_sync(app)?;
    app.manage(state);
    Ok(())
}
