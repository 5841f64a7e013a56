//! Lägesbild's benchmarks. Prints figures; asserts nothing.
//!
//!     ./scripts/bench [core] [efforts] [ledger] [sync] [load] [--large] [--backend sqlite|postgres]
//!
//! `core`: recording latency against a bare SQLite insert with the same durability, the
//! weekly lägesbild over 100 000 observations (and 1 000 000 with `--large`), and the
//! store's size per observation.
//! `efforts`: an activity followed up and the *Insatser* view with 50 activities over
//! 100 000 observations at 200 places (1 000 000 with `--large`); also part of `core`.
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
//! The server runs as its own release process; devices reach it through a proxy that
//! counts the bytes on the wire. Files go to `target/bench` (the project's own disk).

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
