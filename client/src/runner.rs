//! Drives one sync engine per workspace: sends what the engine asks for, sleeps when it
//! says so, wakes early when the user records something, and publishes status.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use lagesbild_core::sync::engine::{
    Action, Request, Response, SyncEngine, SyncStatus, TransportError,
};
use lagesbild_core::{Store, Timestamp, WorkspaceId};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::HttpTransport;

fn now() -> Timestamp {
    Timestamp::from(chrono::Utc::now())
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Syncs until the engine would start waiting for news (or fails), for the command line.
/// Returns the engine's status at that point.
pub async fn sync_once(
    store: &Mutex<Store>,
    transport: &HttpTransport,
    workspace: WorkspaceId,
) -> lagesbild_core::Result<SyncStatus> {
    let mut engine = SyncEngine::new(workspace, now().millis().unsigned_abs());
    let mut prefetch = Prefetch::default();
    loop {
        let action = engine.poll(&*lock(store), now())?;
        match action {
            Action::Send(Request::Feed { wait, .. }) if wait > 0 => break,
            Action::Send(request) => {
                let outcome = prefetch.send(transport, workspace, &request).await;
                engine.handle(&mut *lock(store), &request, outcome, now())?;
            }
            Action::SleepUntil(_) | Action::Stopped => break,
        }
    }
    engine.status(&*lock(store))
}

/// Fetches the next bootstrap page (of projections, then of documents) while the device
/// stores the current one, so the network, the server and the device's disk work at
/// the same time.
#[derive(Debug, Default)]
struct Prefetch {
    ahead: Option<(Request, JoinHandle<Result<Response, TransportError>>)>,
}

impl Prefetch {
    async fn send(
        &mut self,
        transport: &HttpTransport,
        workspace: WorkspaceId,
        request: &Request,
    ) -> Result<Response, TransportError> {
        let outcome = match self.ahead.take() {
            Some((ahead, fetching)) if ahead == *request => fetching
                .await
                .unwrap_or_else(|e| Err(TransportError::Unreachable(e.to_string()))),
            other => {
                if let Some((_, fetching)) = other {
                    fetching.abort();
                }
                transport.send(workspace, request).await
            }
        };
        let ahead = match (request, &outcome) {
            (Request::Projections { at, .. }, Ok(Response::Projections(page))) => {
                let at = at.unwrap_or(page.cursor);
                Some(match page.next {
                    Some(next) => Request::Projections {
                        before: Some(next),
                        at: Some(at),
                    },
                    // The documents come next.
                    None => Request::Bootstrap { after: None, at },
                })
            }
            (Request::Bootstrap { at, .. }, Ok(Response::Bootstrap(page))) => {
                page.next.map(|next| Request::Bootstrap {
                    after: Some(next),
                    at: *at,
                })
            }
            _ => None,
        };
        if let Some(ahead) = ahead {
            let (transport, next_request) = (transport.clone(), ahead.clone());
            self.ahead = Some((
                ahead,
                tokio::spawn(async move { transport.send(workspace, &next_request).await }),
            ));
        }
        outcome
    }
}

/// Background sync for every workspace the device belongs to.
#[derive(Debug, Clone)]
pub struct Syncer {
    wakers: Arc<Vec<Arc<Notify>>>,
    status: watch::Receiver<BTreeMap<WorkspaceId, SyncStatus>>,
}

impl Syncer {
    /// Starts one task per workspace on `runtime`. They stop when `stop` turns true.
    pub fn start(
        runtime: &tokio::runtime::Handle,
        store: Arc<Mutex<Store>>,
        transport: HttpTransport,
        workspaces: &[WorkspaceId],
        stop: watch::Receiver<bool>,
    ) -> Syncer {
        let (publish, status) = watch::channel(BTreeMap::new());
        let publish = Arc::new(publish);
        let mut wakers = Vec::new();
        for (i, workspace) in workspaces.iter().enumerate() {
            let wake = Arc::new(Notify::new());
            wakers.push(Arc::clone(&wake));
            let engine = SyncEngine::new(
                *workspace,
                now().millis().unsigned_abs().wrapping_add(i as u64),
            );
            runtime.spawn(run(
                engine,
                Arc::clone(&store),
                transport.clone(),
                wake,
                Arc::clone(&publish),
                stop.clone(),
            ));
        }
        Syncer {
            wakers: Arc::new(wakers),
            status,
        }
    }

    /// Sync now: something was recorded, or the user pressed "sync".
    pub fn wake(&self) {
        for waker in self.wakers.iter() {
            waker.notify_one();
        }
    }

    pub fn status(&self) -> watch::Receiver<BTreeMap<WorkspaceId, SyncStatus>> {
        self.status.clone()
    }
}

async fn run(
    mut engine: SyncEngine,
    store: Arc<Mutex<Store>>,
    transport: HttpTransport,
    wake: Arc<Notify>,
    publish: Arc<watch::Sender<BTreeMap<WorkspaceId, SyncStatus>>>,
    mut stop: watch::Receiver<bool>,
) {
    let workspace = engine.workspace();
    let mut prefetch = Prefetch::default();
    let report = |engine: &SyncEngine| {
        if let Ok(status) = engine.status(&*lock(&store)) {
            publish.send_modify(|all| {
                all.insert(workspace, status);
            });
        }
    };
    loop {
        if *stop.borrow() {
            return;
        }
        let action = match engine.poll(&*lock(&store), now()) {
            Ok(action) => action,
            Err(e) => {
                tracing::error!(%workspace, error = %e, "sync cannot read the local store");
                Action::SleepUntil(Timestamp::from_millis(now().millis() + 30_000).unwrap_or(now()))
            }
        };
        report(&engine);
        match action {
            Action::Send(request) => {
                let long_poll = matches!(request, Request::Feed { wait, .. } if wait > 0);
                let outcome = tokio::select! {
                    outcome = prefetch.send(&transport, workspace, &request) => outcome,
                    _ = wake.notified(), if long_poll => Err(TransportError::Cancelled),
                    _ = stop.changed() => return,
                };
                if let Err(e) = &outcome {
                    tracing::debug!(%workspace, error = %e, "sync request failed");
                }
                if let Err(e) = engine.handle(&mut *lock(&store), &request, outcome, now()) {
                    tracing::error!(%workspace, error = %e, "sync could not apply a response");
                }
                report(&engine);
            }
            Action::SleepUntil(until) => {
                let pause = std::time::Duration::from_millis(
                    until.millis().saturating_sub(now().millis()).max(0) as u64,
                );
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = wake.notified() => engine.wake(),
                    _ = stop.changed() => return,
                }
            }
            Action::Stopped => {
                report(&engine);
                let _ = stop.changed().await;
                return;
            }
        }
    }
}
