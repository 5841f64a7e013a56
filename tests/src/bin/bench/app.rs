//! The app itself: the release binary started under Xvfb on a store of 100 000 reports,
//! timed from its start to its first screen drawn (the page tells the app, which says so
//! with `LAGESBILD_STARTUP_LOG`), once with the page cache dropped (where this machine
//! allows it) and then warm; and what the app process and WebKit's processes hold in
//! memory after a minute at rest.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lagesbild_core::store::{STORE_FILE, StoreKey};
use lagesbild_core::{Store, demo};

use super::{Result, bench_dir, ms, now, percentile};

const REPORTS: usize = 100_000;
const IDLE: Duration = Duration::from_secs(60);

pub fn run() -> Result<()> {
    let binary = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/lagesbild-app");
    if !binary.exists() {
        println!("## The app: not built (cargo build --release -p lagesbild-app)\n");
        return Ok(());
    }
    let dir = bench_dir("app")?;
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    let key = StoreKey::random()?;
    let hex = key.to_hex().ok_or("the key as hex")?.to_string();
    let fill = Instant::now();
    {
        let demo = demo::workspace("Bench");
        let mut store = Store::open(&data.join(STORE_FILE), &key)?;
        let identity = demo.install(&mut store, 1)?;
        let now = now();
        for seed in 0..(REPORTS / 10_000) as u64 {
            let batch = demo.reports(10_000, 104, now, seed);
            store.record_many(identity.workspace, &batch, now)?;
        }
        store.checkpoint()?;
    }
    let store_mb = std::fs::metadata(data.join(STORE_FILE))?.len() as f64 / 1e6;
    let display = lagesbild_tests::app::Display::start();
    let start = |dir: &Path| -> Result<(Duration, Child)> {
        let mut child = Command::new(&binary)
            .env("DISPLAY", &display.name)
            .env("LAGESBILD_APP_DATA", &data)
            .env("LAGESBILD_STORE_KEY", &hex)
            .env("LAGESBILD_STARTUP_LOG", "1")
            .env("XDG_DATA_HOME", dir.join("xdg-data"))
            .env("XDG_CACHE_HOME", dir.join("xdg-cache"))
            // No session bus: the key comes from the environment, nothing else asks.
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}", dir.join("no-bus").display()),
            )
            .env_remove("LAGESBILD_SERVER")
            .env_remove("LAGESBILD_ENROLMENT_CODE")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let began = Instant::now();
        let stderr = child.stderr.take().ok_or("the app's standard error")?;
        let (said, heard) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr)
                .lines()
                .map_while(std::result::Result::ok)
            {
                if line.contains("first screen ready") {
                    let _ = said.send(began.elapsed());
                }
            }
        });
        match heard.recv_timeout(Duration::from_secs(60)) {
            Ok(elapsed) => Ok((elapsed, child)),
            Err(_) => {
                let _ = child.kill();
                Err("the app drew no first screen within a minute".into())
            }
        }
    };
    let stop = |mut child: Child| {
        let _ = child.kill();
        let _ = child.wait();
        // WebKit's processes end with the app; give them a moment.
        std::thread::sleep(Duration::from_millis(300));
    };
    println!(
        "## The app (release, Xvfb, a store of {REPORTS} reports, {store_mb:.0} MB, filled in {:.0} s)",
        fill.elapsed().as_secs_f64()
    );
    let cold = if drop_page_cache() {
        let (elapsed, child) = start(&dir.join("cold"))?;
        stop(child);
        ms(elapsed)
    } else {
        "not measured (the page cache cannot be dropped here: not root, or no /proc/sys)".into()
    };
    let mut warm = Vec::new();
    let mut last = None;
    for run in 0..3 {
        let (elapsed, child) = start(&dir.join(format!("warm-{run}")))?;
        warm.push(elapsed);
        if let Some(previous) = last.replace(child) {
            stop(previous);
        }
    }
    warm.sort();
    println!("  first screen, cold page cache: {cold}   (goal: under 2 s)");
    println!(
        "  first screen, warm: median {}, slowest {}   (goal: under 1 s)",
        ms(percentile(&warm, 0.5)),
        ms(warm[warm.len() - 1])
    );
    let child = last.ok_or("an app running")?;
    std::thread::sleep(IDLE);
    let pid = child.id();
    let app = rss_kib(pid).unwrap_or(0);
    let mut others: Vec<(String, u64)> = descendants(pid)
        .into_iter()
        .map(|p| (name(p), rss_kib(p).unwrap_or(0)))
        .collect();
    others.sort();
    let part = |field: &str| status_kib(pid, field).unwrap_or(0) as f64 / 1024.0;
    println!(
        "  resident memory after {} s at rest: the app process {:.0} MB   (goal: under 60 MB)",
        IDLE.as_secs(),
        app as f64 / 1024.0
    );
    println!(
        "    of which its own heap and stacks {:.0} MB, mapped files (WebKitGTK, GTK and the other libraries, shared with any other GTK program) {:.0} MB, shared memory {:.0} MB",
        part("RssAnon"),
        part("RssFile"),
        part("RssShmem")
    );
    for (name, kib) in &others {
        println!("    {name}: {:.0} MB", *kib as f64 / 1024.0);
    }
    println!();
    stop(child);
    Ok(())
}

/// Drops the kernel's page cache (root only), so the next start reads from disk.
fn drop_page_cache() -> bool {
    let _ = Command::new("sync").status();
    std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

/// A process's resident memory in KiB (`VmRSS`).
fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS")
}

/// One of the memory figures in `/proc/<pid>/status`, in KiB.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

fn name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|n| n.trim().to_string())
        .unwrap_or_else(|_| pid.to_string())
}

/// Every process started by `pid`, and by those, as /proc tells it.
fn descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|p| {
            let stat = std::fs::read_to_string(PathBuf::from(format!("/proc/{p}/stat"))).ok()?;
            // `pid (comm) state ppid …`: the name may hold spaces, so read after its ')'.
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((p, ppid))
        })
        .collect();
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    found.remove(0);
    found
}
