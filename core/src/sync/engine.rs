//! The device's sync engine, without I/O: it says which request to send next, or how
//! long to wait, and digests each response or failure. Time and randomness come in as
//! arguments, so the engine runs the same on a real network and on a simulated one.
//!
//! A round: refresh the register, bootstrap if this device has nothing yet (the
//! reports' projections first, newest first, so the app is usable early; then the
//! documents), push local changes, pull the feed until it is drained. Then stay live: long-poll the feed, and
//! push as soon as the user records something. After repeated long-poll failures the
//! engine falls back to a plain sync every `PERIODIC` until long polls work again.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::storage::{BootstrapProgress, BootstrapStage, PushAnswer, SyncStorage};
use super::wire::{
    BootstrapPage, ErrorBody, FeedPage, MAX_PUSH_CHANGES, ProjectionKey, ProjectionPage,
    PushOutcome, PushRequest, PushResponse, Register, WireChange,
};
use crate::error::Result;
use crate::ids::WorkspaceId;
use crate::time::Timestamp;

/// How long a long poll waits on the server.
pub const LONG_POLL_SECONDS: u32 = 25;
/// How often to sync when long polls do not work.
const PERIODIC_SECONDS: i64 = 30;
const MAX_BACKOFF_SECONDS: f64 = 60.0;

/// A request the runner should send for this engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Register {
        since: i64,
    },
    /// A page of the reports' projections, newest first.
    Projections {
        before: Option<ProjectionKey>,
        at: Option<i64>,
    },
    /// A page of documents, after the projections.
    Bootstrap {
        after: Option<Uuid>,
        at: i64,
    },
    Push {
        request: PushRequest,
        seqs: Vec<i64>,
    },
    Feed {
        since: i64,
        wait: u32,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    Register(Register),
    Projections(ProjectionPage),
    Bootstrap(BootstrapPage),
    Push(PushResponse),
    Feed(FeedPage),
}

/// Why a request got no usable response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No connection, a timeout, a response cut short: try again later.
    #[error("the server cannot be reached: {0}")]
    Unreachable(String),
    /// The server's certificate is not trusted: not the right server, or the device
    /// lacks the municipality's CA. The text says so in Swedish, as the device shows it.
    #[error("{0}")]
    Untrusted(String),
    /// The credential is not (or no longer) valid: the device was revoked.
    #[error("the server does not accept this device: {}", .0.message)]
    Unauthorized(ErrorBody),
    /// The server refused the request itself.
    #[error("the server refused the request ({status}): {}", .body.message)]
    Rejected { status: u16, body: ErrorBody },
    /// The server failed.
    #[error("the server failed ({status}): {message}")]
    Server { status: u16, message: String },
    /// The runner abandoned a long poll to push something new.
    #[error("cancelled")]
    Cancelled,
}

/// What the runner should do now.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Send(Request),
    /// Nothing to do until then (or until `wake`).
    SleepUntil(Timestamp),
    /// The device was revoked; sync has stopped.
    Stopped,
}

/// What a person sees of sync.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Connection {
    Offline {
        reason: String,
    },
    Syncing,
    Synced {
        at: Timestamp,
    },
    Revoked {
        reason: String,
    },
    /// The coordinator deactivated this person in the workspace. Reports stay on the
    /// device; sync tries again now and then, as the person may be reactivated.
    Deactivated {
        reason: String,
    },
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    #[serde(flatten)]
    pub connection: Connection,
    /// Local changes waiting to be sent.
    pub waiting: u64,
    /// Local changes the server refused (kept, with reasons).
    pub refused: u64,
    /// Whether the engine gets news within about a second (long poll) or periodically.
    pub live: bool,
    /// A new device's bootstrap under way.
    pub bootstrap: Option<BootstrapProgress>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Register,
    Bootstrap,
    Push,
    Pull,
    Live,
}

#[derive(Debug)]
pub struct SyncEngine {
    workspace: WorkspaceId,
    phase: Phase,
    connection: Connection,
    failures: u32,
    retry_at: Option<Timestamp>,
    /// The feed said the register changed since this device fetched it.
    register_stale: bool,
    live: bool,
    long_poll_failures: u32,
    periodic_successes: u32,
    next_periodic: Option<Timestamp>,
    /// Changes per push: halved while the server answers that a push is too large
    /// (413), back to the most after a push is taken.
    push_batch: usize,
    rng: fastrand::Rng,
}

impl SyncEngine {
    /// `seed` drives the jitter of retries.
    pub fn new(workspace: WorkspaceId, seed: u64) -> SyncEngine {
        SyncEngine {
            workspace,
            phase: Phase::Register,
            connection: Connection::Offline {
                reason: "not synced yet".into(),
            },
            failures: 0,
            retry_at: None,
            register_stale: false,
            live: true,
            long_poll_failures: 0,
            periodic_successes: 0,
            next_periodic: None,
            push_batch: MAX_PUSH_CHANGES,
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    pub fn workspace(&self) -> WorkspaceId {
        self.workspace
    }

    /// Something changed locally, or the user asked to sync: act now.
    pub fn wake(&mut self) {
        self.retry_at = None;
        self.next_periodic = None;
        if matches!(self.phase, Phase::Live) {
            self.phase = Phase::Push;
        }
    }

    pub fn status(&self, store: &impl SyncStorage) -> Result<SyncStatus> {
        let waiting = store.waiting(self.workspace)?;
        Ok(SyncStatus {
            connection: self.connection.clone(),
            waiting: waiting.pending,
            refused: waiting.refused,
            live: self.live,
            bootstrap: store.bootstrap_progress(self.workspace)?,
        })
    }

    /// The next thing to do.
    pub fn poll(&mut self, store: &impl SyncStorage, now: Timestamp) -> Result<Action> {
        if matches!(self.connection, Connection::Revoked { .. }) {
            return Ok(Action::Stopped);
        }
        if let Some(at) = self.retry_at.filter(|at| *at > now) {
            return Ok(Action::SleepUntil(at));
        }
        loop {
            let state = store.sync_state(self.workspace)?;
            match self.phase {
                Phase::Register => {
                    // Fetched once, then again only when the feed says it changed.
                    if state.register_version > 0 && !self.register_stale {
                        self.phase = Phase::Bootstrap;
                        continue;
                    }
                    return Ok(Action::Send(Request::Register {
                        since: state.register_version,
                    }));
                }
                Phase::Bootstrap => {
                    if state.bootstrapped {
                        self.phase = Phase::Push;
                        continue;
                    }
                    self.connection = Connection::Syncing;
                    // Where it stopped, if it began: progress is kept with the pages.
                    let request = match store.bootstrap_progress(self.workspace)? {
                        None => Request::Projections {
                            before: None,
                            at: None,
                        },
                        Some(p) if p.stage == BootstrapStage::Projections => Request::Projections {
                            before: p.next_projection,
                            at: Some(p.at),
                        },
                        Some(p) => Request::Bootstrap {
                            after: p.next_document,
                            at: p.at,
                        },
                    };
                    return Ok(Action::Send(request));
                }
                Phase::Push => {
                    let pending = store.pending(self.workspace, self.push_batch)?;
                    if pending.is_empty() {
                        self.phase = Phase::Pull;
                        continue;
                    }
                    self.connection = Connection::Syncing;
                    let seqs = pending.iter().map(|p| p.seq).collect();
                    let changes = pending
                        .into_iter()
                        .map(|p| WireChange {
                            doc: p.doc_id,
                            hash: p.change.hash.to_string(),
                            bytes: p.change.bytes,
                        })
                        .collect();
                    return Ok(Action::Send(Request::Push {
                        request: PushRequest { changes },
                        seqs,
                    }));
                }
                Phase::Pull => {
                    return Ok(Action::Send(Request::Feed {
                        since: state.cursor,
                        wait: 0,
                    }));
                }
                Phase::Live => {
                    if !store.pending(self.workspace, 1)?.is_empty() {
                        self.phase = Phase::Push;
                        continue;
                    }
                    if self.live {
                        return Ok(Action::Send(Request::Feed {
                            since: state.cursor,
                            wait: LONG_POLL_SECONDS,
                        }));
                    }
                    match self.next_periodic {
                        Some(at) if at > now => return Ok(Action::SleepUntil(at)),
                        _ => {
                            self.phase = Phase::Register;
                            continue;
                        }
                    }
                }
            }
        }
    }

    /// Digests the outcome of a request that `poll` asked for.
    pub fn handle(
        &mut self,
        store: &mut impl SyncStorage,
        request: &Request,
        outcome: std::result::Result<Response, TransportError>,
        now: Timestamp,
    ) -> Result<()> {
        let response = match outcome {
            Ok(response) => response,
            Err(error) => {
                self.failed(request, error, now);
                return Ok(());
            }
        };
        self.failures = 0;
        match (request, response) {
            (Request::Register { .. }, Response::Register(register)) => {
                store.apply_register(self.workspace, &register, now)?;
                self.register_stale = false;
                self.phase = Phase::Bootstrap;
            }
            (Request::Projections { .. }, Response::Projections(page)) => {
                store.apply_projections(self.workspace, &page, now)?;
            }
            (Request::Bootstrap { .. }, Response::Bootstrap(page)) => {
                store.apply_documents(self.workspace, &page, now)?;
                if page.next.is_none() {
                    self.phase = Phase::Push;
                }
            }
            (Request::Push { request, seqs }, Response::Push(response)) => {
                self.push_batch = MAX_PUSH_CHANGES;
                self.digest_push(store, request, seqs, &response)?;
            }
            (Request::Feed { wait, .. }, Response::Feed(page)) => {
                if let Some(timeline) = &page.timeline
                    && store.follow_timeline(self.workspace, timeline)?
                {
                    // The server was restored from a backup: this page was read from a
                    // cursor it never reached. Send again what this device made, then
                    // pull from where the backup ends.
                    self.phase = Phase::Push;
                    return Ok(());
                }
                store.apply_feed(self.workspace, &page.entries, page.cursor, now)?;
                if page.register_version > store.sync_state(self.workspace)?.register_version {
                    self.register_stale = true;
                }
                if *wait > 0 {
                    self.long_poll_failures = 0;
                }
                if page.more {
                    self.phase = Phase::Pull;
                } else {
                    store.mark_synced(self.workspace, now)?;
                    self.connection = Connection::Synced { at: now };
                    self.phase = if self.register_stale {
                        Phase::Register
                    } else {
                        Phase::Live
                    };
                    if !self.live {
                        self.periodic_successes += 1;
                        // Now and then, see whether long polls work again.
                        self.live = self.periodic_successes.is_multiple_of(10);
                        self.next_periodic = Some(after(now, PERIODIC_SECONDS as f64));
                    }
                }
            }
            (request, response) => {
                self.failed(
                    request,
                    TransportError::Unreachable(format!(
                        "the server answered {response:?} to {request:?}"
                    )),
                    now,
                );
            }
        }
        Ok(())
    }

    fn digest_push(
        &mut self,
        store: &mut impl SyncStorage,
        request: &PushRequest,
        seqs: &[i64],
        response: &PushResponse,
    ) -> Result<()> {
        let mut answer = PushAnswer {
            acknowledged: Vec::new(),
            refused: Vec::new(),
            erased: Vec::new(),
            server_time: response.server_time,
        };
        for ((change, seq), result) in request.changes.iter().zip(seqs).zip(&response.results) {
            if result.hash != change.hash {
                // Results come in request order; a mismatch means a broken response.
                break;
            }
            match &result.outcome {
                PushOutcome::Stored | PushOutcome::Duplicate => answer.acknowledged.push(*seq),
                PushOutcome::Refused { code, message } => {
                    let code = serde_json::to_value(code)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    answer.refused.push((*seq, code, message.clone()));
                }
                PushOutcome::Erased => answer.erased.push(change.doc),
            }
        }
        store.settle_push(&answer)
    }

    fn failed(&mut self, request: &Request, error: TransportError, now: Timestamp) {
        match error {
            TransportError::Cancelled => {
                self.phase = Phase::Push;
            }
            TransportError::Unauthorized(body) => {
                self.connection = Connection::Revoked {
                    reason: body.message,
                };
            }
            TransportError::Rejected { status: 403, body } if body.code == "deactivated" => {
                self.retry_at = Some(after(now, MAX_BACKOFF_SECONDS));
                self.connection = Connection::Deactivated {
                    reason: body.message,
                };
                self.phase = Phase::Push;
            }
            TransportError::Rejected { status: 413, .. }
                if matches!(request, Request::Push { .. }) && self.push_batch > 1 =>
            {
                // Too much at once: the same changes go again, fewer at a time.
                self.push_batch = (self.push_batch / 2).max(1);
                self.phase = Phase::Push;
            }
            error => {
                if matches!(request, Request::Feed { wait, .. } if *wait > 0) {
                    self.long_poll_failures += 1;
                    if self.long_poll_failures >= 3 {
                        self.live = false;
                        self.periodic_successes = 0;
                    }
                }
                self.failures += 1;
                let base = 2f64
                    .powi(self.failures.min(6) as i32 - 1)
                    .min(MAX_BACKOFF_SECONDS);
                let jitter = 0.5 + self.rng.f64();
                self.retry_at = Some(after(now, base * jitter));
                self.connection = Connection::Offline {
                    reason: error.to_string(),
                };
                // Start the next attempt with a push: what the user wrote goes first.
                self.phase = if matches!(self.phase, Phase::Register | Phase::Bootstrap) {
                    self.phase
                } else {
                    Phase::Push
                };
            }
        }
    }
}

fn after(now: Timestamp, seconds: f64) -> Timestamp {
    Timestamp::from_millis(now.millis() + (seconds * 1000.0) as i64).unwrap_or(now)
}
