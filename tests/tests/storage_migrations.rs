//! The PostgreSQL schema's migrations on a database made by an older server (SQLite's
//! are tested beside its storage, in the server crate): the older database is written
//! with SQL, as that server left it; what the migrations made of it is read through the
//! storage.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use lagesbild_core::ObservationProjection;
use lagesbild_core::Timestamp;
use lagesbild_sync::storage::{Postgres, Storage};
use lagesbild_tests::postgres::TestDatabase;
use uuid::Uuid;

/// Documents stored before migration 2 learn when their observations were observed, to
/// the millisecond, from their projections; other documents have no such time.
#[test]
fn observations_of_an_older_database_learn_when_they_were_observed() {
    let database = TestDatabase::create();
    let mut client = database.connect();
    client
        .batch_execute(include_str!(
            "../../sync-server/src/storage/postgres/0001_initial.sql"
        ))
        .unwrap();
    client
        .batch_execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now());
             INSERT INTO schema_migrations (version) VALUES (1);",
        )
        .unwrap();
    let demo = lagesbild_core::demo::workspace("Salem");
    let mut scratch = lagesbild_core::Store::open_in_memory().unwrap();
    let identity = demo.install(&mut scratch, 0).unwrap();
    let now = Timestamp::from_millis(1_795_000_123_456).unwrap();
    let recorded = scratch
        .record_many(identity.workspace, &demo.reports(3, 2, now, 7), now)
        .unwrap();
    let workspace = identity.workspace.0;
    client
        .execute(
            "INSERT INTO workspaces (id, name, grade_labels, register_version) VALUES ($1, 'Salem', '[]', 0)",
            &[&workspace],
        )
        .unwrap();
    let insert = "INSERT INTO documents (id, workspace_id, kind, bytes, org_id, visibility, projection, first_seen)
                  VALUES ($1, $2, $3, '\\x0102', NULL, 'alla', $4, 5)";
    for o in &recorded {
        let json = serde_json::to_string(&ObservationProjection::of(o)).unwrap();
        client
            .execute(insert, &[&o.id.0, &workspace, &"observation", &Some(json)])
            .unwrap();
    }
    let meeting = Uuid::now_v7();
    client
        .execute(insert, &[&meeting, &workspace, &"meeting", &None::<String>])
        .unwrap();

    // Read back through the storage: the projections newest first are those of the
    // documents that know when they were observed.
    let storage = Postgres::open(&database.url).unwrap();
    let mut tx = storage.read().unwrap();
    let observed: BTreeMap<Uuid, i64> = tx
        .projections(identity.workspace, None, 100)
        .unwrap()
        .into_iter()
        .map(|row| (row.doc, row.observed_at))
        .collect();
    let expected: BTreeMap<Uuid, i64> = recorded
        .iter()
        .map(|o| (o.id.0, o.observed_at.millis()))
        .collect();
    assert_eq!(
        observed, expected,
        "every observation learnt when it was observed; the meeting did not"
    );
    for o in &recorded {
        assert_eq!(tx.document(o.id.0).unwrap().unwrap().bytes, vec![1, 2]);
    }
    assert!(
        tx.document(meeting).unwrap().is_some(),
        "the meeting is kept"
    );
}

/// Devices and codes stored before migration 4 belong to their person's workspace when
/// the person has one membership; a device of a person with several acts nowhere until
/// it is enrolled again, and their code enrols nothing.
#[test]
fn older_devices_belong_to_their_persons_only_workspace() {
    let database = TestDatabase::create();
    let mut client = database.connect();
    for migration in [
        include_str!("../../sync-server/src/storage/postgres/0001_initial.sql"),
        include_str!("../../sync-server/src/storage/postgres/0002_newest_first.sql"),
        include_str!("../../sync-server/src/storage/postgres/0003_timeline.sql"),
    ] {
        client.batch_execute(migration).unwrap();
    }
    client
        .batch_execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now());
             INSERT INTO schema_migrations (version) VALUES (1), (2), (3);",
        )
        .unwrap();
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let (one, two) = (Uuid::now_v7(), Uuid::now_v7());
    for (ws, name) in [(a, "Salem"), (b, "Botkyrka")] {
        client
            .execute(
                "INSERT INTO workspaces (id, name) VALUES ($1, $2)",
                &[&ws, &name],
            )
            .unwrap();
        client
            .execute(
                "INSERT INTO organisations (id, workspace_id, name, kind) VALUES ($1, $1, 'Fält', 'kommun')",
                &[&ws],
            )
            .unwrap();
    }
    for (user, workspaces) in [(one, vec![a]), (two, vec![a, b])] {
        let token = user.as_bytes().to_vec();
        client
            .execute("INSERT INTO users (id, name) VALUES ($1, 'X')", &[&user])
            .unwrap();
        for ws in workspaces {
            client
                .execute(
                    "INSERT INTO memberships (user_id, workspace_id, organisation_id, role)
                     VALUES ($1, $2, $2, 'samordnare')",
                    &[&user, &ws],
                )
                .unwrap();
        }
        client
            .execute(
                "INSERT INTO devices (id, user_id, name, actor, token_hash, created_at)
                 VALUES ($1, $1, 'Telefon', $2, $2, 0)",
                &[&user, &token],
            )
            .unwrap();
        client
            .execute(
                "INSERT INTO enrolment_codes (code_hash, user_id, expires_at)
                 VALUES ($1, $2, 9000000000000000)",
                &[&token, &user],
            )
            .unwrap();
    }

    let storage = Postgres::open(&database.url).unwrap();
    let mut tx = storage.write().unwrap();
    let mut workspace = |user: &Uuid| {
        tx.device_by_token(user.as_bytes())
            .unwrap()
            .unwrap()
            .device
            .workspace
            .map(|w| w.0)
    };
    assert_eq!(workspace(&one), Some(a), "one membership: its workspace");
    assert_eq!(workspace(&two), None, "several: enrol again");
    let now = Timestamp::from_millis(1_795_000_000_000).unwrap();
    assert_eq!(
        tx.use_code(one.as_bytes(), now).unwrap().map(|(_, w)| w.0),
        Some(a)
    );
    assert_eq!(
        tx.use_code(two.as_bytes(), now).unwrap(),
        None,
        "a code of a person with several memberships enrols nothing"
    );
}
