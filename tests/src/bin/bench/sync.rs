//! Sync benchmarks against a real server process.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use lagesbild_core::lagesbild::TREND_WEEKS;
use lagesbild_core::sync::storage::{BootstrapStage, PushAnswer, SyncStorage};
use lagesbild_core::sync::wire::{FeedEntry, PushOutcome, PushRequest, PushResponse, WireChange};
use lagesbild_core::views;
use lagesbild_core::{ListQuery, ObservationDraft};
use lagesbild_sync::Service;
use lagesbild_sync::storage::{self, Sqlite};
use lagesbild_tests::Device;
use lagesbild_tests::postgres::TestDatabase;

use crate::{Result, bench_dir, now};

/// Every part: reconnecting devices, bootstrap, the load of 1 000 devices, and (on
/// PostgreSQL) that load over two server instances.
pub const ALL: &[&str] = &[
    "many-devices",
    "prepare-bootstrap",
    "bootstrap",
    "load",
    "load-two",
];

/// The backends the parts run on, in order.
pub const BACKENDS: &[&str] = &["sqlite", "postgres"];

/// Runs each part on each backend in a process of its own, so each one's peak memory is
/// its own. `large`: the bootstrap with 1 000 000 observations rather than 100 000.
pub fn run(parts: &[&str], backends: &[&str], large: bool) -> Result<()> {
    for backend in backends {
        println!("# Sync benchmarks: the server on {backend}\n");
        for part in parts {
            if *part == "load-two" && *backend == "sqlite" {
                continue;
            }
            let mut command = Command::new(std::env::current_exe()?);
            command.args(["--part", part, "--backend", backend]);
            if large {
                command.arg("--large");
            }
            if !command.status()?.success() {
                return Err(format!("the {part} benchmark on {backend} failed").into());
            }
        }
    }
    Ok(())
}

pub fn part(name: &str, backend: &str, large: bool) -> Result<()> {
    let backend = match backend {
        "sqlite" => Backend::Sqlite,
        "postgres" => Backend::Postgres,
        other => return Err(format!("no backend {other}").into()),
    };
    let reports = if large { 1_000_000 } else { 100_000 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match name {
        "many-devices" => runtime.block_on(many_devices(backend)),
        "prepare-bootstrap" => prepare_bootstrap(backend, reports),
        "bootstrap" => runtime.block_on(bootstrap(backend, reports)),
        "load" => runtime.block_on(load(backend, 1)),
        "load-two" => runtime.block_on(load(backend, 2)),
        other => Err(format!("no benchmark part {other}").into()),
    }
}

/// Where a part's server keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A part's database: a SQLite file in the part's directory, or a PostgreSQL database
/// of its own on the server `LAGESBILD_TEST_POSTGRES` names (`scripts/bench` starts one).
struct Database {
    url: String,
    _scratch: Option<TestDatabase>,
}

impl Database {
    fn new(backend: Backend, dir: &Path) -> Database {
        match backend {
            Backend::Sqlite => Database {
                url: dir.join("server.sqlite3").display().to_string(),
                _scratch: None,
            },
            Backend::Postgres => {
                let scratch = TestDatabase::create();
                Database {
                    url: scratch.url.clone(),
                    _scratch: Some(scratch),
                }
            }
        }
    }

    fn service(&self) -> Result<Service> {
        Ok(Service::with_storage(storage::open(&self.url)?))
    }

    /// How many documents the server holds (read beside it, as an operator would).
    async fn documents(&self) -> Result<i64> {
        tokio::task::block_in_place(|| -> Result<i64> {
            const COUNT: &str = "SELECT COUNT(*) FROM documents";
            if storage::is_postgres_url(&self.url) {
                let mut client = postgres::Client::connect(&self.url, postgres::NoTls)?;
                Ok(client.query_one(COUNT, &[])?.get(0))
            } else {
                let conn = rusqlite::Connection::open(&self.url)?;
                Ok(conn.query_row(COUNT, [], |r| r.get(0))?)
            }
        })
    }
}

/// The server binary next to this one (built by `scripts/bench`).
fn server_binary() -> Result<PathBuf> {
    let path = std::env::current_exe()?.with_file_name("lagesbild-sync");
    if !path.exists() {
        return Err(format!(
            "{} is missing: build it with `cargo build --release -p lagesbild-sync`",
            path.display()
        )
        .into());
    }
    Ok(path)
}

/// A server process and a counting proxy in front of it.
struct Server {
    child: Child,
    proxy: String,
    /// The server itself, not through the proxy.
    direct: String,
    up: Arc<AtomicU64>,
    down: Arc<AtomicU64>,
}

impl Server {
    async fn start(db: &str) -> Result<Server> {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
            probe.local_addr()?.port()
        };
        let child = Command::new(server_binary()?)
            .args(["--database", db])
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("LAGESBILD_SYNC_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()?;
        let target = format!("127.0.0.1:{port}");
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(&target).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let (up, down) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let proxy = format!("http://{}", listener.local_addr()?);
        let (u, d) = (Arc::clone(&up), Arc::clone(&down));
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (target, u, d) = (target.clone(), Arc::clone(&u), Arc::clone(&d));
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    // As the server and any real proxy do (nginx's tcp_nodelay): without
                    // it, Nagle's algorithm holds a response's last segment for the
                    // client's delayed ACK, 40 ms on Linux, in a quarter of the pages.
                    let _ = (client.set_nodelay(true), server.set_nodelay(true));
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::join!(
                        pipe(client_read, server_write, u),
                        pipe(server_read, client_write, d)
                    );
                });
            }
        });
        Ok(Server {
            child,
            direct: format!("http://127.0.0.1:{port}"),
            proxy,
            up,
            down,
        })
    }

    /// Bytes through the proxy so far (counted when connections close).
    fn bytes(&self) -> (u64, u64) {
        (
            self.up.load(Ordering::Relaxed),
            self.down.load(Ordering::Relaxed),
        )
    }

    fn memory(&self) -> (u64, u64) {
        memory_of(&format!("/proc/{}/status", self.child.id()))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies one direction of a connection, counting bytes as they pass.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    counter: Arc<AtomicU64>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buffer).await {
        if n == 0 || to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }
    let _ = to.shutdown().await;
}

/// (current, peak) resident memory in kB, from a /proc status file.
fn memory_of(status: &str) -> (u64, u64) {
    let text = std::fs::read_to_string(status).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

fn kb_of_bytes(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

/// Prepares a server database with the demo workspace, `reports` reports and
/// `devices` enrolment codes, all for the field worker.
fn prepare(
    service: &Service,
    reports: usize,
    devices: usize,
) -> Result<(Vec<String>, lagesbild_core::UserId)> {
    let demo = lagesbild_core::demo::workspace("Bänk");
    service.install_demo(&demo, reports, now())?;
    let codes = (0..devices)
        .map(|i| {
            Ok(service.enrolment_code(
                demo.people[1 + i % 6].user,
                chrono::Duration::hours(1),
                now(),
            )?)
        })
        .collect::<Result<_>>()?;
    Ok((codes, demo.people[1].user))
}

async fn many_devices(backend: Backend) -> Result<()> {
    const DEVICES: usize = 100;
    const EACH: usize = 100;
    let dir = bench_dir("sync-many")?;
    let db = Database::new(backend, &dir);
    // The blocking PostgreSQL client may not run on the runtime's own threads.
    let (codes, _) = tokio::task::block_in_place(|| prepare(&db.service()?, 0, DEVICES))?;
    let server = Server::start(&db.url).await?;
    let mut devices = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        devices.push(Device::enroll(&server.proxy, code, &format!("enhet {i}")).await);
    }
    let mut raw = 0u64;
    for (i, device) in devices.iter().enumerate() {
        let mut store = device.store();
        for n in 0..EACH {
            let draft = ObservationDraft {
                category: Some(["klotter", "brak", "alkohol", "grupperingar"][n % 4].into()),
                place: Some(
                    ["Rönninge station", "Salems centrum, torget", "Säby gård"][(i + n) % 3].into(),
                ),
                grade: Some(1 + (n % 5) as i64),
                people: Some((n % 20) as i64),
                description: Some(format!(
                    "Offline-rapport {n} från enhet {i}: grupp vid entrén"
                )),
                ..ObservationDraft::default()
            };
            store.record(&draft, now())?;
        }
        raw += store
            .pending_changes(usize::MAX)?
            .iter()
            .map(|p| p.change.bytes.len() as u64)
            .sum::<u64>();
    }
    let total = DEVICES * EACH;
    let (up0, down0) = server.bytes();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for device in devices.clone() {
        tasks.push(tokio::spawn(async move {
            loop {
                device.sync().await;
                let known = device
                    .store()
                    .list(&ListQuery::default())
                    .map(|r| r.len())
                    .unwrap_or(0);
                if known >= total {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }));
    }
    // When the server has stored every report (what the design compares with).
    let stored = loop {
        if db.documents().await? as usize >= total {
            break start.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    for task in tasks {
        task.await?;
    }
    let took = start.elapsed();
    // Let the proxy count the closed connections.
    drop(devices);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (up, down) = server.bytes();
    let (up, down) = (up - up0, down - down0);
    let (rss, peak) = server.memory();
    println!("## {DEVICES} devices × {EACH} offline observations reconnecting at once");
    println!(
        "  the server has stored all {total} after {:.2} s",
        stored.as_secs_f64()
    );
    println!(
        "  all {DEVICES} devices hold all {total} observations after {:.2} s",
        took.as_secs_f64()
    );
    println!(
        "  raw change bytes pushed: {}; on the wire: {} up, {} down",
        kb_of_bytes(raw),
        kb_of_bytes(up),
        kb_of_bytes(down)
    );
    println!(
        "  up/raw {:.2}×; down/(raw × {}) {:.2}× (every change reaches {} other devices)",
        up as f64 / raw as f64,
        DEVICES - 1,
        down as f64 / (raw as f64 * (DEVICES - 1) as f64),
        DEVICES - 1
    );
    println!("  server memory: {} now, {} peak\n", mb(rss), mb(peak));
    Ok(())
}

fn bootstrap_dir(reports: usize) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../target/bench/sync-bootstrap-{reports}"))
}

/// The weeks the bootstrap's reports are spread over: two years, as a municipality with
/// this many reports would have gathered them.
const BOOTSTRAP_WEEKS: u32 = 104;

/// The PostgreSQL database the bootstrap part reads, kept between its two processes.
fn bootstrap_database(reports: usize) -> String {
    lagesbild_tests::postgres::database_url(&format!("lagesbild_bench_bootstrap_{reports}"))
}

/// The server's database with `reports` reports, made in a process of its own. On
/// PostgreSQL it is the SQLite one moved there (`move-to-postgres`), made first if the
/// SQLite part has not run.
fn prepare_bootstrap(backend: Backend, reports: usize) -> Result<()> {
    let dir = bootstrap_dir(reports);
    let sqlite = dir.join("server.sqlite3");
    let prepared = Instant::now();
    if backend == Backend::Sqlite || !sqlite.exists() {
        let dir = bench_dir(&format!("sync-bootstrap-{reports}"))?;
        let service = Service::new(Sqlite::open(&dir.join("server.sqlite3"))?);
        let demo = lagesbild_core::demo::workspace("Bänk");
        service.install_demo_over(&demo, reports, BOOTSTRAP_WEEKS, now())?;
        let user = demo.people[1].user;
        std::fs::write(dir.join("user"), user.to_string())?;
        println!(
            "## A new device and {reports} observations over {BOOTSTRAP_WEEKS} weeks (SQLite prepared in {:.0} s)",
            prepared.elapsed().as_secs_f64()
        );
    }
    if backend == Backend::Postgres {
        let url = lagesbild_tests::postgres::recreate_database(&format!(
            "lagesbild_bench_bootstrap_{reports}"
        ));
        let moved = Instant::now();
        storage::copy::sqlite_to_postgres(&sqlite, &url)?;
        println!(
            "## A new device and {reports} observations (moved from SQLite with move-to-postgres in {:.1} s)",
            moved.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

async fn bootstrap(backend: Backend, reports: usize) -> Result<()> {
    let dir = bootstrap_dir(reports);
    let database = match backend {
        Backend::Sqlite => dir.join("server.sqlite3").display().to_string(),
        Backend::Postgres => bootstrap_database(reports),
    };
    // A fresh code each run, so the part can be run again on the prepared database.
    let code = {
        let user = std::fs::read_to_string(dir.join("user"))?;
        tokio::task::block_in_place(|| -> Result<String> {
            let service = Service::with_storage(storage::open(&database)?);
            let user = lagesbild_core::UserId(user.trim().parse()?);
            Ok(service.enrolment_code(user, chrono::Duration::hours(1), now())?)
        })?
    };
    for file in ["device.sqlite3", "device.sqlite3-wal", "device.sqlite3-shm"] {
        let _ = std::fs::remove_file(dir.join(file));
    }
    let server = Server::start(&database).await?;
    let (before_rss, _) = memory_of("/proc/self/status");
    let start = Instant::now();
    let store = Arc::new(std::sync::Mutex::new(lagesbild_core::Store::open(
        &dir.join("device.sqlite3"),
        &lagesbild_core::store::StoreKey::random()?,
    )?));
    let device = Device::enroll_only(Arc::clone(&store), &server.proxy, &code, "ny enhet").await;
    // Usable: this week's lägesbild and the weeks it compares with are in (what the
    // lägesbild, lists and map show first), read as the app reads it.
    let week = now().week();
    let watch = {
        let (store, workspace) = (Arc::clone(&store), device.workspace);
        std::thread::spawn(move || -> lagesbild_core::Result<(Duration, Duration)> {
            let mut usable = None;
            loop {
                let (picture, progress) = {
                    let store = store.lock().unwrap_or_else(PoisonError::into_inner);
                    let progress = store.bootstrap_progress(workspace)?;
                    let started = progress.is_some() || store.sync_state(workspace)?.bootstrapped;
                    let picture = (usable.is_none() && started)
                        .then(|| views::lagesbild(&store, workspace, week, &Default::default()))
                        .transpose()?;
                    (picture, progress)
                };
                if usable.is_none() && picture.is_some_and(|p| p.complete) {
                    usable = Some(start.elapsed());
                }
                if let Some(usable) = usable
                    && progress
                        .as_ref()
                        .is_none_or(|p| p.stage == BootstrapStage::Documents)
                {
                    return Ok((usable, start.elapsed()));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    device.sync().await;
    let took = start.elapsed();
    let (usable, projections) = watch.join().map_err(|_| "the watcher failed")??;
    // Before the listing below, which holds every row at once.
    let (_, peak) = memory_of("/proc/self/status");
    let rows = device.store().list(&ListQuery::default())?.len();
    let picture = views::lagesbild(&device.store(), device.workspace, week, &Default::default())?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (up, down) = server.bytes();
    println!(
        "  bootstrap: usable after {:.2} s (goal: under 1 s: this week's lägesbild and the {TREND_WEEKS} weeks it compares with); every projection after {:.2} s; everything stored after {:.2} s (goal: under 3 s)",
        usable.as_secs_f64(),
        projections.as_secs_f64(),
        took.as_secs_f64(),
    );
    println!(
        "  {rows} observations listed; this week's lägesbild {} reports",
        picture.total_reports
    );
    println!(
        "  on the wire: {} up, {} down; device memory peak {} (from {} before)",
        kb_of_bytes(up),
        kb_of_bytes(down),
        mb(peak),
        mb(before_rss)
    );

    // A no-op reconnect: a fresh engine, nothing new on either side.
    let (up0, down0) = server.bytes();
    let mut times = Vec::new();
    for _ in 0..10 {
        let start = Instant::now();
        device.sync().await;
        times.push(start.elapsed());
    }
    times.sort();
    drop(device);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (up, down) = server.bytes();
    let per = (up - up0 + down - down0) / 10;
    println!(
        "  no-op reconnect with {reports} observations: {per} B on the wire (goal: under 1 KB), median {:.2} ms (goal: under 10 ms)",
        times[5].as_secs_f64() * 1000.0
    );
    let (rss, peak) = server.memory();
    println!(
        "  server memory: {} now, {} peak (goal: under 100 MB)\n",
        mb(rss),
        mb(peak)
    );
    Ok(())
}

/// A setting of the load benchmark from the environment, or its default.
fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The server process's CPU time so far (user + system), from /proc.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are the
    // 12th and 13th, in clock ticks of 1/100 s on Linux.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn quantiles(mut samples: Vec<Duration>) -> String {
    if samples.is_empty() {
        return "no samples".into();
    }
    samples.sort();
    format!(
        "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} samples)",
        crate::percentile(&samples, 0.5).as_secs_f64() * 1000.0,
        crate::percentile(&samples, 0.99).as_secs_f64() * 1000.0,
        samples[samples.len() - 1].as_secs_f64() * 1000.0,
        samples.len()
    )
}

/// What the load's devices saw.
#[derive(Default)]
struct Seen {
    /// When each new report was pushed, by document.
    sent: std::collections::HashMap<uuid::Uuid, Instant>,
    push: Vec<Duration>,
    /// From a change's push being sent to another device's long poll receiving it.
    pull: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
}

/// The load's shared record; a panicking device task must not hide the others' figures.
fn lock(seen: &std::sync::Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    seen.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Seen {
    fn error(&mut self, what: String) {
        self.errors += 1;
        self.first_error.get_or_insert(what);
    }
}

/// 1 000 devices long-poll the feed while each pushes a report at a steady rate (one
/// per device every `LAGESBILD_BENCH_PERIOD` seconds, 120 by default), for
/// `LAGESBILD_BENCH_SECONDS` (60): push and pull latency, errors, the server's memory and
/// CPU. The devices talk to the server directly, over one connection pool; with several
/// `instances` (on one PostgreSQL), device i talks to instance i mod n.
async fn load(backend: Backend, instances: usize) -> Result<()> {
    let count = setting("LAGESBILD_BENCH_DEVICES", 1000) as usize;
    let period = Duration::from_secs(setting("LAGESBILD_BENCH_PERIOD", 120));
    let length = Duration::from_secs(setting("LAGESBILD_BENCH_SECONDS", 60));
    let dir = bench_dir("sync-load")?;
    let db = Database::new(backend, &dir);
    let (codes, _) = tokio::task::block_in_place(|| prepare(&db.service()?, 0, count))?;
    let mut servers = Vec::new();
    for _ in 0..instances {
        servers.push(Server::start(&db.url).await?);
    }
    let enrolled = Instant::now();
    let mut devices = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let server = &servers[i % instances].direct;
        devices.push(Arc::new(
            Device::enroll(server, code, &format!("enhet {i}")).await,
        ));
    }
    println!(
        "## {count} devices long-polling, each pushing a report every {} s ({:.1} pushes/s), for {} s, {}",
        period.as_secs(),
        count as f64 / period.as_secs_f64(),
        length.as_secs(),
        if instances == 1 {
            "one server instance".to_string()
        } else {
            format!("{instances} server instances on one database")
        }
    );
    println!(
        "  {count} devices enrolled in {:.1} s",
        enrolled.elapsed().as_secs_f64()
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(4 * count)
        .build()?;
    let seen = Arc::new(std::sync::Mutex::new(Seen::default()));
    let running = Arc::new(std::sync::atomic::AtomicBool::new(true));

    // Every device long-polls from where the workspace is now.
    let mut pollers = Vec::new();
    for device in &devices {
        let (device, client, seen, running) = (
            Arc::clone(device),
            client.clone(),
            Arc::clone(&seen),
            Arc::clone(&running),
        );
        pollers.push(tokio::spawn(async move {
            let mut cursor = 0i64;
            let mut wait = 0;
            while running.load(Ordering::Relaxed) {
                let url = format!("{}/v1/workspaces/{}/feed", device.server, device.workspace);
                let response = client
                    .get(url)
                    .query(&[("since", cursor), ("wait", wait)])
                    .bearer_auth(&device.token)
                    .timeout(Duration::from_secs(60))
                    .send()
                    .await;
                let page = match response {
                    Ok(r) if r.status().is_success() => {
                        r.json::<lagesbild_core::sync::wire::FeedPage>().await
                    }
                    Ok(r) => {
                        lock(&seen).error(format!("feed: HTTP {}", r.status()));
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                    Err(e) => {
                        lock(&seen).error(format!("feed: {e}"));
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                let arrived = Instant::now();
                match page {
                    Ok(page) => {
                        let mut seen = lock(&seen);
                        for entry in &page.entries {
                            // A new report reaches others whole; later edits as changes.
                            let doc = match entry {
                                FeedEntry::Document { doc, .. } | FeedEntry::Change { doc, .. } => {
                                    doc
                                }
                                _ => continue,
                            };
                            if let Some(sent) = seen.sent.get(doc) {
                                let took = arrived - *sent;
                                seen.pull.push(took);
                            }
                        }
                        cursor = page.cursor;
                        wait = 25;
                    }
                    Err(e) => lock(&seen).error(format!("feed body: {e}")),
                }
            }
        }));
    }
    // Let every long poll settle before the clock starts.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let cpu_of = |servers: &[Server]| {
        servers
            .iter()
            .map(|s| cpu_time(s.child.id()))
            .sum::<Duration>()
    };
    let cpu_before = cpu_of(&servers);
    let start = Instant::now();
    // Each device is a phone of its own: its push must not queue behind the other
    // devices' long polls in this one process, so the pushes run on a runtime and a
    // connection pool of their own.
    let push_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let push_client = reqwest::Client::builder()
        .pool_max_idle_per_host(count)
        .build()?;
    let mut pushers = Vec::new();
    for (i, device) in devices.iter().enumerate() {
        let (device, client, seen) = (Arc::clone(device), push_client.clone(), Arc::clone(&seen));
        let offset = period.mul_f64(i as f64 / count as f64);
        pushers.push(push_runtime.spawn(async move {
            let mut next = start + offset;
            let mut n = 0usize;
            while next < start + length {
                tokio::time::sleep_until(next.into()).await;
                next += period;
                n += 1;
                let draft = ObservationDraft {
                    category: Some(["klotter", "brak", "alkohol", "grupperingar"][n % 4].into()),
                    place: Some(
                        ["Rönninge station", "Salems centrum, torget", "Säby gård"][(i + n) % 3]
                            .into(),
                    ),
                    grade: Some(1 + ((i + n) % 5) as i64),
                    description: Some(format!("Rapport {n} från enhet {i}")),
                    ..ObservationDraft::default()
                };
                let pending = {
                    let mut store = device.store();
                    if let Err(e) = store.record(&draft, now()) {
                        lock(&seen).error(format!("record: {e}"));
                        continue;
                    }
                    store.pending_changes(usize::MAX).unwrap_or_default()
                };
                let changes: Vec<WireChange> = pending
                    .iter()
                    .map(|p| WireChange {
                        doc: p.doc_id,
                        hash: p.change.hash.to_string(),
                        bytes: p.change.bytes.clone(),
                    })
                    .collect();
                let sent = Instant::now();
                {
                    let mut seen = lock(&seen);
                    for c in &changes {
                        seen.sent.entry(c.doc).or_insert(sent);
                    }
                }
                let response = client
                    .post(format!(
                        "{}/v1/workspaces/{}/push",
                        device.server, device.workspace
                    ))
                    .bearer_auth(&device.token)
                    .timeout(Duration::from_secs(60))
                    .json(&PushRequest { changes })
                    .send()
                    .await;
                let outcome = match response {
                    Ok(r) if r.status().is_success() => r
                        .json::<PushResponse>()
                        .await
                        .map_err(|e| format!("push body: {e}")),
                    Ok(r) => Err(format!("push: HTTP {}", r.status())),
                    Err(e) => Err(format!("push: {e}")),
                };
                let took = sent.elapsed();
                match outcome {
                    Ok(response) => {
                        let stored = response.results.iter().all(|r| {
                            matches!(r.outcome, PushOutcome::Stored | PushOutcome::Duplicate)
                        });
                        let seqs: Vec<i64> = pending.iter().map(|p| p.seq).collect();
                        let _ = device.store().settle_push(&PushAnswer {
                            acknowledged: seqs,
                            refused: vec![],
                            erased: vec![],
                            server_time: response.server_time,
                        });
                        let mut seen = lock(&seen);
                        seen.push.push(took);
                        if !stored {
                            seen.error(format!("push refused: {:?}", response.results));
                        }
                    }
                    Err(e) => lock(&seen).error(e),
                }
            }
        }));
    }
    for pusher in pushers {
        pusher.await?;
    }
    push_runtime.shutdown_background();
    let cpu = cpu_of(&servers) - cpu_before;
    let wall = start.elapsed();
    // The last pushes reach the long polls.
    tokio::time::sleep(Duration::from_secs(2)).await;
    running.store(false, Ordering::Relaxed);
    let (rss, peak) = servers
        .iter()
        .map(Server::memory)
        .fold((0, 0), |(r, p), (r1, p1)| (r + r1, p + p1));
    for poller in pollers {
        poller.abort();
    }
    let seen = std::mem::take(&mut *lock(&seen));
    let (pushes, pulls) = (seen.push.len(), seen.pull.len());
    println!("  push: {}", quantiles(seen.push));
    println!(
        "  pull (a push sent → another device's long poll has it): {}; {pulls} of {} deliveries",
        quantiles(seen.pull),
        pushes * count.saturating_sub(1)
    );
    println!(
        "  errors: {}{}   (goal: none, p99 under 100 ms)",
        seen.errors,
        seen.first_error
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    );
    println!(
        "  server{}: {:.0} % of one core over {:.0} s; memory {} now, {} peak\n",
        if instances == 1 { "" } else { "s together" },
        cpu.as_secs_f64() / wall.as_secs_f64() * 100.0,
        wall.as_secs_f64(),
        mb(rss),
        mb(peak)
    );
    Ok(())
}
