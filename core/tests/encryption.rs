//! The device store is encrypted: what is written cannot be read from any of its files
//! (database, write-ahead log, shared memory) without the key, a plain store from before
//! encryption is encrypted in place, and a wrong key or passphrase is refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{draft, now};
use lagesbild_core::store::{StoreKey, is_encrypted};
use lagesbild_core::{ErrorCode, Store};

const CANARY_REPORT: &str = "Kanariefågel-R7Q2 vid busshållplatsen";
const CANARY_NOTE: &str = "Kanariefågel-N4K8 följde upp";

/// The files of the store at `path` (it, its log, its index) that hold `needle`.
fn files_holding(path: &Path, needle: &str) -> Vec<String> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .filter_map(|suffix| {
            let file = format!("{}{suffix}", path.display());
            let bytes = std::fs::read(&file).ok()?;
            bytes
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
                .then_some(file)
        })
        .collect()
}

/// A demo store on disk, written through `Store`, with the canaries in a report and a note.
fn store_with_canaries(path: &Path, key: &StoreKey) -> lagesbild_core::ObservationId {
    let mut store = Store::open(path, key).unwrap();
    lagesbild_core::demo::workspace("Kryptering")
        .install(&mut store, 1)
        .unwrap();
    let mut report = draft("Rönninge station", "klotter", 3);
    report.description = Some(CANARY_REPORT.into());
    let o = store.record(&report, now()).unwrap();
    store.add_note(o.id, CANARY_NOTE, false, now()).unwrap();
    o.id
}

#[test]
fn nothing_written_can_be_read_from_the_files_while_the_store_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.sqlite3");
    let key = common::key();
    let id = store_with_canaries(&path, &key);
    // While open, the log and its index hold the latest pages: look at them now, before
    // anything is checkpointed away.
    let store = Store::open(&path, &key).unwrap();
    assert!(Path::new(&format!("{}-wal", path.display())).exists());
    for canary in [CANARY_REPORT, CANARY_NOTE] {
        assert_eq!(
            files_holding(&path, canary),
            Vec::<String>::new(),
            "{canary}"
        );
    }
    let read = store.observation(id).unwrap();
    assert_eq!(read.description(), CANARY_REPORT);
    assert!(read.notes.iter().any(|n| n.text == CANARY_NOTE));
    assert_eq!(is_encrypted(&path).unwrap(), Some(true));
}

#[test]
fn a_wrong_key_or_passphrase_is_refused_and_the_right_one_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.sqlite3");
    let passphrase = StoreKey::passphrase("rätt lösenfras 42").unwrap();
    let id = store_with_canaries(&path, &passphrase);

    let wrong = StoreKey::passphrase("fel lösenfras 42").unwrap();
    assert_eq!(
        Store::open(&path, &wrong).unwrap_err().code(),
        ErrorCode::WrongKey
    );
    assert_eq!(
        Store::open(&path, &common::key()).unwrap_err().code(),
        ErrorCode::WrongKey
    );
    let store = Store::open(&path, &passphrase).unwrap();
    assert!(store.observation(id).is_ok());
    assert_eq!(store.integrity_check().unwrap(), "ok");

    assert_eq!(
        StoreKey::passphrase("kort").unwrap_err().code(),
        ErrorCode::WeakPassphrase
    );
}

#[test]
fn a_plain_store_from_before_encryption_is_encrypted_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.sqlite3");
    // A store as the previous version wrote it: plain SQLite with reports in it, made
    // here by exporting an encrypted one into a plain file.
    let written = dir.path().join("written.sqlite3");
    let id = store_with_canaries(&written, &StoreKey::passphrase("bara för provet").unwrap());
    {
        let conn = rusqlite::Connection::open(&written).unwrap();
        conn.pragma_update(None, "key", "bara för provet").unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        conn.execute(
            "ATTACH DATABASE ?1 AS plain KEY ''",
            [path.display().to_string()],
        )
        .unwrap();
        conn.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(()))
            .unwrap();
        conn.execute_batch(&format!("PRAGMA plain.user_version = {version}"))
            .unwrap();
    }
    assert_eq!(is_encrypted(&path).unwrap(), Some(false));
    assert!(
        !files_holding(&path, CANARY_REPORT).is_empty(),
        "the check sees plain text"
    );

    let key = common::key();
    let store = Store::open(&path, &key).unwrap();
    assert_eq!(is_encrypted(&path).unwrap(), Some(true));
    for canary in [CANARY_REPORT, CANARY_NOTE] {
        assert_eq!(
            files_holding(&path, canary),
            Vec::<String>::new(),
            "{canary}"
        );
    }
    let read = store.observation(id).unwrap();
    assert_eq!(read.description(), CANARY_REPORT);
    assert_eq!(store.integrity_check().unwrap(), "ok");
    drop(store);
    assert!(
        !Path::new(&format!("{}-encrypting", path.display())).exists(),
        "nothing is left beside it"
    );
    // And it opens again, as any encrypted store.
    assert!(Store::open(&path, &key).unwrap().observation(id).is_ok());
}
