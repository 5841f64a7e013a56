//! What the app holds while it runs: the store, and background sync once enrolled.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lagesbild_client::Syncer;
use lagesbild_core::{Store, Timestamp};
use tauri::{AppHandle, Emitter};
use tokio::sync::watch;

use crate::error::{CommandError, CommandResult};
use lagesbild_core::ErrorCode;

pub struct AppState {
    pub store: Arc<Mutex<Store>>,
    syncer: Mutex<Option<Syncer>>,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

pub fn now() -> Timestamp {
    Timestamp::from(chrono::Utc::now())
}

impl AppState {
    pub fn new(store: Store) -> AppState {
        AppState {
            store: Arc::new(Mutex::new(store)),
            syncer: Mutex::new(None),
            stop: watch::channel(false).0,
        }
    }

    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts background sync for every workspace of the enrolment, and forwards its
    /// status to the UI as `sync-status` events.
    pub fn start_sync(&self, app: &AppHandle) -> CommandResult<()> {
        let (credential, workspaces) = {
            let store = self.store();
            let Some(credential) = store.credential()? else {
                return Ok(());
            };
            let workspaces: Vec<_> = store
                .memberships()?
                .iter()
                .map(|m| m.workspace.id)
                .collect();
            (credential, workspaces)
        };
        let transport = lagesbild_client::credential_transport(&credential)
            .map_err(|e| CommandError::new(ErrorCode::Internal, e.to_string()))?;
        let runtime = tauri::async_runtime::handle();
        let syncer = Syncer::start(
            runtime.inner(),
            Arc::clone(&self.store),
            transport,
            &workspaces,
            self.stop.subscribe(),
        );
        let mut status = syncer.status();
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            while status.changed().await.is_ok() {
                let all = status.borrow_and_update().clone();
                let _ = app.emit("sync-status", all);
            }
        });
        *self.syncer.lock().unwrap_or_else(PoisonError::into_inner) = Some(syncer);
        Ok(())
    }

    /// Runs a change on the store, then syncs it: what every command that writes does.
    pub fn change<T>(
        &self,
        f: impl FnOnce(&mut Store) -> lagesbild_core::Result<T>,
    ) -> CommandResult<T> {
        let result = f(&mut self.store())?;
        self.wake_sync();
        Ok(result)
    }

    /// Sync now: after recording, or when the user asks.
    pub fn wake_sync(&self) {
        if let Some(syncer) = self
            .syncer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            syncer.wake();
        }
    }

    pub fn sync_status(
        &self,
    ) -> Option<
        std::collections::BTreeMap<
            lagesbild_core::WorkspaceId,
            lagesbild_core::sync::engine::SyncStatus,
        >,
    > {
        self.syncer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|s| s.status().borrow().clone())
    }
}

impl Drop for AppState {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}
