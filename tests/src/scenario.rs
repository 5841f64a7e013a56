//! Set-ups for the tests that run the server, on either of its backends: a database of a
//! test's own ([`Database`]), a server on it in this process on a loopback port
//! ([`TestServer`]), and the demo workspace with its people and their devices
//! ([`Scenario`]) — in a few lines:
//!
//! ```ignore
//! async fn a_case(backend: Backend) {
//!     let s = Scenario::on(backend).named("Salem").reports(10).start().await;
//!     let coordinator = s.enroll(0, "samordnarens dator").await;
//!     let guard = s.enroll(4, "väktarens telefon").await;
//!     // … then look at what the server holds, through its storage:
//!     assert_eq!(s.server.observations().len(), 10);
//! }
//! lagesbild_tests::on_both_backends!(async a_case);
//! ```
//!
//! What the server holds is read through the storage's own interface
//! (`lagesbild_sync::storage::{Storage, Tx}`), on a handle of the test's own on the same
//! database, as a second server instance would read it — never with SQL.
//!
//! The PostgreSQL client blocks (it runs a runtime of its own), and may not run on an
//! async runtime's threads: whatever here touches the storage from an async test does it
//! on a thread of its own.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use lagesbild_core::demo::DemoWorkspace;
use lagesbild_core::{DocKind, Observation, WorkspaceId};
use lagesbild_sync::Service;
use lagesbild_sync::storage::{Postgres, Sqlite, Storage, Tx};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::postgres::TestDatabase;
use crate::{Device, now};

/// The server's two backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `work` on a thread of its own and waits for it: the PostgreSQL client blocks,
/// and panics on an async runtime's thread. A panic in `work` is the caller's.
pub fn blocking<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(work)
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

/// A database of a test's own: a SQLite file in a scratch directory, or a scratch
/// PostgreSQL database (dropped with it).
#[derive(Debug)]
pub struct Database {
    backend: Backend,
    /// What `lagesbild-sync --database` takes: the file's path, or the URL.
    url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<TestDatabase>,
}

impl Database {
    pub fn new(backend: Backend) -> Database {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("server.sqlite3");
                Database {
                    backend,
                    url: path.display().to_string(),
                    _dir: Some(dir),
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let database = TestDatabase::create();
                Database {
                    backend,
                    url: database.url.clone(),
                    _dir: None,
                    postgres: Some(database),
                }
            }
        }
    }

    /// The SQLite file at `path`, which the caller keeps (and removes).
    pub fn sqlite_at(path: &Path) -> Database {
        Database {
            backend: Backend::Sqlite,
            url: path.display().to_string(),
            _dir: None,
            postgres: None,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// What `lagesbild-sync --database` takes: the SQLite file's path, or the URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The SQLite file; none on PostgreSQL.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        (self.backend == Backend::Sqlite).then(|| PathBuf::from(&self.url))
    }

    /// The scratch PostgreSQL database; none on SQLite.
    pub fn postgres(&self) -> Option<&TestDatabase> {
        self.postgres.as_ref()
    }

    /// A storage on this database; several may be open at once, as several server
    /// instances are. Safe inside an async runtime (it opens on a thread of its own).
    pub fn open(&self) -> Box<dyn Storage> {
        blocking(|| -> Box<dyn Storage> {
            match self.backend {
                Backend::Sqlite => Box::new(Sqlite::open(Path::new(&self.url)).unwrap()),
                Backend::Postgres => Box::new(Postgres::open(&self.url).unwrap()),
            }
        })
    }

    /// Runs SQL on the database beside the storage, as its administrator could: for the
    /// tests that the audit log refuses to change even for them. The refusal's text.
    /// (Tests read what the server holds through its storage, never with SQL.)
    pub fn execute(&self, sql: &str) -> Result<(), String> {
        blocking(|| match &self.postgres {
            None => rusqlite::Connection::open(&self.url)
                .unwrap()
                .execute_batch(sql)
                .map_err(|e| e.to_string()),
            Some(database) => database
                .connect()
                .batch_execute(sql)
                .map_err(|e| e.as_db_error().map_or(e.to_string(), |d| d.to_string())),
        })
    }

    /// A service on a storage of its own on this database.
    pub fn service(&self) -> Service {
        Service::with_storage(self.open())
    }
}

/// A sync server in this process on a loopback port, over a [`Database`] that outlives
/// its restarts.
#[derive(Debug)]
pub struct TestServer {
    pub service: Arc<Service>,
    pub addr: SocketAddr,
    /// Proxies whose `X-Forwarded-For` names the client.
    trusted_proxies: Vec<IpAddr>,
    stop: Option<watch::Sender<bool>>,
    task: Option<JoinHandle<()>>,
    /// The test's own handle on the database, to read what the server holds; opened
    /// when first asked for.
    look: OnceLock<Box<dyn Storage>>,
    database: Arc<Database>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send_replace(true);
        }
        // The test's handle closes its connections on a thread of its own.
        if let Some(look) = self.look.take() {
            let _ = std::thread::spawn(move || drop(look)).join();
        }
    }
}

impl TestServer {
    /// Starts a server on a free port over the SQLite file at `db_path`.
    pub async fn start(db_path: &Path) -> TestServer {
        TestServer::on(Database::sqlite_at(db_path)).await
    }

    /// Starts a server on a free port over `database`.
    pub async fn on(database: Database) -> TestServer {
        TestServer::serving(Arc::new(database), Vec::new()).await
    }

    /// Starts a server on a free port over `database` that trusts `trusted_proxies` to
    /// say who the client is (`X-Forwarded-For`), as behind a TLS proxy.
    pub async fn behind(database: Database, trusted_proxies: Vec<IpAddr>) -> TestServer {
        TestServer::serving(Arc::new(database), trusted_proxies).await
    }

    async fn serving(database: Arc<Database>, trusted_proxies: Vec<IpAddr>) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        TestServer::start_on(listener, database, trusted_proxies)
    }

    fn start_on(
        listener: tokio::net::TcpListener,
        database: Arc<Database>,
        trusted_proxies: Vec<IpAddr>,
    ) -> TestServer {
        let addr = listener.local_addr().unwrap();
        let service = Arc::new(database.service());
        let (stop, mut stopping) = watch::channel(false);
        let serving = Arc::clone(&service);
        let edge = lagesbild_sync::http::Edge {
            tls: None,
            trusted_proxies: trusted_proxies.clone(),
        };
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopping.wait_for(|s| *s).await;
            };
            lagesbild_sync::http::serve_with(listener, serving, edge, shutdown)
                .await
                .unwrap();
        });
        TestServer {
            service,
            addr,
            trusted_proxies,
            stop: Some(stop),
            task: Some(task),
            look: OnceLock::new(),
            database,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Stops serving, as when the network is gone; `resume` brings it back.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send_replace(true);
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Starts again on the same port after `stop`.
    pub async fn resume(&mut self) {
        self.start_again().await;
    }

    /// Shuts down gracefully and starts again on the same port and database.
    pub async fn restart(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send_replace(true);
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
        self.start_again().await;
    }

    /// Stops at once, as a crash would (requests in flight are cut), and starts again.
    pub async fn crash_and_restart(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        self.stop = None;
        self.start_again().await;
    }

    async fn start_again(&mut self) {
        let listener = loop {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        };
        let look = self.look.take();
        *self = TestServer::start_on(
            listener,
            Arc::clone(&self.database),
            self.trusted_proxies.clone(),
        );
        if let Some(look) = look {
            let _ = self.look.set(look);
        }
    }

    /// Runs `f` on the service, on a thread of its own (the PostgreSQL client blocks).
    pub fn call<T: Send>(&self, f: impl FnOnce(&Service) -> T + Send) -> T {
        let service = &*self.service;
        blocking(|| f(service))
    }

    /// Installs a demo workspace and returns an enrolment code per demo person.
    pub fn install_demo(&self, demo: &DemoWorkspace, reports: usize) -> Vec<String> {
        self.install(demo, reports, false)
    }

    /// The demo workspace with six months of its promises and activities
    /// (`DemoWorkspace::efforts`), as `lagesbild-sync demo` makes it.
    pub fn install_demo_with_efforts(&self, demo: &DemoWorkspace, reports: usize) -> Vec<String> {
        self.install(demo, reports, true)
    }

    fn install(&self, demo: &DemoWorkspace, reports: usize, efforts: bool) -> Vec<String> {
        self.call(|service| {
            if efforts {
                service
                    .install_demo_with_efforts(demo, reports, now())
                    .unwrap();
            } else {
                service.install_demo(demo, reports, now()).unwrap();
            }
            demo.people
                .iter()
                .map(|p| {
                    service
                        .enrolment_code(p.user, chrono::Duration::hours(1), now())
                        .unwrap()
                })
                .collect()
        })
    }

    /// Runs `f` in a read transaction (one snapshot) on the test's own handle on the
    /// server's database, on a thread of its own.
    pub fn read<T: Send>(&self, f: impl FnOnce(&mut dyn Tx) -> T + Send) -> T {
        let database = &self.database;
        let look = self.look.get_or_init(|| database.open());
        blocking(|| {
            let mut tx = look.read().unwrap();
            let value = f(&mut *tx);
            tx.commit().unwrap();
            value
        })
    }

    /// Every report the server holds, as it stands now (not the documents a widened
    /// report continued from), by id.
    pub fn observations(&self) -> Vec<Observation> {
        self.read(every_observation)
    }

    /// A document's stored bytes, if the server holds it.
    pub fn stored(&self, doc: uuid::Uuid) -> Option<Vec<u8>> {
        self.read(|tx| tx.held(doc).unwrap().map(|h| h.bytes))
    }

    /// The workspace's last sequence number.
    pub fn feed_head(&self, workspace: WorkspaceId) -> i64 {
        self.read(|tx| tx.feed_head(workspace).unwrap())
    }
}

/// Every report `tx` holds in `workspace`, as it stands now, by id.
pub fn observations_in(tx: &mut dyn Tx, workspace: WorkspaceId) -> Vec<Observation> {
    let actor = automerge::ActorId::random();
    let mut observations = Vec::new();
    let mut after = uuid::Uuid::nil();
    loop {
        let page = tx.documents(workspace, after, 500).unwrap();
        let Some((last, _)) = page.last() else {
            break;
        };
        after = *last;
        for (_, document) in page {
            if document.kind != DocKind::Observation {
                continue;
            }
            let observation: Observation =
                lagesbild_core::doc::Document::load(&document.bytes, &actor)
                    .unwrap()
                    .read()
                    .unwrap();
            if observation.continued_by.is_none() {
                observations.push(observation);
            }
        }
    }
    observations
}

/// Every report `tx` holds, in every workspace, as it stands now, by id.
fn every_observation(tx: &mut dyn Tx) -> Vec<Observation> {
    let mut all = Vec::new();
    for workspace in tx.workspaces().unwrap() {
        all.extend(observations_in(tx, workspace.id));
    }
    all.sort_by_key(|o| o.id);
    all
}

/// Every report a storage holds, in every workspace, as it stands now, by id.
pub fn observations(storage: &dyn Storage) -> Vec<Observation> {
    blocking(|| {
        let mut tx = storage.read().unwrap();
        let all = every_observation(&mut *tx);
        tx.commit().unwrap();
        all
    })
}

/// A server on either backend with the demo workspace installed: its people, and an
/// enrolment code for each, in the demo's order (0 the coordinator, 1 a fritidsfältare,
/// 2 a socialfältare, 3 the police, 4 and 5 guards, 6 a night walker).
#[derive(Debug)]
pub struct Scenario {
    pub server: TestServer,
    pub demo: DemoWorkspace,
    /// An enrolment code per demo person, valid for an hour; each enrols one device.
    pub codes: Vec<String>,
}

/// How a [`Scenario`] is made: `Scenario::on(backend)`, then what differs, then `start`.
#[derive(Debug)]
pub struct Setup {
    backend: Backend,
    name: String,
    reports: usize,
    trusted_proxies: Vec<IpAddr>,
}

impl Setup {
    /// The workspace's name.
    pub fn named(mut self, name: &str) -> Setup {
        self.name = name.to_string();
        self
    }

    /// How many demo reports the workspace starts with (none unless told).
    pub fn reports(mut self, reports: usize) -> Setup {
        self.reports = reports;
        self
    }

    /// Proxies trusted to say who the client is (`X-Forwarded-For`).
    pub fn trusting(mut self, proxies: Vec<IpAddr>) -> Setup {
        self.trusted_proxies = proxies;
        self
    }

    pub async fn start(self) -> Scenario {
        let database = Database::new(self.backend);
        let server = TestServer::behind(database, self.trusted_proxies).await;
        let demo = lagesbild_core::demo::workspace(&self.name);
        let codes = server.install_demo(&demo, self.reports);
        Scenario {
            server,
            demo,
            codes,
        }
    }
}

impl Scenario {
    pub fn on(backend: Backend) -> Setup {
        Setup {
            backend,
            name: "Scenario".into(),
            reports: 0,
            trusted_proxies: Vec::new(),
        }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Enrols a device of demo person `person` with their code (once per person), and
    /// syncs it.
    pub async fn enroll(&self, person: usize, name: &str) -> Device {
        Device::enroll(&self.url(), &self.codes[person], name).await
    }

    /// A device for every demo person, enrolled and synced, in the demo's order, named
    /// `enhet 0`, `enhet 1`, ….
    pub async fn enroll_everyone(&self) -> Vec<Device> {
        let mut devices = Vec::new();
        for person in 0..self.codes.len() {
            devices.push(self.enroll(person, &format!("enhet {person}")).await);
        }
        devices
    }

    /// Runs `f` on the service (`TestServer::call`).
    pub fn call<T: Send>(&self, f: impl FnOnce(&Service) -> T + Send) -> T {
        self.server.call(f)
    }
}

/// Makes a test on SQLite and one on PostgreSQL of each case, a function over a
/// [`Backend`]: `case::sqlite` and `case::postgres`.
///
/// - `async a, b` — async cases, on a multi-threaded runtime with two workers
///   (`async(4) c` for four);
/// - `blocking d, e` — plain tests, for cases that call the service or the storage
///   directly (its PostgreSQL client blocks).
#[macro_export]
macro_rules! on_both_backends {
    (async $($case:ident),+ $(,)?) => {
        $crate::on_both_backends!(async(2) $($case),+);
    };
    (async($workers:tt) $($case:ident),+ $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = $workers)]
                async fn sqlite() {
                    super::$case($crate::scenario::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = $workers)]
                async fn postgres() {
                    super::$case($crate::scenario::Backend::Postgres).await;
                }
            }
        )+
    };
    (blocking $($case:ident),+ $(,)?) => {
        $(
            mod $case {
                #[test]
                fn sqlite() {
                    super::$case($crate::scenario::Backend::Sqlite);
                }

                #[test]
                fn postgres() {
                    super::$case($crate::scenario::Backend::Postgres);
                }
            }
        )+
    };
}
