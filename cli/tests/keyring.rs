//! The command line when the key store will not give the store's key: a locked key
//! store is named as locked, with what to do, and works again once unlocked.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

use lagesbild_tests::keyring::PrivateKeyring;

#[test]
fn a_locked_key_store_is_called_locked_and_says_what_to_do() {
    let mut keyring = PrivateKeyring::start();
    let bus = keyring.address.clone();
    let store = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| -> Output {
        Command::new(env!("CARGO_BIN_EXE_lagesbild"))
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .env_remove("LAGESBILD_STORE_KEY")
            .env_remove("LAGESBILD_STORE_PASSPHRASE")
            .arg("--store")
            .arg(store.path())
            .args(args)
            .output()
            .unwrap()
    };
    let made = run(&[
        "init",
        "--name",
        "Samira Lind",
        "--organisation",
        "Salems kommun",
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(run(&["list"]).status.success());

    keyring.lock();
    let refused = run(&["list"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("the key store is locked"), "{said}");
    assert!(said.contains("unlock it"), "says what to do: {said}");

    keyring.unlock();
    let again = run(&["list"]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}
