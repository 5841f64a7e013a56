//! Every record kind and every name has limits: register names, device names,
//! meetings, decisions and assessments are refused past them, and text that operators
//! read holds no control characters.
#![allow(clippy::unwrap_used)]

use lagesbild_core::Meeting;
use lagesbild_core::doc::Document;
use lagesbild_core::sync::wire::{
    EnrollRequest, PushOutcome, PushResponse, RefusalCode, WireChange,
};
use lagesbild_tests::{Backend, Device, Scenario, now};

async fn oversized_and_unprintable_names_and_records_are_refused(backend: Backend) {
    let Scenario {
        server,
        demo,
        codes,
    } = Scenario::on(backend).named("Gränser").start().await;
    let coordinator = Device::enroll(&server.url(), &codes[0], "samordnarens dator").await;
    let client = reqwest::Client::new();
    let base = format!("{}/v1/workspaces/{}", server.url(), coordinator.workspace);

    // Register names: long ones and ones with control characters are refused.
    for name in [
        "x".repeat(1000),
        "Torget\u{1b}[2K\rREVOKED".to_string(),
        "Rad\nett".into(),
    ] {
        let response = client
            .post(format!("{base}/register/changes"))
            .bearer_auth(&coordinator.token)
            .json(&serde_json::json!({"op": "add_place", "name": name, "is_area": false, "area": null, "lat": 59.2, "lon": 17.7}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{name:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "bad_request");
    }
    let category = client
        .post(format!("{base}/register/changes"))
        .bearer_auth(&coordinator.token)
        .json(&serde_json::json!({"op": "add_category", "name_sv": "Ok", "name_en": "a\u{7}b", "parent": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(category.status(), 400);
    let huge = client
        .post(format!("{base}/register/changes"))
        .bearer_auth(&coordinator.token)
        .json(&serde_json::json!({"op": "add_place", "name": "x".repeat(1 << 20), "is_area": false, "area": null, "lat": 59.2, "lon": 17.7}))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413, "a 1 MB name is not even read");
    let register: serde_json::Value = client
        .get(format!("{base}/register"))
        .bearer_auth(&coordinator.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        register.to_string().len() < 64 * 1024,
        "the register stays small"
    );

    // A device name that would move an operator's terminal cursor.
    let code = server
        .call(|s| s.enrolment_code(demo.people[1].user, chrono::Duration::hours(1), now()))
        .unwrap();
    let enrol = client
        .post(format!("{}/v1/enroll", server.url()))
        .json(&EnrollRequest {
            code,
            device_name: "telefon\u{1b}[1A\u{1b}[2Kdevice revoked".into(),
            actor: automerge::ActorId::random().to_hex_string(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(enrol.status(), 400);

    // A meeting with a thousand attendees.
    let me = coordinator.store().require_identity().unwrap().reporter();
    let meeting = Meeting {
        kind: lagesbild_core::DocKind::Meeting,
        id: lagesbild_core::MeetingId::new(),
        workspace: coordinator.workspace,
        week: "2026-W48".into(),
        held_at: now(),
        attendees: (0..1000).map(|i| format!("Deltagare {i}")).collect(),
        notes: autosurgeon::Text::with_value("Anteckningar"),
        created_by: me,
    };
    let (_, change) = Document::create(coordinator.store().actor(), &meeting, now()).unwrap();
    let response: PushResponse = coordinator
        .push_raw(vec![WireChange {
            doc: meeting.id.0,
            hash: change.hash.to_string(),
            bytes: change.bytes,
        }])
        .await
        .json()
        .await
        .unwrap();
    assert!(
        matches!(&response.results[0].outcome, PushOutcome::Refused { code: RefusalCode::InvalidRecord, message } if message.contains("attendees")),
        "{:?}",
        response.results[0].outcome
    );
}

lagesbild_tests::on_both_backends!(
    async oversized_and_unprintable_names_and_records_are_refused,
);
