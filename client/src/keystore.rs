//! Where a device's store key comes from, for the app and the command line alike.
//!
//! In order: a raw key in `LAGESBILD_STORE_KEY` (64 hex digits; for scripts and servers
//! that hold secrets elsewhere), a passphrase in `LAGESBILD_STORE_PASSPHRASE`, a
//! passphrase typed by the person (the app asks when there is no key store), and
//! otherwise a random key kept in the platform's key store: Secret Service on Linux,
//! Keychain on macOS and iOS, Credential Manager on Windows, the Android Keystore on
//! Android. With none of these the store is not opened: never in plain text.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use keyring_core::{Entry, Error as KeyringError};
use lagesbild_core::store::{StoreKey, is_encrypted};
use lagesbild_core::{Error as CoreError, Store};

/// A raw store key, 64 hex digits.
pub const KEY_ENV: &str = "LAGESBILD_STORE_KEY";
/// A passphrase for the store.
pub const PASSPHRASE_ENV: &str = "LAGESBILD_STORE_PASSPHRASE";
/// The key store's name for Lägesbild's entries (the app's identifier).
const SERVICE: &str = "se.lagesbild.app";

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// No key is at hand: the person must type a passphrase (the app asks), or the
    /// caller must give a key. `exists` tells whether there is a store to unlock or one
    /// to create.
    #[error(
        "the store at {path} is encrypted and no key is at hand: {reason}. Give its key in {KEY_ENV} or a passphrase in {PASSPHRASE_ENV}"
    )]
    Locked {
        path: String,
        exists: bool,
        /// Why, in kind: what the person can do about it differs.
        missing: Missing,
        reason: String,
    },
    #[error("{KEY_ENV} must be 64 hexadecimal digits")]
    BadKey,
    #[error(transparent)]
    Store(#[from] CoreError),
}

/// Why the key store gave no key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// There is no key store on this device, or it cannot be reached.
    NoKeyStore,
    /// There is one, but it is locked: whoever uses the device has not unlocked it (or
    /// declined to), and unlocking it is all it takes.
    KeyStoreLocked,
    /// The key store holds no key for this store: it is protected by a passphrase.
    NoKey,
    /// The key store holds a damaged key, or did not keep a new one.
    Damaged,
}

/// How to unlock a store when the environment names no key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlock<'a> {
    /// The platform's key store, creating a key for a new or plain store.
    KeyStore,
    /// A passphrase typed by the person.
    Passphrase(&'a str),
}

/// Opens the device store at `path`, encrypted, with the key the environment names or
/// else as `unlock` says.
pub fn open_store(path: &Path, unlock: Unlock<'_>) -> Result<Store, OpenError> {
    let key = match environment_key()? {
        Some(key) => key,
        None => match unlock {
            Unlock::Passphrase(text) => StoreKey::passphrase(text)?,
            Unlock::KeyStore => key_store_key(path)?,
        },
    };
    Ok(Store::open(path, &key)?)
}

fn environment_key() -> Result<Option<StoreKey>, OpenError> {
    if let Some(hex) = std::env::var_os(KEY_ENV) {
        let hex = hex.to_str().ok_or(OpenError::BadKey)?;
        return StoreKey::from_hex(hex).map(Some).ok_or(OpenError::BadKey);
    }
    if let Some(text) = std::env::var_os(PASSPHRASE_ENV) {
        let text = text.to_string_lossy();
        return Ok(Some(StoreKey::passphrase(&text)?));
    }
    Ok(None)
}

/// The key of the store at `path` from the key store. A store that is new, or still
/// plain, gets a new random key, kept in the key store before it is used.
fn key_store_key(path: &Path) -> Result<StoreKey, OpenError> {
    let exists = is_encrypted(path)?;
    let locked = |missing: Missing, reason: String| OpenError::Locked {
        path: path.display().to_string(),
        exists: exists == Some(true),
        missing,
        reason,
    };
    // A locked key store refuses access (the secret service's unlock prompt was
    // dismissed, or there is no one to answer it): say so, and what to do.
    let refused = |e: &KeyringError, doing: &str| match e {
        KeyringError::NoStorageAccess(_) => locked(
            Missing::KeyStoreLocked,
            format!(
                "the key store is locked ({e}): unlock it (log in again, or unlock the login keyring in the system's passwords and keys) and try again"
            ),
        ),
        _ => locked(
            Missing::NoKeyStore,
            format!("the key store did not {doing} ({e})"),
        ),
    };
    let entry = entry(path).map_err(|e| {
        locked(
            Missing::NoKeyStore,
            format!("no key store is available ({e})"),
        )
    })?;
    match entry.get_secret() {
        Ok(secret) => {
            let hex = String::from_utf8(secret).unwrap_or_default();
            StoreKey::from_hex(&hex).ok_or_else(|| {
                locked(
                    Missing::Damaged,
                    "the key store holds a damaged key for it".to_string(),
                )
            })
        }
        Err(KeyringError::NoEntry) if exists == Some(true) => Err(locked(
            Missing::NoKey,
            "the key store holds no key for it (it may be protected by a passphrase)".to_string(),
        )),
        Err(KeyringError::NoEntry) => {
            let key = StoreKey::random()?;
            let hex = key.to_hex().unwrap_or_default();
            entry
                .set_secret(hex.as_bytes())
                .map_err(|e| refused(&e, "keep a new key"))?;
            // Read it back: a store encrypted with a key that was not kept is lost.
            match entry.get_secret() {
                Ok(kept) if kept == hex.as_bytes() => Ok(key),
                _ => Err(locked(
                    Missing::Damaged,
                    "the key store did not give back the key it was given".to_string(),
                )),
            }
        }
        Err(e) => Err(refused(&e, "answer")),
    }
}

/// Whether the platform's key store is set up (and how that went): once per process,
/// unless `reconnect_key_store` asks for it again.
static STORE: Mutex<Option<Result<(), String>>> = Mutex::new(None);

/// Connects to the platform's key store anew at the next opening: a key store that was
/// restarted (logging out and in) does not know the old connection's session.
pub fn reconnect_key_store() {
    *STORE.lock().unwrap_or_else(PoisonError::into_inner) = None;
}

/// The key store's entry for the store at `path`, named by its absolute path.
fn entry(path: &Path) -> Result<Entry, String> {
    STORE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_or_insert_with(|| platform_store().map_err(|e| e.to_string()))
        .clone()?;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| PathBuf::from(path));
    Entry::new(SERVICE, &absolute.display().to_string()).map_err(|e| e.to_string())
}

/// Sets the platform's key store up, once per process.
fn platform_store() -> Result<(), KeyringError> {
    #[cfg(all(target_os = "linux", not(target_os = "android")))]
    keyring_core::set_default_store(zbus_secret_service_keyring_store::Store::new()?);
    #[cfg(target_os = "macos")]
    keyring_core::set_default_store(apple_native_keyring_store::keychain::Store::new()?);
    #[cfg(target_os = "ios")]
    keyring_core::set_default_store(apple_native_keyring_store::protected::Store::new()?);
    #[cfg(target_os = "windows")]
    keyring_core::set_default_store(windows_native_keyring_store::Store::new()?);
    #[cfg(target_os = "android")]
    keyring_core::set_default_store(android_native_keyring_store::Store::new()?);
    Ok(())
}
