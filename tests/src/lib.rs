//! Helpers for tests and benchmarks that cross Lägesbild's parts: a real sync server on
//! loopback on either backend, with the demo workspace (`scenario`), and devices that
//! enrol with it and sync.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use lagesbild_client::{HttpTransport, sync_once};
use lagesbild_core::demo::DemoWorkspace;
use lagesbild_core::sync::engine::SyncStatus;
use lagesbild_core::sync::wire::{PushOutcome, PushRequest, PushResponse, WireChange};
use lagesbild_core::{Store, Timestamp, WorkspaceId};

pub fn now() -> Timestamp {
    Timestamp::from(chrono::Utc::now())
}

/// A device: a store, enrolled with a server.
#[derive(Debug, Clone)]
pub struct Device {
    pub store: Arc<Mutex<Store>>,
    pub transport: HttpTransport,
    pub workspace: WorkspaceId,
    pub token: String,
    pub server: String,
}

impl Device {
    pub async fn enroll(server: &str, code: &str, name: &str) -> Device {
        Device::enroll_store(Store::open_in_memory().unwrap(), server, code, name).await
    }

    pub async fn enroll_store(store: Store, server: &str, code: &str, name: &str) -> Device {
        let device = Device::enroll_only(Arc::new(Mutex::new(store)), server, code, name).await;
        // The first sync brings the register (places, categories) and the reports.
        device.sync().await;
        device
    }

    /// Enrols without syncing.
    pub async fn enroll_only(
        store: Arc<Mutex<Store>>,
        server: &str,
        code: &str,
        name: &str,
    ) -> Device {
        let me = lagesbild_client::enrol(&store, server, code, None, name)
            .await
            .unwrap();
        let credential = store.lock().unwrap().credential().unwrap().unwrap();
        Device {
            store,
            transport: HttpTransport::new(server, &credential.token, None).unwrap(),
            workspace: me.memberships[0].workspace.id,
            token: credential.token,
            server: server.to_string(),
        }
    }

    pub fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A request to a path of the device's workspace (`audit.csv`), as this device.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(
                method,
                format!("{}/v1/workspaces/{}/{path}", self.server, self.workspace),
            )
            .bearer_auth(&self.token)
    }

    /// `GET` of a path of the device's workspace (`feed?since=0`), decoded.
    pub async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        self.request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Pushes changes as they are, past the store's own checks, as a modified client
    /// could.
    pub async fn push_raw(&self, changes: Vec<WireChange>) -> reqwest::Response {
        reqwest::Client::new()
            .post(format!(
                "{}/v1/workspaces/{}/push",
                self.server, self.workspace
            ))
            .bearer_auth(&self.token)
            .json(&PushRequest { changes })
            .send()
            .await
            .unwrap()
    }

    /// The outcome of pushing one change as it is.
    pub async fn push_one(&self, change: WireChange) -> PushOutcome {
        let response: PushResponse = self.push_raw(vec![change]).await.json().await.unwrap();
        response.results[0].outcome.clone()
    }

    /// Records a report of damage at Rönninge station saying `text`.
    pub fn report(&self, text: &str) -> lagesbild_core::Observation {
        self.store()
            .record(
                &lagesbild_core::ObservationDraft {
                    category: Some("skadegorelse".into()),
                    place: Some("Rönninge station".into()),
                    grade: Some(3),
                    description: Some(text.into()),
                    ..Default::default()
                },
                now(),
            )
            .unwrap()
    }

    /// The ids of every report the device holds in its workspace.
    pub fn report_ids(&self) -> std::collections::BTreeSet<uuid::Uuid> {
        self.store()
            .list(&lagesbild_core::ListQuery {
                workspace: Some(self.workspace),
                limit: Some(1_000_000),
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|o| o.id.0)
            .collect()
    }

    /// The same device (its store and credential) talking to another server instance.
    pub fn via(&self, server: &str) -> Device {
        Device {
            transport: HttpTransport::new(server, &self.token, None).unwrap(),
            server: server.to_string(),
            ..self.clone()
        }
    }

    /// Syncs until the engine would wait for news.
    pub async fn sync(&self) -> SyncStatus {
        sync_once(&self.store, &self.transport, self.workspace)
            .await
            .unwrap()
    }
}

/// `count` demo reports made on a scratch device of `demo`'s workspace, as the changes a
/// device would push (one each), observed around `at`.
pub fn report_changes(demo: &DemoWorkspace, count: usize, at: Timestamp) -> Vec<WireChange> {
    let mut scratch = Store::open_in_memory().unwrap();
    let identity = demo.install(&mut scratch, 0).unwrap();
    let recorded = scratch
        .record_many(identity.workspace, &demo.reports(count, 1, at, 48), at)
        .unwrap();
    recorded
        .iter()
        .flat_map(|o| wire_changes(&scratch, o.id.0))
        .collect()
}

/// Every change a store holds of a document, as a device pushes them.
pub fn wire_changes(store: &Store, doc: uuid::Uuid) -> Vec<WireChange> {
    store
        .document_changes(&doc)
        .unwrap()
        .into_iter()
        .map(|c| WireChange {
            doc,
            hash: c.hash.to_string(),
            bytes: c.bytes,
        })
        .collect()
}

/// This process's resident and peak resident memory in MB (a test's server runs in it).
pub fn memory_mb() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .unwrap()
            / 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A change to record `id` (of type `T`) as `store` holds it, made by `edit` outside the
/// store's own checks, as a modified client could send it.
pub fn forged<T: autosurgeon::Hydrate + autosurgeon::Reconcile>(
    store: &Store,
    id: uuid::Uuid,
    edit: impl FnOnce(&mut T),
) -> WireChange {
    let mut doc = lagesbild_core::doc::Document::new(store.actor());
    doc.apply(&store.document_changes(&id).unwrap()).unwrap();
    let mut record: T = doc.read().unwrap();
    edit(&mut record);
    let change = doc.update(&record, now()).unwrap().remove(0);
    WireChange {
        doc: id,
        hash: change.hash.to_string(),
        bytes: change.bytes,
    }
}

/// A change to a report made outside the store's own checks, written as `actor`, as a
/// modified client could send it.
pub fn forged_edit(
    store: &Store,
    id: lagesbild_core::ObservationId,
    actor: &automerge::ActorId,
    edit: impl FnOnce(&mut lagesbild_core::Observation),
) -> WireChange {
    let mut doc = lagesbild_core::doc::Document::new(actor);
    doc.apply(&store.document_changes(id.as_uuid()).unwrap())
        .unwrap();
    let mut observation: lagesbild_core::Observation = doc.read().unwrap();
    edit(&mut observation);
    let change = doc.update(&observation, now()).unwrap().remove(0);
    WireChange {
        doc: id.0,
        hash: change.hash.to_string(),
        bytes: change.bytes,
    }
}

/// A random user action on a device: record (with a random visibility), edit a report
/// one may edit, add a note to one that one may read, or widen one's own. The reports as
/// they now stand are in `recorded` (a widened report by its continuation).
pub fn user_action(
    store: &mut Store,
    rng: &mut fastrand::Rng,
    recorded: &mut Vec<lagesbild_core::ObservationId>,
) {
    use lagesbild_core::{ListQuery, ObservationDraft, ObservationPatch};
    let me = store.require_identity().unwrap();
    let readable: Vec<_> = store
        .list(&ListQuery::default())
        .unwrap()
        .into_iter()
        .filter(|r| !r.restricted)
        .collect();
    match rng.u8(..6) {
        0 | 1 => {
            let places = [
                "Rönninge station",
                "Salems centrum, torget",
                "Skogsängsskolan",
                "Säby gård",
            ];
            let draft = ObservationDraft {
                category: Some(
                    ["klotter", "brak", "alkohol", "grupperingar"][rng.usize(..4)].into(),
                ),
                place: Some(places[rng.usize(..places.len())].into()),
                grade: Some(rng.i64(1..=5)),
                visibility: Some(
                    ["alla", "alla", "kommun-polis", "egen-organisation"][rng.usize(..4)].into(),
                ),
                description: Some(format!("Iakttagelse nr {}", rng.u16(..))),
                ..ObservationDraft::default()
            };
            recorded.push(store.record(&draft, now()).unwrap().id);
        }
        2 if !readable.is_empty() => {
            let row = &readable[rng.usize(..readable.len())];
            if row.reporter == me.user || me.role.is_coordinator() {
                let patch = ObservationPatch {
                    grade: Some(rng.i64(1..=5)),
                    ..Default::default()
                };
                store.edit(row.id, &patch, now()).unwrap();
            }
        }
        3 if !readable.is_empty() => {
            let row = &readable[rng.usize(..readable.len())];
            store
                .add_note(
                    row.id,
                    &format!("Uppföljning {}", rng.u16(..)),
                    false,
                    now(),
                )
                .unwrap();
        }
        4 if !readable.is_empty() => {
            // Widen one of one's own reports that not everyone may read: it continues
            // as a new report.
            let row = &readable[rng.usize(..readable.len())];
            if row.reporter == me.user && row.visibility != lagesbild_core::Visibility::Alla {
                let patch = ObservationPatch {
                    visibility: Some("alla".into()),
                    ..Default::default()
                };
                let widened = store.edit(row.id, &patch, now()).unwrap();
                recorded.retain(|id| *id != row.id);
                recorded.push(widened.id);
            }
        }
        _ => {}
    }
}

pub mod app;
pub mod keyring;
pub mod postgres;
pub mod power_loss;
pub mod scenario;

pub use scenario::{Backend, Database, Scenario, TestServer};

/// Spawns `command`, a `lagesbild-sync serve`, and reads the address it listens on from
/// its log. Told to listen on port 0, the server binds a port the kernel picks, so no
/// other test can take the port between its choice and the bind (choosing a free port
/// first and passing it on raced with tests running beside it). The rest of the log goes
/// on to the test's own stderr. `Err` holds the log of a server that exited instead.
pub fn spawn_serving(
    command: &mut std::process::Command,
) -> Result<(std::process::Child, SocketAddr), String> {
    use std::io::BufRead;
    let mut child = command
        .env("LAGESBILD_SYNC_LOG", "warn,lagesbild_sync=info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the server binary runs");
    let mut lines = std::io::BufReader::new(child.stderr.take().expect("piped")).lines();
    let mut log = String::new();
    while let Some(Ok(line)) = lines.next() {
        let address = line
            .split_whitespace()
            .filter_map(|field| field.strip_prefix("address="))
            .find_map(|a| a.parse::<SocketAddr>().ok());
        log.push_str(&line);
        log.push('\n');
        if let Some(address) = address
            && line.contains("serving")
        {
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    eprintln!("{line}");
                }
            });
            return Ok((child, address));
        }
    }
    let _ = child.wait();
    Err(log)
}

/// A `lagesbild-sync` process, as it runs in production: over a SQLite file or a
/// PostgreSQL URL. Killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    child: std::process::Child,
    pub url: String,
}

/// The server binary, built beside the tests (`cargo build --workspace --bins`).
pub fn server_binary() -> PathBuf {
    let deps = std::env::current_exe().expect("the test binary has a path");
    let debug = deps
        .parent()
        .and_then(Path::parent)
        .expect("target/debug/deps/<test>");
    let server = debug.join("lagesbild-sync");
    assert!(
        server.exists(),
        "{} is built with the workspace (cargo build -p lagesbild-sync)",
        server.display()
    );
    server
}

/// Runs `lagesbild-sync --database <database> <args>` to its end; its standard output.
pub fn server_command(database: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(server_binary())
        .args(["--database", database])
        .args(args)
        .env("LAGESBILD_SYNC_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "lagesbild-sync {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

impl ServerProcess {
    /// Serves `database` on `port` (0: one the kernel picks) and waits until it answers.
    pub async fn start(database: &str, port: u16) -> ServerProcess {
        let mut command = std::process::Command::new(server_binary());
        command.args(["--database", database]).args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ]);
        let (child, address) = spawn_serving(&mut command)
            .unwrap_or_else(|log| panic!("the server on {database} exited at start: {log}"));
        let url = format!("http://{address}");
        let mut server = ServerProcess { child, url };
        for _ in 0..400 {
            if let Ok(r) = reqwest::get(format!("{}/health", server.url)).await
                && r.status().is_success()
            {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server on {database} exited at start: {status}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the server on {database} did not answer in 10 s");
    }

    /// Ends the process at once, as a crash or `kill -9` would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
