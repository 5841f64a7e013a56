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
    change_with("Grupp vid perrongen, lugnt", 1)
}

/// How far untrusted bytes got on the server's path.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reached {
    /// Refused by the bounds, before anything was inflated past them.
    Bounds,
    /// Within the bounds, but the checksum does not match.
    Checksum,
    /// Within the bounds and the checksum, refused by Automerge (or it panicked).
    Undecodable,
    /// Decoded, with this many operations.
    Decoded(u64),
}

/// What the server does with untrusted bytes, up to handing them to Automerge, with
/// the bounds asserted at each stage they are passed.
fn untrusted(bytes: &[u8]) -> Reached {
    // The device's decoder takes the same path and never panics.
    let _ = DocChange::decode(bytes);
    let Ok(bounded) = bounded_change(bytes) else {
        return Reached::Bounds;
    };
    assert!(
        bounded.len() <= MAX_CHANGE_BYTES,
        "what passes is within the size bound"
    );
    if !lagesbild_core::doc::checksum_matches(&bounded) {
        return Reached::Checksum;
    }
    let bounded = bounded.into_owned();
    match catch_unwind(|| Change::from_bytes(bounded.clone())) {
        Ok(Ok(change)) => {
            assert!(
                change.len() as u64 <= MAX_CHANGE_OPS,
                "what decodes is within the operation bound"
            );
            Reached::Decoded(change.len() as u64)
        }
        _ => Reached::Undecodable,
    }
}

/// A real change writing `text` as the description, and `keys` more keys.
fn change_with(text: &str, keys: usize) -> Vec<u8> {
    let mut value = std::collections::BTreeMap::from([(
        "description".to_string(),
        autosurgeon::Text::with_value(text),
    )]);
    for key in 0..keys {
        value.insert(format!("k{key}"), autosurgeon::Text::with_value("x"));
    }
    let (_, change) = Document::create(
        &ActorId::random(),
        &value,
        lagesbild_core::Timestamp::from(chrono::Utc::now()),
    )
    .unwrap();
    change.bytes
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_get_past_the_bounds(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        // Random bytes carry no valid checksum: they never reach Automerge.
        prop_assert!(matches!(untrusted(&bytes), Reached::Bounds | Reached::Checksum));
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
        // Damage is caught by the bounds or the checksum, or Automerge refuses it; if
        // it decodes, it is within the bounds (asserted in `untrusted`).
        let reached = untrusted(&bytes);
        if let Reached::Decoded(ops) = reached {
            prop_assert!(ops <= MAX_CHANGE_OPS);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64)
    ))]

    /// Real changes of every size, around the bounds too (a long text of one letter
    /// is a few bytes compressed, and past the operation bound): those within the
    /// bounds decode whole, those past them are refused before they are decoded. Every
    /// case reaches an assertion.
    #[test]
    fn real_changes_pass_exactly_when_within_the_bounds(
        length in prop_oneof![0usize..5_000, 45_000usize..60_000],
        keys in 0usize..64,
    ) {
        let bytes = change_with(&"a".repeat(length), keys);
        let reached = untrusted(&bytes);
        let ops = 1 + keys as u64 + length as u64 + keys as u64;
        if bytes.len() <= MAX_CHANGE_BYTES && ops <= MAX_CHANGE_OPS {
            prop_assert!(matches!(reached, Reached::Decoded(_)), "{reached:?}");
        } else {
            prop_assert_ne!(reached, Reached::Checksum);
            prop_assert!(!matches!(reached, Reached::Decoded(n) if n > MAX_CHANGE_OPS));
        }
    }
}

#[test]
fn an_intact_change_passes_the_bounds_and_decodes() {
    let bytes = real_change();
    assert!(matches!(untrusted(&bytes), Reached::Decoded(_)));
    assert!(DocChange::decode(&bytes).is_ok());
}
