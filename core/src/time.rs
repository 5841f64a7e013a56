//! Time: instants, ISO weeks in Europe/Stockholm, and parsing what people type.
//!
//! Nothing here reads the clock; callers pass `now` (ARCHITECTURE.md, invariant 9).

use std::fmt;
use std::str::FromStr;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Europe::Stockholm;
use serde::{Deserialize, Serialize};

/// An instant, stored with millisecond precision. In JSON it is RFC 3339 in UTC with
/// milliseconds: `2026-11-24T20:30:00.000Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct Timestamp(pub DateTime<Utc>);

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Timestamp::from(t.with_timezone(&Utc)))
            .map_err(|e| serde::de::Error::custom(format!("'{text}' is not an RFC 3339 time: {e}")))
    }
}

impl Timestamp {
    pub fn from_millis(ms: i64) -> Option<Timestamp> {
        DateTime::from_timestamp_millis(ms).map(Timestamp)
    }

    pub fn millis(self) -> i64 {
        self.0.timestamp_millis()
    }

    /// The same instant truncated to what the store keeps.
    pub fn truncated(self) -> Timestamp {
        Timestamp::from_millis(self.millis()).unwrap_or(self)
    }

    /// Local time in Europe/Stockholm, as people read it: `2026-11-24 21:30`.
    pub fn local_display(self) -> String {
        self.0
            .with_timezone(&Stockholm)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    /// The day it falls on in Swedish time.
    pub fn local_date(self) -> NaiveDate {
        self.0.with_timezone(&Stockholm).date_naive()
    }

    pub fn week(self) -> IsoWeek {
        IsoWeek::containing(self)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Timestamp(value).truncated()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }
}

impl Reconcile for Timestamp {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.timestamp(self.millis())
    }
}

impl Hydrate for Timestamp {
    fn hydrate_timestamp(t: i64) -> Result<Self, HydrateError> {
        Timestamp::from_millis(t)
            .ok_or_else(|| HydrateError::unexpected("a time within chrono's range", t.to_string()))
    }
}

/// An ISO 8601 week, the unit of the weekly cycle. Weeks are counted in Swedish local
/// time: a report at 23:30 on a Sunday belongs to that Sunday's week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct IsoWeek {
    year: i32,
    week: u32,
}

impl IsoWeek {
    pub fn new(year: i32, week: u32) -> Option<IsoWeek> {
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).map(|_| IsoWeek { year, week })
    }

    pub fn containing(instant: Timestamp) -> IsoWeek {
        let iso = instant.0.with_timezone(&Stockholm).date_naive().iso_week();
        IsoWeek {
            year: iso.year(),
            week: iso.week(),
        }
    }

    /// The week a calendar day belongs to.
    pub fn containing_date(date: NaiveDate) -> IsoWeek {
        let iso = date.iso_week();
        IsoWeek {
            year: iso.year(),
            week: iso.week(),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn week(self) -> u32 {
        self.week
    }

    /// A sortable integer, `202647` for week 47 of 2026; what projections store.
    pub fn key(self) -> i64 {
        i64::from(self.year) * 100 + i64::from(self.week)
    }

    pub fn from_key(key: i64) -> Option<IsoWeek> {
        let year = i32::try_from(key / 100).ok()?;
        let week = u32::try_from(key % 100).ok()?;
        IsoWeek::new(year, week)
    }

    pub fn monday(self) -> NaiveDate {
        // The constructor checked that this week exists.
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).unwrap_or(NaiveDate::MIN)
    }

    /// `n` weeks earlier (or later, for negative `n`).
    pub fn minus(self, n: i64) -> IsoWeek {
        let date = self.monday() - Duration::weeks(n);
        let iso = date.iso_week();
        IsoWeek {
            year: iso.year(),
            week: iso.week(),
        }
    }

    /// How many weeks `self` comes after `earlier` (negative when before): keys are not
    /// contiguous across a new year, so weeks are never counted by subtracting keys.
    pub fn weeks_since(self, earlier: IsoWeek) -> i64 {
        (self.monday() - earlier.monday()).num_weeks()
    }

    /// The first instant of the week and the first instant of the next, in UTC.
    pub fn bounds(self) -> (Timestamp, Timestamp) {
        (
            local_midnight(self.monday()),
            local_midnight(self.minus(-1).monday()),
        )
    }
}

/// A calendar day written `2026-11-01`.
pub fn parse_day(text: &str) -> crate::Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        crate::ValidationError::new(
            crate::Field::Week,
            crate::Problem::Unparseable {
                value: text.to_string(),
                expected: "a date such as 2026-11-01".into(),
            },
        )
        .into()
    })
}

/// The first instant of a day in Swedish time.
pub fn local_midnight(date: NaiveDate) -> Timestamp {
    let naive = date.and_time(NaiveTime::MIN);
    // Midnight always exists in Stockholm (DST shifts happen at 02:00/03:00).
    let local = match Stockholm.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t,
        LocalResult::None => Stockholm.from_utc_datetime(&naive),
    };
    Timestamp(local.with_timezone(&Utc))
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

/// Accepts `2026-W47`, `2026W47` and `2026-47`.
impl FromStr for IsoWeek {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("'{s}' is not a week; write it as 2026-W47");
        let t = s.trim().to_uppercase();
        let (year, week) = t
            .split_once("-W")
            .or_else(|| t.split_once('W'))
            .or_else(|| t.split_once('-'))
            .ok_or_else(bad)?;
        let year: i32 = year.trim_end_matches('-').parse().map_err(|_| bad())?;
        let week: u32 = week.parse().map_err(|_| bad())?;
        IsoWeek::new(year, week).ok_or_else(|| format!("{year} has no week {week}"))
    }
}

impl Serialize for IsoWeek {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IsoWeek {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Parses a time as people and files write it. Accepted: RFC 3339 with an offset
/// (`2026-11-24T21:30:00+01:00`), Swedish local time (`2026-11-24 21:30`,
/// `2026-11-24T21:30:15`), a local time today (`21:30`), and `nu`/`now`.
/// Returns `None` when the text is none of these.
pub fn parse_time(text: &str, now: Timestamp) -> Option<Timestamp> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("nu") || t.eq_ignore_ascii_case("now") {
        return Some(now);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(Timestamp::from(dt.with_timezone(&Utc)));
    }
    const LOCAL_FORMATS: [&str; 4] = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ];
    let naive = LOCAL_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .or_else(|| {
            let time = NaiveTime::parse_from_str(t, "%H:%M").ok()?;
            Some(now.0.with_timezone(&Stockholm).date_naive().and_time(time))
        })?;
    match Stockholm.from_local_datetime(&naive) {
        LocalResult::Single(local) | LocalResult::Ambiguous(local, _) => {
            Some(Timestamp::from(local.with_timezone(&Utc)))
        }
        // A local time skipped by the spring DST shift does not exist.
        LocalResult::None => None,
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for IsoWeek {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^\d{4}-W\d{2}$"))
            .description(Some("An ISO week, counted in Europe/Stockholm time"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for IsoWeek {}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::from(
            DateTime::parse_from_rfc3339(s)
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_default(),
        )
    }

    #[test]
    fn sunday_night_in_stockholm_belongs_to_that_sunday_week() {
        // 2026-11-29 is a Sunday; 23:30 local is 22:30 UTC, still week 48.
        assert_eq!(at("2026-11-29T22:30:00Z").week().to_string(), "2026-W48");
        // 23:30 UTC is 00:30 Monday local: week 49.
        assert_eq!(at("2026-11-29T23:30:00Z").week().to_string(), "2026-W49");
    }

    #[test]
    fn weeks_step_back_across_years() {
        let w1: IsoWeek = "2027-W01".parse().unwrap_or(IsoWeek { year: 0, week: 0 });
        assert_eq!(w1.minus(1).to_string(), "2026-W53");
        assert_eq!(w1.minus(4).to_string(), "2026-W50");
        assert_eq!(IsoWeek::from_key(w1.key()), Some(w1));
        assert!(
            "2025-W53".parse::<IsoWeek>().is_err(),
            "2025 has 52 ISO weeks"
        );
    }

    #[test]
    fn week_bounds_follow_swedish_midnight() {
        let week: IsoWeek = "2026-W48".parse().unwrap_or(IsoWeek { year: 0, week: 0 });
        let (start, end) = week.bounds();
        assert_eq!(start.to_string(), "2026-11-22T23:00:00.000Z");
        assert_eq!(end.to_string(), "2026-11-29T23:00:00.000Z");
    }

    #[test]
    fn typed_times_are_swedish_local_time() {
        let now = at("2026-11-25T10:00:00Z");
        assert_eq!(
            parse_time("2026-11-24 21:30", now),
            Some(at("2026-11-24T20:30:00Z"))
        );
        assert_eq!(parse_time("21:30", now), Some(at("2026-11-25T20:30:00Z")));
        assert_eq!(
            parse_time("2026-07-01T12:00:00+02:00", now),
            Some(at("2026-07-01T10:00:00Z"))
        );
        assert_eq!(parse_time("nu", now), Some(now));
        assert_eq!(parse_time("igår kväll", now), None);
        assert_eq!(
            parse_time("2026-03-29 02:30", now),
            None,
            "skipped by the DST shift"
        );
    }
}
