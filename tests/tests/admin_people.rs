//! The coordinator administers without a terminal, through the API the app uses:
//! organisations, people, enrolment codes (issued and withdrawn), devices (seen, revoked)
//! and deactivation — each act audited, and refused to everyone else.
#![allow(clippy::unwrap_used)]

use lagesbild_core::sync::engine::Connection;
use lagesbild_core::sync::wire::{AdminChange, AdminOutcome, AuditEntry, EnrollRequest, People};
use lagesbild_core::{ObservationDraft, OrganisationKind, Role};
use lagesbild_tests::{Backend, Device, Scenario, now};

async fn administer(coordinator: &Device, change: &AdminChange) -> reqwest::Response {
    coordinator
        .request(reqwest::Method::POST, "admin/changes")
        .json(change)
        .send()
        .await
        .unwrap()
}

async fn done(coordinator: &Device, change: AdminChange) -> AdminOutcome {
    let response = administer(coordinator, &change).await;
    assert!(
        response.status().is_success(),
        "{change:?}: {}",
        response.text().await.unwrap()
    );
    response.json().await.unwrap()
}

async fn the_coordinator_adds_a_guard_enrols_revokes_and_deactivates_without_a_terminal(
    backend: Backend,
) {
    let Scenario {
        server,
        demo,
        codes,
    } = Scenario::on(backend).named("Administration").start().await;
    let coordinator = Device::enroll(&server.url(), &codes[0], "samordnarens dator").await;
    let faltare = Device::enroll(&server.url(), &codes[1], "fältarens telefon").await;

    // A new guard company and a guard in it.
    let outcome = done(
        &coordinator,
        AdminChange::AddOrganisation {
            name: "Vakt Nord AB".into(),
            kind: OrganisationKind::Kommun,
        },
    )
    .await;
    let company = outcome
        .people
        .organisations
        .iter()
        .find(|o| o.name == "Vakt Nord AB")
        .unwrap()
        .id;
    done(
        &coordinator,
        AdminChange::SetOrganisationKind {
            organisation: company,
            kind: OrganisationKind::Vaktbolag,
        },
    )
    .await;
    done(
        &coordinator,
        AdminChange::RenameOrganisation {
            organisation: company,
            name: "Vakt Nord".into(),
        },
    )
    .await;
    let outcome = done(
        &coordinator,
        AdminChange::AddPerson {
            name: "Väktare Nora Ek".into(),
            organisation: company,
            role: Role::Vaktare,
        },
    )
    .await;
    let org = outcome
        .people
        .organisations
        .iter()
        .find(|o| o.id == company)
        .unwrap();
    assert_eq!(
        (org.name.as_str(), org.kind),
        ("Vakt Nord", OrganisationKind::Vaktbolag)
    );
    let guard_user = outcome
        .people
        .people
        .iter()
        .find(|p| p.name == "Väktare Nora Ek")
        .unwrap()
        .user;

    // A code withdrawn before use no longer enrols; a fresh one does.
    let withdrawn = done(
        &coordinator,
        AdminChange::IssueCode {
            user: guard_user,
            ttl_minutes: 30,
        },
    )
    .await
    .code
    .unwrap();
    assert!(withdrawn.expires_at.0 > chrono::Utc::now() + chrono::Duration::minutes(29));
    done(
        &coordinator,
        AdminChange::WithdrawCode {
            code: withdrawn.code.clone(),
        },
    )
    .await;
    let refused = reqwest::Client::new()
        .post(format!("{}/v1/enroll", server.url()))
        .json(&EnrollRequest {
            code: withdrawn.code,
            device_name: "telefon".into(),
            actor: automerge::ActorId::random().to_hex_string(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let code = done(
        &coordinator,
        AdminChange::IssueCode {
            user: guard_user,
            ttl_minutes: 30,
        },
    )
    .await
    .code
    .unwrap();
    let guard = Device::enroll(&server.url(), &code.code, "väktarens telefon").await;

    let draft = ObservationDraft {
        category: Some("klotter".into()),
        place: Some("Rönninge station".into()),
        grade: Some(2),
        ..ObservationDraft::default()
    };
    let before = guard.store().record(&draft, now()).unwrap().id;
    guard.sync().await;
    let people: People = coordinator.get("admin").await;
    let nora = people.people.iter().find(|p| p.user == guard_user).unwrap();
    assert_eq!(nora.devices.len(), 1);
    let phone = &nora.devices[0];
    assert_eq!(phone.name, "väktarens telefon");
    assert!(phone.last_seen.is_some(), "the device was seen");
    assert_eq!(
        phone.app_version.as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );

    // Revoked: the next report stays on the phone, which is told why. Its long poll is
    // refused at once too, though the server knew its credential a moment ago.
    let feed = |device: &Device| device.request(reqwest::Method::GET, "feed").send();
    assert_eq!(feed(&guard).await.unwrap().status(), 200);
    done(&coordinator, AdminChange::RevokeDevice { device: phone.id }).await;
    let refused = feed(&guard).await.unwrap();
    assert_eq!(refused.status(), 401, "the long poll of a revoked device");
    let after = guard.store().record(&draft, now()).unwrap().id;
    let status = guard.sync().await;
    assert!(
        matches!(status.connection, Connection::Revoked { .. }),
        "{status:?}"
    );
    let stored: Vec<_> = server.observations().into_iter().map(|o| o.id).collect();
    assert!(stored.contains(&before) && !stored.contains(&after));
    assert!(
        guard.store().observation(after).is_ok(),
        "kept on the phone"
    );

    // Deactivated: the field worker's device is refused in the workspace, until reactivated.
    let faltare_user = demo.people[1].user;
    assert_eq!(feed(&faltare).await.unwrap().status(), 200);
    done(&coordinator, AdminChange::Deactivate { user: faltare_user }).await;
    let refused = feed(&faltare).await.unwrap();
    assert_eq!(
        refused.status(),
        403,
        "the long poll of a deactivated person"
    );
    let status = faltare.sync().await;
    // As the app reads it: the state's name, not "offline".
    assert_eq!(
        serde_json::to_value(&status.connection).unwrap()["state"],
        "deactivated",
        "the device is told it was deactivated: {status:?}"
    );
    done(&coordinator, AdminChange::Reactivate { user: faltare_user }).await;
    let status = faltare.sync().await;
    assert!(
        matches!(status.connection, Connection::Synced { .. }),
        "{status:?}"
    );

    // Refused to others, and to the coordinator where it is not theirs to do.
    let response = administer(
        &faltare,
        &AdminChange::IssueCode {
            user: faltare_user,
            ttl_minutes: 30,
        },
    )
    .await;
    assert_eq!(response.status(), 403);
    let other = server
        .call(|s| s.create_workspace("Grannkommunen", now()))
        .unwrap();
    let police_org = server
        .call(|s| s.add_organisation(other.id, "Polisen", OrganisationKind::Polis, now()))
        .unwrap();
    let response = administer(
        &coordinator,
        &AdminChange::AddMembership {
            user: demo.people[3].user,
            workspace: other.id,
            organisation: police_org.id,
            role: Role::Polis,
        },
    )
    .await;
    assert_eq!(
        response.status(),
        403,
        "not a coordinator of the other workspace"
    );
    let response = administer(
        &coordinator,
        &AdminChange::AddPerson {
            name: "Ny\u{1b}[2Kperson".into(),
            organisation: company,
            role: Role::Vaktare,
        },
    )
    .await;
    assert_eq!(response.status(), 400);
    let response = administer(
        &coordinator,
        &AdminChange::Deactivate {
            user: demo.people[0].user,
        },
    )
    .await;
    assert_eq!(
        response.status(),
        403,
        "a coordinator does not lock themselves out"
    );

    let log: Vec<AuditEntry> = coordinator.get("audit").await;
    for action in [
        "organisation.add",
        "organisation.kind",
        "organisation.rename",
        "person.add",
        "enrolment.code",
        "enrolment.withdraw",
        "device.revoke",
        "person.deactivate",
        "person.reactivate",
    ] {
        let entry = log
            .iter()
            .find(|e| e.action == action)
            .unwrap_or_else(|| panic!("{action} audited"));
        assert_eq!(entry.user_name.as_deref(), Some("Samira Lind"), "{action}");
    }
}

lagesbild_tests::on_both_backends!(
    async the_coordinator_adds_a_guard_enrols_revokes_and_deactivates_without_a_terminal,
);
