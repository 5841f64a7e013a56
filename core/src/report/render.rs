//! The lägesrapport as people and scripts read it: an HTML page to print or send, and
//! CSV of its tables. One rendering for the app and the command line, so both say the
//! same in the same words. Swedish or English.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};

use super::politicians::{OTHERS, PoliticiansReport, Published};
use super::{PeriodReport, PeriodRow};
use crate::Lang;
use crate::agenda::WeekPoint;
use crate::codes::Reconsideration;
use crate::effect::follow_up::ActivityStatus;
use crate::effect::indicator::Colour;
use crate::effect::{Change, Verdict};
use crate::grade::Grade;
use crate::time::IsoWeek;

/// What `suppressed` counts are shown as, in HTML and CSV: the symbol of official
/// statistics for a figure withheld.
pub const WITHHELD: &str = "..";

/// One value in a table.
#[derive(Debug, Clone, Copy)]
enum Value {
    Count(Published),
    /// The change against the period before, in per cent; `None`: nothing before.
    Change(Option<i64>),
    Highest(Option<Grade>),
    /// A change on a small base, as its two counts: "8 → 86".
    Shift(u32, u32),
}

/// Below this many reports in the period before, a change is written as its two counts:
/// a percentage of a handful says more than it knows.
pub const SMALL_BASE: u32 = 20;

impl Value {
    fn text(self, lang: Lang) -> String {
        match self {
            Value::Count(Some(n)) => n.to_string(),
            Value::Count(None) => WITHHELD.into(),
            Value::Change(None) => words(lang).new.into(),
            Value::Change(Some(0)) => "±0\u{a0}%".into(),
            Value::Change(Some(p)) => {
                format!("{}{}\u{a0}%", if p > 0 { "+" } else { "−" }, p.abs())
            }
            Value::Highest(g) => g.map_or("–".into(), |g| g.value().to_string()),
            Value::Shift(before, now) => format!("{before}\u{a0}→\u{a0}{now}"),
        }
    }

    fn csv(self) -> String {
        match self {
            Value::Count(Some(n)) => n.to_string(),
            Value::Count(None) => WITHHELD.into(),
            Value::Change(p) => p.map_or(String::new(), |p| p.to_string()),
            Value::Highest(g) => g.map_or(String::new(), |g| g.value().to_string()),
            // Its two counts stand in their own columns.
            Value::Shift(..) => String::new(),
        }
    }
}

struct Row {
    key: String,
    name: String,
    values: Vec<Value>,
}

struct Table {
    /// `area` or `category`.
    kind: &'static str,
    heading: &'static str,
    /// (header, CSV column, class)
    columns: Vec<(String, String, &'static str)>,
    rows: Vec<Row>,
    /// Said instead of the table where nothing in it could be published.
    instead: Option<String>,
}

struct Decision {
    week: IsoWeek,
    what: String,
    why: String,
    status: String,
    /// Before and after, where counts are published.
    counts: Option<String>,
}

/// An activity's line in the report.
struct Effort {
    activity: String,
    promise: Option<String>,
    responsible: String,
    status: String,
    malvisare: String,
    verdict: String,
    /// The relative change and its interval, in per cent.
    change: Option<(i64, i64, i64)>,
    /// Reports before and after the start, where counts are published.
    counts: Option<String>,
    reconsidered: String,
}

/// What both versions show, laid out.
struct Sheet {
    lang: Lang,
    title: String,
    period: String,
    generated: String,
    totals: Vec<(&'static str, &'static str, Value)>,
    tables: Vec<Table>,
    decisions: Vec<Decision>,
    efforts: Vec<Effort>,
    /// Said under the totals.
    notes: Vec<String>,
    footnote: Option<String>,
    /// The version for politicians: tables that fit the page.
    politicians: bool,
}

/// The words of the report.
struct Words {
    title: &'static str,
    generated: &'static str,
    reports: &'static str,
    events: &'static str,
    previous: &'static str,
    change: &'static str,
    highest: &'static str,
    by_area: &'static str,
    by_category: &'static str,
    decisions: &'static str,
    no_decisions: &'static str,
    efforts: &'static str,
    efforts_intro: &'static str,
    activity: &'static str,
    status: &'static str,
    malvisare: &'static str,
    effect: &'static str,
    reconsidered: &'static str,
    statuses: [&'static str; 4],
    colours: [&'static str; 3],
    verdicts: [&'static str; 4],
    more_weeks: &'static str,
    week: &'static str,
    before: &'static str,
    after: &'static str,
    per_week: &'static str,
    new: &'static str,
    quarter: &'static str,
    months: [&'static str; 12],
    footnote: &'static str,
    version: &'static str,
    part: &'static str,
    /// The short column headers of the version for politicians, whose tables fit the
    /// page: count, the period before, the highest grade.
    short: [&'static str; 3],
    previous_not_shown: &'static str,
    published_share: &'static str,
    nothing_published: &'static str,
    /// The rows that gather what is too small to stand alone, and what they are.
    other_areas: &'static str,
    other_categories: &'static str,
    others_note: &'static str,
}

const SV: Words = Words {
    title: "Lägesrapport",
    generated: "Sammanställd",
    reports: "Rapporter",
    events: "Händelser",
    previous: "Föregående period",
    change: "Ändring",
    highest: "Högsta bedömning",
    by_area: "Per område",
    by_category: "Per kategori",
    decisions: "Beslut och uppföljning",
    no_decisions: "Inga beslut under perioden.",
    efforts: "Medborgarlöften och insatser",
    efforts_intro: "Effekten är förändringen vid insatsens platser mot liknande platser utan insats under samma veckor, med 95 %-intervall; utsänd personals egna rapporter räknas inte.",
    activity: "Insats",
    status: "Status",
    malvisare: "Målvisare",
    effect: "Effekt",
    reconsidered: "Omprövning under perioden",
    statuses: ["planerad", "pågår", "perioden är slut", "avslutad"],
    colours: ["grön", "gul", "röd"],
    verdicts: [
        "tydlig minskning",
        "tydlig ökning",
        "ingen säker skillnad än",
        "för lite underlag",
    ],
    more_weeks: "veckor till behövs",
    week: "v.",
    before: "Före",
    after: "Efter",
    per_week: "per vecka",
    new: "ny",
    quarter: "kvartal",
    months: [
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ],
    footnote: "Antal på 1 eller 2 visas inte (..), och inte heller andra antal som skulle \
        göra det möjligt att räkna fram dem, så att ingen enskild kan pekas ut. Varje period \
        visas med samma siffror i alla rapporter som lämnats ut, så att inte heller flera \
        rapporter lästa tillsammans avslöjar något.",
    version: "version för politiker",
    part: "(del)",
    short: ["Antal", "Perioden före", "Högsta läge"],
    previous_not_shown: "Föregående period visas inte: den skulle dela en period som redan har lämnats ut i en annan rapport.",
    published_share: "Andel av talen som visas",
    nothing_published: "För få rapporter för att visa tabellen: alla antal i den skulle ha behövt döljas för att ingen ska kunna pekas ut.",
    other_areas: "Övriga områden",
    other_categories: "Övriga kategorier",
    others_note: "Övriga områden och övriga kategorier samlar de som har för få rapporter för att visas var för sig; vilka det är kan skilja mellan perioderna.",
};

const EN: Words = Words {
    title: "Situation report",
    generated: "Compiled",
    reports: "Reports",
    events: "Events",
    previous: "Period before",
    change: "Change",
    highest: "Highest grade",
    by_area: "By area",
    by_category: "By category",
    decisions: "Decisions and follow-up",
    no_decisions: "No decisions in the period.",
    efforts: "Citizen promises and activities",
    efforts_intro: "The effect is the change at the activity's places against similar places without one over the same weeks, with a 95 % interval; the deployed staff's own reports are not counted.",
    activity: "Activity",
    status: "Status",
    malvisare: "Goal indicator",
    effect: "Effect",
    reconsidered: "Reconsidered in the period",
    statuses: ["planned", "running", "period over", "stopped"],
    colours: ["green", "yellow", "red"],
    verdicts: [
        "clear decrease",
        "clear increase",
        "no certain difference yet",
        "too little data",
    ],
    more_weeks: "more weeks needed",
    week: "w.",
    before: "Before",
    after: "After",
    per_week: "per week",
    new: "new",
    quarter: "quarter",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    footnote: "Counts of 1 or 2 are not shown (..), nor any other count that would let them \
        be worked out, so that no one can be singled out. Each period is shown with the same \
        figures in every report that has been published, so that several reports read \
        together do not give anything away either.",
    version: "version for politicians",
    part: "(part)",
    short: ["Count", "Period before", "Highest grade"],
    previous_not_shown: "The period before is not shown: it would split a period already published in another report.",
    published_share: "Share of the figures shown",
    nothing_published: "Too few reports to show the table: every count in it would have had to be withheld so that no one can be singled out.",
    other_areas: "Other areas",
    other_categories: "Other categories",
    others_note: "Other areas and other categories gather those with too few reports to be shown one by one; which they are may differ between periods.",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Sv => &SV,
        Lang::En => &EN,
    }
}

/// A period as people name it: "november 2026", "kvartal 4 2026", or its first and
/// last day.
pub fn period_name(from: &str, until: &str, lang: Lang) -> String {
    let w = words(lang);
    let Some((first, end)) = days_of(from, until) else {
        return format!("{from} – {until}");
    };
    let months = (end.year() - first.year()) * 12 + end.month() as i32 - first.month() as i32;
    if first.day() == 1 && end.day() == 1 {
        if months == 1 {
            return format!("{} {}", w.months[first.month0() as usize], first.year());
        }
        if months == 12 && first.month0() == 0 {
            return first.year().to_string();
        }
        if months == 3 && first.month0() % 3 == 0 {
            let q = first.month0() / 3 + 1;
            return match lang {
                Lang::Sv => format!("{} {q} {}", w.quarter, first.year()),
                Lang::En => format!("Q{q} {}", first.year()),
            };
        }
    }
    let last = end.pred_opt().unwrap_or(end);
    format!("{first} – {last}")
}

fn days_of(from: &str, until: &str) -> Option<(NaiveDate, NaiveDate)> {
    let day = |text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    Some((day(from)?, day(until)?))
}

/// A part of a longer report as its column is headed: "jan", or its days.
fn part_name(from: &str, until: &str, lang: Lang) -> String {
    let w = words(lang);
    let Some((first, end)) = days_of(from, until) else {
        return format!("{from} – {until}");
    };
    let month: String = w.months[first.month0() as usize].chars().take(3).collect();
    let whole = first.day() == 1 && end.day() == 1 && end.month0() == (first.month0() + 1) % 12;
    if whole {
        return month;
    }
    let last = end.pred_opt().unwrap_or(end);
    if last == first {
        return format!("{}\u{a0}{month}", first.day());
    }
    format!("{}–{}\u{a0}{month}", first.day(), last.day())
}

/// A change in the version for politicians: as its two counts on a small base, in per
/// cent on a larger one; `..` where either count is withheld.
fn shift(now: Published, before: Published) -> Value {
    match (now, before) {
        (Some(now), Some(before)) if before >= SMALL_BASE => change(now, before),
        (Some(now), Some(before)) => Value::Shift(before, now),
        _ => Value::Count(None),
    }
}

fn week_header(week: IsoWeek, lang: Lang) -> String {
    format!("{}\u{a0}{}", words(lang).week, week.week())
}

fn change(now: u32, before: u32) -> Value {
    if before == 0 {
        return if now == 0 {
            Value::Change(Some(0))
        } else {
            Value::Change(None)
        };
    }
    let pct = (f64::from(now) - f64::from(before)) / f64::from(before) * 100.0;
    Value::Change(Some(pct.round() as i64))
}

/// A number with one decimal as the language writes it: `10,8` in Swedish, `10.8` in
/// English.
pub fn decimal(x: f64, lang: Lang) -> String {
    let text = format!("{x:.1}");
    match lang {
        Lang::Sv => text.replace('.', ",").replace('-', "\u{2212}"),
        Lang::En => text,
    }
}

fn sum(points: &[WeekPoint]) -> u32 {
    points.iter().map(|p| p.reports).sum()
}

fn decision_what(
    place: &str,
    deployees: &[crate::Deployee],
    responsible: &str,
    lang: Lang,
) -> String {
    let whom: Vec<&str> = deployees.iter().map(|d| d.label(lang)).collect();
    format!("{place} · {} · {responsible}", whom.join(", "))
}

fn decision_status(status: crate::DecisionStatus, note: &str, lang: Lang) -> String {
    if note.is_empty() {
        status.label(lang).to_string()
    } else {
        format!("{}: {note}", status.label(lang))
    }
}

fn status_text(status: ActivityStatus, lang: Lang) -> String {
    let w = words(lang);
    w.statuses[match status {
        ActivityStatus::Planerad => 0,
        ActivityStatus::Pagar => 1,
        ActivityStatus::PeriodenSlut => 2,
        ActivityStatus::Avslutad => 3,
    }]
    .into()
}

fn colour_text(colour: Option<Colour>, lang: Lang) -> String {
    colour.map_or("–".into(), |c| {
        words(lang).colours[match c {
            Colour::Gron => 0,
            Colour::Gul => 1,
            Colour::Rod => 2,
        }]
        .into()
    })
}

fn verdict_text(verdict: Option<&Verdict>, not_measured: Option<&str>, lang: Lang) -> String {
    let w = words(lang);
    match verdict {
        Some(Verdict::TydligMinskning) => w.verdicts[0].into(),
        Some(Verdict::TydligOkning) => w.verdicts[1].into(),
        Some(Verdict::IngenSakerSkillnad { more_weeks }) => match more_weeks {
            Some(n) => format!("{} ({n} {})", w.verdicts[2], w.more_weeks),
            None => w.verdicts[2].into(),
        },
        Some(Verdict::ForLiteUnderlag { why }) if !why.is_empty() => {
            format!("{} ({why})", w.verdicts[3])
        }
        Some(Verdict::ForLiteUnderlag { .. }) => w.verdicts[3].into(),
        None => not_measured.unwrap_or("–").into(),
    }
}

fn percent_of(change: Option<Change>) -> Option<(i64, i64, i64)> {
    let p = |x: f64| (x * 100.0).round() as i64;
    change.map(|c| (p(c.estimate), p(c.low), p(c.high)))
}

fn reconsidered_text<'a>(
    entries: impl Iterator<Item = (Reconsideration, String, &'a str)>,
    lang: Lang,
) -> String {
    entries
        .map(|(outcome, date, reason)| format!("{date} {}: {reason}", outcome.label(lang)))
        .collect::<Vec<_>>()
        .join("; ")
}

impl PeriodReport {
    fn sheet(&self, lang: Lang) -> Sheet {
        let w = words(lang);
        let week_columns = || {
            self.weeks
                .iter()
                .map(|&wk| (week_header(wk, lang), wk.to_string(), "n week"))
                .collect::<Vec<_>>()
        };
        let table = |kind, heading, rows: &[PeriodRow]| {
            let mut columns = vec![
                (w.reports.to_string(), "reports".to_string(), "n reports"),
                (w.events.to_string(), "events".into(), "n events"),
                (
                    w.previous.to_string(),
                    "previous_reports".into(),
                    "n previous",
                ),
                (w.change.to_string(), "change_percent".into(), "n change"),
                (w.highest.to_string(), "highest".into(), "n highest"),
            ];
            columns.extend(week_columns());
            Table {
                kind,
                heading,
                columns,
                rows: rows
                    .iter()
                    .map(|r| Row {
                        key: r.key.clone(),
                        name: r.name.clone(),
                        values: [
                            Value::Count(Some(r.reports)),
                            Value::Count(Some(r.events)),
                            Value::Count(Some(r.previous_reports)),
                            change(r.reports, r.previous_reports),
                            Value::Highest(r.highest),
                        ]
                        .into_iter()
                        .chain(r.per_week.iter().map(|&n| Value::Count(Some(n))))
                        .collect(),
                    })
                    .collect(),
                instead: None,
            }
        };
        let average = |points: &[WeekPoint]| {
            let n = points.len().max(1) as f64;
            let highest = points.iter().filter_map(|p| p.highest).max();
            format!(
                "{} {}, {} {}",
                decimal(f64::from(sum(points)) / n, lang),
                w.per_week,
                w.highest.to_lowercase(),
                highest.map_or("–".into(), |g| g.value().to_string())
            )
        };
        Sheet {
            lang,
            title: format!("{} {}", w.title, self.workspace),
            period: period_name(&self.from, &self.until, lang),
            generated: self.generated_at.local_display(),
            totals: vec![
                (w.reports, "reports", Value::Count(Some(self.reports))),
                (w.events, "events", Value::Count(Some(self.events))),
                (
                    w.previous,
                    "previous_reports",
                    Value::Count(Some(self.previous_reports)),
                ),
                (
                    w.change,
                    "change_percent",
                    change(self.reports, self.previous_reports),
                ),
            ],
            tables: vec![
                table("area", w.by_area, &self.areas),
                table("category", w.by_category, &self.categories),
            ],
            decisions: self
                .decisions
                .iter()
                .map(|d| Decision {
                    week: d.decided_week,
                    what: decision_what(&d.place, &d.deployees, &d.responsible, lang),
                    why: d.why.clone(),
                    status: decision_status(d.status, &d.note, lang),
                    counts: Some(format!(
                        "{} {} ({}) · {} {} ({})",
                        w.before,
                        sum(&d.before),
                        average(&d.before),
                        w.after,
                        sum(&d.after),
                        average(&d.after)
                    )),
                })
                .collect(),
            efforts: self
                .efforts
                .iter()
                .map(|e| Effort {
                    activity: e.activity.clone(),
                    promise: e.promise.clone(),
                    responsible: e.responsible.clone(),
                    status: status_text(e.status, lang),
                    malvisare: match &e.malvisare {
                        Some(m) => format!("{} ({})", colour_text(Some(m.colour), lang), m.rule),
                        None => "–".into(),
                    },
                    verdict: verdict_text(e.verdict.as_ref(), e.not_measured.as_deref(), lang),
                    change: percent_of(e.change),
                    counts: e
                        .counts
                        .map(|c| format!("{} {} · {} {}", w.before, c.before, w.after, c.after)),
                    reconsidered: reconsidered_text(
                        e.reconsiderations
                            .iter()
                            .map(|r| (r.outcome, r.at.local_date().to_string(), r.reason.as_str())),
                        lang,
                    ),
                })
                .collect(),
            notes: Vec::new(),
            footnote: None,
            politicians: false,
        }
    }

    /// The report as a whole HTML page.
    pub fn html(&self, lang: Lang) -> String {
        self.sheet(lang).document()
    }

    /// The report as its HTML element alone, for showing inside the app.
    pub fn html_fragment(&self, lang: Lang) -> String {
        self.sheet(lang).fragment()
    }

    /// The report's tables as CSV.
    pub fn csv(&self, lang: Lang) -> String {
        self.sheet(lang).csv()
    }
}

impl PoliticiansReport {
    /// "Lägesrapport november 2026 – Salem (version för politiker)": the workspace's
    /// name, never a device's.
    pub fn title(&self, lang: Lang) -> String {
        let w = words(lang);
        format!(
            "{} {} – {} ({})",
            w.title,
            period_name(&self.from, &self.until, lang),
            self.workspace,
            w.version
        )
    }

    fn sheet(&self, lang: Lang) -> Sheet {
        let w = words(lang);
        let headers: Vec<(String, String, &'static str)> = self
            .columns
            .iter()
            .map(|c| match c.week {
                Some(week) if c.partial => (
                    format!("{} {}", week_header(week, lang), w.part),
                    week.to_string(),
                    "n week",
                ),
                Some(week) => (week_header(week, lang), week.to_string(), "n week"),
                None => (
                    part_name(&c.from, &c.until, lang),
                    format!("{}/{}", c.from, c.until),
                    "n part",
                ),
            })
            .collect();
        let table = |kind, heading, rows: &[super::politicians::PublishedRow]| {
            let mut columns = vec![(w.short[0].to_string(), "reports".to_string(), "n reports")];
            if self.previous_shown {
                columns.push((
                    w.short[1].to_string(),
                    "previous_reports".into(),
                    "n previous",
                ));
                columns.push((w.change.to_string(), "change".into(), "n change"));
            }
            columns.push((w.short[2].to_string(), "highest".into(), "n highest"));
            columns.extend(headers.iter().cloned());
            let nothing = rows.iter().all(|r| {
                r.reports.is_none()
                    && (r.previous_reports.is_none() || !self.previous_shown)
                    && r.per_column.iter().all(Option::is_none)
            });
            Table {
                kind,
                heading,
                columns,
                rows: rows
                    .iter()
                    .map(|r| Row {
                        key: r.key.clone(),
                        name: match (r.key == OTHERS, kind) {
                            (false, _) => r.name.clone(),
                            (true, "area") => w.other_areas.to_string(),
                            (true, _) => w.other_categories.to_string(),
                        },
                        values: std::iter::once(Value::Count(r.reports))
                            .chain(
                                self.previous_shown
                                    .then(|| {
                                        [
                                            Value::Count(r.previous_reports),
                                            shift(r.reports, r.previous_reports),
                                        ]
                                    })
                                    .into_iter()
                                    .flatten(),
                            )
                            .chain([Value::Highest(r.highest)])
                            .chain(r.per_column.iter().map(|&n| Value::Count(n)))
                            .collect(),
                    })
                    .collect(),
                instead: (nothing && !rows.is_empty()).then(|| w.nothing_published.to_string()),
            }
        };
        let mut totals = vec![(w.reports, "reports", Value::Count(self.reports))];
        let mut notes = Vec::new();
        if self.previous_shown {
            totals.push((
                w.short[1],
                "previous_reports",
                Value::Count(self.previous_reports),
            ));
            totals.push((
                w.change,
                "change",
                shift(self.reports, self.previous_reports),
            ));
        } else {
            notes.push(w.previous_not_shown.to_string());
        }
        if self
            .areas
            .iter()
            .chain(&self.categories)
            .any(|r| r.key == OTHERS)
        {
            notes.push(w.others_note.to_string());
        }
        let percent = |s: super::politicians::Share| (s.ratio() * 100.0).round() as i64;
        notes.push(format!(
            "{}: {}\u{a0}% ({} {}\u{a0}%, {} {}\u{a0}%).",
            w.published_share,
            percent(self.share),
            w.by_area.to_lowercase(),
            percent(self.share_areas),
            w.by_category.to_lowercase(),
            percent(self.share_categories)
        ));
        Sheet {
            lang,
            title: self.title(lang),
            period: String::new(),
            generated: self.generated_at.local_display(),
            totals,
            tables: vec![
                table("area", w.by_area, &self.areas),
                table("category", w.by_category, &self.categories),
            ],
            decisions: self
                .decisions
                .iter()
                .map(|d| Decision {
                    week: d.decided_week,
                    what: decision_what(&d.place, &d.deployees, &d.responsible, lang),
                    why: d.why.clone(),
                    status: decision_status(d.status, &d.note, lang),
                    counts: None,
                })
                .collect(),
            efforts: self
                .efforts
                .iter()
                .map(|e| Effort {
                    activity: e.activity.clone(),
                    promise: e.promise.clone(),
                    responsible: e.responsible.clone(),
                    status: status_text(e.status, lang),
                    malvisare: colour_text(e.malvisare, lang),
                    verdict: verdict_text(e.verdict.as_ref(), None, lang),
                    change: percent_of(e.change),
                    counts: None,
                    reconsidered: reconsidered_text(
                        e.reconsiderations
                            .iter()
                            .map(|r| (r.outcome, r.date.clone(), r.reason.as_str())),
                        lang,
                    ),
                })
                .collect(),
            notes,
            footnote: Some(w.footnote.to_string()),
            politicians: true,
        }
    }

    /// The report as a whole HTML page.
    pub fn html(&self, lang: Lang) -> String {
        self.sheet(lang).document()
    }

    /// The report as its HTML element alone, for showing inside the app.
    pub fn html_fragment(&self, lang: Lang) -> String {
        self.sheet(lang).fragment()
    }

    /// The report's tables as CSV; a suppressed count is `..`.
    pub fn csv(&self, lang: Lang) -> String {
        self.sheet(lang).csv()
    }
}

/// Text made safe for HTML, in content and in attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's own styles: plain, printable, readable without the app.
const CSS: &str = "\
body { font: 15px/1.45 system-ui, sans-serif; color: #111; background: #fff; max-width: 960px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 1.4rem; margin: 0 0 4px; } h2 { font-size: 1.1rem; margin-top: 24px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border-bottom: 1px solid #bbb; padding: 4px 6px; text-align: left; vertical-align: top; }
.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.politicians :is(table.area, table.category) { table-layout: fixed; min-width: 600px; font-size: 0.87rem; }
.politicians :is(table.area, table.category) thead th:first-child { width: 8rem; }
.politicians :is(table.area, table.category) :is(th, td) { padding: 4px 3px; }
.politicians :is(table.area, table.category) th.n { white-space: normal; overflow-wrap: anywhere; }
.politicians :is(table.area, table.category) th.week { width: 3.2rem; }
.politicians :is(table.area, table.category) th.part { width: 2.6rem; }
.date, .period { white-space: nowrap; }
.muted, .footnote { color: #444; }
.footnote { font-size: 0.9rem; border-top: 1px solid #bbb; padding-top: 8px; margin-top: 24px; }
.scroll { overflow-x: auto; }
";

impl Sheet {
    /// The title, and the period where the title does not name it.
    fn heading(&self) -> String {
        if self.period.is_empty() {
            self.title.clone()
        } else {
            format!("{} – {}", self.title, self.period)
        }
    }

    fn document(&self) -> String {
        let lang = match self.lang {
            Lang::Sv => "sv",
            Lang::En => "en",
        };
        format!(
            "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{}</title><style>{CSS}</style></head><body>{}</body></html>\n",
            escape(&self.heading()),
            self.fragment()
        )
    }

    fn fragment(&self) -> String {
        let w = words(self.lang);
        let mut h = String::new();
        let _ = write!(
            h,
            "<article class=\"sheet period-report{}\" tabindex=\"0\"><h1>{}{}</h1>\
             <p class=\"muted\">{} <span class=\"date\">{}</span></p><p class=\"totals\">",
            if self.politicians { " politicians" } else { "" },
            escape(&self.title),
            if self.period.is_empty() {
                String::new()
            } else {
                format!(" <span class=\"period\">{}</span>", escape(&self.period))
            },
            w.generated,
            escape(&self.generated)
        );
        let totals: Vec<String> = self
            .totals
            .iter()
            .map(|(label, key, value)| {
                format!(
                    "<span class=\"total\" data-measure=\"{key}\">{label}:\u{a0}<strong>{}</strong></span>",
                    escape(&value.text(self.lang))
                )
            })
            .collect();
        h.push_str(&totals.join(" · "));
        h.push_str("</p>");
        for note in &self.notes {
            let _ = write!(h, "<p class=\"muted note\">{}</p>", escape(note));
        }
        for table in &self.tables {
            if let Some(instead) = &table.instead {
                let _ = write!(
                    h,
                    "<h2>{}</h2><p class=\"muted nothing\" data-table=\"{}\">{}</p>",
                    table.heading,
                    table.kind,
                    escape(instead)
                );
                continue;
            }
            let _ = write!(
                h,
                // Focusable, so that a table wider than a phone scrolls by keyboard too.
                "<h2>{}</h2><div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"{}\"><table class=\"{}\"><thead><tr><th></th>",
                table.heading, table.heading, table.kind
            );
            for (header, column, class) in &table.columns {
                let _ = write!(
                    h,
                    "<th class=\"{class}\" scope=\"col\"{}>{}</th>",
                    if *class == "n part" {
                        format!(" data-column=\"{}\"", escape(column))
                    } else {
                        String::new()
                    },
                    escape(header)
                );
            }
            h.push_str("</tr></thead><tbody>");
            for row in &table.rows {
                let _ = write!(
                    h,
                    "<tr data-key=\"{}\" data-name=\"{}\"><th scope=\"row\">{}</th>",
                    escape(&row.key),
                    escape(&row.name),
                    escape(&row.name)
                );
                for (value, (_, column, class)) in row.values.iter().zip(&table.columns) {
                    let _ = write!(
                        h,
                        "<td class=\"{class}\" data-measure=\"{column}\">{}</td>",
                        escape(&value.text(self.lang))
                    );
                }
                h.push_str("</tr>");
            }
            h.push_str("</tbody></table></div>");
        }
        let _ = write!(h, "<h2>{}</h2>", w.decisions);
        if self.decisions.is_empty() {
            let _ = write!(h, "<p class=\"muted\">{}</p>", w.no_decisions);
        } else {
            h.push_str("<table class=\"decisions\"><tbody>");
            for d in &self.decisions {
                let _ = write!(
                    h,
                    "<tr><td class=\"date\">{}</td><td><strong>{}</strong><br><span class=\"muted\">{}</span></td><td>{}</td>",
                    week_header(d.week, self.lang),
                    escape(&d.what),
                    escape(&d.why),
                    escape(&d.status)
                );
                if let Some(counts) = &d.counts {
                    let _ = write!(h, "<td>{}</td>", escape(counts));
                }
                h.push_str("</tr>");
            }
            h.push_str("</tbody></table>");
        }
        if !self.efforts.is_empty() {
            let _ = write!(
                h,
                "<h2>{}</h2><p class=\"muted\">{}</p><div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"{}\"><table class=\"efforts\"><thead><tr>\
                 <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
                w.efforts,
                w.efforts_intro,
                w.efforts,
                w.activity,
                w.status,
                w.malvisare,
                w.effect,
                w.reconsidered
            );
            for e in &self.efforts {
                let change = e.change.map_or(String::new(), |(p, low, high)| {
                    format!(
                        " {} (95\u{a0}%: {} … {})",
                        Value::Change(Some(p)).text(self.lang),
                        Value::Change(Some(low)).text(self.lang),
                        Value::Change(Some(high)).text(self.lang)
                    )
                });
                let _ = write!(
                    h,
                    "<tr data-activity=\"{}\"><th scope=\"row\">{}<br><span class=\"muted\">{}{}</span></th><td>{}</td><td>{}</td><td><strong>{}</strong>{}{}</td><td>{}</td></tr>",
                    escape(&e.activity),
                    escape(&e.activity),
                    escape(&e.responsible),
                    e.promise
                        .as_ref()
                        .map_or(String::new(), |p| format!(" · {}", escape(p))),
                    escape(&e.status),
                    escape(&e.malvisare),
                    escape(&e.verdict),
                    escape(&change),
                    e.counts.as_ref().map_or(String::new(), |c| format!(
                        "<br><span class=\"muted\">{}</span>",
                        escape(c)
                    )),
                    if e.reconsidered.is_empty() {
                        "–".into()
                    } else {
                        escape(&e.reconsidered)
                    }
                );
            }
            h.push_str("</tbody></table></div>");
        }
        if let Some(note) = &self.footnote {
            let _ = write!(h, "<p class=\"footnote\">{}</p>", escape(note));
        }
        h.push_str("</article>");
        h
    }

    /// Every table in one CSV: a column naming the table, then the rows; the totals
    /// first, as the table `total`. Column names are stable codes, for scripts. Names
    /// are text cells that cannot start a formula (`inert::csv_text`); counts and
    /// changes are numbers.
    fn csv(&self) -> String {
        let text = |v: &str| crate::inert::csv_text(v).into_owned();
        let mut columns: Vec<String> = Vec::new();
        for table in &self.tables {
            for (_, column, _) in &table.columns {
                if !columns.contains(column) {
                    columns.push(column.clone());
                }
            }
        }
        let mut out = csv::Writer::from_writer(Vec::new());
        let effort_columns: &[&str] = if self.efforts.is_empty() {
            &[]
        } else {
            &[
                "status",
                "malvisare",
                "verdict",
                "effect_percent",
                "effect_low_percent",
                "effect_high_percent",
                "reconsidered",
            ]
        };
        let header: Vec<&str> = ["table", "key", "name"]
            .into_iter()
            .chain(columns.iter().map(String::as_str))
            .chain(effort_columns.iter().copied())
            .collect();
        let _ = out.write_record(&header);
        let mut total = vec![String::new(); columns.len()];
        for (_, key, value) in &self.totals {
            if let Some(i) = columns.iter().position(|c| c == key) {
                total[i] = value.csv();
            }
        }
        let pad = || std::iter::repeat_n(String::new(), effort_columns.len());
        let _ = out.write_record(
            [
                "total".to_string(),
                String::new(),
                text(if self.period.is_empty() {
                    &self.title
                } else {
                    &self.period
                }),
            ]
            .into_iter()
            .chain(total)
            .chain(pad()),
        );
        for table in self.tables.iter().filter(|t| t.instead.is_none()) {
            for row in &table.rows {
                let mut fields = vec![String::new(); columns.len()];
                for (value, (_, column, _)) in row.values.iter().zip(&table.columns) {
                    if let Some(i) = columns.iter().position(|c| c == column) {
                        fields[i] = value.csv();
                    }
                }
                let _ = out.write_record(
                    [table.kind.to_string(), text(&row.key), text(&row.name)]
                        .into_iter()
                        .chain(fields)
                        .chain(pad()),
                );
            }
        }
        // The activities, after the tables: the same columns, their own ones last.
        for e in &self.efforts {
            let mut fields = vec![String::new(); columns.len()];
            let (p, low, high) = e.change.map_or(
                (String::new(), String::new(), String::new()),
                |(p, l, h)| (p.to_string(), l.to_string(), h.to_string()),
            );
            fields.extend([
                text(&e.status),
                text(&e.malvisare),
                text(&e.verdict),
                p,
                low,
                high,
                text(&e.reconsidered),
            ]);
            let _ = out.write_record(
                [
                    "effort".to_string(),
                    text(e.promise.as_deref().unwrap_or("")),
                    text(&e.activity),
                ]
                .into_iter()
                .chain(fields),
            );
        }
        String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_named_as_people_name_them() {
        assert_eq!(
            period_name("2026-11-01", "2026-12-01", Lang::Sv),
            "november 2026"
        );
        assert_eq!(
            period_name("2026-10-01", "2027-01-01", Lang::Sv),
            "kvartal 4 2026"
        );
        assert_eq!(period_name("2026-10-01", "2027-01-01", Lang::En), "Q4 2026");
        assert_eq!(
            period_name("2026-11-03", "2026-11-10", Lang::Sv),
            "2026-11-03 – 2026-11-09"
        );
    }

    #[test]
    fn decimals_are_written_as_the_language_writes_them() {
        assert_eq!(decimal(10.75, Lang::Sv), "10,8");
        assert_eq!(decimal(-2.0, Lang::Sv), "\u{2212}2,0");
        assert_eq!(decimal(10.75, Lang::En), "10.8");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<b a=\"x\">&'"),
            "&lt;b a=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn changes_read_as_per_cent() {
        assert_eq!(change(5, 4).text(Lang::Sv), "+25\u{a0}%");
        assert_eq!(change(3, 5).text(Lang::Sv), "−40\u{a0}%");
        assert_eq!(change(2, 0).text(Lang::Sv), "ny");
        assert_eq!(change(0, 0).text(Lang::En), "±0\u{a0}%");
    }
}
