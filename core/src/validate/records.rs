//! Limits on every record kind and on names, as the server checks what devices send
//! and as the admin commands check what operators type. Text that people read — names
//! in a terminal, a log line, a list — holds no control characters or text-direction
//! overrides: they could move a terminal's cursor, forge a log line or reverse what a
//! reader sees.

use crate::error::{Field, Problem, ValidationError};
use chrono::{Datelike, NaiveDate};

use crate::model::{
    Activity, Assessment, Decision, Meeting, Observation, Promise, Publication, Reporter,
};
use crate::time::IsoWeek;

/// A name: of a person, a device, a place, a category, an organisation, a workspace.
pub const MAX_NAME: usize = 100;
/// Follow-up notes on one report.
pub const MAX_NOTES_PER_REPORT: usize = 200;
/// Corrections and links on one report.
pub const MAX_CORRECTIONS: usize = 100;
pub const MAX_LINKS: usize = 100;
/// A meeting's shared notes.
pub const MAX_MEETING_NOTES: usize = 20_000;
pub const MAX_ATTENDEES: usize = 50;
/// A decision's reasons, and each status step's note; an assessment's motivation.
pub const MAX_WHY: usize = 2_000;
pub const MAX_DEPLOYEES: usize = 10;
/// Days one decision covers, and its status steps.
pub const MAX_DAYS: usize = 62;
pub const MAX_HISTORY: usize = 100;
/// Organisations' own assessments of one area for one week.
pub const MAX_ASSESSMENTS: usize = 100;
/// A promise's text.
pub const MAX_PROMISE_TEXT: usize = 10_000;
/// Signatories of a promise; places, comparison places and indicators of an activity.
pub const MAX_SIGNATORIES: usize = 10;
pub const MAX_PLACES: usize = 100;
pub const MAX_INDICATORS: usize = 5;
pub const MAX_CATEGORIES: usize = 30;
/// Parts of one publication: ten years of months and the period before.
pub const MAX_PARTS: usize = 240;
/// Rows of one part's table.
pub const MAX_PART_ROWS: usize = 2_000;
/// A publication's title: the period and the workspace's name in words.
pub const MAX_TITLE: usize = 300;
/// An activity's neighbourhood: 10 km is a town, not a neighbourhood.
pub const MAX_NEIGHBOUR_METRES: u32 = 10_000;

fn err(field: Field, problem: Problem) -> ValidationError {
    ValidationError::new(field, problem)
}

/// Control characters and Unicode's text-direction overrides and isolates.
fn unreadable(c: char, multiline: bool) -> bool {
    (c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// One line of text at most `max` characters long, with nothing that is not printed.
pub fn line(field: Field, text: &str, max: usize) -> Result<(), ValidationError> {
    checked(field, text, max, false)
}

/// Text of several lines (a description, a note) at most `max` characters long.
pub fn text(field: Field, text: &str, max: usize) -> Result<(), ValidationError> {
    checked(field, text, max, true)
}

fn checked(field: Field, text: &str, max: usize, multiline: bool) -> Result<(), ValidationError> {
    let length = text.chars().count();
    if length > max {
        return Err(err(field, Problem::TooLong { length, max }));
    }
    if text.chars().any(|c| unreadable(c, multiline)) {
        return Err(err(field, Problem::ControlCharacter));
    }
    Ok(())
}

/// A name as typed: trimmed, not empty, one plain line of at most `MAX_NAME`.
pub fn name(field: Field, name: &str) -> Result<String, ValidationError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(err(field, Problem::Missing));
    }
    line(field, name, MAX_NAME)?;
    Ok(name.to_string())
}

fn count(field: Field, count: usize, max: usize) -> Result<(), ValidationError> {
    if count > max {
        return Err(err(field, Problem::TooMany { count, max }));
    }
    Ok(())
}

fn person(field: Field, who: &Reporter) -> Result<(), ValidationError> {
    line(field, &who.name, MAX_NAME)
}

/// What `check_observation` does not: counts, and the text people read.
pub(crate) fn observation_limits(o: &Observation) -> Result<(), ValidationError> {
    count(Field::Note, o.notes.len(), MAX_NOTES_PER_REPORT)?;
    count(Field::Corrections, o.corrections.len(), MAX_CORRECTIONS)?;
    count(Field::Links, o.links.len(), MAX_LINKS)?;
    line(Field::Category, &o.category, MAX_NAME)?;
    person(Field::Name, &o.reporter)?;
    text(Field::Description, o.description(), super::MAX_DESCRIPTION)?;
    if let Some(detail) = &o.place_detail {
        line(Field::PlaceDetail, detail, super::MAX_PLACE_DETAIL)?;
    }
    for note in &o.notes {
        text(Field::Note, &note.text, super::MAX_NOTE)?;
        person(Field::Note, &note.author)?;
    }
    for c in &o.corrections {
        line(Field::Corrections, &c.field, MAX_NAME)?;
        line(Field::Corrections, &c.from, MAX_NAME)?;
        line(Field::Corrections, &c.to, MAX_NAME)?;
        person(Field::Corrections, &c.by)?;
    }
    if o.links.keys().any(|k| k.parse::<uuid::Uuid>().is_err()) {
        return Err(err(
            Field::Links,
            Problem::Unparseable {
                value: String::new(),
                expected: "links keyed by report ids".into(),
            },
        ));
    }
    if let Some(review) = &o.review {
        person(Field::Name, &review.by)?;
    }
    Ok(())
}

pub fn check_meeting(m: &Meeting) -> Result<(), ValidationError> {
    if m.week.parse::<IsoWeek>().is_err() {
        return Err(err(
            Field::Week,
            Problem::Unparseable {
                value: String::new(),
                expected: "an ISO week such as 2026-W48".into(),
            },
        ));
    }
    count(Field::Attendees, m.attendees.len(), MAX_ATTENDEES)?;
    for attendee in &m.attendees {
        line(Field::Attendees, attendee, MAX_NAME)?;
    }
    text(Field::Note, m.notes.as_str(), MAX_MEETING_NOTES)?;
    person(Field::Name, &m.created_by)
}

pub fn check_decision(d: &Decision) -> Result<(), ValidationError> {
    count(Field::Deployees, d.deployees.len(), MAX_DEPLOYEES)?;
    count(Field::Schedule, d.schedule.days.len(), MAX_DAYS)?;
    let bad_day = d
        .schedule
        .days
        .iter()
        .any(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err());
    let bad_time = [&d.schedule.from, &d.schedule.to]
        .into_iter()
        .flatten()
        .any(|t| chrono::NaiveTime::parse_from_str(t, "%H:%M").is_err());
    if bad_day || bad_time {
        return Err(err(
            Field::Schedule,
            Problem::Unparseable {
                value: String::new(),
                expected: "days as 2026-11-27 and times as 18:00".into(),
            },
        ));
    }
    text(Field::Description, d.why.as_str(), MAX_WHY)?;
    count(Field::Status, d.history.len(), MAX_HISTORY)?;
    for step in &d.history {
        text(Field::Note, &step.note, MAX_WHY)?;
        person(Field::Note, &step.by)?;
    }
    person(Field::Name, &d.created_by)
}

pub fn check_assessment(a: &Assessment) -> Result<(), ValidationError> {
    count(
        Field::Organisation,
        a.by_organisation.len(),
        MAX_ASSESSMENTS,
    )?;
    for grade in a.official.iter().chain(a.by_organisation.values()) {
        text(Field::Motivation, &grade.motivation, MAX_WHY)?;
        person(Field::Motivation, &grade.by)?;
    }
    Ok(())
}

fn date(field: Field, text: &str) -> Result<NaiveDate, ValidationError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        err(
            field,
            Problem::Unparseable {
                value: text.chars().take(40).collect(),
                expected: "a date such as 2026-06-01".into(),
            },
        )
    })
}

fn week(field: Field, text: &str) -> Result<IsoWeek, ValidationError> {
    text.parse::<IsoWeek>().map_err(|_| {
        err(
            field,
            Problem::Unparseable {
                value: text.chars().take(40).collect(),
                expected: "an ISO week such as 2026-W10".into(),
            },
        )
    })
}

fn out_of_range(field: Field, value: impl ToString, allowed: &str) -> ValidationError {
    err(
        field,
        Problem::OutOfRange {
            value: value.to_string(),
            allowed: allowed.into(),
        },
    )
}

pub fn check_promise(p: &Promise) -> Result<(), ValidationError> {
    name(Field::Title, &p.title)?;
    text(Field::Description, p.text.as_str(), MAX_PROMISE_TEXT)?;
    let (from, to) = (date(Field::Period, &p.from)?, date(Field::Period, &p.to)?);
    if to < from {
        return Err(out_of_range(
            Field::Period,
            format!("{} – {}", p.from, p.to),
            "an end on or after the start",
        ));
    }
    count(Field::Name, p.signed_by.len(), MAX_SIGNATORIES)?;
    for who in &p.signed_by {
        line(Field::Name, who, MAX_NAME)?;
    }
    if p.areas.is_empty() {
        return Err(err(Field::Places, Problem::Missing));
    }
    count(Field::Places, p.areas.len(), MAX_PLACES)?;
    person(Field::Name, &p.created_by)
}

/// Days from `from` up to (not including) `until`, at least one.
fn days(from: &str, until: &str) -> Result<(NaiveDate, NaiveDate), ValidationError> {
    let (first, end) = (date(Field::Period, from)?, date(Field::Period, until)?);
    if end <= first {
        return Err(out_of_range(
            Field::Period,
            format!("{from} – {until}"),
            "an end after the start",
        ));
    }
    Ok((first, end))
}

/// A publication's own rules: real days, a SHA-256, parts within their limits, and
/// never a published count of 1 or 2 (`report::disclosure::SMALL`).
pub fn check_publication(p: &Publication) -> Result<(), ValidationError> {
    let title = p.title.trim();
    if title.is_empty() {
        return Err(err(Field::Title, Problem::Missing));
    }
    line(Field::Title, title, MAX_TITLE)?;
    days(&p.from, &p.until)?;
    if p.sha256.len() != 64 || !p.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(out_of_range(
            Field::Description,
            p.sha256.chars().take(70).collect::<String>(),
            "the file's SHA-256 in hex",
        ));
    }
    if p.shown > p.counts {
        return Err(out_of_range(
            Field::Period,
            p.shown,
            "no more counts shown than the tables hold",
        ));
    }
    count(Field::Period, p.parts.len(), MAX_PARTS)?;
    count(Field::Period, p.uses.len(), MAX_PARTS)?;
    for span in &p.uses {
        let (first, end) = span.split_once('/').unwrap_or((span, ""));
        days(first, end)?;
    }
    for part in &p.parts {
        let (first, end) = days(&part.from, &part.until)?;
        // Parts are cut at the turn of each month (`report::ledger`).
        let next_month = first
            .with_day(1)
            .and_then(|d| d.checked_add_months(chrono::Months::new(1)));
        if next_month.is_none_or(|next| end > next) {
            return Err(out_of_range(
                Field::Period,
                format!("{} – {}", part.from, part.until),
                "parts within one month",
            ));
        }
        if !p.uses.contains(&part.span()) {
            return Err(out_of_range(
                Field::Period,
                part.span(),
                "every part among the spans the publication uses",
            ));
        }
        count(Field::Week, part.columns.len(), 7)?;
        for column in &part.columns {
            date(Field::Week, column)?;
        }
        count(Field::Places, part.areas.len(), MAX_PART_ROWS)?;
        count(Field::Category, part.categories.len(), MAX_PART_ROWS)?;
        let small = |n: &Option<u32>| {
            n.is_some_and(|n| (1..=crate::report::disclosure::SMALL).contains(&n))
        };
        for rows in [&part.areas, &part.categories] {
            let mut keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            if keys.len() != rows.len() {
                return Err(out_of_range(Field::Name, &part.from, "each row once"));
            }
        }
        for row in part.areas.iter().chain(&part.categories) {
            line(Field::Name, &row.key, MAX_NAME)?;
            line(Field::Name, &row.name, MAX_NAME)?;
            if row.per_column.len() != part.columns.len() {
                return Err(out_of_range(
                    Field::Week,
                    row.per_column.len(),
                    "one count per column",
                ));
            }
            if small(&row.reports) || row.per_column.iter().any(small) {
                return Err(out_of_range(
                    Field::Period,
                    &row.key,
                    "no count of 1 or 2 is published",
                ));
            }
            let cells: Option<u32> = row.per_column.iter().copied().sum();
            if let (Some(total), Some(cells)) = (row.reports, cells)
                && total != cells
            {
                return Err(out_of_range(
                    Field::Period,
                    &row.key,
                    "a row's total the sum of its columns",
                ));
            }
        }
        if small(&part.reports) {
            return Err(out_of_range(
                Field::Period,
                &part.from,
                "no count of 1 or 2 is published",
            ));
        }
    }
    person(Field::Name, &p.published_by)
}

/// An activity's own rules: what can be said of it without the register (the device and
/// the server also check its places and organisation against the register).
pub fn check_activity(a: &Activity) -> Result<(), ValidationError> {
    name(Field::Title, &a.title)?;
    text(Field::Description, a.purpose.as_str(), MAX_WHY)?;
    line(Field::Description, &a.goal, MAX_WHY)?;
    if a.places.is_empty() {
        return Err(err(Field::Places, Problem::Missing));
    }
    count(Field::Places, a.places.len(), MAX_PLACES)?;
    let from = date(Field::Period, &a.period.from)?;
    if let Some(to) = &a.period.to
        && date(Field::Period, to)? < from
    {
        return Err(out_of_range(
            Field::Period,
            format!("{} – {to}", a.period.from),
            "an end on or after the start",
        ));
    }
    count(Field::Period, a.period.weekdays.len(), 7)?;
    if let Some(day) = a.period.weekdays.iter().find(|d| !(1..=7).contains(*d)) {
        return Err(out_of_range(Field::Period, day, "weekdays 1 (Monday) to 7"));
    }
    let times = [&a.period.from_time, &a.period.to_time];
    if times.iter().any(|t| {
        t.as_ref()
            .is_some_and(|t| chrono::NaiveTime::parse_from_str(t, "%H:%M").is_err())
    }) || times[0].is_some() != times[1].is_some()
    {
        return Err(err(
            Field::Period,
            Problem::Unparseable {
                value: String::new(),
                expected: "both times as 18:00, or neither".into(),
            },
        ));
    }
    line(Field::Name, &a.responsible_person, MAX_NAME)?;
    if a.indicators.is_empty() {
        return Err(err(Field::Indicators, Problem::Missing));
    }
    count(Field::Indicators, a.indicators.len(), MAX_INDICATORS)?;
    let started = IsoWeek::containing_date(from);
    for indicator in &a.indicators {
        count(Field::Category, indicator.categories.len(), MAX_CATEGORIES)?;
        for category in &indicator.categories {
            line(Field::Category, category, MAX_NAME)?;
        }
        let (first, last) = (
            week(Field::Baseline, &indicator.baseline_from)?,
            week(Field::Baseline, &indicator.baseline_to)?,
        );
        if last.key() < first.key() {
            return Err(out_of_range(
                Field::Baseline,
                format!("{first} – {last}"),
                "a last week on or after the first",
            ));
        }
        if last.key() >= started.key() {
            return Err(out_of_range(
                Field::Baseline,
                format!("{first} – {last}"),
                &format!("weeks before the activity starts ({started})"),
            ));
        }
        if !indicator.target.is_finite() || indicator.target <= -1.0 || indicator.target > 10.0 {
            return Err(out_of_range(
                Field::Target,
                indicator.target,
                "a change between -100 % and +1000 %",
            ));
        }
    }
    count(Field::Comparison, a.comparison.len(), MAX_PLACES)?;
    if let Some(place) = a.comparison.iter().find(|c| a.places.contains(c)) {
        return Err(out_of_range(
            Field::Comparison,
            place,
            "places the activity does not work at",
        ));
    }
    if a.neighbour_metres > MAX_NEIGHBOUR_METRES {
        return Err(out_of_range(
            Field::Places,
            a.neighbour_metres,
            "a neighbourhood of at most 10 000 m",
        ));
    }
    count(
        Field::Reconsideration,
        a.reconsiderations.len(),
        MAX_HISTORY,
    )?;
    for r in &a.reconsiderations {
        text(Field::Reconsideration, &r.reason, MAX_WHY)?;
        person(Field::Reconsideration, &r.by)?;
    }
    person(Field::Name, &a.created_by)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_with_control_characters_or_direction_overrides_are_refused() {
        assert_eq!(
            name(Field::Name, "  Rönninge station ").unwrap(),
            "Rönninge station"
        );
        for bad in [
            "telefon\u{1b}[2K\rrevoked",
            "rad\nny rad",
            "abc\u{202e}cba",
            "\u{7}",
        ] {
            assert_eq!(
                name(Field::Name, bad).unwrap_err().problem,
                Problem::ControlCharacter,
                "{bad:?}"
            );
        }
        assert!(text(Field::Description, "två\nrader\tmed tab", 100).is_ok());
        assert!(matches!(
            name(Field::Name, &"x".repeat(MAX_NAME + 1))
                .unwrap_err()
                .problem,
            Problem::TooLong { .. }
        ));
    }
}
