//! The sync engine's decisions, without a network.
#![allow(clippy::unwrap_used)]

mod common;

use common::{at, demo_store, unchanged_register};
use lagesbild_core::sync::engine::{Action, Request, Response, SyncEngine, TransportError};
use lagesbild_core::sync::wire::FeedPage;

fn feed_page(cursor: i64) -> Response {
    Response::Feed(FeedPage {
        entries: vec![],
        cursor,
        more: false,
        register_version: 1,
        timeline: None,
    })
}

/// Drives the engine through register, bootstrap, push and pull to its long poll.
fn settle(
    engine: &mut SyncEngine,
    store: &mut lagesbild_core::Store,
    now: lagesbild_core::Timestamp,
) -> Action {
    for _ in 0..10 {
        let action = engine.poll(store, now).unwrap();
        let response = match &action {
            Action::Send(Request::Register { .. }) => Response::Register(unchanged_register()),
            Action::Send(Request::Projections { .. }) => {
                Response::Projections(lagesbild_core::sync::wire::ProjectionPage {
                    projections: vec![],
                    cursor: 0,
                    next: None,
                    total: Some(0),
                })
            }
            Action::Send(Request::Bootstrap { .. }) => {
                Response::Bootstrap(lagesbild_core::sync::wire::BootstrapPage {
                    entries: vec![],
                    cursor: 0,
                    next: None,
                })
            }
            Action::Send(Request::Feed { wait: 0, .. }) => feed_page(0),
            other => return other.clone(),
        };
        let Action::Send(request) = action else {
            unreachable!()
        };
        engine.handle(store, &request, Ok(response), now).unwrap();
    }
    panic!("the engine did not settle");
}

#[test]
fn after_repeated_long_poll_failures_the_engine_syncs_periodically() {
    let (mut store, demo, _) = demo_store(1);
    let mut engine = SyncEngine::new(demo.workspace.id, 1);
    let mut now = at("2026-11-25T10:00:00Z");
    let action = settle(&mut engine, &mut store, now);
    assert!(
        matches!(action, Action::Send(Request::Feed { wait, .. }) if wait > 0),
        "connected, it long-polls: {action:?}"
    );
    for _ in 0..3 {
        let Action::Send(request) = settle(&mut engine, &mut store, now) else {
            panic!()
        };
        engine
            .handle(
                &mut store,
                &request,
                Err(TransportError::Unreachable("timed out".into())),
                now,
            )
            .unwrap();
        // Sleep out the backoff.
        while let Action::SleepUntil(until) = engine.poll(&store, now).unwrap() {
            now = until;
        }
    }
    assert!(
        !engine.status(&store).unwrap().live,
        "three failed long polls: fall back"
    );
    let action = settle(&mut engine, &mut store, now);
    match action {
        Action::SleepUntil(until) => {
            let seconds = (until.millis() - now.millis()) / 1000;
            assert!(
                (25..=35).contains(&seconds),
                "the next sync is a periodic one, {seconds} s away"
            );
        }
        other => panic!("expected a periodic wait, got {other:?}"),
    }
}

#[test]
fn failures_back_off_and_a_wake_retries_at_once() {
    let (mut store, demo, _) = demo_store(1);
    let mut engine = SyncEngine::new(demo.workspace.id, 2);
    let mut now = at("2026-11-25T10:00:00Z");
    let mut waits = Vec::new();
    for _ in 0..5 {
        let Action::Send(request) = engine.poll(&store, now).unwrap() else {
            panic!("after the wait it tries again")
        };
        engine
            .handle(
                &mut store,
                &request,
                Err(TransportError::Unreachable("no network".into())),
                now,
            )
            .unwrap();
        let Action::SleepUntil(until) = engine.poll(&store, now).unwrap() else {
            panic!("a failure means a wait")
        };
        waits.push(until.millis() - now.millis());
        now = until;
    }
    let Action::Send(request) = engine.poll(&store, now).unwrap() else {
        panic!()
    };
    engine
        .handle(
            &mut store,
            &request,
            Err(TransportError::Unreachable("no network".into())),
            now,
        )
        .unwrap();
    assert!(
        waits.windows(2).all(|w| w[1] > w[0] / 2),
        "waits grow: {waits:?}"
    );
    assert!(waits[4] > waits[0] * 4, "exponentially: {waits:?}");
    engine.wake();
    assert!(
        matches!(engine.poll(&store, now).unwrap(), Action::Send(_)),
        "the user asked: try now"
    );
}
