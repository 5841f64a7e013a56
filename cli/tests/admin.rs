//! The coordinator's administration, scripted with `lagesbild admin` against the
//! server from the coordinator's enrolled store.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use lagesbild_core::sync::wire::People;
use lagesbild_tests::{Backend, Device, Scenario};

fn lagesbild(store: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_lagesbild"))
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

async fn the_coordinator_scripts_codes_revocation_and_the_audit_log(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Scenario { server, codes, .. } = Scenario::on(backend).named("Skript").start().await;
    let store = dir.path().join("samordnare");
    lagesbild(
        &store,
        &[
            "enroll",
            &server.url(),
            &codes[0],
            "--device-name",
            "skriptet",
        ],
    );

    let people: People =
        serde_json::from_slice(&lagesbild(&store, &["admin", "people", "--json"]).stdout).unwrap();
    let jonas = people
        .people
        .iter()
        .find(|p| p.name == "Jonas Berg")
        .unwrap()
        .user;
    let issued = lagesbild(
        &store,
        &[
            "admin",
            "issue-code",
            &jonas.to_string(),
            "--ttl-minutes",
            "15",
        ],
    );
    let code = String::from_utf8(issued.stdout)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let phone = Device::enroll(&server.url(), &code, "jonas telefon").await;

    let people: People =
        serde_json::from_slice(&lagesbild(&store, &["admin", "people", "--json"]).stdout).unwrap();
    let device = people
        .people
        .iter()
        .find(|p| p.user == jonas)
        .unwrap()
        .devices[0]
        .id;
    lagesbild(&store, &["admin", "revoke", &device.to_string()]);
    let status = phone.sync().await;
    assert!(
        matches!(
            status.connection,
            lagesbild_core::sync::engine::Connection::Revoked { .. }
        ),
        "{status:?}"
    );

    let add = r#"{"op": "add_organisation", "name": "Vakt Syd", "kind": "vaktbolag"}"#;
    lagesbild(&store, &["admin", "apply", add]);
    let listing = String::from_utf8(lagesbild(&store, &["admin", "people"]).stdout).unwrap();
    assert!(
        listing.contains("Jonas Berg") && listing.contains("revoked"),
        "{listing}"
    );

    let audit = String::from_utf8(lagesbild(&store, &["admin", "audit"]).stdout).unwrap();
    for action in [
        "enrolment.code",
        "enrolment",
        "device.revoke",
        "organisation.add",
    ] {
        assert!(
            audit.lines().any(|l| l.contains(&format!(",{action},"))),
            "{action} in\n{audit}"
        );
    }
}

lagesbild_tests::on_both_backends!(
    async the_coordinator_scripts_codes_revocation_and_the_audit_log,
);
