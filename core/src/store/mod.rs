//! The device's local store: one SQLite file in WAL mode holding documents, the changes
//! not yet acknowledged by a server, projections for queries, the register, settings
//! and the sync cursor. The file is encrypted with SQLCipher (see `key`).
//!
//! Durability: `synchronous=FULL` makes every commit reach the disk before it returns,
//! so a call that returned `Ok` survives a crash, kill -9 or power loss.

mod bootstrap;
mod counts;
mod documents;
mod efforts;
mod filter;
mod key;
mod local;
mod meetings;
mod migrate;
mod observations;
mod projection;
mod publications;
mod register;
mod sync;
mod widening;

use std::path::Path;

use automerge::ActorId;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::error::{Error, Result};
use crate::model::Identity;
use crate::sqlite::{checkpoint_once, configure, empty_log};

pub use counts::PlaceHabit;
pub use documents::SizeStats;
pub use efforts::{ActivityDraft, IndicatorDraft, PromiseDraft};
pub use key::{MIN_PASSPHRASE, StoreKey, is_encrypted};
pub use local::Rehomed;
pub use meetings::DecisionDraft;
pub use sync::{Credential, Delivery, RefusedChange};

/// The file name of a store inside its directory.
pub const STORE_FILE: &str = "lagesbild.sqlite3";

#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: String,
    actor: ActorId,
}

impl Store {
    /// Opens (creating if needed) the encrypted store file at `path` with `key`. A plain
    /// file from before encryption is encrypted in place first; a wrong key is
    /// `Error::WrongKey`.
    pub fn open(path: &Path, key: &StoreKey) -> Result<Store> {
        let conn = key::open_keyed(path, key)?;
        Store::setup(conn, path.display().to_string())
    }

    /// A store that lives only in memory, for tests and throwaway work.
    pub fn open_in_memory() -> Result<Store> {
        Store::setup(Connection::open_in_memory()?, ":memory:".to_string())
    }

    fn setup(mut conn: Connection, path: String) -> Result<Store> {
        configure(&conn, 16 * 1024)?;
        migrate::migrate(&mut conn, &path)?;
        let actor = load_or_create_actor(&mut conn)?;
        Ok(Store { conn, path, actor })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The Automerge actor this device writes as.
    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    /// Moves everything in the write-ahead log into the main file and empties the log,
    /// waiting a bounded while for readers that hold it (see `empty_log`).
    pub fn checkpoint(&self) -> Result<()> {
        empty_log(|| checkpoint_once(&self.conn))
    }

    /// SQLite's own check of the file; `"ok"` when sound.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    pub(crate) fn setting(&self, key: &str) -> Result<Option<String>> {
        setting(&self.conn, key)
    }

    pub(crate) fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        set_setting(&self.conn, key, value)
    }

    /// Who uses this device, if it has been initialised or enrolled.
    pub fn identity(&self) -> Result<Option<Identity>> {
        self.setting("identity")?
            .map(|json| {
                serde_json::from_str(&json)
                    .map_err(|e| Error::corrupt(format!("the stored identity does not read: {e}")))
            })
            .transpose()
    }

    pub fn require_identity(&self) -> Result<Identity> {
        self.identity()?.ok_or(Error::NoIdentity)
    }

    pub fn set_identity(&mut self, identity: &Identity) -> Result<()> {
        let json = serde_json::to_string(identity)
            .map_err(|e| Error::corrupt(format!("identity does not serialise: {e}")))?;
        self.set_setting("identity", &json)
    }

    /// Runs `f` in an immediate (write-locking) transaction and commits it.
    fn write<T>(&mut self, f: impl FnOnce(&Transaction<'_>, &ActorId) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx, &self.actor)?;
        tx.commit()?;
        Ok(value)
    }
}

pub(super) fn setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub(super) fn set_setting(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

fn load_or_create_actor(conn: &mut Connection) -> Result<ActorId> {
    if let Some(hex) = setting(conn, "actor_id")? {
        return ActorId::try_from(hex.as_str())
            .map_err(|_| Error::corrupt("the stored actor id is not hex"));
    }
    let actor = ActorId::random();
    set_setting(conn, "actor_id", &actor.to_hex_string())?;
    Ok(actor)
}

impl Store {
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}
