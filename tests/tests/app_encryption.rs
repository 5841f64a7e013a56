//! The app's store is encrypted, through the real app: a report and a note written in it
//! are found in no file of the device while the app shows them, with the key in the
//! platform's key store (a real GNOME keyring, started by the test command); and on a
//! device with no key store the app asks for a passphrase, refuses a wrong one, and never
//! writes a plain store.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use lagesbild_core::store::{STORE_FILE, is_encrypted};
use lagesbild_tests::app::{App, Demo, Person};

const CANARY_REPORT: &str = "Kanariefågel-A5M1 bakom ishallen";
const CANARY_NOTE: &str = "Kanariefågel-B8T6 uppföljt";

/// Every file under `dir` (the store, its log and index, the web view's storage) that
/// holds `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if std::fs::read(&path)
                .unwrap_or_default()
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
            {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

/// The files of the app's data directory, for the failure message.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Writes the canaries through the screens: a report with a description, and a note on it.
async fn report_with_note(app: &App) {
    app.record("Salemhallen", "Skadegörelse", 3, Some(CANARY_REPORT))
        .await;
    app.click("[data-testid=tab-mine]").await;
    app.click("[data-testid=my-report]").await;
    app.type_into("[data-testid=note]", CANARY_NOTE).await;
    app.click("[data-testid=add-note]").await;
    app.wait_for_text("[data-testid=detail]", |t| t.contains(CANARY_NOTE))
        .await;
}

lagesbild_tests::app_test! {
async fn what_the_app_stores_is_in_no_file_while_the_app_reads_it() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "the test command runs a key store (scripts/lib.sh ensure_keyring)"
    );
    let demo = Demo::start("Krypterad", 0).await;
    let app = demo.app(Person::FieldWorker).open().await;
    let data = app.data.clone();
    report_with_note(&app).await;

    // The app is running and holds the store open: its log and index are there too.
    assert_eq!(is_encrypted(&data.join(STORE_FILE)).unwrap(), Some(true));
    for canary in [CANARY_REPORT, CANARY_NOTE] {
        assert_eq!(
            files_holding(&data, canary),
            Vec::<String>::new(),
            "{canary} is readable in the device's files ({:?})",
            listing(&data)
        );
    }
    // And the app still reads both.
    let detail = app
        .wait_for_text("[data-testid=detail]", |t| t.contains(CANARY_NOTE))
        .await;
    assert!(detail.contains(CANARY_REPORT), "{detail}");
    app.quit().await;
}
}

lagesbild_tests::app_test! {
async fn without_a_key_store_the_app_asks_for_a_passphrase_and_refuses_a_wrong_one() {
    let demo = Demo::start("Lösenfras", 0).await;
    // A session bus that is not there: no key store on this device. The app asks for a
    // passphrase before it enrols.
    let no_bus = format!("unix:path={}", demo.path("no-bus").display());
    let app = demo
        .app(Person::FieldWorker)
        .env("DBUS_SESSION_BUS_ADDRESS", no_bus.clone())
        .no_wait_for_sync()
        .open()
        .await;
    let data = app.data.clone();
    app.wait_for_text("h2", |t| t == "Skydda rapporterna med en lösenfras")
        .await;
    assert!(
        !data.join(STORE_FILE).exists(),
        "no store is written before there is a key"
    );
    app.type_into("[data-testid=passphrase]", "vår långa lösenfras")
        .await;
    app.type_into("[data-testid=passphrase-again]", "vår långa lösenfraz")
        .await;
    app.click("[data-testid=unlock]").await;
    app.wait_for_text("[data-testid=unlock-error]", |t| {
        t == "Lösenfraserna är inte lika."
    })
    .await;
    app.type_into("[data-testid=passphrase-again]", "vår långa lösenfras")
        .await;
    app.click("[data-testid=unlock]").await;
    // Unlocked, the app enrols as it was told to and works as usual.
    app.wait_for_text("[data-testid=sync-state]", |t| t.starts_with("Synkad"))
        .await;
    report_with_note(&app).await;
    assert_eq!(is_encrypted(&data.join(STORE_FILE)).unwrap(), Some(true));
    assert_eq!(files_holding(&data, CANARY_REPORT), Vec::<String>::new());
    app.quit().await;

    // Started again: the store exists, so the app asks to unlock it.
    let app = demo
        .app(Person::FieldWorker)
        .env("DBUS_SESSION_BUS_ADDRESS", no_bus)
        .no_wait_for_sync()
        .open()
        .await;
    app.wait_for_text("h2", |t| t == "Lås upp Lägesbild").await;
    app.type_into("[data-testid=passphrase]", "fel lösenfras!!")
        .await;
    app.click("[data-testid=unlock]").await;
    app.wait_for_text("[data-testid=unlock-error]", |t| t == "Fel lösenfras.")
        .await;
    app.type_into("[data-testid=passphrase]", "vår långa lösenfras")
        .await;
    app.click("[data-testid=unlock]").await;
    app.click("[data-testid=tab-mine]").await;
    app.click("[data-testid=my-report]").await;
    let detail = app
        .wait_for_text("[data-testid=detail]", |t| t.contains(CANARY_NOTE))
        .await;
    assert!(detail.contains(CANARY_REPORT), "{detail}");
    app.quit().await;
}
}

lagesbild_tests::app_test! {
async fn a_locked_key_store_is_called_locked_and_tried_again_once_unlocked() {
    let demo = Demo::start("Nyckelring", 0).await;
    // The device's own keyring: this test locks it.
    let mut keyring = lagesbild_tests::keyring::PrivateKeyring::start();
    let app = demo
        .app(Person::FieldWorker)
        .env("DBUS_SESSION_BUS_ADDRESS", keyring.address.clone())
        .open()
        .await;
    report_with_note(&app).await;
    app.quit().await;

    // Locked (a screen lock, a timeout): the app says so and what to do, not only asks
    // for a passphrase.
    keyring.lock();
    let app = demo
        .app(Person::FieldWorker)
        .env("DBUS_SESSION_BUS_ADDRESS", keyring.address.clone())
        .no_wait_for_sync()
        .size((390, 844))
        .open()
        .await;
    let said = app
        .wait_for_text("[data-testid=key-store-locked]", |t| {
            t.contains("Nyckelringen är låst")
        })
        .await;
    assert!(said.contains("Försök igen"), "{said}");
    app.screenshot("key-store-locked", (390, 844)).await;
    app.assert_fits("the locked key store").await;
    app.click("[data-testid=retry-key-store]").await;
    app.wait_for_text("[data-testid=unlock-error]", |t| {
        t.contains("fortfarande låst")
    })
    .await;
    // Unlocked (here by logging in again: the key store restarted), one tap more opens
    // the reports.
    keyring.unlock();
    app.click("[data-testid=retry-key-store]").await;
    app.wait_for_text("[data-testid=sync-state]", |t| t.starts_with("Synkad"))
        .await;
    app.click("[data-testid=tab-mine]").await;
    app.click("[data-testid=my-report]").await;
    app.wait_for_text("[data-testid=detail]", |t| t.contains(CANARY_NOTE))
        .await;
    app.quit().await;
}
}
