//! The counts the weekly lägesbild is made from (`lagesbild::WeekCounts`), read from
//! the projection with grouped range scans; no document is loaded.

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter};

use super::Store;
use crate::agenda::WeekPoint;
use crate::effect::indicator::WeeklyRow;
use crate::error::Result;
use crate::grade::Grade;
use crate::ids::{PlaceId, WorkspaceId};
use crate::lagesbild::{CurrentCount, LinkedCount, PreviousCount, WeekCounts, previous_weeks};
use crate::model::ObservationFilter;
use crate::report::Reported;
use crate::time::{IsoWeek, Timestamp};

impl Store {
    /// The reports of `week` and of the weeks before it that the lägesbild compares
    /// with, counted as `lagesbild::build` takes them.
    pub(crate) fn week_counts(
        &self,
        workspace: WorkspaceId,
        week: IsoWeek,
        filter: &ObservationFilter,
    ) -> Result<WeekCounts> {
        let mut counts = WeekCounts::default();
        let mut params = vec![
            Value::Blob(workspace.as_uuid().as_bytes().to_vec()),
            Value::Integer(week.key()),
        ];
        let sql = format!(
            "SELECT o.place_id, o.grade, o.category, o.org_id, COUNT(*) FROM observations o
             WHERE o.workspace_id = ? AND o.week = ?{}
             GROUP BY o.place_id, o.grade, o.category, o.org_id",
            filter.sql(workspace, &mut params)
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(params))?;
        while let Some(row) = rows.next()? {
            counts.current.push(CurrentCount {
                place: row.get(0)?,
                grade: row.get(1)?,
                category: row.get(2)?,
                organisation: row.get(3)?,
                reports: row.get(4)?,
            });
        }

        // Only linked reports are read, from the partial index that holds just them
        // (named: without statistics SQLite's planner takes the full index and looks
        // every report of the week up in the table, 20× slower). A projection from
        // before events were counted has no event: it is its own.
        let mut params = vec![
            Value::Blob(workspace.as_uuid().as_bytes().to_vec()),
            Value::Integer(week.key()),
        ];
        let sql = format!(
            "SELECT o.place_id, COUNT(*), COUNT(DISTINCT COALESCE(o.event_id, o.id))
             FROM observations o INDEXED BY observations_linked_by_week
             WHERE o.workspace_id = ? AND o.week = ? AND o.link_count > 0{}
             GROUP BY o.place_id",
            filter.sql(workspace, &mut params)
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(params))?;
        while let Some(row) = rows.next()? {
            counts.linked.push(LinkedCount {
                place: row.get(0)?,
                linked: row.get(1)?,
                events: row.get(2)?,
            });
        }

        let previous = previous_weeks(week);
        let mut params = vec![Value::Blob(workspace.as_uuid().as_bytes().to_vec())];
        params.extend(previous.iter().map(|w| Value::Integer(w.key())));
        let sql = format!(
            "SELECT o.place_id, o.week, COUNT(*), MAX(o.grade) FROM observations o
             WHERE o.workspace_id = ? AND o.week IN (?, ?, ?, ?){}
             GROUP BY o.place_id, o.week",
            filter.sql(workspace, &mut params)
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(params))?;
        while let Some(row) = rows.next()? {
            let key: i64 = row.get(1)?;
            if let Some(week) = previous.iter().find(|w| w.key() == key) {
                counts.previous.push(PreviousCount {
                    place: row.get(0)?,
                    week: *week,
                    reports: row.get(2)?,
                    highest: row.get(3)?,
                });
            }
        }
        Ok(counts)
    }

    /// Reports and highest grade per week at a place (an area: at it and every place in
    /// it, and every place merged into it), from `first` to `last` inclusive, oldest first.
    pub(crate) fn place_weeks(
        &self,
        place: PlaceId,
        first: IsoWeek,
        last: IsoWeek,
    ) -> Result<Vec<WeekPoint>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT o.week, COUNT(*), MAX(o.grade) FROM observations o
             LEFT JOIN places p ON p.id = o.place_id
             WHERE (o.place_id = ?1 OR p.area_id = ?1 OR p.merged_into = ?1)
               AND o.week BETWEEN ?2 AND ?3
             GROUP BY o.week",
        )?;
        let found: HashMap<i64, (u32, Option<Grade>)> = stmt
            .query_map(params![place, first.key(), last.key()], |r| {
                Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?)))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::new();
        let mut week = first;
        while week.key() <= last.key() {
            let (reports, highest) = found.get(&week.key()).copied().unwrap_or((0, None));
            out.push(WeekPoint {
                week,
                reports,
                highest,
            });
            week = week.minus(-1);
        }
        Ok(out)
    }

    /// Every report of the workspace observed from `previous_start` up to `stop`: its
    /// place, category, week, grade and event, and whether it falls at or after
    /// `start` (the period) rather than before (the period before).
    pub(crate) fn period_rows(
        &self,
        workspace: WorkspaceId,
        previous_start: Timestamp,
        start: Timestamp,
        stop: Timestamp,
    ) -> Result<Vec<Reported>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT o.place_id, o.category, o.week, o.grade, COALESCE(o.event_id, o.id),
                    o.observed_at >= ?2
             FROM observations o
             WHERE o.workspace_id = ?1 AND o.observed_at >= ?3 AND o.observed_at < ?4",
        )?;
        let rows = stmt
            .query_map(
                params![
                    workspace,
                    start.millis(),
                    previous_start.millis(),
                    stop.millis()
                ],
                |r| {
                    Ok((
                        r.get::<_, PlaceId>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Grade>(3)?,
                        r.get::<_, Vec<u8>>(4)?,
                        r.get::<_, bool>(5)?,
                    ))
                },
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .map(|(place, category, week, grade, event, current)| Reported {
                place,
                category,
                week,
                grade,
                event,
                current,
            })
            .collect())
    }

    /// The workspace's reports from week `first` to `last` inclusive, counted by place,
    /// week (its index from `first`) and organisation, over every category (rows with no
    /// category, from `week_counts`); and, for each of `categories`, the same counted in
    /// that category alone (from the projection's covering index).
    pub(crate) fn weekly_rows(
        &self,
        workspace: WorkspaceId,
        first: IsoWeek,
        last: IsoWeek,
        categories: &[String],
    ) -> Result<Vec<WeeklyRow>> {
        let mut index = HashMap::new();
        let mut week = first;
        while week.key() <= last.key() {
            index.insert(week.key(), index.len());
            week = week.minus(-1);
        }
        // Both queries give place, week, organisation, category (none: every one),
        // count, sum of grades, count graded 4 or more.
        let mut out = Vec::new();
        let mut read = |stmt: &mut rusqlite::CachedStatement<'_>,
                        values: &[&dyn rusqlite::ToSql]|
         -> Result<()> {
            let rows = stmt.query_map(values, |r| {
                let row = WeeklyRow {
                    place: r.get(0)?,
                    week: usize::MAX,
                    organisation: r.get(2)?,
                    category: r.get(3)?,
                    count: r.get(4)?,
                    grade_sum: r.get(5)?,
                    severe: r.get(6)?,
                };
                Ok((row, r.get::<_, i64>(1)?))
            })?;
            for row in rows {
                let (row, week) = row?;
                if let Some(&week) = index.get(&week) {
                    out.push(WeeklyRow { week, ..row });
                }
            }
            Ok(())
        };
        let (from, to) = (first.key(), last.key());
        let mut values: Vec<&dyn rusqlite::ToSql> = vec![&workspace, &from, &to];
        read(
            &mut self.conn().prepare_cached(
                "SELECT place_id, week, org_id, NULL, n, grade_sum, severe FROM week_counts
                 WHERE workspace_id = ?1 AND week BETWEEN ?2 AND ?3 AND n > 0",
            )?,
            &values,
        )?;
        if !categories.is_empty() {
            let wanted: Vec<String> = (0..categories.len())
                .map(|i| format!("?{}", i + 4))
                .collect();
            values.extend(categories.iter().map(|c| c as &dyn rusqlite::ToSql));
            read(
                &mut self.conn().prepare_cached(&format!(
                    "SELECT place_id, week, org_id, category, COUNT(*), SUM(grade), SUM(grade >= 4)
                     FROM observations
                     WHERE workspace_id = ?1 AND week BETWEEN ?2 AND ?3 AND category IN ({})
                     GROUP BY week, place_id, category, org_id",
                    wanted.join(", ")
                ))?,
                &values,
            )?;
        }
        Ok(out)
    }

    /// How often each place has been reported from in the four weeks up to `now`: in
    /// all, and at this time of day (within two hours either side, local time). The
    /// report form offers places in this order after the nearest and the recent.
    pub fn place_habits(&self, workspace: WorkspaceId, now: Timestamp) -> Result<Vec<PlaceHabit>> {
        use chrono::Timelike;
        const DAYS: i64 = 28;
        let since = now.millis() - DAYS * 24 * 3_600_000;
        let first_week = Timestamp::from_millis(since).map_or(0, |t| IsoWeek::containing(t).key());
        let hour = |t: Timestamp| t.0.with_timezone(&chrono_tz::Europe::Stockholm).hour() as i32;
        let now_hour = hour(now);
        let mut stmt = self.conn().prepare_cached(
            "SELECT place_id, observed_at FROM observations
             WHERE workspace_id = ? AND week >= ? AND observed_at >= ? AND observed_at <= ?",
        )?;
        let mut rows = stmt.query(params![
            workspace.as_uuid().as_bytes().as_slice(),
            first_week,
            since,
            now.millis()
        ])?;
        let mut habits: HashMap<PlaceId, PlaceHabit> = HashMap::new();
        while let Some(row) = rows.next()? {
            let place: PlaceId = row.get(0)?;
            let at = Timestamp::from_millis(row.get(1)?);
            let habit = habits.entry(place).or_insert(PlaceHabit {
                place,
                reports: 0,
                at_this_hour: 0,
            });
            habit.reports += 1;
            if let Some(at) = at {
                // Hours apart on the clock, around midnight too.
                let apart = (hour(at) - now_hour).rem_euclid(24);
                if apart.min(24 - apart) <= 2 {
                    habit.at_this_hour += 1;
                }
            }
        }
        let mut all: Vec<PlaceHabit> = habits.into_values().collect();
        all.sort_by(|a, b| {
            (b.at_this_hour, b.reports, a.place.0).cmp(&(a.at_this_hour, a.reports, b.place.0))
        });
        Ok(all)
    }
}

/// How often a place has been reported from lately (`Store::place_habits`).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PlaceHabit {
    pub place: PlaceId,
    /// Reports in the last four weeks.
    pub reports: u32,
    /// Of them, within two hours of this time of day.
    pub at_this_hour: u32,
}
