//! Lägesbild's benchmarks. Prints figures; asserts nothing.
//!
//!     ./scripts/bench [core] [record] [efforts] [ledger] [sync] [load] [sizes] [app] [reliability] [--large] [--backend sqlite|postgres]
//!
//! `core`: recording latency against a bare SQLite insert with the same durability, the
//! weekly lägesbild over 100 000 observations (and 1 000 000 with `--large`), and the
//! store's size per observation.
//! `efforts`: an activity followed up and the *Insatser* view with 50 activities over
//! 100 000 observations at 200 places (1 000 000 with `--large`); also part of `core`.
//! `record`: recording latency alone (also part of `core`).
//! `ledger`: the version for politicians protected against a ledger of three years of
//! published months, quarters and years over 200 places, and the share of counts the
//! demo's month shows; also part of `core`.
//! `sync`: 100 devices × 100 offline observations reconnecting at once; bootstrap of a
//! new device and a no-op reconnect with 100 000 observations (1 000 000 with
//! `--large`); the server's memory.
//! `load`: 1 000 devices long-polling while each pushes a report at a steady rate (also
//! part of `sync`), and on PostgreSQL the same over two server instances;
//! `LAGESBILD_BENCH_DEVICES`, `LAGESBILD_BENCH_PERIOD` (seconds between one device's
//! reports) and `LAGESBILD_BENCH_SECONDS` change it.
//! Each sync part runs with the server on SQLite and then on PostgreSQL (`--backend`
//! picks one); `scripts/bench` starts a PostgreSQL unless `LAGESBILD_TEST_POSTGRES`
//! names one.
//! `reliability`: the device's store through seeded power losses (`LAGESBILD_BENCH_SEEDS`,
//! 2 000 by default; the test command runs 200) and the server's SQLite through a
//! quarter as many (the test command runs 40), failing on any acknowledged report lost;
//! not part of the default run.
//! `app`: the release app started under Xvfb on a store of 100 000 reports, timed to its
//! first screen (cold page cache where it can be dropped, and warm), and its resident
//! memory and WebKit's after a minute at rest.
//! `sizes`: the release binaries' sizes as built, without their debug info (as the
//! packages ship them) and of the debug info kept beside them.
//! The server runs as its own release process; devices reach it through a proxy that
//! counts the bytes on the wire. Files go to `target/bench` (the project's own disk).

mod app;
mod core;
mod sync;

use std::path::{Path, PathBuf};
use std::time::Duration;

use lagesbild_core::Timestamp;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let large = args.iter().any(|a| a == "--large");
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    if let Some(part) = value("--part") {
        let backend = value("--backend").unwrap_or_else(|| "sqlite".into());
        return sync::part(&part, &backend, large);
    }
    let backend = value("--backend");
    let backends: Vec<&str> = match &backend {
        Some(b) => vec![b.as_str()],
        None => sync::BACKENDS.to_vec(),
    };
    let words: Vec<&String> = args
        .iter()
        .filter(|a| !a.starts_with("--") && Some(*a) != backend.as_ref())
        .collect();
    let all = words.is_empty();
    if all || words.iter().any(|a| *a == "core") {
        core::run(large)?;
    } else {
        if words.iter().any(|a| *a == "efforts") {
            core::efforts(large)?;
        }
        if words.iter().any(|a| *a == "ledger") {
            core::ledger()?;
        }
        if words.iter().any(|a| *a == "record") {
            core::recording_latency()?;
        }
    }
    if words.iter().any(|a| *a == "reliability") {
        reliability()?;
    }
    if all || words.iter().any(|a| *a == "sizes") {
        sizes()?;
    }
    if all || words.iter().any(|a| *a == "app") {
        app::run()?;
    }
    if all || words.iter().any(|a| *a == "sync") {
        sync::run(sync::ALL, &backends, large)?;
    } else if words.iter().any(|a| *a == "load") {
        sync::run(&["load", "load-two"], &backends, large)?;
    }
    Ok(())
}

fn bench_dir(name: &str) -> Result<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/bench")
        .join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The device's store through many seeded power losses (`lagesbild_tests::power_loss`):
/// fails on the first acknowledged report lost, and prints what the losses were.
fn reliability() -> Result<()> {
    use lagesbild_tests::power_loss;
    let seeds: u64 = std::env::var("LAGESBILD_BENCH_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let dir = bench_dir("reliability")?;
    let start = std::time::Instant::now();
    let (mut acknowledged, mut edits, mut lost, mut kept, mut torn, mut operations) =
        (0, 0, 0, 0, 0, 0);
    for seed in 0..seeds {
        let run = dir.join(seed.to_string());
        std::fs::create_dir_all(&run)?;
        let outcome = power_loss::device_run(&run, 1_000_000 + seed)?;
        std::fs::remove_dir_all(&run)?;
        acknowledged += outcome.acknowledged;
        edits += outcome.edits;
        lost += outcome.loss.lost;
        kept += outcome.loss.kept;
        torn += usize::from(outcome.loss.torn);
        operations += outcome.operations;
    }
    println!("## Power losses: the device's encrypted store (WAL, synchronous=FULL)");
    println!(
        "  {seeds} losses in {:.1} s, cut after {:.0} writes and syncs on average",
        start.elapsed().as_secs_f64(),
        operations as f64 / seeds as f64
    );
    println!(
        "  unsynced writes: {lost} lost, {kept} reached the disk before the cut; {torn} torn at a sector"
    );
    println!(
        "  {acknowledged} reports and {edits} edits acknowledged as saved: every one held after, integrity_check ok\n"
    );

    // The server: fewer runs, each starts a server and enrols three devices.
    let server_seeds = (seeds / 4).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let start = std::time::Instant::now();
    let (mut stored, mut lost, mut kept, mut torn, mut operations) = (0, 0, 0, 0, 0);
    for seed in 0..server_seeds {
        let run = dir.join(format!("server-{seed}"));
        std::fs::create_dir_all(&run)?;
        let outcome = runtime.block_on(power_loss::server_run(&run, 2_000_000 + seed))?;
        std::fs::remove_dir_all(&run)?;
        stored += outcome.acknowledged;
        lost += outcome.loss.lost;
        kept += outcome.loss.kept;
        torn += usize::from(outcome.loss.torn);
        operations += outcome.operations;
    }
    println!(
        "## Power losses: the sync server's SQLite (WAL, synchronous=FULL), three devices syncing"
    );
    println!(
        "  {server_seeds} losses in {:.1} s, cut after {:.0} writes and syncs on average",
        start.elapsed().as_secs_f64(),
        operations as f64 / server_seeds as f64
    );
    println!(
        "  unsynced writes: {lost} lost, {kept} reached the disk before the cut; {torn} torn at a sector"
    );
    println!(
        "  {stored} reports answered stored: every one held after, integrity_check ok, and every report the devices made reached the server once it was back\n"
    );
    Ok(())
}

/// Each release binary's size as built, stripped of debug info as `scripts/package`
/// ships it, and its debug info kept apart (compressed), by `objcopy`.
fn sizes() -> Result<()> {
    let release = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release");
    let dir = bench_dir("sizes")?;
    println!(
        "## Release binaries (MB): as built · shipped (no debug info) · debug info kept apart"
    );
    for name in ["lagesbild-app", "lagesbild-sync", "lagesbild"] {
        let built = release.join(name);
        let Ok(size) = std::fs::metadata(&built).map(|m| m.len()) else {
            println!("  {name}: not built (cargo build --release -p …)");
            continue;
        };
        let (stripped, debug) = (dir.join(name), dir.join(format!("{name}.debug")));
        let objcopy = |args: &[&std::ffi::OsStr]| -> Result<()> {
            let status = std::process::Command::new("objcopy").args(args).status()?;
            if status.success() {
                Ok(())
            } else {
                Err(format!("objcopy {args:?}: {status}").into())
            }
        };
        objcopy(&[
            "--only-keep-debug".as_ref(),
            "--compress-debug-sections=zlib".as_ref(),
            built.as_os_str(),
            debug.as_os_str(),
        ])?;
        objcopy(&[
            "--strip-debug".as_ref(),
            built.as_os_str(),
            stripped.as_os_str(),
        ])?;
        let mb = |path: &Path| std::fs::metadata(path).map(|m| m.len() as f64 / 1e6);
        println!(
            "  {name:<15} {:>6.1} · {:>6.1} · {:>6.1}",
            size as f64 / 1e6,
            mb(&stripped)?,
            mb(&debug)?
        );
    }
    println!();
    Ok(())
}

fn now() -> Timestamp {
    Timestamp::from(chrono::Utc::now())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}
