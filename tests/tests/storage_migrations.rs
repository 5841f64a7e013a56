//! The PostgreSQL schema's migrations on a database made by an older server (SQLite's
//! are tested beside its storage, in the server crate).
#![allow(clippy::unwrap_used)]

use lagesbild_core::Timestamp;
use lagesbild_core::store::projection::ObservationProjection;
use lagesbild_sync::storage::Postgres;
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

    drop(Postgres::open(&database.url).unwrap());
    for o in &recorded {
        let row = client
            .query_one(
                "SELECT observed_at, bytes FROM documents WHERE id = $1",
                &[&o.id.0],
            )
            .unwrap();
        assert_eq!(row.get::<_, Option<i64>>(0), Some(o.observed_at.millis()));
        assert_eq!(row.get::<_, Vec<u8>>(1), vec![1, 2]);
    }
    let row = client
        .query_one(
            "SELECT observed_at FROM documents WHERE id = $1",
            &[&meeting],
        )
        .unwrap();
    assert_eq!(row.get::<_, Option<i64>>(0), None);
}
