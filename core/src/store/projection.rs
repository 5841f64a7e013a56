//! Keeps the observation projection in step with the documents.

use rusqlite::{Connection, params};

use crate::error::Result;
use crate::model::Observation;
use crate::time::Timestamp;

pub(super) fn upsert_observation(conn: &Connection, o: &Observation, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO observations (
            id, workspace_id, place_id, category, grade, observed_at, observed_until, week,
            recorded_at, org_id, reporter_id, reporter_name, role, visibility, status, people,
            age_group, source, description, place_detail, lat, lon, accuracy_m, note_count,
            link_count, reviewed, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                 ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)
         ON CONFLICT (id) DO UPDATE SET
            place_id = excluded.place_id, category = excluded.category, grade = excluded.grade,
            observed_at = excluded.observed_at, observed_until = excluded.observed_until,
            week = excluded.week, visibility = excluded.visibility, status = excluded.status,
            people = excluded.people, age_group = excluded.age_group, source = excluded.source,
            description = excluded.description, place_detail = excluded.place_detail,
            lat = excluded.lat, lon = excluded.lon, accuracy_m = excluded.accuracy_m,
            note_count = excluded.note_count, link_count = excluded.link_count,
            reviewed = excluded.reviewed, updated_at = excluded.updated_at",
    )?
    .execute(params![
        o.id,
        o.workspace,
        o.place,
        o.category,
        o.grade,
        o.observed_at.millis(),
        o.observed_until.map(Timestamp::millis),
        o.observed_at.week().key(),
        o.recorded_at.millis(),
        o.reporter.organisation,
        o.reporter.user,
        o.reporter.name,
        o.reporter.role,
        o.visibility,
        o.status,
        o.people,
        o.age_group,
        o.source,
        o.description(),
        o.place_detail,
        o.position.map(|p| p.lat),
        o.position.map(|p| p.lon),
        o.position.and_then(|p| p.accuracy_m),
        o.notes.len() as i64,
        o.links.len() as i64,
        o.review.is_some(),
        now.millis(),
    ])?;
    Ok(())
}
