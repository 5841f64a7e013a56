//! A device killed mid-sync: `lagesbild sync` runs as a child process and is SIGKILLed
//! at random moments while it pushes and pulls. Every later sync resumes; in the end
//! the server holds every report exactly once and the store is sound.
//!
//! The store's key is given in `LAGESBILD_STORE_KEY`, as a script would give it: a
//! process killed while it opens a session with the GNOME keyring crashes the keyring
//! daemon (an assertion in its key negotiation), which is the keyring's fault and not
//! what this test is about.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use lagesbild_client::keystore::KEY_ENV;
use lagesbild_core::store::{STORE_FILE, StoreKey};
use lagesbild_core::{ObservationDraft, ObservationId, Store};
use lagesbild_tests::{Backend, Scenario, now};

/// The device store's key.
const KEY: &str = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e";

fn lagesbild(store: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lagesbild"));
    command.arg("--store").arg(store).env(KEY_ENV, KEY);
    command
}

fn open(store: &Path) -> Store {
    Store::open(&store.join(STORE_FILE), &StoreKey::from_hex(KEY).unwrap()).unwrap()
}

fn record(store: &Path, n: usize, recorded: &mut Vec<ObservationId>) {
    let mut store = open(store);
    for i in 0..n {
        let draft = ObservationDraft {
            category: Some("klotter".into()),
            place: Some("Salemhallen".into()),
            grade: Some(1 + (i % 5) as i64),
            description: Some(format!("Rapport {}", recorded.len())),
            ..Default::default()
        };
        recorded.push(store.record(&draft, now()).unwrap().id);
    }
}

async fn sync_killed_at_random_moments_resumes_and_completes(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Scenario { server, codes, .. } = Scenario::on(backend)
        .named("Avbrott")
        .reports(10)
        .start()
        .await;
    let store = dir.path().join("device");
    // Enrolled with the link a coordinator's QR code holds.
    let link = lagesbild_core::sync::link::EnrolmentLink {
        server: server.url(),
        code: codes[1].clone(),
        ca: None,
    };
    let enrolled = lagesbild(&store)
        .args(["enroll", &link.to_string()])
        .output()
        .unwrap();
    assert!(
        enrolled.status.success(),
        "{}",
        String::from_utf8_lossy(&enrolled.stderr)
    );

    let mut rng = fastrand::Rng::with_seed(11);
    let mut recorded = Vec::new();
    let mut killed = 0;
    for _ in 0..25 {
        record(&store, rng.usize(5..40), &mut recorded);
        let mut child = lagesbild(&store)
            .arg("sync")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(rng.u64(0..25))).await;
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        assert_eq!(open(&store).integrity_check().unwrap(), "ok");
    }
    assert!(
        killed >= 10,
        "most syncs were killed mid-way ({killed} of 25)"
    );

    let finished = lagesbild(&store).arg("sync").output().unwrap();
    assert!(
        finished.status.success(),
        "{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    let on_server: Vec<ObservationId> = server.observations().iter().map(|o| o.id).collect();
    let unique: BTreeSet<ObservationId> = on_server.iter().copied().collect();
    assert_eq!(on_server.len(), unique.len());
    assert_eq!(
        unique.len(),
        recorded.len() + 10,
        "every report reached the server exactly once"
    );
    assert!(recorded.iter().all(|id| unique.contains(id)));
    let device = open(&store);
    assert_eq!(device.pending_count().unwrap(), 0);
    assert_eq!(
        device.list(&Default::default()).unwrap().len(),
        unique.len(),
        "the device holds every report once"
    );
    eprintln!(
        "{} reports; {killed} of 25 syncs killed mid-way",
        recorded.len()
    );
}

lagesbild_tests::on_both_backends!(
    async sync_killed_at_random_moments_resumes_and_completes,
);
