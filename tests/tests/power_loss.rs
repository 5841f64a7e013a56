//! Pulled plugs: the device's encrypted store through seeded power losses at random
//! points while recording, editing and syncing (`lagesbild_tests::power_loss` says how
//! the disk loses what was not synced, and tears writes). Every report acknowledged as
//! saved must be there after, whole. `./scripts/bench reliability` runs many more.
#![allow(clippy::unwrap_used)]

use lagesbild_tests::power_loss;

/// Seeds run here; the bench runs thousands more.
const SEEDS: u64 = 200;

#[test]
fn the_device_store_keeps_every_acknowledged_report_through_power_losses() {
    let (mut acknowledged, mut lost, mut torn) = (0, 0, 0);
    for seed in 0..SEEDS {
        let dir = tempfile::tempdir().unwrap();
        let outcome = power_loss::device_run(dir.path(), seed).unwrap_or_else(|e| panic!("{e}"));
        acknowledged += outcome.acknowledged;
        lost += outcome.loss.lost;
        torn += usize::from(outcome.loss.torn);
    }
    // The losses were real: unsynced writes were thrown away, some torn.
    assert!(lost > 0 && torn > 0, "lost {lost}, torn {torn}");
    println!(
        "{SEEDS} power losses: {acknowledged} acknowledged reports kept; {lost} unsynced writes lost, {torn} torn"
    );
}

/// Seeds for the server here; the bench runs many more.
const SERVER_SEEDS: u64 = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_keeps_every_report_it_answered_stored_through_power_losses() {
    let (mut stored, mut lost, mut torn) = (0, 0, 0);
    for seed in 0..SERVER_SEEDS {
        let dir = tempfile::tempdir().unwrap();
        let outcome = power_loss::server_run(dir.path(), seed)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        stored += outcome.acknowledged;
        lost += outcome.loss.lost;
        torn += usize::from(outcome.loss.torn);
    }
    assert!(lost > 0 && stored > 0, "lost {lost}, stored {stored}");
    println!(
        "{SERVER_SEEDS} power losses of the server: {stored} reports answered stored and kept; {lost} unsynced writes lost, {torn} torn"
    );
}
