//! The coordinator administers from the app, with no terminal: adds a guard, shows an
//! enrolment code as a QR code that a second app enrols with (read off the screenshot by
//! a QR decoder, as a phone's camera would), deactivates and reactivates the guard,
//! switches the guard's device off, and reads and exports the audit log. The guard's app
//! says in Swedish why its reports stay on the device.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use lagesbild_core::Timestamp;
use lagesbild_core::sync::link::EnrolmentLink;
use lagesbild_core::sync::wire::EnrollRequest;
use lagesbild_tests::app::{Demo, Person, read_qr_codes};
use lagesbild_tests::{TestServer, now};

fn stored(server: &TestServer) -> usize {
    server.observations().len()
}

/// Waits until the server holds `n` reports.
async fn until_stored(server: &TestServer, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while stored(server) < n {
        assert!(
            Instant::now() < deadline,
            "the server holds {} reports, not {n}",
            stored(server)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Each entry of the audit log on screen: its action and its detail as shown.
async fn detail_texts(app: &lagesbild_tests::app::App) -> Vec<(String, String)> {
    let found = app
        .evaluate(
            "return [...document.querySelectorAll('[data-testid=audit-entry]')]
                .map((row) => [row.dataset.action, row.querySelector('.detail').textContent]);",
        )
        .await;
    serde_json::from_value(found).unwrap()
}

lagesbild_tests::app_test! {
async fn the_coordinator_enrols_a_guard_by_qr_code_and_switches_the_device_off() {
    let demo = Demo::start("E2E", 0).await;
    let server = &demo.server;
    let coordinator = demo
        .app(Person::Coordinator)
        .env(
            "LAGESBILD_EXPORT_DIR",
            demo.path("exports").display().to_string(),
        )
        .open()
        .await;

    // A new guard at one of the security companies.
    coordinator.click("[data-testid=tab-admin]").await;
    coordinator.click("[data-testid=add-person-open]").await;
    coordinator
        .type_into("[data-testid=new-person-name]", "Vera Vakt")
        .await;
    coordinator
        .select(
            "[data-testid=new-person-organisation]",
            "Centrumvakterna AB",
        )
        .await;
    coordinator
        .select("[data-testid=new-person-role]", "Väktare")
        .await;
    coordinator.click("[data-testid=add-person]").await;
    coordinator
        .wait_for_text("[data-testid=admin-done]", |t| t.contains("tillagd"))
        .await;

    // A first code, withdrawn before use: it enrols nothing.
    let vera = "[data-testid=person][data-name='Vera Vakt']";
    coordinator
        .click(&format!("{vera} [data-testid=issue-code]"))
        .await;
    let withdrawn = coordinator
        .wait_for_text("[data-testid=typed-code]", |t| !t.is_empty())
        .await;
    coordinator.click("[data-testid=withdraw-code]").await;
    coordinator
        .wait_for_text("[data-testid=admin-done]", |t| t.contains("återkallad"))
        .await;
    let refused = reqwest::Client::new()
        .post(format!("{}/v1/enroll", server.url()))
        .json(&EnrollRequest {
            code: withdrawn,
            device_name: "Stulen".into(),
            actor: uuid::Uuid::now_v7().simple().to_string(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401, "a withdrawn code enrols nothing");

    // The code on screen: a QR code, the typed code, the server and the expiry, an hour
    // (the form's default) after the code was issued, in Swedish time to the minute.
    let issued = now();
    coordinator
        .click(&format!("{vera} [data-testid=issue-code]"))
        .await;
    coordinator.wait_for("[data-testid=qr-code]").await;
    let typed = coordinator
        .wait_for_text("[data-testid=typed-code]", |t| !t.is_empty())
        .await;
    let expires = coordinator
        .wait_for_text("[data-testid=code-expires]", |t| !t.is_empty())
        .await;
    let in_an_hour =
        |t: Timestamp| Timestamp::from(t.0 + chrono::Duration::hours(1)).local_display();
    assert!(
        (in_an_hour(issued)..=in_an_hour(now())).contains(&expires),
        "the code expires an hour after {}: {expires}",
        issued.local_display()
    );
    let shot = coordinator.screenshot("admin-code", (820, 1180)).await;
    let read = read_qr_codes(&shot);
    assert_eq!(read.len(), 1, "one QR code on screen: {read:?}");
    let link = EnrolmentLink::parse(&read[0])
        .unwrap_or_else(|| panic!("the QR code holds an enrolment link: {}", read[0]));
    assert_eq!(link.code, typed, "the QR code carries the code shown");
    assert_eq!(link.server, server.url());
    // The link itself is for machines: behind "Kopiera länk", not printed on the card.
    let card = coordinator
        .wait_for_text("[data-testid=enrolment-code]", |t| !t.is_empty())
        .await;
    assert!(!card.contains(&read[0]), "the raw link is shown: {card}");
    assert!(card.contains("Skanna QR-kod"), "says what a phone does: {card}");
    coordinator.click("[data-testid=copy-link]").await;
    let copied = coordinator
        .wait_for_text("[data-testid=link-copied]", |t| !t.is_empty())
        .await;
    assert!(
        copied.starts_with("Länken är kopierad") || copied.starts_with("Länken gick inte"),
        "{copied}"
    );

    // The guard's phone enrols with what its camera read; the form's examples say
    // they are examples.
    let enrolled = now();
    let guard = demo.new_app("guard").await;
    let example = guard.attribute("[data-testid=code]", "placeholder").await;
    assert!(example.starts_with("t.ex. "), "{example}");
    guard.paste("[data-testid=code]", &read[0]).await;
    assert_eq!(guard.value("[data-testid=server]").await, server.url());
    guard
        .type_into("[data-testid=device-name]", "Veras telefon")
        .await;
    guard.click("[data-testid=enrol]").await;
    guard
        .wait_for_text("[data-testid=sync-state]", |t| t.starts_with("Synkad"))
        .await;
    assert_eq!(
        guard.count("[data-testid=tab-admin]").await,
        0,
        "administration is the coordinator's alone"
    );
    let before = stored(server);
    guard
        .record("Rönninge station", "Ordningsstörning", 3, None)
        .await;
    until_stored(server, before + 1).await;

    // The coordinator sees the phone once the code is put away: when it was enrolled,
    // when it was last seen (it has reported since) and its app's version.
    coordinator.click("[data-testid=close-code]").await;
    let phone = format!("{vera} [data-testid=device][data-name='Veras telefon']");
    let seen = coordinator
        .wait_for_text(&format!("{phone} .detail"), |t| !t.is_empty())
        .await;
    let (from, until) = (enrolled.local_display(), now().local_display());
    let parts: Vec<&str> = seen.split(" · ").collect();
    assert_eq!(parts.len(), 3, "{seen}");
    for (part, label) in [(parts[0], "ansluten "), (parts[1], "senast sedd ")] {
        let when = part
            .strip_prefix(label)
            .unwrap_or_else(|| panic!("{label:?} in {seen:?}"));
        assert!(
            (from.as_str()..=until.as_str()).contains(&when),
            "{label}{when} is not between {from} and {until}: {seen}"
        );
    }
    assert_eq!(
        parts[2],
        format!("v{}", env!("CARGO_PKG_VERSION")),
        "{seen}"
    );

    // Deactivated: the guard's app says so, in Swedish; reactivated, it syncs again.
    coordinator
        .click(&format!("{vera} [data-testid=deactivate]"))
        .await;
    coordinator
        .click(&format!("{vera} [data-testid=confirm-deactivate]"))
        .await;
    coordinator
        .wait_for(&format!("{vera} [data-testid=deactivated]"))
        .await;
    guard.click("[data-testid=sync-now]").await;
    guard
        .wait_for_text("[data-testid=deactivated]", |t| {
            t.contains("avaktiverat dig")
        })
        .await;
    coordinator
        .click(&format!("{vera} [data-testid=reactivate]"))
        .await;
    coordinator
        .wait_for_text("[data-testid=admin-done]", |t| t.contains("igen"))
        .await;
    guard.click("[data-testid=sync-now]").await;
    guard
        .wait_for_text("[data-testid=sync-state]", |t| t.starts_with("Synkad"))
        .await;

    // Switched off: at once, everywhere. The guard's next report stays on the phone.
    coordinator
        .click(&format!("{phone} [data-testid=revoke]"))
        .await;
    coordinator
        .click(&format!("{phone} [data-testid=confirm-revoke]"))
        .await;
    coordinator
        .wait_for(&format!("{phone} [data-testid=device-revoked]"))
        .await;
    guard
        .record("Rönninge centrum", "Ordningsstörning", 4, None)
        .await;
    guard.click("[data-testid=sync-now]").await;
    let why = guard
        .wait_for_text("[data-testid=revoked]", |t| t.contains("stängt av"))
        .await;
    assert!(why.contains("finns kvar här"), "{why}");
    // The app says so once the server has refused it: no push of it is still on the way.
    guard
        .wait_for_text("[data-testid=waiting]", |t| t.starts_with("1 "))
        .await;
    assert_eq!(stored(server), before + 1, "the report is never stored");
    // A new partner organisation, renamed.
    coordinator.click("[data-testid=admin-organisations]").await;
    coordinator
        .type_into("[data-testid=new-organisation-name]", "Trygghetsvärdarna")
        .await;
    coordinator
        .select("[data-testid=new-organisation-kind]", "Vaktbolag")
        .await;
    coordinator.click("[data-testid=add-organisation]").await;
    coordinator
        .click("[data-testid=organisation][data-name='Trygghetsvärdarna'] [data-testid=rename-organisation]")
        .await;
    coordinator
        .type_into(
            "[data-testid=organisation-new-name]",
            "Trygghetsvärdarna i Salem",
        )
        .await;
    coordinator
        .click("[data-testid=save-organisation-name]")
        .await;
    coordinator
        .wait_for("[data-testid=organisation][data-name='Trygghetsvärdarna i Salem']")
        .await;

    // The audit log: read in the app, exported as the server's CSV.
    coordinator.click("[data-testid=admin-log]").await;
    for action in [
        "organisation.add",
        "organisation.rename",
        "person.add",
        "enrolment.code",
        "enrolment.withdraw",
        "enrolment",
        "person.deactivate",
        "person.reactivate",
        "device.revoke",
    ] {
        coordinator
            .wait_for(&format!(
                "[data-testid=audit-entry][data-action='{action}']"
            ))
            .await;
    }
    let revoked = coordinator
        .wait_for_text(
            "[data-testid=audit-entry][data-action='device.revoke']",
            |t| t.contains("Samira Lind"),
        )
        .await;
    assert!(revoked.contains("Enhet avstängd"), "{revoked}");
    // Each detail reads as a Swedish sentence: codes by their labels, names as typed,
    // never the facts the server keeps nor English.
    assert!(
        revoked.contains("Enheten ”Veras telefon” (Vera Vakt) stängdes av"),
        "{revoked}"
    );
    let details = detail_texts(&coordinator).await;
    for (action, detail) in &details {
        assert!(!detail.trim().is_empty(), "{action} has a detail");
        for english in ["{\"", "enrolled", "valid for", "withdrawn", " of ", "revoked"] {
            assert!(
                !detail.contains(english),
                "{action}: {detail:?} says {english:?}"
            );
        }
    }
    for (action, said) in [
        ("person.add", "Ny person: Vera Vakt, väktare hos Centrumvakterna AB"),
        ("enrolment.code", "Engångskod för Vera Vakt, giltig i 1 timme"),
        ("enrolment.withdraw", "Koden för Vera Vakt återkallades innan den användes"),
        ("enrolment", "Enheten ”Veras telefon” anslöts"),
        ("person.deactivate", "Vera Vakt avaktiverades"),
        ("organisation.add", "Ny organisation: Trygghetsvärdarna (vaktbolag)"),
        (
            "organisation.rename",
            "Trygghetsvärdarna heter nu Trygghetsvärdarna i Salem",
        ),
    ] {
        assert!(
            details.iter().any(|(a, d)| a == action && d == said),
            "{action}: {said:?} in {details:#?}"
        );
    }
    // Its time to the second, as a log is read: `2026-12-07 10:15:42`.
    let to_the_second = |w: &[u8]| {
        w.iter().enumerate().all(|(i, c)| match i {
            0 => *c == b' ',
            3 | 6 => *c == b':',
            _ => c.is_ascii_digit(),
        })
    };
    assert!(
        revoked.as_bytes().windows(9).any(to_the_second),
        "{revoked}"
    );
    coordinator.click("[data-testid=audit-export]").await;
    let saved = coordinator
        .wait_for_text("[data-testid=audit-saved]", |t| t.contains(".csv"))
        .await;
    let path = saved.trim_start_matches("Sparad:").trim();
    let csv = std::fs::read_to_string(path).unwrap();
    assert!(csv.starts_with("seq,at,"), "{csv}");
    assert!(csv.contains(",device.revoke,"), "{csv}");
    assert!(csv.contains("Vera Vakt"), "{csv}");

    coordinator.screenshot("admin-log", (1366, 768)).await;

    // In English when the app is: the log is read again, each detail said anew.
    coordinator.click("[data-testid=lang]").await;
    let revoked = coordinator
        .wait_for_text(
            "[data-testid=audit-entry][data-action='device.revoke'] .detail",
            |t| t.contains("switched off"),
        )
        .await;
    assert_eq!(
        revoked, "The device “Veras telefon” (Vera Vakt) was switched off",
        "{revoked}"
    );
    let details = detail_texts(&coordinator).await;
    assert!(
        details.iter().any(|(a, d)| a == "person.add"
            && d == "New person: Vera Vakt, security guard at Centrumvakterna AB"),
        "{details:#?}"
    );
    assert!(
        details
            .iter()
            .all(|(_, d)| !d.contains("{\"") && !d.contains("stängdes")),
        "{details:#?}"
    );
    coordinator.click("[data-testid=lang]").await;
    coordinator
        .wait_for_text(
            "[data-testid=audit-entry][data-action='device.revoke'] .detail",
            |t| t.contains("stängdes av"),
        )
        .await;
    coordinator.click("[data-testid=admin-people]").await;
    coordinator.screenshot("admin-people", (390, 844)).await;
    coordinator.assert_fits("administration on a phone").await;
    guard.quit().await;
    coordinator.quit().await;
}
}
