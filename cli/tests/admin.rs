//! The coordinator's administration, scripted with `lagesbild admin` against the
//! server from the coordinator's enrolled store.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use lagesbild_core::sync::wire::People;
use lagesbild_tests::{Backend, Scenario};

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

    // A code that is not (or no longer) valid: said so, and what to do.
    for (lang, says) in [
        ("sv", "Koden godtogs inte"),
        ("en", "The code was not accepted"),
    ] {
        let refused = Command::new(env!("CARGO_BIN_EXE_lagesbild"))
            .args(["--lang", lang, "--store"])
            .arg(dir.path().join(format!("fel-kod-{lang}")))
            .args(["enroll", &server.url(), "AAAA-BBBB-CCCC"])
            .output()
            .unwrap();
        assert!(!refused.status.success());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(says), "{stderr}");
    }

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
    let phone = dir.path().join("jonas");
    lagesbild(
        &phone,
        &[
            "enroll",
            &server.url(),
            &code,
            "--device-name",
            "jonas telefon",
        ],
    );

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
    // The revoked phone is told what happened and what to do, in Swedish or English.
    for (lang, says) in [
        ("sv", "Den här enheten är spärrad"),
        ("en", "This device has been revoked"),
    ] {
        let refused = Command::new(env!("CARGO_BIN_EXE_lagesbild"))
            .args(["--lang", lang, "--store"])
            .arg(&phone)
            .arg("sync")
            .output()
            .unwrap();
        assert!(!refused.status.success());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(says), "{stderr}");
        assert!(
            stderr.contains("lagesbild enroll"),
            "says what to do: {stderr}"
        );
    }

    // A person the coordinator deactivates: their device is told so, and what to do.
    let guard = dir.path().join("vakten");
    lagesbild(
        &guard,
        &[
            "enroll",
            &server.url(),
            &codes[2],
            "--device-name",
            "vaktens telefon",
        ],
    );
    let people: People =
        serde_json::from_slice(&lagesbild(&store, &["admin", "people", "--json"]).stdout).unwrap();
    let user = people
        .people
        .iter()
        .find(|p| p.devices.iter().any(|d| d.name == "vaktens telefon"))
        .unwrap()
        .user;
    lagesbild(
        &store,
        &[
            "admin",
            "apply",
            &format!(r#"{{"op": "deactivate", "user": "{user}"}}"#),
        ],
    );
    let refused = Command::new(env!("CARGO_BIN_EXE_lagesbild"))
        .arg("--store")
        .arg(&guard)
        .arg("sync")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("Ditt konto är avaktiverat"), "{stderr}");
    assert!(stderr.contains("Tala med samordnaren"), "{stderr}");

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
    // Each detail as the server keeps it, and said in Swedish in the last column.
    assert!(
        audit.lines().any(|l| l.contains(",organisation.add,")
            && l.ends_with(",Ny organisation: Vakt Syd (vaktbolag)")),
        "{audit}"
    );
}

lagesbild_tests::on_both_backends!(
    async the_coordinator_scripts_codes_revocation_and_the_audit_log,
);
