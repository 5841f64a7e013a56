//! Helpers shared by the core's integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use chrono::DateTime;
use lagesbild_core::demo::{self, DemoWorkspace};
use lagesbild_core::sync::wire::Register;
use lagesbild_core::{Identity, ObservationDraft, Store, Timestamp};

pub fn at(rfc3339: &str) -> Timestamp {
    Timestamp::from(DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc())
}

/// Wednesday of week 48, 2026, 12:00 Swedish time.
pub fn now() -> Timestamp {
    at("2026-11-25T11:00:00Z")
}

/// An in-memory store holding the demo workspace, used as `person`.
pub fn demo_store(person: usize) -> (Store, DemoWorkspace, Identity) {
    let demo = demo::workspace("Test");
    let mut store = Store::open_in_memory().unwrap();
    let identity = demo.install(&mut store, person).unwrap();
    (store, demo, identity)
}

/// A second store with the same workspace (as enrolment would give it), used as `person`.
pub fn second_store(demo: &DemoWorkspace, person: usize) -> Store {
    let mut store = Store::open_in_memory().unwrap();
    demo.install(&mut store, person).unwrap();
    store
}

pub fn draft(place: &str, category: &str, grade: i64) -> ObservationDraft {
    ObservationDraft {
        category: Some(category.into()),
        place: Some(place.into()),
        grade: Some(grade),
        ..ObservationDraft::default()
    }
}

/// Row counts of the tables a write touches.
pub fn counts(store: &Store) -> (u64, u64) {
    let rows = store.list(&Default::default()).unwrap().len() as u64;
    (rows, store.pending_count().unwrap())
}

/// The server's answer that the register has not changed.
pub fn unchanged_register() -> Register {
    Register {
        version: 1,
        unchanged: true,
        workspace: None,
        organisations: vec![],
        places: vec![],
        categories: vec![],
    }
}

/// The key of the tests' store files.
#[allow(dead_code)]
pub fn key() -> lagesbild_core::store::StoreKey {
    lagesbild_core::store::StoreKey::from_hex(&"5a".repeat(32)).unwrap()
}
