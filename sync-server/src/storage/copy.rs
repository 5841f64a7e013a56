//! Moving a municipality from SQLite to PostgreSQL: every table, row for row, with the
//! same ids and the same sequence numbers, so every device carries on from its cursor.
//!
//! The source is read in one transaction (one snapshot); the target is written in one
//! transaction, with PostgreSQL's binary `COPY`, and must be empty. Afterwards the
//! target's sequences continue above every number the source ever gave out (SQLite's
//! `AUTOINCREMENT` remembers numbers of rows an erasure deleted).

use std::path::Path;

use anyhow::{Context, Result, ensure};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use rusqlite::types::Value;
use uuid::Uuid;

use super::Postgres;

/// How a column is carried across.
#[derive(Debug, Clone, Copy)]
enum Column {
    Uuid,
    Text,
    Int,
    Bool,
    Real,
    Bytes,
}

use Column::{Bool, Bytes, Int, Real, Text};

/// The server's tables in an order that satisfies their foreign keys.
const TABLES: &[(&str, &[(&str, Column)])] = &[
    (
        "workspaces",
        &[
            ("id", Column::Uuid),
            ("name", Text),
            ("grade_labels", Text),
            ("register_version", Int),
            ("tiles", Text),
        ],
    ),
    (
        "organisations",
        &[
            ("id", Column::Uuid),
            ("workspace_id", Column::Uuid),
            ("name", Text),
            ("kind", Text),
        ],
    ),
    (
        "places",
        &[
            ("id", Column::Uuid),
            ("workspace_id", Column::Uuid),
            ("name", Text),
            ("kind", Text),
            ("area_id", Column::Uuid),
            ("lat", Real),
            ("lon", Real),
            ("retired", Bool),
            ("merged_into", Column::Uuid),
            ("outline", Text),
        ],
    ),
    (
        "categories",
        &[
            ("workspace_id", Column::Uuid),
            ("key", Text),
            ("parent", Text),
            ("name_sv", Text),
            ("name_en", Text),
            ("retired", Bool),
            ("sort", Int),
        ],
    ),
    ("users", &[("id", Column::Uuid), ("name", Text)]),
    (
        "memberships",
        &[
            ("user_id", Column::Uuid),
            ("workspace_id", Column::Uuid),
            ("organisation_id", Column::Uuid),
            ("role", Text),
            ("active", Bool),
        ],
    ),
    (
        "devices",
        &[
            ("id", Column::Uuid),
            ("user_id", Column::Uuid),
            ("name", Text),
            ("actor", Bytes),
            ("token_hash", Bytes),
            ("created_at", Int),
            ("revoked_at", Int),
            ("last_seen_at", Int),
            ("app_version", Text),
            ("workspace_id", Column::Uuid),
        ],
    ),
    (
        "enrolment_codes",
        &[
            ("code_hash", Bytes),
            ("user_id", Column::Uuid),
            ("expires_at", Int),
            ("used_at", Int),
            ("workspace_id", Column::Uuid),
        ],
    ),
    (
        "documents",
        &[
            ("id", Column::Uuid),
            ("workspace_id", Column::Uuid),
            ("kind", Text),
            ("bytes", Bytes),
            ("org_id", Column::Uuid),
            ("visibility", Text),
            ("projection", Text),
            ("first_seen", Int),
            ("observed_at", Int),
        ],
    ),
    (
        "feed",
        &[
            ("seq", Int),
            ("workspace_id", Column::Uuid),
            ("doc_id", Column::Uuid),
            ("entry", Text),
            ("doc_kind", Text),
            ("hash", Bytes),
            ("bytes", Bytes),
            ("creates", Bool),
            ("device_id", Column::Uuid),
            ("org_id", Column::Uuid),
            ("visibility_before", Text),
            ("visibility_after", Text),
            ("received_at", Int),
        ],
    ),
    (
        "erased",
        &[
            ("doc_id", Column::Uuid),
            ("workspace_id", Column::Uuid),
            ("erased_at", Int),
            ("erased_by", Column::Uuid),
        ],
    ),
    (
        "audit",
        &[
            ("seq", Int),
            ("workspace_id", Column::Uuid),
            ("at", Int),
            ("user_id", Column::Uuid),
            ("user_name", Text),
            ("device_id", Column::Uuid),
            ("address", Text),
            ("action", Text),
            ("target", Text),
            ("detail", Text),
        ],
    ),
    // The same history goes on: devices carry on without noticing the move.
    ("timeline", &[("id", Column::Uuid), ("restored_head", Int)]),
    // The failed enrolments of the minutes not yet counted in the audit log.
    (
        "failed_enrolments",
        &[
            ("window_start", Int),
            ("scope", Column::Uuid),
            ("unknown", Int),
            ("used", Int),
            ("expired", Int),
            ("addresses", Int),
        ],
    ),
    (
        "failed_enrolment_addresses",
        &[
            ("window_start", Int),
            ("scope", Column::Uuid),
            ("address", Text),
        ],
    ),
];

impl Column {
    fn pg_type(self) -> Type {
        match self {
            Column::Uuid => Type::UUID,
            Text => Type::TEXT,
            Int => Type::INT8,
            Bool => Type::BOOL,
            Real => Type::FLOAT8,
            Bytes => Type::BYTEA,
        }
    }

    /// A SQLite value as PostgreSQL takes it; NULL stays NULL.
    fn convert(self, value: Value) -> Result<Box<dyn ToSql + Sync>> {
        Ok(match (self, value) {
            (Column::Uuid, Value::Null) => Box::new(None::<Uuid>),
            (Text, Value::Null) => Box::new(None::<String>),
            (Int, Value::Null) => Box::new(None::<i64>),
            (Bool, Value::Null) => Box::new(None::<bool>),
            (Real, Value::Null) => Box::new(None::<f64>),
            (Bytes, Value::Null) => Box::new(None::<Vec<u8>>),
            (Column::Uuid, Value::Blob(b)) => Box::new(Some(Uuid::from_slice(&b)?)),
            (Text, Value::Text(t)) => Box::new(Some(t)),
            (Int, Value::Integer(i)) => Box::new(Some(i)),
            (Bool, Value::Integer(i)) => Box::new(Some(i != 0)),
            (Real, Value::Real(r)) => Box::new(Some(r)),
            (Real, Value::Integer(i)) => Box::new(Some(i as f64)),
            (Bytes, Value::Blob(b)) => Box::new(Some(b)),
            (column, value) => anyhow::bail!("a {column:?} column holds {value:?}"),
        })
    }
}

/// What was copied: rows per table.
pub type Copied = Vec<(&'static str, u64)>;

/// Copies the SQLite database at `from` into the empty PostgreSQL database at `to`
/// (its schema is made first).
pub fn sqlite_to_postgres(from: &Path, to: &str) -> Result<Copied> {
    ensure!(
        from.exists(),
        "{} does not exist: name the SQLite database to move",
        from.display()
    );
    // Opening migrates both to this build's schema.
    drop(super::Sqlite::open(from)?);
    drop(Postgres::open(to)?);
    let mut source =
        rusqlite::Connection::open_with_flags(from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let source = source.transaction()?;
    let tables: Vec<String> = source
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for table in &tables {
        ensure!(
            TABLES.iter().any(|(name, _)| name == table),
            "this build does not know how to move the table {table}"
        );
    }
    let mut target = postgres::Client::connect(to, postgres::NoTls)?;
    let mut tx = target.transaction()?;
    // A new database's timeline is replaced by the one moved.
    tx.execute("DELETE FROM timeline", &[])?;
    for (table, _) in TABLES {
        let rows: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])?
            .get(0);
        ensure!(
            rows == 0,
            "the PostgreSQL database is not empty ({table} has {rows} rows): move into a new one"
        );
    }
    let mut copied = Vec::new();
    for (table, columns) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let types: Vec<Type> = columns.iter().map(|(_, c)| c.pg_type()).collect();
        let sink = tx.copy_in(&format!(
            "COPY {table} ({}) FROM STDIN (FORMAT binary)",
            names.join(", ")
        ))?;
        let mut writer = BinaryCopyInWriter::new(sink, &types);
        let mut stmt = source.prepare(&format!("SELECT {} FROM {table}", names.join(", ")))?;
        let mut rows = stmt.query([])?;
        let mut count = 0;
        while let Some(row) = rows.next()? {
            let values = columns
                .iter()
                .enumerate()
                .map(|(i, (name, column))| {
                    column
                        .convert(row.get::<_, Value>(i)?)
                        .with_context(|| format!("{table}.{name}"))
                })
                .collect::<Result<Vec<_>>>()?;
            let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| &**v).collect();
            writer.write(&refs)?;
            count += 1;
        }
        writer.finish()?;
        copied.push((*table, count));
    }
    // Numbers continue above the highest ever given out, as they would have on SQLite.
    for table in ["feed", "audit"] {
        let used: i64 = source
            .query_row(
                "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap_or(0);
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'seq'),
                        GREATEST($1, (SELECT COALESCE(MAX(seq), 0) FROM {table}), 1))"
            ),
            &[&used],
        )?;
    }
    tx.commit()?;
    Ok(copied)
}
