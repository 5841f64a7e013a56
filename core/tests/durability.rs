//! Nothing acknowledged is lost: a child process records observations and reports each
//! id once `record` returned; the test kills it with SIGKILL at random moments, reopens
//! the store and finds every reported observation intact.
//!
//! The child is this same test binary, re-run with one ignored test selected.
//! `LAGESBILD_DURABILITY_KILLS` sets how many kills (200 by default).
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lagesbild_core::{ObservationDraft, ObservationId, Store};

const CHILD_ENV: &str = "LAGESBILD_DURABILITY_STORE";

fn description(n: u64) -> String {
    format!("Hållbarhetsprov nummer {n}: grupp vid stationen")
}

/// The child: records until it is killed, printing `saved <id> <n>` after each return.
#[test]
#[ignore = "run by observations_reported_saved_survive_sigkill as its child process"]
fn durability_child_writer() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let seed: u64 = std::env::var("LAGESBILD_DURABILITY_SEED")
        .unwrap()
        .parse()
        .unwrap();
    let mut store = Store::open(Path::new(&path), &common::key()).unwrap();
    let stdout = std::io::stdout();
    for i in 0.. {
        let n = seed * 1_000_000 + i;
        let draft = ObservationDraft {
            description: Some(description(n)),
            ..common::draft("Rönninge station", "grupperingar", 1 + (n % 5) as i64)
        };
        let saved = store.record(&draft, common::now()).unwrap();
        let mut out = stdout.lock();
        writeln!(out, "saved {} {n}", saved.id).unwrap();
        out.flush().unwrap();
    }
}

fn spawn_and_kill(store: &Path, seed: u64, after: Duration) -> Vec<(ObservationId, u64)> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "durability_child_writer",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, store)
        .env("LAGESBILD_DURABILITY_SEED", seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let saved = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let saved = Arc::clone(&saved);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let mut parts = line.split_whitespace();
                if parts.next() == Some("saved")
                    && let (Some(id), Some(n)) = (parts.next(), parts.next())
                {
                    saved
                        .lock()
                        .unwrap()
                        .push((id.parse().unwrap(), n.parse().unwrap()));
                }
            }
        })
    };
    std::thread::sleep(after);
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    reader.join().unwrap();
    Arc::try_unwrap(saved).unwrap().into_inner().unwrap()
}

fn store_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join(lagesbild_core::store::STORE_FILE)
}

#[test]
fn observations_reported_saved_survive_sigkill() {
    let kills: u64 = std::env::var("LAGESBILD_DURABILITY_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let path = store_path(&dir);
    {
        let mut store = Store::open(&path, &common::key()).unwrap();
        lagesbild_core::demo::workspace("Hållbarhet")
            .install(&mut store, 1)
            .unwrap();
    }
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let mut reported = Vec::new();
    for seed in 0..kills {
        // From before the store is open to well into a run of records.
        let after = Duration::from_micros(rng.u64(0..60_000));
        reported.extend(spawn_and_kill(&path, seed, after));

        let store = Store::open(&path, &common::key()).unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok", "after kill {seed}");
        if seed % 20 == 19 || seed + 1 == kills {
            check_all(&store, &reported);
        }
    }
    assert!(
        reported.len() as u64 >= kills,
        "the children saved {} observations in {kills} runs: too few to mean anything",
        reported.len()
    );
    eprintln!(
        "{kills} kills, {} observations reported saved, all intact",
        reported.len()
    );
}

fn check_all(store: &Store, reported: &[(ObservationId, u64)]) {
    let rows = store.list(&Default::default()).unwrap();
    let listed: std::collections::HashSet<ObservationId> = rows.iter().map(|r| r.id).collect();
    for (id, n) in reported {
        let observation = store
            .observation(*id)
            .unwrap_or_else(|e| panic!("observation {n} was reported saved but is gone: {e}"));
        assert_eq!(
            observation.description(),
            description(*n),
            "observation {n} is intact"
        );
        assert!(listed.contains(id), "observation {n} is in the projection");
    }
}
