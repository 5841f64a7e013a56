//! The command line's store is encrypted with a key kept in the platform's key store (the
//! test command runs a real GNOME keyring on a session bus of its own); with no key store
//! and no key given it refuses rather than write plain text.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use lagesbild_core::store::{STORE_FILE, is_encrypted};

const CANARY: &str = "Kanariefågel-C9L3 vid pendelparkeringen";

fn lagesbild(store: &Path, args: &[&str], env: &[(&str, &str)], remove: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lagesbild"));
    command
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("LAGESBILD_STORE_KEY")
        .env_remove("LAGESBILD_STORE_PASSPHRASE");
    for name in remove {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

/// `lagesbild init` of a field worker's store.
fn init(store: &Path, env: &[(&str, &str)], remove: &[&str]) -> Output {
    lagesbild(
        store,
        &[
            "init",
            "--name",
            "Jonas Berg",
            "--organisation",
            "Fältgruppen",
            "--role",
            "fritidsfaltare",
        ],
        env,
        remove,
    )
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn holds(dir: &Path, needle: &str) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let bytes = std::fs::read(e.unwrap().path()).unwrap_or_default();
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
    })
}

#[test]
fn the_store_is_encrypted_with_a_key_from_the_key_store_and_locked_without_one() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "the test command runs a key store (scripts/lib.sh ensure_keyring)"
    );
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path();
    ok(init(store, &[], &[]));
    ok(lagesbild(
        store,
        &[
            "places",
            "add",
            "Pendelparkeringen",
            "--lat",
            "59.19",
            "--lon",
            "17.75",
        ],
        &[],
        &[],
    ));
    ok(lagesbild(
        store,
        &[
            "record",
            "-p",
            "Pendelparkeringen",
            "-c",
            "klotter",
            "-g",
            "2",
            "-d",
            CANARY,
        ],
        &[],
        &[],
    ));
    assert_eq!(is_encrypted(&store.join(STORE_FILE)).unwrap(), Some(true));
    assert!(!holds(store, CANARY), "no file of the store shows the text");
    let listed = ok(lagesbild(store, &["list", "--json"], &[], &[]));
    assert!(listed.contains(CANARY), "it reads back with the kept key");

    // No key store: refused, saying how to give a key; nothing is opened in plain text.
    let locked = lagesbild(store, &["list"], &[], &["DBUS_SESSION_BUS_ADDRESS"]);
    assert!(!locked.status.success());
    let message = String::from_utf8_lossy(&locked.stderr);
    assert!(
        message.contains("no key store is available") && message.contains("LAGESBILD_STORE_KEY"),
        "{message}"
    );
    let fresh = dir.path().join("fresh");
    let refused = lagesbild(&fresh, &["init"], &[], &["DBUS_SESSION_BUS_ADDRESS"]);
    assert!(!refused.status.success());
    assert!(!fresh.join(STORE_FILE).exists(), "no plain store was made");

    // A wrong key is refused as such.
    let wrong = lagesbild(
        store,
        &["list"],
        &[("LAGESBILD_STORE_KEY", &"00".repeat(32))],
        &[],
    );
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("does not open with this key"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
}

#[test]
fn a_passphrase_store_needs_no_key_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path();
    let pass = [("LAGESBILD_STORE_PASSPHRASE", "en lång lösenfras")];
    let none = ["DBUS_SESSION_BUS_ADDRESS"];
    ok(init(store, &pass, &none));
    assert_eq!(is_encrypted(&store.join(STORE_FILE)).unwrap(), Some(true));
    ok(lagesbild(store, &["places"], &pass, &none));
    let wrong = lagesbild(
        store,
        &["places"],
        &[("LAGESBILD_STORE_PASSPHRASE", "en annan lösenfras")],
        &none,
    );
    assert!(!wrong.status.success());
}
