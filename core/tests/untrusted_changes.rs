//! The path every pushed change takes before the server trusts it, over arbitrary
//! bytes: the bounds are checked without panicking or allocating past them, and what
//! passes them decodes (or is refused) without expanding past them either.
//! `PROPTEST_CASES` runs more cases than CI's.
#![allow(clippy::unwrap_used)]

use std::panic::catch_unwind;

use automerge::{ActorId, Change};
use lagesbild_core::chunk::{MAX_CHANGE_BYTES, MAX_CHANGE_OPS, bounded_change};
use lagesbild_core::doc::{DocChange, Document};
use proptest::prelude::*;

fn real_change() -> Vec<u8> {
    let value = std::collections::BTreeMap::from([
        (
            "kind".to_string(),
            autosurgeon::Text::with_value("observation"),
        ),
        (
            "description".to_string(),
            autosurgeon::Text::with_value("Grupp vid perrongen, lugnt"),
        ),
    ]);
    let (_, change) = Document::create(
        &ActorId::random(),
        &value,
        lagesbild_core::Timestamp::from(chrono::Utc::now()),
    )
    .unwrap();
    change.bytes
}

/// What the server does with untrusted bytes, up to handing them to Automerge.
fn untrusted(bytes: &[u8]) {
    let Ok(bounded) = bounded_change(bytes) else {
        return;
    };
    assert!(
        bounded.len() <= MAX_CHANGE_BYTES,
        "what passes is within the size bound"
    );
    if !lagesbild_core::doc::checksum_matches(&bounded) {
        return;
    }
    let bounded = bounded.into_owned();
    if let Ok(Ok(change)) = catch_unwind(|| Change::from_bytes(bounded.clone())) {
        assert!(
            change.len() as u64 <= MAX_CHANGE_OPS,
            "what decodes is within the operation bound"
        );
    }
    // The device's decoder takes the same path and never panics.
    let _ = DocChange::decode(bytes);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_get_past_the_bounds(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        untrusted(&bytes);
    }

    #[test]
    fn damaged_changes_never_get_past_the_bounds(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        compressed in any::<bool>(),
    ) {
        let mut bytes = if compressed {
            let mut c = Change::from_bytes(real_change()).unwrap();
            c.bytes().into_owned()
        } else {
            real_change()
        };
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let keep = cut.index(bytes.len() + 1).max(bytes.len() / 2);
        bytes.truncate(keep);
        untrusted(&bytes);
    }
}

#[test]
fn an_intact_change_passes_the_bounds_and_decodes() {
    let bytes = real_change();
    untrusted(&bytes);
    assert!(DocChange::decode(&bytes).is_ok());
}
