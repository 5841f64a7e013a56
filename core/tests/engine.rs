//! The sync engine's decisions, without a network and without SQLite: the engine runs
//! over the in-memory storage (`sync::storage::MemoryStorage`), against answers a
//! server would give.
#![allow(clippy::unwrap_used)]

mod common;

use automerge::ActorId;
use autosurgeon::{Hydrate, Reconcile};
use common::{at, unchanged_register};
use lagesbild_core::doc::Document;
use lagesbild_core::sync::engine::{Action, Request, Response, SyncEngine, TransportError};
use lagesbild_core::sync::storage::{BootstrapStage, MemoryStorage, SyncStorage};
use lagesbild_core::sync::wire::{
    BootstrapPage, ErrorBody, FeedEntry, FeedPage, MAX_PUSH_CHANGES, ProjectionPage, PushOutcome,
    PushResponse, PushResult, RefusalCode, Timeline,
};
use lagesbild_core::{DocKind, Timestamp, WorkspaceId};
use uuid::Uuid;

/// A record small enough to read at a glance.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
struct Note {
    text: String,
}

fn note(text: &str) -> Note {
    Note { text: text.into() }
}

fn feed_page(cursor: i64) -> Response {
    Response::Feed(FeedPage {
        entries: vec![],
        cursor,
        more: false,
        register_version: 1,
        timeline: None,
    })
}

fn empty_bootstrap(request: &Request) -> Option<Response> {
    match request {
        Request::Register { .. } => Some(Response::Register(unchanged_register())),
        Request::Projections { .. } => Some(Response::Projections(ProjectionPage {
            projections: vec![],
            cursor: 0,
            next: None,
            total: Some(0),
        })),
        Request::Bootstrap { .. } => Some(Response::Bootstrap(BootstrapPage {
            entries: vec![],
            cursor: 0,
            next: None,
        })),
        _ => None,
    }
}

/// Drives the engine through register, bootstrap, push and pull to its long poll.
fn settle(engine: &mut SyncEngine, store: &mut impl SyncStorage, now: Timestamp) -> Action {
    for _ in 0..10 {
        let action = engine.poll(store, now).unwrap();
        let response = match &action {
            Action::Send(Request::Feed { wait: 0, .. }) => feed_page(0),
            Action::Send(request) => match empty_bootstrap(request) {
                Some(response) => response,
                None => return action,
            },
            other => return other.clone(),
        };
        let Action::Send(request) = action else {
            unreachable!()
        };
        engine.handle(store, &request, Ok(response), now).unwrap();
    }
    panic!("the engine did not settle");
}

fn device() -> (MemoryStorage, WorkspaceId, SyncEngine) {
    let workspace = WorkspaceId::new();
    (
        MemoryStorage::new(ActorId::random()),
        workspace,
        SyncEngine::new(workspace, 1),
    )
}

/// The engine's next request, which must be a push; answered by `outcome` for each
/// change in it.
fn answer_push(
    engine: &mut SyncEngine,
    store: &mut MemoryStorage,
    now: Timestamp,
    outcome: impl Fn(usize) -> PushOutcome,
) -> usize {
    let action = settle(engine, store, now);
    let Action::Send(request @ Request::Push { .. }) = action else {
        panic!("expected a push, got {action:?}")
    };
    let Request::Push { request: push, .. } = &request else {
        unreachable!()
    };
    let results = push
        .changes
        .iter()
        .enumerate()
        .map(|(i, c)| PushResult {
            hash: c.hash.clone(),
            outcome: outcome(i),
        })
        .collect::<Vec<_>>();
    let sent = results.len();
    let response = PushResponse {
        results,
        server_time: now,
    };
    engine
        .handle(store, &request, Ok(Response::Push(response)), now)
        .unwrap();
    sent
}

#[test]
fn after_repeated_long_poll_failures_the_engine_syncs_periodically() {
    let (mut store, _, mut engine) = device();
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
    let (mut store, workspace, _) = device();
    let mut engine = SyncEngine::new(workspace, 2);
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

#[test]
fn a_change_goes_once_and_is_forgotten_when_stored() {
    let (mut store, workspace, mut engine) = device();
    let now = at("2026-11-25T10:00:00Z");
    let doc = Uuid::now_v7();
    store
        .write(workspace, doc, &note("Grupp vid perrongen"), now)
        .unwrap();
    store
        .write(workspace, doc, &note("Grupp vid perrongen, lugnt"), now)
        .unwrap();
    assert_eq!(engine.status(&store).unwrap().waiting, 2);
    let sent = answer_push(&mut engine, &mut store, now, |_| PushOutcome::Stored);
    assert_eq!(sent, 2, "both changes in one push");
    assert_eq!(engine.status(&store).unwrap().waiting, 0);
    let action = settle(&mut engine, &mut store, now);
    assert!(
        matches!(action, Action::Send(Request::Feed { wait, .. }) if wait > 0),
        "nothing left to push: it long-polls, {action:?}"
    );
}

#[test]
fn a_refused_change_is_kept_with_why_and_not_sent_again() {
    let (mut store, workspace, mut engine) = device();
    let now = at("2026-11-25T10:00:00Z");
    let (kept, refused) = (Uuid::now_v7(), Uuid::now_v7());
    store.write(workspace, kept, &note("Lugnt"), now).unwrap();
    store
        .write(workspace, refused, &note("Ett namn"), now)
        .unwrap();
    answer_push(&mut engine, &mut store, now, |i| match i {
        0 => PushOutcome::Stored,
        _ => PushOutcome::Refused {
            code: RefusalCode::ForbiddenField,
            message: "visibility".into(),
        },
    });
    let status = engine.status(&store).unwrap();
    assert_eq!((status.waiting, status.refused), (0, 1));
    assert_eq!(
        store.refused(),
        vec![(
            refused,
            "forbidden_field".to_string(),
            "visibility".to_string()
        )]
    );
    assert!(
        !matches!(
            settle(&mut engine, &mut store, now),
            Action::Send(Request::Push { .. })
        ),
        "the refused change is not sent again"
    );
}

#[test]
fn a_document_the_server_erased_is_erased_here() {
    let (mut store, workspace, mut engine) = device();
    let now = at("2026-11-25T10:00:00Z");
    let doc = Uuid::now_v7();
    store
        .write(workspace, doc, &note("Kalle, 15 år"), now)
        .unwrap();
    answer_push(&mut engine, &mut store, now, |_| PushOutcome::Erased);
    assert!(store.document(&doc).is_none());
    assert_eq!(engine.status(&store).unwrap().waiting, 0);
}

#[test]
fn the_feed_brings_other_devices_changes_and_the_cursor_moves_on() {
    let (mut store, workspace, mut engine) = device();
    let now = at("2026-11-25T10:00:00Z");
    settle(&mut engine, &mut store, now);
    let doc = Uuid::now_v7();
    let (mut theirs, created) =
        Document::create(&ActorId::random(), &note("Skadegörelse i tunneln"), now).unwrap();
    let edited = theirs
        .update(&note("Skadegörelse i tunneln, klotter"), now)
        .unwrap();
    let entry = |bytes: Vec<u8>| FeedEntry::Change {
        doc,
        kind: DocKind::Observation,
        bytes,
        first_seen: now,
    };
    let page = FeedPage {
        entries: vec![
            entry(created.bytes),
            entry(edited[0].bytes.clone()),
            entry(vec![1, 2, 3]),
        ],
        cursor: 7,
        more: false,
        register_version: 1,
        timeline: None,
    };
    let request = Request::Feed { since: 0, wait: 25 };
    engine
        .handle(&mut store, &request, Ok(Response::Feed(page)), now)
        .unwrap();
    let read: Note = store.document(&doc).unwrap().read().unwrap();
    assert_eq!(read, note("Skadegörelse i tunneln, klotter"));
    assert_eq!(store.sync_state(workspace).unwrap().cursor, 7);
    let action = engine.poll(&store, now).unwrap();
    assert_eq!(
        action,
        Action::Send(Request::Feed { since: 7, wait: 25 }),
        "a bad entry is skipped; the next poll reads on from the new cursor"
    );
}

#[test]
fn after_a_restore_the_device_sends_its_own_changes_again_and_reads_from_the_restored_head() {
    let (mut store, workspace, mut engine) = device();
    let now = at("2026-11-25T10:00:00Z");
    let doc = Uuid::now_v7();
    store
        .write(workspace, doc, &note("Före backupen"), now)
        .unwrap();
    answer_push(&mut engine, &mut store, now, |_| PushOutcome::Stored);
    let timeline = |id| FeedPage {
        entries: vec![],
        cursor: 40,
        more: false,
        register_version: 1,
        timeline: Some(Timeline {
            id,
            restored_head: 0,
        }),
    };
    let first = Request::Feed { since: 0, wait: 0 };
    let (old, new) = (Uuid::now_v7(), Uuid::now_v7());
    engine
        .handle(&mut store, &first, Ok(Response::Feed(timeline(old))), now)
        .unwrap();
    assert_eq!(store.sync_state(workspace).unwrap().cursor, 40);
    assert_eq!(engine.status(&store).unwrap().waiting, 0);
    let restored = FeedPage {
        cursor: 12,
        timeline: Some(Timeline {
            id: new,
            restored_head: 12,
        }),
        ..timeline(new)
    };
    let again = Request::Feed {
        since: 40,
        wait: 25,
    };
    engine
        .handle(&mut store, &again, Ok(Response::Feed(restored)), now)
        .unwrap();
    assert_eq!(store.sync_state(workspace).unwrap().cursor, 12);
    assert_eq!(
        engine.status(&store).unwrap().waiting,
        1,
        "its change again"
    );
    let sent = answer_push(&mut engine, &mut store, now, |_| PushOutcome::Duplicate);
    assert_eq!(sent, 1);
}

#[test]
fn a_bootstrap_cut_short_resumes_where_it_stopped() {
    let (mut store, workspace, mut engine) = device();
    let now = at("2026-11-25T10:00:00Z");
    let register = engine.poll(&store, now).unwrap();
    let Action::Send(request) = register else {
        panic!()
    };
    engine
        .handle(
            &mut store,
            &request,
            Ok(Response::Register(unchanged_register())),
            now,
        )
        .unwrap();
    let Action::Send(
        first @ Request::Projections {
            before: None,
            at: None,
        },
    ) = engine.poll(&store, now).unwrap()
    else {
        panic!("a new device begins with projections")
    };
    let key = lagesbild_core::sync::wire::ProjectionKey {
        observed_at: now.millis() - 1_000,
        doc: Uuid::now_v7(),
    };
    let page = ProjectionPage {
        projections: vec![],
        cursor: 90,
        next: Some(key),
        total: Some(2_000),
    };
    engine
        .handle(&mut store, &first, Ok(Response::Projections(page)), now)
        .unwrap();
    let Action::Send(second) = engine.poll(&store, now).unwrap() else {
        panic!()
    };
    engine
        .handle(
            &mut store,
            &second,
            Err(TransportError::Unreachable("cut".into())),
            now,
        )
        .unwrap();
    let mut later = now;
    while let Action::SleepUntil(until) = engine.poll(&store, later).unwrap() {
        later = until;
    }
    assert_eq!(
        engine.poll(&store, later).unwrap(),
        Action::Send(Request::Projections {
            before: Some(key),
            at: Some(90),
        }),
        "the next page, read at the first page's cursor"
    );
    let last = ProjectionPage {
        projections: vec![],
        cursor: 90,
        next: None,
        total: None,
    };
    engine
        .handle(&mut store, &second, Ok(Response::Projections(last)), later)
        .unwrap();
    let progress = store.bootstrap_progress(workspace).unwrap().unwrap();
    assert_eq!(progress.stage, BootstrapStage::Documents);
    let Action::Send(
        documents @ Request::Bootstrap {
            after: None,
            at: 90,
        },
    ) = engine.poll(&store, later).unwrap()
    else {
        panic!("then the documents")
    };
    let page = BootstrapPage {
        entries: vec![],
        cursor: 90,
        next: None,
    };
    engine
        .handle(&mut store, &documents, Ok(Response::Bootstrap(page)), later)
        .unwrap();
    let state = store.sync_state(workspace).unwrap();
    assert!(state.bootstrapped);
    assert_eq!(
        state.cursor, 90,
        "the feed goes on from where the bootstrap began"
    );
}

#[test]
fn a_push_too_large_goes_again_in_halves() {
    let (mut store, workspace, mut engine) = device();
    let now = at("2026-11-25T10:00:00Z");
    for i in 0..MAX_PUSH_CHANGES + 2 {
        store
            .write(
                workspace,
                Uuid::now_v7(),
                &note(&format!("rapport {i}")),
                now,
            )
            .unwrap();
    }
    let Action::Send(request @ Request::Push { .. }) = settle(&mut engine, &mut store, now) else {
        panic!()
    };
    let Request::Push { request: first, .. } = &request else {
        unreachable!()
    };
    assert_eq!(first.changes.len(), MAX_PUSH_CHANGES);
    let too_large = TransportError::Rejected {
        status: 413,
        body: ErrorBody {
            code: "too_large".into(),
            message: "too much at once".into(),
        },
    };
    engine
        .handle(&mut store, &request, Err(too_large), now)
        .unwrap();
    let Action::Send(Request::Push { request, .. }) = engine.poll(&store, now).unwrap() else {
        panic!("the same changes go again at once")
    };
    assert_eq!(
        request.changes.len(),
        MAX_PUSH_CHANGES / 2,
        "half as many at a time"
    );
}
