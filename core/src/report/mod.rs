//! The lägesrapport: a period (a month, a quarter) for the planning group and the
//! management council — reports and events per area and category, week by week, against
//! the period before; the decisions taken and their follow-up. Built from the
//! projection, so it holds counts, never what a report says or who made it.
//!
//! The version for politicians (`politicians`) is disclosure-controlled
//! (`disclosure`); both are rendered as HTML and CSV by `render`, for the app and the
//! command line alike.

pub mod disclosure;
pub mod ledger;
pub mod politicians;
pub mod render;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::agenda::{Series, WeekPoint, before_after};
use crate::codes::{DecisionStatus, Deployee, PlaceKind};
use crate::effect::follow_up::ActivityStatus;
use crate::effect::indicator::Malvisare;
use crate::effect::{Change, Counts, Verdict};
use crate::error::{Field, Problem, Result, ValidationError};
use crate::grade::Grade;
use crate::ids::PlaceId;
use crate::model::{Category, Decision, Organisation, Place, ReconsiderationEntry};
use crate::time::{IsoWeek, Timestamp, local_midnight as midnight, parse_day};

use chrono::{Datelike, Months, NaiveDate};

/// One row of the report: an area (or a place outside every area), or a main category.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodRow {
    pub key: String,
    pub name: String,
    pub reports: u32,
    pub events: u32,
    /// Reports in the period before (`previous_period`).
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
    /// Each activity of the plan as it stood at the period's end, with the meeting's
    /// reconsiderations of the period.
    #[serde(default)]
    pub efforts: Vec<EffortOutcome>,
}

/// An activity in the lägesrapport: its status, målvisare and effect at the period's
/// end, and what the meeting decided about it during the period.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffortOutcome {
    pub promise: Option<String>,
    pub activity: String,
    pub responsible: String,
    pub status: ActivityStatus,
    /// The first indicator's målvisare, with its rule.
    pub malvisare: Option<Malvisare>,
    /// `None` when the effect could not be measured yet (`not_measured` says why).
    pub verdict: Option<Verdict>,
    pub not_measured: Option<String>,
    pub change: Option<Change>,
    /// Reports at its places before and after its start, as the effect counted them.
    pub counts: Option<Counts>,
    pub reconsiderations: Vec<ReconsiderationEntry>,
}

/// A period of whole days in Swedish time: `from` up to (not including) `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub until: NaiveDate,
}

impl Period {
    /// A month written `2026-11`; without one, the last whole month before `now`.
    pub fn month(text: Option<&str>, now: Timestamp) -> Result<Period> {
        let first = match text {
            Some(text) => NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d")
                .map_err(|_| unparseable(text, "a month such as 2026-11"))?,
            None => {
                let today = now.local_date();
                let this = today.with_day(1).unwrap_or(today);
                this.checked_sub_months(Months::new(1)).unwrap_or(this)
            }
        };
        Ok(Period::months(first, 1))
    }

    /// A quarter written `2026-Q4` (or `2026Q4`); without one, the last whole quarter
    /// before `now`.
    pub fn quarter(text: Option<&str>, now: Timestamp) -> Result<Period> {
        let first = match text {
            Some(text) => {
                let bad = || unparseable(text, "a quarter such as 2026-Q4");
                let upper = text.trim().to_uppercase();
                let (year, q) = upper.split_once('Q').ok_or_else(bad)?;
                let year: i32 = year.trim_end_matches('-').parse().map_err(|_| bad())?;
                let q: u32 = q.parse().map_err(|_| bad())?;
                if !(1..=4).contains(&q) {
                    return Err(bad());
                }
                NaiveDate::from_ymd_opt(year, (q - 1) * 3 + 1, 1).ok_or_else(bad)?
            }
            None => {
                let today = now.local_date();
                let this = NaiveDate::from_ymd_opt(today.year(), today.month0() / 3 * 3 + 1, 1)
                    .unwrap_or(today);
                this.checked_sub_months(Months::new(3)).unwrap_or(this)
            }
        };
        Ok(Period::months(first, 3))
    }

    /// From the day `first` to the day `last`, both included, written `2026-11-01`.
    pub fn days(first: &str, last: &str) -> Result<Period> {
        let (from, last) = (parse_day(first)?, parse_day(last)?);
        match last.succ_opt() {
            Some(until) if until > from => Ok(Period { from, until }),
            _ => Err(ValidationError::new(
                Field::Week,
                Problem::OutOfRange {
                    value: format!("{first} – {last}"),
                    allowed: "the last day must not come before the first".into(),
                },
            )
            .into()),
        }
    }

    fn months(first: NaiveDate, n: u32) -> Period {
        Period {
            from: first,
            until: first.checked_add_months(Months::new(n)).unwrap_or(first),
        }
    }

    /// The last day of the period.
    pub fn last(&self) -> NaiveDate {
        self.until.pred_opt().unwrap_or(self.until)
    }
}

fn unparseable(value: &str, expected: &str) -> crate::Error {
    ValidationError::new(
        Field::Week,
        Problem::Unparseable {
            value: value.to_string(),
            expected: expected.into(),
        },
    )
    .into()
}

/// The period just before `first`..`end`: as many whole months before, when the period
/// is whole months (November's period before is October, a quarter's the quarter
/// before), else as many days before.
pub fn previous_period(first: NaiveDate, end: NaiveDate) -> (NaiveDate, NaiveDate) {
    let months = (end.year() - first.year()) * 12 + end.month() as i32 - first.month() as i32;
    if first.day() == 1 && end.day() == 1 && months > 0 {
        let back = first.checked_sub_months(Months::new(months.unsigned_abs()));
        if let Some(back) = back {
            return (back, first);
        }
    }
    (first - (end - first), first)
}

/// A period as the report reads it: from `first` up to (not including) `end`, in
/// Swedish time, and the period before it of the same length that it compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub first: NaiveDate,
    pub end: NaiveDate,
    pub start: Timestamp,
    pub stop: Timestamp,
    /// Where the period before begins; it ends at `start`.
    pub previous_start: Timestamp,
}

impl Span {
    /// The period from `from` up to (not including) `until`, dates as people write them.
    pub fn of(from: &str, until: &str) -> Result<Span> {
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
        Ok(Span::between(first, end))
    }

    /// The days from `first` up to (not including) `end`.
    pub fn between(first: NaiveDate, end: NaiveDate) -> Span {
        Span {
            first,
            end,
            start: midnight(first),
            stop: midnight(end),
            previous_start: midnight(previous_period(first, end).0),
        }
    }

    /// The period before, of the same length (a month before a month).
    pub fn previous(&self) -> Span {
        let (first, end) = previous_period(self.first, self.end);
        Span::between(first, end)
    }
}

/// One report as the period report counts it (`Store::period_rows`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    pub place: PlaceId,
    pub category: String,
    /// Its week's key (`IsoWeek::key`).
    pub week: i64,
    pub grade: Grade,
    /// Its event: linked reports of one event share it; an unlinked report is its own.
    pub event: Vec<u8>,
    /// In the period itself, rather than the period before.
    pub current: bool,
}

/// What a period report is made from, as the store holds it.
#[derive(Debug, Clone)]
pub struct PeriodInput<'a> {
    pub workspace_name: String,
    pub places: &'a [Place],
    pub categories: &'a [Category],
    pub organisations: &'a [Organisation],
    /// Every decision, newest first.
    pub decisions: Vec<Decision>,
    /// The reports of the period and of the period before it.
    pub reports: Vec<Reported>,
}

/// The lägesrapport of `span`: per area and per main category, how many reports and
/// events against the period before, week by week; and the decisions made in it with
/// their before and after (from `series`).
pub fn build(
    span: &Span,
    input: PeriodInput<'_>,
    series: &mut Series<'_>,
    now: Timestamp,
) -> Result<PeriodReport> {
    let Span {
        first,
        end,
        start,
        stop,
        ..
    } = *span;
    let PeriodInput {
        workspace_name,
        places,
        categories,
        organisations,
        decisions: all_decisions,
        reports: rows,
    } = input;
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

    let places: HashMap<PlaceId, &Place> = places.iter().map(|p| (p.id, p)).collect();
    let categories: HashMap<String, &Category> =
        categories.iter().map(|c| (c.key.clone(), c)).collect();
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
    for Reported {
        place,
        category,
        week,
        grade,
        event,
        current,
    } in rows
    {
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

    let organisations: HashMap<_, _> = organisations
        .iter()
        .map(|o| (o.id, o.name.clone()))
        .collect();
    let last_week = weeks.last().copied().unwrap_or(IsoWeek::containing(now));
    let mut decisions = Vec::new();
    for d in all_decisions {
        if d.created_at < start || d.created_at >= stop {
            continue;
        }
        let decided_week = d.created_at.week();
        let (before, after) = before_after(series, d.place, decided_week, last_week)?;
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
        workspace: workspace_name,
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
        efforts: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn day(text: &str) -> NaiveDate {
        parse_day(text).unwrap()
    }

    fn at(text: &str) -> Timestamp {
        crate::time::parse_time(text, Timestamp::from(chrono::Utc::now())).unwrap()
    }

    #[test]
    fn periods_are_read_as_people_write_them() {
        let now = at("2026-12-04T10:00:00Z");
        let nov = Period::month(None, now).unwrap();
        assert_eq!(
            (nov.from, nov.until),
            (day("2026-11-01"), day("2026-12-01"))
        );
        let dec = Period::month(Some("2026-12"), now).unwrap();
        assert_eq!(
            (dec.from, dec.until),
            (day("2026-12-01"), day("2027-01-01"))
        );
        let q3 = Period::quarter(None, now).unwrap();
        assert_eq!((q3.from, q3.until), (day("2026-07-01"), day("2026-10-01")));
        let q1 = Period::quarter(Some("2027q1"), now).unwrap();
        assert_eq!((q1.from, q1.until), (day("2027-01-01"), day("2027-04-01")));
        let days = Period::days("2026-11-03", "2026-11-09").unwrap();
        assert_eq!(
            (days.from, days.until),
            (day("2026-11-03"), day("2026-11-10"))
        );
        assert_eq!(days.last(), day("2026-11-09"));
        // 23:30 UTC on 31 December is already January in Sweden: last month is December.
        let new_year = Period::month(None, at("2026-12-31T23:30:00Z")).unwrap();
        assert_eq!(new_year.from, day("2026-12-01"));
        for bad in ["2026-13", "november"] {
            assert!(Period::month(Some(bad), now).is_err(), "{bad}");
        }
        for bad in ["2026-Q5", "2026", "Q4"] {
            assert!(Period::quarter(Some(bad), now).is_err(), "{bad}");
        }
        assert!(Period::days("2026-11-09", "2026-11-03").is_err());
    }

    #[test]
    fn the_period_before_is_as_long() {
        let before = |a, b| previous_period(day(a), day(b));
        assert_eq!(
            before("2026-11-01", "2026-12-01"),
            (day("2026-10-01"), day("2026-11-01"))
        );
        assert_eq!(
            before("2026-10-01", "2027-01-01"),
            (day("2026-07-01"), day("2026-10-01"))
        );
        assert_eq!(
            before("2026-03-01", "2026-04-01"),
            (day("2026-02-01"), day("2026-03-01"))
        );
        assert_eq!(
            before("2026-11-03", "2026-11-10"),
            (day("2026-10-27"), day("2026-11-03"))
        );
    }
}
