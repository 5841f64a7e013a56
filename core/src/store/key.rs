//! The device store's encryption: every store file is a SQLCipher database (AES-256 in
//! CBC mode per page, with an HMAC-SHA512 per page), keyed either by a random 256-bit key
//! kept in the platform's key store, or, where there is none, by a passphrase the person
//! types (SQLCipher derives the key with PBKDF2-HMAC-SHA512 and a per-file salt).
//!
//! A store that is still a plain SQLite file — written before encryption — is encrypted
//! in place the first time it is opened with a key.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The first 16 bytes of every plain SQLite file. An encrypted file starts with its salt.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What unlocks a store file.
pub enum StoreKey {
    /// 32 random bytes, used as SQLCipher's raw key (no key derivation).
    Raw(Zeroizing<[u8; 32]>),
    /// Typed by a person; SQLCipher derives the key from it.
    Passphrase(Zeroizing<String>),
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreKey::Raw(_) => "StoreKey::Raw(…)",
            StoreKey::Passphrase(_) => "StoreKey::Passphrase(…)",
        })
    }
}

impl StoreKey {
    /// A new random key from the operating system's generator.
    pub fn random() -> Result<StoreKey> {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::fill(key.as_mut())
            .map_err(|e| Error::Io(std::io::Error::other(format!("no random key: {e}"))))?;
        Ok(StoreKey::Raw(key))
    }

    /// A raw key written as 64 hexadecimal digits.
    pub fn from_hex(hex: &str) -> Option<StoreKey> {
        let hex = hex.trim().as_bytes();
        if hex.len() != 64 {
            return None;
        }
        let mut key = Zeroizing::new([0u8; 32]);
        for (byte, pair) in key.iter_mut().zip(hex.chunks(2)) {
            let text = std::str::from_utf8(pair).ok()?;
            *byte = u8::from_str_radix(text, 16).ok()?;
        }
        Some(StoreKey::Raw(key))
    }

    /// The raw key as 64 hexadecimal digits; `None` for a passphrase.
    pub fn to_hex(&self) -> Option<Zeroizing<String>> {
        let StoreKey::Raw(key) = self else {
            return None;
        };
        let mut hex = Zeroizing::new(String::with_capacity(64));
        for byte in key.iter() {
            hex.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
            hex.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
        }
        Some(hex)
    }

    /// A passphrase; refuses one too short to protect anything.
    pub fn passphrase(text: &str) -> Result<StoreKey> {
        if text.chars().count() < MIN_PASSPHRASE {
            return Err(Error::WeakPassphrase {
                min: MIN_PASSPHRASE,
            });
        }
        Ok(StoreKey::Passphrase(Zeroizing::new(text.to_string())))
    }

    /// The text SQLCipher takes as `PRAGMA key`: `x'…'` marks a raw key.
    fn pragma_value(&self) -> Zeroizing<String> {
        match self {
            StoreKey::Raw(_) => {
                let hex = self.to_hex().unwrap_or_default();
                Zeroizing::new(format!("x'{}'", hex.as_str()))
            }
            StoreKey::Passphrase(text) => text.clone(),
        }
    }
}

/// The shortest passphrase accepted.
pub const MIN_PASSPHRASE: usize = 8;

/// Whether the store file at `path` is encrypted: `None` when there is no file (or an empty
/// one, which SQLite treats as new).
pub fn is_encrypted(path: &Path) -> Result<Option<bool>> {
    let mut header = [0u8; 16];
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..])? {
            0 => break,
            n => read += n,
        }
    }
    Ok(match read {
        0 => None,
        _ => Some(&header[..read] != PLAIN_HEADER.as_slice()),
    })
}

/// Opens the store file at `path` with `key`, encrypting a plain file in place first.
pub(super) fn open_keyed(path: &Path, key: &StoreKey) -> Result<Connection> {
    if is_encrypted(path)? == Some(false) {
        encrypt_in_place(path, key)?;
    }
    let conn = Connection::open(path)?;
    apply_key(&conn, key)?;
    // SQLCipher reads the first page only when asked for something: ask now, so that a
    // wrong key is told apart from everything that could go wrong later.
    match conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(conn),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            Err(Error::WrongKey {
                path: path.display().to_string(),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Keys a fresh connection.
fn apply_key(conn: &Connection, key: &StoreKey) -> Result<()> {
    require_sqlcipher(conn)?;
    conn.pragma_update(None, "key", key.pragma_value().as_str())?;
    Ok(())
}

/// Turns a plain store file into an encrypted one: the whole database is exported into a
/// new encrypted file beside it, which then replaces the plain one in one rename. A crash
/// before the rename leaves the plain file as it was, and the next start does it again.
fn encrypt_in_place(path: &Path, key: &StoreKey) -> Result<()> {
    let encrypted = sibling(path, "encrypting");
    remove_if_present(&encrypted)?;
    {
        let conn = Connection::open(path)?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        require_sqlcipher(&conn)?;
        conn.execute(
            "ATTACH DATABASE ?1 AS encrypted KEY ?2",
            rusqlite::params![encrypted.display().to_string(), key.pragma_value().as_str()],
        )?;
        conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        conn.execute_batch(&format!("PRAGMA encrypted.user_version = {version}"))?;
        conn.execute_batch("DETACH DATABASE encrypted")?;
    }
    File::open(&encrypted)?.sync_all()?;
    std::fs::rename(&encrypted, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)?.sync_all()?;
    }
    // The plain file's log was emptied by the checkpoint; its index goes with it.
    remove_if_present(&sibling(path, "wal"))?;
    remove_if_present(&sibling(path, "shm"))?;
    // The plain file's blocks are freed, not overwritten: on flash storage no program
    // can promise more (the README says so).
    Ok(())
}

/// Refuses a SQLite built without SQLCipher, which would ignore a key and write plain
/// text.
fn require_sqlcipher(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA cipher_version", [], |r| r.get::<_, String>(0))
        .map(|_| ())
        .map_err(|_| Error::NoEncryption)
}

/// `store.sqlite3` → `store.sqlite3-<suffix>`, the way SQLite names its side files.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push("-");
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}
