//! The server's audit log: who did what, when and from where, for register changes,
//! reviews, erasure, enrolment (failed too) and revocation; append-only for everyone;
//! read and exported as CSV by the coordinator only; never what a report says.
#![allow(clippy::unwrap_used)]

use lagesbild_core::audit_detail::{Names, render};
use lagesbild_core::sync::wire::{AuditEntry, EnrollRequest};
use lagesbild_core::{Lang, ObservationDraft, ObservationPatch, OrganisationKind, Role};
use lagesbild_sync::service::NewUser;
use lagesbild_tests::{Backend, Device, Scenario, now};

const CANARY: &str = "Kanariefågel-7731";

async fn every_act_is_logged_with_who_when_and_where_and_the_log_cannot_be_changed(
    backend: Backend,
) {
    let Scenario {
        server,
        demo,
        codes,
    } = Scenario::on(backend).named("Revision").start().await;
    let coordinator = Device::enroll(&server.url(), &codes[0], "samordnarens dator").await;
    let faltare = Device::enroll(&server.url(), &codes[1], "fältarens telefon").await;
    let client = reqwest::Client::new();

    // A register change, a review with a link, and an erasure.
    let response = coordinator
        .request(reqwest::Method::POST, "register/changes")
        .json(&serde_json::json!({"op": "add_place", "name": "Ny park", "is_area": false, "area": null, "lat": 59.2, "lon": 17.7}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let draft = ObservationDraft {
        category: Some("klotter".into()),
        place: Some("Rönninge station".into()),
        grade: Some(2),
        description: Some(format!("Text som aldrig får hamna i loggen: {CANARY}")),
        ..ObservationDraft::default()
    };
    let first = faltare.store().record(&draft, now()).unwrap().id;
    let second = faltare.store().record(&draft, now()).unwrap().id;
    faltare.sync().await;
    coordinator.sync().await;
    coordinator.store().mark_reviewed(first, now()).unwrap();
    coordinator.store().link(&[first, second], now()).unwrap();
    let closing = ObservationPatch {
        status: Some("avslutad".into()),
        ..Default::default()
    };
    coordinator.store().edit(first, &closing, now()).unwrap();
    coordinator.sync().await;
    let erased = coordinator
        .request(
            reqwest::Method::POST,
            &format!("observations/{second}/erase"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 204);

    // A code used twice, and a revocation at the command line.
    let code = server
        .call(|s| s.enrolment_code(demo.people[2].user, chrono::Duration::hours(1), now()))
        .unwrap();
    let _elin = Device::enroll(&server.url(), &code, "socialfältarens telefon").await;
    let again = client
        .post(format!("{}/v1/enroll", server.url()))
        .json(&EnrollRequest {
            code,
            device_name: "en annan telefon".into(),
            actor: automerge::ActorId::random().to_hex_string(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 401);
    let faltare_device = server
        .call(|s| s.devices())
        .unwrap()
        .into_iter()
        .find(|d| d.name == "fältarens telefon")
        .unwrap();
    server
        .call(|s| s.revoke_device(faltare_device.id, now()))
        .unwrap();

    // What the operator does at the server's command line is logged too, as nobody's.
    let org = server
        .call(|s| {
            s.add_organisation(
                demo.workspace.id,
                "Trygghetsvärdarna",
                OrganisationKind::Vaktbolag,
                now(),
            )
        })
        .unwrap();
    let new_user = NewUser {
        name: "Vera Vakt".into(),
        workspace: demo.workspace.id,
        organisation: org.id,
        role: Role::Vaktare,
    };
    server.call(|s| s.add_user(&new_user, now())).unwrap();

    let log: Vec<AuditEntry> = coordinator.get("audit").await;
    let find = |action: &str| {
        log.iter().find(|e| e.action == action).unwrap_or_else(|| {
            panic!(
                "{action} is in the log: {:?}",
                log.iter().map(|e| &e.action).collect::<Vec<_>>()
            )
        })
    };
    let place = find("register.add_place");
    assert_eq!(place.user_name.as_deref(), Some("Samira Lind"));
    assert_eq!(place.address.as_deref(), Some("127.0.0.1"));
    assert!(place.device.is_some() && place.detail.contains("Ny park"));
    assert_eq!(
        find("report.review").target.as_deref(),
        Some(first.to_string().as_str())
    );
    assert!(log.iter().any(|e| e.action == "report.link"
        && e.target.as_deref() == Some(first.to_string().as_str())
        && e.detail.contains(&second.to_string())));
    assert!(find("report.status").detail.contains("avslutad"));
    let erasure = find("observation.erase");
    assert_eq!(erasure.target.as_deref(), Some(second.to_string().as_str()));
    assert_eq!(erasure.user_name.as_deref(), Some("Samira Lind"));
    // Kept as facts, said as a sentence in the reader's language.
    let failed = find("enrolment.failed");
    let say = |e: &AuditEntry, lang| render(&e.action, &e.detail, lang, &Names::none());
    assert!(say(failed, Lang::En).contains("used before"), "{failed:?}");
    assert!(
        say(failed, Lang::Sv).contains("redan använts"),
        "{failed:?}"
    );
    assert_eq!(
        find("enrolment.failed").address.as_deref(),
        Some("127.0.0.1")
    );
    assert_eq!(
        find("device.revoke").target.as_deref(),
        Some(faltare_device.id.to_string().as_str())
    );
    assert!(
        log.iter()
            .any(|e| e.action == "enrolment" && e.detail.contains("socialfältarens telefon"))
    );
    for (action, what) in [
        ("workspace.create", "Revision"),
        ("organisation.add", "Trygghetsvärdarna"),
        ("person.add", "Vera Vakt"),
    ] {
        let entry = find(action);
        assert!(entry.detail.contains(what), "{entry:?}");
        assert!(
            entry.user.is_none() && entry.device.is_none() && entry.address.is_none(),
            "the operator: {entry:?}"
        );
    }
    assert!(log.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");

    // The CSV export holds the same, and never what a report says.
    let csv = coordinator
        .request(reqwest::Method::GET, "audit.csv")
        .send()
        .await
        .unwrap();
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    assert!(
        csv.starts_with("seq,at,workspace,user,user_name,device,address,action,target,detail,text")
    );
    // The facts as kept, and beside them the sentence in Swedish.
    assert!(csv.contains("Ny plats: Ny park"), "{csv}");
    assert!(
        csv.contains("Ny person: Vera Vakt, väktare hos Trygghetsvärdarna"),
        "{csv}"
    );
    assert!(csv.contains("Status ändrad från ny till avslutad"), "{csv}");
    assert_eq!(
        csv.lines().count(),
        log.len() + 1,
        "every entry, one row each"
    );
    assert!(!csv.contains(CANARY) && !log.iter().any(|e| e.detail.contains(CANARY)));

    // Only the coordinator reads it.
    let police = Device::enroll(&server.url(), &codes[3], "polisens telefon").await;
    let refused = police
        .request(reqwest::Method::GET, "audit")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);

    // Append-only, whoever asks: not even the database's owner changes a row.
    for statement in ["UPDATE audit SET detail = 'ändrat'", "DELETE FROM audit"] {
        let error = server.database().execute(statement).unwrap_err();
        assert!(error.contains("append-only"), "{statement}: {error}");
    }
}

lagesbild_tests::on_both_backends!(
    async every_act_is_logged_with_who_when_and_where_and_the_log_cannot_be_changed,
);
