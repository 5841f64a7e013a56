//! The observation projection's table: one row per observation, kept in step with the
//! documents, read by lists, maps and the lägesbild (the row's type is
//! `model::ObservationProjection`).

use rusqlite::{Connection, Row, params};

use crate::error::Result;
pub use crate::model::ObservationProjection;
use crate::model::{Observation, Position};
use crate::time::{IsoWeek, Timestamp};

pub(crate) const COLUMNS: &str =
    "o.id, o.workspace_id, o.place_id, o.category, o.grade, o.observed_at,
    o.observed_until, o.week, o.recorded_at, o.server_seen_at, o.org_id, o.reporter_id,
    o.reporter_name, o.role, o.visibility, o.status, o.people, o.age_group, o.source,
    o.description, o.place_detail, o.lat, o.lon, o.accuracy_m, o.note_count, o.link_count,
    o.reviewed, o.restricted, o.event_id";
/// How many columns `COLUMNS` reads.
pub(crate) const COLUMN_COUNT: usize = 29;

pub(crate) fn upsert(conn: &Connection, p: &ObservationProjection, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO observations (
            id, workspace_id, place_id, category, grade, observed_at, observed_until, week,
            recorded_at, server_seen_at, org_id, reporter_id, reporter_name, role, visibility,
            status, people, age_group, source, description, place_detail, lat, lon, accuracy_m,
            note_count, link_count, reviewed, restricted, updated_at, event_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                 ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)
         ON CONFLICT (id) DO UPDATE SET
            place_id = excluded.place_id, category = excluded.category, grade = excluded.grade,
            observed_at = excluded.observed_at, observed_until = excluded.observed_until,
            week = excluded.week,
            server_seen_at = COALESCE(observations.server_seen_at, excluded.server_seen_at),
            org_id = excluded.org_id, reporter_id = excluded.reporter_id,
            reporter_name = excluded.reporter_name, role = excluded.role,
            visibility = excluded.visibility, status = excluded.status, people = excluded.people,
            age_group = excluded.age_group, source = excluded.source,
            description = excluded.description, place_detail = excluded.place_detail,
            lat = excluded.lat, lon = excluded.lon, accuracy_m = excluded.accuracy_m,
            note_count = excluded.note_count, link_count = excluded.link_count,
            reviewed = excluded.reviewed, restricted = excluded.restricted,
            updated_at = excluded.updated_at, event_id = excluded.event_id",
    )?
    .execute(params![
        p.id,
        p.workspace,
        p.place,
        p.category,
        p.grade,
        p.observed_at.millis(),
        p.observed_until.map(Timestamp::millis),
        p.week.key(),
        p.recorded_at.millis(),
        p.server_seen_at.map(Timestamp::millis),
        p.organisation,
        p.reporter,
        p.reporter_name,
        p.role,
        p.visibility,
        p.status,
        p.people,
        p.age_group,
        p.source,
        p.description,
        p.place_detail,
        p.position.map(|p| p.lat),
        p.position.map(|p| p.lon),
        p.position.and_then(|p| p.accuracy_m),
        p.note_count,
        p.link_count,
        p.reviewed,
        p.restricted,
        now.millis(),
        p.event,
    ])?;
    Ok(())
}

/// Keeps the projection of `o` as it is now. A report that continues as another (it was
/// widened) is not listed or counted itself: its continuation is.
pub(super) fn upsert_observation(conn: &Connection, o: &Observation, now: Timestamp) -> Result<()> {
    if o.continued_by.is_some() {
        conn.prepare_cached("DELETE FROM observations WHERE id = ?1")?
            .execute([o.id])?;
        return Ok(());
    }
    upsert(conn, &ObservationProjection::of(o), now)
}

fn time_column(r: &Row<'_>, i: usize) -> rusqlite::Result<Timestamp> {
    let ms: i64 = r.get(i)?;
    Timestamp::from_millis(ms).ok_or(rusqlite::Error::IntegralValueOutOfRange(i, ms))
}

fn optional_time_column(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<Timestamp>> {
    let ms: Option<i64> = r.get(i)?;
    ms.map(|ms| Timestamp::from_millis(ms).ok_or(rusqlite::Error::IntegralValueOutOfRange(i, ms)))
        .transpose()
}

/// Reads `COLUMNS` starting at column `at`.
pub(crate) fn from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<ObservationProjection> {
    let week: i64 = r.get(at + 7)?;
    let lat: Option<f64> = r.get(at + 21)?;
    let lon: Option<f64> = r.get(at + 22)?;
    let accuracy_m: Option<f64> = r.get(at + 23)?;
    Ok(ObservationProjection {
        id: r.get(at)?,
        workspace: r.get(at + 1)?,
        place: r.get(at + 2)?,
        category: r.get(at + 3)?,
        grade: r.get(at + 4)?,
        observed_at: time_column(r, at + 5)?,
        observed_until: optional_time_column(r, at + 6)?,
        week: IsoWeek::from_key(week)
            .ok_or(rusqlite::Error::IntegralValueOutOfRange(at + 7, week))?,
        recorded_at: time_column(r, at + 8)?,
        server_seen_at: optional_time_column(r, at + 9)?,
        organisation: r.get(at + 10)?,
        reporter: r.get(at + 11)?,
        reporter_name: r.get(at + 12)?,
        role: r.get(at + 13)?,
        visibility: r.get(at + 14)?,
        status: r.get(at + 15)?,
        people: r.get(at + 16)?,
        age_group: r.get(at + 17)?,
        source: r.get(at + 18)?,
        description: r.get(at + 19)?,
        place_detail: r.get(at + 20)?,
        position: lat.zip(lon).map(|(lat, lon)| Position {
            lat,
            lon,
            accuracy_m,
        }),
        note_count: r.get(at + 24)?,
        link_count: r.get(at + 25)?,
        reviewed: r.get(at + 26)?,
        restricted: r.get(at + 27)?,
        event: r.get(at + 28)?,
    })
}
