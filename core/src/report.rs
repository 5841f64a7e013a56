//! The lägesrapport: a period (a month, a quarter) for the planning group and the
//! management council — reports and events per area and category, week by week, against
//! the period before; the decisions taken and their follow-up. Built from the
//! projection, so it holds counts, never what a report says or who made it.

use std::collections::{BTreeMap, HashMap};

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::agenda::WeekPoint;
use crate::codes::{DecisionStatus, Deployee, PlaceKind};
use crate::error::{Field, Problem, Result, ValidationError};
use crate::grade::Grade;
use crate::ids::PlaceId;
use crate::store::Store;
use crate::time::{IsoWeek, Timestamp, local_midnight as midnight, parse_day};

/// One row of the report: an area (or a place outside every area), or a main category.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodRow {
    pub key: String,
    pub name: String,
    pub reports: u32,
    pub events: u32,
    /// Reports in the period of the same length just before.
    pub previous_reports: u32,
    pub highest: Option<Grade>,
    /// Reports per week of the period, in `PeriodReport::weeks` order.
    pub per_week: Vec<u32>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionOutcome {
    pub place: String,
    pub deployees: Vec<Deployee>,
    pub days: Vec<String>,
    pub why: String,
    pub responsible: String,
    pub status: DecisionStatus,
    /// The latest status note.
    pub note: String,
    pub decided_week: IsoWeek,
    /// Reports per week at the place in the four weeks up to the decision, and after it
    /// (up to four weeks, within the period's end).
    pub before: Vec<WeekPoint>,
    pub after: Vec<WeekPoint>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodReport {
    pub workspace: String,
    /// The first day of the period and the day after its last, as `2026-11-01`.
    pub from: String,
    pub until: String,
    pub generated_at: Timestamp,
    pub weeks: Vec<IsoWeek>,
    pub reports: u32,
    pub events: u32,
    pub previous_reports: u32,
    pub areas: Vec<PeriodRow>,
    pub categories: Vec<PeriodRow>,
    pub decisions: Vec<DecisionOutcome>,
}

impl Store {
    /// The lägesrapport from `from` up to (not including) `until`, dates in Swedish time.
    pub fn period_report(&self, from: &str, until: &str, now: Timestamp) -> Result<PeriodReport> {
        let identity = self.require_identity()?;
        let workspace = identity.workspace;
        let (first, end) = (parse_day(from)?, parse_day(until)?);
        if end <= first {
            return Err(ValidationError::new(
                Field::Week,
                Problem::OutOfRange {
                    value: format!("{from} – {until}"),
                    allowed: "the end must come after the start".into(),
                },
            )
            .into());
        }
        let length = end - first;
        let (start, stop) = (midnight(first), midnight(end));
        let previous_start = midnight(first - length);
        let mut weeks = Vec::new();
        let mut week = IsoWeek::containing_date(first);
        let last = IsoWeek::containing_date(end.pred_opt().unwrap_or(end));
        while week.key() <= last.key() {
            weeks.push(week);
            week = week.minus(-1);
        }
        let index: HashMap<i64, usize> = weeks
            .iter()
            .enumerate()
            .map(|(i, w)| (w.key(), i))
            .collect();

        let places: HashMap<PlaceId, _> = self
            .places(workspace)?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let categories: HashMap<String, _> = self
            .categories(workspace)?
            .into_iter()
            .map(|c| (c.key.clone(), c))
            .collect();
        // Each report: its area (or its own place), its main category, week, grade, event.
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

        #[derive(Default)]
        struct Acc {
            name: String,
            reports: u32,
            events: std::collections::BTreeSet<Vec<u8>>,
            previous: u32,
            highest: Option<Grade>,
            per_week: Vec<u32>,
        }
        let mut areas: BTreeMap<String, Acc> = BTreeMap::new();
        let mut cats: BTreeMap<String, Acc> = BTreeMap::new();
        let mut all_events = std::collections::BTreeSet::new();
        let (mut reports, mut previous_reports) = (0, 0);
        for (place, category, week, grade, event, current) in rows {
            let place = crate::lagesbild::resolve(&places, place);
            let (area_key, area_name) = match places.get(&place) {
                Some(p) => match (p.kind, p.area.and_then(|a| places.get(&a))) {
                    (PlaceKind::Plats, Some(area)) => (area.id.to_string(), area.name.clone()),
                    _ => (p.id.to_string(), p.name.clone()),
                },
                None => (place.to_string(), "okänd plats".to_string()),
            };
            let main = categories
                .get(&category)
                .and_then(|c| c.parent.clone())
                .unwrap_or(category);
            let main_name = categories
                .get(&main)
                .map_or_else(|| main.clone(), |c| c.name_sv.clone());
            for (map, key, name) in [
                (&mut areas, area_key, area_name),
                (&mut cats, main, main_name),
            ] {
                let acc = map.entry(key).or_insert_with(|| Acc {
                    name,
                    per_week: vec![0; weeks.len()],
                    ..Acc::default()
                });
                if current {
                    acc.reports += 1;
                    acc.events.insert(event.clone());
                    acc.highest = acc.highest.max(Some(grade));
                    if let Some(&i) = index.get(&week) {
                        acc.per_week[i] += 1;
                    }
                } else {
                    acc.previous += 1;
                }
            }
            if current {
                reports += 1;
                all_events.insert(event);
            } else {
                previous_reports += 1;
            }
        }
        let finish = |map: BTreeMap<String, Acc>| {
            let mut list: Vec<PeriodRow> = map
                .into_iter()
                .map(|(key, acc)| PeriodRow {
                    key,
                    name: acc.name,
                    reports: acc.reports,
                    events: u32::try_from(acc.events.len()).unwrap_or(u32::MAX),
                    previous_reports: acc.previous,
                    highest: acc.highest,
                    per_week: acc.per_week,
                })
                .collect();
            list.sort_by(|a, b| b.reports.cmp(&a.reports).then(a.name.cmp(&b.name)));
            list
        };

        let organisations: HashMap<_, _> = self
            .organisations(workspace)?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let last_week = weeks.last().copied().unwrap_or(IsoWeek::containing(now));
        let mut decisions = Vec::new();
        for d in self.decisions()? {
            if d.created_at < start || d.created_at >= stop {
                continue;
            }
            let decided_week = d.created_at.week();
            let (before, after) = self.before_after(d.place, decided_week, last_week)?;
            decisions.push(DecisionOutcome {
                place: places
                    .get(&d.place)
                    .map_or_else(String::new, |p| p.name.clone()),
                deployees: d.deployees.clone(),
                days: d.schedule.days.clone(),
                why: d.why.as_str().to_string(),
                responsible: organisations
                    .get(&d.responsible)
                    .cloned()
                    .unwrap_or_default(),
                status: d.status,
                note: d.history.last().map(|h| h.note.clone()).unwrap_or_default(),
                decided_week,
                before,
                after,
            });
        }
        decisions.reverse();

        Ok(PeriodReport {
            workspace: self.workspace(workspace)?.name,
            from: first.to_string(),
            until: end.to_string(),
            generated_at: now,
            weeks,
            reports,
            events: u32::try_from(all_events.len()).unwrap_or(u32::MAX),
            previous_reports,
            areas: finish(areas),
            categories: finish(cats),
            decisions,
        })
    }
}
