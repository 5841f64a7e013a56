//! Where the command line's store is and how it is opened: one place for every command
//! (the store's key comes from the environment or the platform's key store).

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use lagesbild_core::Store;
use lagesbild_core::store::STORE_FILE;

/// Where the store lives when `--store` is not given: the user's data directory.
pub(crate) fn default_dir() -> PathBuf {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("lagesbild")
}

pub(crate) fn open(dir: &Path) -> Result<Store> {
    let path = dir.join(STORE_FILE);
    if !path.exists() {
        bail!(
            "there is no store in {}; create one with `lagesbild init`",
            dir.display()
        );
    }
    open_path(&path)
}

/// Opens (creating) the encrypted store file at `path`, with the key the environment
/// names or the one in the platform's key store.
pub(crate) fn open_path(path: &Path) -> Result<Store> {
    Ok(lagesbild_client::keystore::open_store(
        path,
        lagesbild_client::keystore::Unlock::KeyStore,
    )?)
}
