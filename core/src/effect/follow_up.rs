//! An activity followed up: its indicators week by week with baseline, target and
//! målvisare, its effect against comparable places with the neighbours on their own, and
//! whether the deployment group should reconsider it. A pure function of the register's
//! places and the reports counted per place and week (`WeeklyRow`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::indicator::{Colour, Indicator, IndicatorKind, Malvisare, Target, WeeklyRow, malvisare};
use super::{Effect, EffectError, EffectInput, PlaceSeries, Verdict, bad, estimate};
use crate::codes::{PlaceKind, Reconsideration};
use crate::ids::{OrganisationId, PlaceId};
use crate::model::{Activity, IndicatorSpec, Place};
use crate::time::{IsoWeek, Timestamp};

/// An activity whose reasons to be reconsidered still stand is brought back to the
/// meeting this many weeks after its last reconsideration.
pub const RECONSIDER_EVERY_WEEKS: i64 = 4;

/// Where an activity stands in its period.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityStatus {
    /// Not started yet.
    Planerad,
    Pagar,
    /// Its planned period is over.
    PeriodenSlut,
    /// The meeting decided to stop it.
    Avslutad,
}

impl ActivityStatus {
    pub fn label(self) -> &'static str {
        match self {
            ActivityStatus::Planerad => "planerad",
            ActivityStatus::Pagar => "pågår",
            ActivityStatus::PeriodenSlut => "perioden är slut",
            ActivityStatus::Avslutad => "avslutad",
        }
    }
}

/// One indicator week by week over the activity's places.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorFollowUp {
    pub spec: IndicatorSpec,
    /// Its value each week (`None`: no report, for the grade-based kinds).
    pub weekly: Vec<Option<f64>>,
    /// The baseline weeks, as indices into `weekly` (inclusive).
    pub baseline: (usize, usize),
    /// The målvisare each week from the start (`None` before, or without values).
    pub colours: Vec<Option<Colour>>,
    /// This week's målvisare, with its rule in words.
    pub malvisare: Option<Malvisare>,
}

/// An activity followed up.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityFollowUp {
    pub status: ActivityStatus,
    /// The weeks shown, oldest first; the activity starts at `weeks[start]` (or after
    /// them, when `start == weeks.len()`).
    pub weeks: Vec<IsoWeek>,
    pub start: usize,
    /// The places it works at (an area's places), its neighbours, and the comparison
    /// places the estimate used.
    pub places: Vec<PlaceId>,
    pub neighbours: Vec<PlaceId>,
    pub comparison: Vec<PlaceId>,
    /// Organisations whose reports the effect does not count (those the activity
    /// deploys), unless its indicator says they count.
    pub excluded: Vec<OrganisationId>,
    pub indicators: Vec<IndicatorFollowUp>,
    /// Reports per week at the comparison places and at the neighbours, each scaled to
    /// the activity's places' level before the start, for the chart.
    pub comparison_weekly: Vec<f64>,
    pub neighbour_weekly: Vec<f64>,
    /// The effect, when the activity has started; why not, otherwise.
    pub effect: Option<Effect>,
    pub not_measured: Option<String>,
    /// Why the meeting should reconsider it now, in Swedish; none when it need not.
    pub reconsider: Vec<String>,
}

/// What a follow-up is computed from.
#[derive(Debug, Clone, Copy)]
pub struct FollowUpInput<'a> {
    /// Every place and area of the register.
    pub places: &'a [Place],
    /// Reports per place (merged places already resolved), week (index from
    /// `rows_first`), organisation, category and grade; for one activity or several.
    pub rows: &'a [WeeklyRow],
    pub rows_first: IsoWeek,
    /// The activity's first week (`weeks_of`), not before `rows_first`.
    pub first: IsoWeek,
    /// Organisations the activity deploys: its own and its decisions' responsible ones.
    pub deployed: &'a [OrganisationId],
    /// Places and areas of other efforts over the same weeks: never comparisons, for
    /// they are not untreated.
    pub elsewhere: &'a [PlaceId],
    pub now: Timestamp,
}

/// Whether two activities run in some of the same weeks.
pub fn overlap(a: (IsoWeek, IsoWeek), b: &Activity) -> bool {
    let (Some(from), to) = (start_week(b), end_week(b)) else {
        return false;
    };
    from.key() <= a.1.key() && to.is_none_or(|to| to.key() >= a.0.key())
}

/// The weeks an activity's follow-up covers: from its earliest baseline week to this
/// week (or its planned end, when that is earlier).
pub fn weeks_of(activity: &Activity, now: Timestamp) -> (IsoWeek, IsoWeek) {
    let this = now.week();
    let started = start_week(activity).unwrap_or(this);
    let first = activity
        .indicators
        .iter()
        .filter_map(|i| i.baseline_from.parse::<IsoWeek>().ok())
        .min_by_key(|w| w.key())
        .unwrap_or_else(|| started.minus(12));
    let last = end_week(activity)
        .filter(|end| end.key() < this.key())
        .unwrap_or(this);
    let last = if last.key() < first.key() {
        first
    } else {
        last
    };
    (first, last)
}

fn day_week(day: &str) -> Option<IsoWeek> {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .map(IsoWeek::containing_date)
}

fn start_week(activity: &Activity) -> Option<IsoWeek> {
    day_week(&activity.period.from)
}

fn end_week(activity: &Activity) -> Option<IsoWeek> {
    activity.period.to.as_deref().and_then(day_week)
}

/// Where the activity stands on `now`'s date.
pub fn status(activity: &Activity, now: Timestamp) -> ActivityStatus {
    let today = now.local_date().format("%Y-%m-%d").to_string();
    let stopped = activity
        .reconsiderations
        .last()
        .is_some_and(|r| r.outcome == Reconsideration::Avslutas);
    if stopped {
        ActivityStatus::Avslutad
    } else if today < activity.period.from {
        ActivityStatus::Planerad
    } else if activity.period.to.as_ref().is_some_and(|to| today > *to) {
        ActivityStatus::PeriodenSlut
    } else {
        ActivityStatus::Pagar
    }
}

/// The activity's places: its places, and the places of its areas.
fn treated_places<'a>(activity: &Activity, counted: &[&'a Place]) -> Vec<&'a Place> {
    counted
        .iter()
        .copied()
        .filter(|p| {
            activity
                .places
                .iter()
                .any(|a| *a == p.id || p.area == Some(*a))
        })
        .collect()
}

/// The distance between two points (lat, lon in degrees) along the earth's surface.
pub fn metres_between(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_METRES: f64 = 6_371_000.0;
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let (dlat, dlon) = ((b.0 - a.0).to_radians(), (b.1 - a.1).to_radians());
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_METRES * h.sqrt().asin()
}

/// Places are treated, neighbours (within `metres` of a treated place) or untreated.
pub fn split_places<'a>(
    treated: &[&'a Place],
    counted: &[&'a Place],
    metres: f64,
) -> (Vec<&'a Place>, Vec<&'a Place>) {
    let near = |p: &Place| {
        treated
            .iter()
            .any(|t| metres_between((t.lat, t.lon), (p.lat, p.lon)) <= metres)
    };
    counted
        .iter()
        .copied()
        .filter(|p| !treated.iter().any(|t| t.id == p.id))
        .partition(|p| near(p))
}

/// Places that count: places (not areas) in use.
pub fn counted_places(places: &[Place]) -> Vec<&Place> {
    places
        .iter()
        .filter(|p| p.kind == PlaceKind::Plats && !p.retired && p.merged_into.is_none())
        .collect()
}

/// The indicator the effect is estimated on: the activity's first count of reports,
/// or every report when it has none; the deployed organisations' reports left out
/// unless the indicator counts them.
fn effect_indicator(activity: &Activity, deployed: &[OrganisationId]) -> Indicator {
    let spec = activity
        .indicators
        .iter()
        .find(|i| i.kind == IndicatorKind::Reports);
    Indicator {
        kind: IndicatorKind::Reports,
        categories: spec.map(|s| s.categories.clone()).unwrap_or_default(),
        excluded_organisations: if spec.is_some_and(|s| s.counts_deployed) {
            Vec::new()
        } else {
            deployed.to_vec()
        },
    }
}

/// Sums of several places' series, week by week.
fn summed(series: &[PlaceSeries], weeks: usize) -> Vec<f64> {
    (0..weeks)
        .map(|w| series.iter().map(|s| f64::from(s.weekly[w])).sum())
        .collect()
}

/// `line` scaled so that its mean before `start` is `reference`'s.
fn scaled(line: &[f64], reference: &[f64], start: usize) -> Vec<f64> {
    let mean = |v: &[f64]| {
        let before = &v[..start.min(v.len())];
        (!before.is_empty()).then(|| before.iter().sum::<f64>() / before.len() as f64)
    };
    match (mean(line), mean(reference)) {
        (Some(l), Some(r)) if l > 0.0 => line.iter().map(|v| v * r / l).collect(),
        _ => line.to_vec(),
    }
}

/// The activity followed up over the weeks from `input.first` to `weeks_of`'s last.
pub fn follow_up(
    activity: &Activity,
    input: &FollowUpInput<'_>,
) -> Result<ActivityFollowUp, EffectError> {
    if activity.places.is_empty() {
        return Err(bad("places", "the activity has no places"));
    }
    let (_, last) = weeks_of(activity, input.now);
    let weeks: Vec<IsoWeek> = std::iter::successors(Some(input.first), |w| {
        Some(w.minus(-1)).filter(|next| next.key() <= last.key())
    })
    .collect();
    let n = weeks.len();
    let index = |w: IsoWeek| w.weeks_since(input.first).clamp(0, n as i64) as usize;
    // The activity's weeks among the rows'.
    let offset = usize::try_from(input.first.weeks_since(input.rows_first)).unwrap_or(0);
    let span = offset..offset + n;
    let started = start_week(activity).ok_or_else(|| bad("period", "the start is not a date"))?;
    let start = index(started);
    let counted = counted_places(input.places);
    let treated = treated_places(activity, &counted);
    if treated.is_empty() {
        return Err(bad(
            "places",
            "none of the activity's places is a place in use (an area needs places)",
        ));
    }
    let (neighbours, untreated) =
        split_places(&treated, &counted, f64::from(activity.neighbour_metres));
    let untreated: Vec<&Place> = untreated
        .into_iter()
        .filter(|p| {
            !input
                .elsewhere
                .iter()
                .any(|e| *e == p.id || p.area == Some(*e))
        })
        .collect();
    let ids = |list: &[&Place]| list.iter().map(|p| p.id).collect::<Vec<_>>();
    let treated_ids = ids(&treated);

    let mut indicators = Vec::new();
    for spec in &activity.indicators {
        let indicator = Indicator {
            kind: spec.kind,
            categories: spec.categories.clone(),
            excluded_organisations: if spec.counts_deployed {
                Vec::new()
            } else {
                input.deployed.to_vec()
            },
        };
        let weekly = indicator.weekly(input.rows, &treated_ids, span.clone());
        let week = |text: &str| {
            text.parse::<IsoWeek>()
                .map_err(|_| bad("baseline", format!("{text:?} is not an ISO week")))
        };
        let (from, to) = (week(&spec.baseline_from)?, week(&spec.baseline_to)?);
        if to.key() >= started.key() {
            return Err(bad(
                "baseline",
                format!("the baseline ends in {to}, not before the start in {started}"),
            ));
        }
        let baseline = (index(from), index(to).min(n.saturating_sub(1)));
        let target = Target(spec.target);
        let colour_at = |w: usize| malvisare(&weekly, baseline.0..baseline.1 + 1, w, target);
        let colours = (0..n)
            .map(|w| {
                (w >= start)
                    .then(|| colour_at(w))
                    .flatten()
                    .map(|m| m.colour)
            })
            .collect();
        let latest = (n > start).then(|| colour_at(n - 1)).flatten();
        indicators.push(IndicatorFollowUp {
            spec: spec.clone(),
            weekly,
            baseline,
            colours,
            malvisare: latest,
        });
    }

    let indicator = effect_indicator(activity, input.deployed);
    let series = |list: &[&Place]| indicator.series(input.rows, &ids(list), span.clone());
    let (treated_series, neighbour_series, untreated_series) =
        (series(&treated), series(&neighbours), series(&untreated));
    let treated_line = summed(&treated_series, n);
    // The coordinator's comparison places that are still untreated: one that has since
    // become a neighbour (a wider neighbourhood) or another activity's place is no
    // comparison any more, and the estimate says so if too few remain.
    let chosen: Vec<PlaceId> = activity
        .comparison
        .iter()
        .flat_map(|c| {
            untreated
                .iter()
                .filter(move |p| p.id == *c || p.area == Some(*c))
                .map(|p| p.id)
        })
        .collect();
    let chosen_any = !activity.comparison.is_empty();
    let (effect, not_measured) = if start == 0 {
        (
            None,
            Some("ingen baslinje: inga veckor före starten".to_string()),
        )
    } else if start >= n {
        (None, Some(format!("startar {}", activity.period.from)))
    } else {
        let effect = estimate(&EffectInput {
            treated: &treated_series,
            neighbours: &neighbour_series,
            untreated: &untreated_series,
            start,
            comparison: chosen_any.then_some(chosen.as_slice()),
        })?;
        (Some(effect), None)
    };
    let comparison = effect
        .as_ref()
        .map(|e| e.comparison_places.clone())
        .unwrap_or_default();
    let comparison_series: Vec<PlaceSeries> = untreated_series
        .iter()
        .filter(|s| comparison.contains(&s.place))
        .cloned()
        .collect();
    let status = status(activity, input.now);
    let reconsider =
        reasons_to_reconsider(activity, status, &indicators, effect.as_ref(), input.now);
    Ok(ActivityFollowUp {
        status,
        start,
        places: treated_ids,
        neighbours: ids(&neighbours),
        comparison,
        excluded: indicator.excluded_organisations.clone(),
        comparison_weekly: scaled(&summed(&comparison_series, n), &treated_line, start),
        neighbour_weekly: scaled(&summed(&neighbour_series, n), &treated_line, start),
        indicators,
        effect,
        not_measured,
        reconsider,
        weeks,
    })
}

/// Why the meeting should take the activity up: a red målvisare, a clear increase, or no
/// clear difference when its planned period is over. None for a stopped activity, or
/// one reconsidered in the last `RECONSIDER_EVERY_WEEKS` weeks.
fn reasons_to_reconsider(
    activity: &Activity,
    status: ActivityStatus,
    indicators: &[IndicatorFollowUp],
    effect: Option<&Effect>,
    now: Timestamp,
) -> Vec<String> {
    if matches!(status, ActivityStatus::Avslutad | ActivityStatus::Planerad) {
        return Vec::new();
    }
    let recent = activity
        .reconsiderations
        .last()
        .is_some_and(|r| now.week().weeks_since(r.at.week()) < RECONSIDER_EVERY_WEEKS);
    if recent {
        return Vec::new();
    }
    let mut reasons: Vec<String> = indicators
        .iter()
        .filter(|i| {
            i.malvisare
                .as_ref()
                .is_some_and(|m| m.colour == Colour::Rod)
        })
        .map(|i| {
            format!(
                "målvisaren för {} är röd",
                i.spec.kind.label(crate::Lang::Sv).to_lowercase()
            )
        })
        .collect();
    match effect.map(|e| &e.treated.verdict) {
        Some(Verdict::TydligOkning) => reasons.push("tydlig ökning mot jämförelseplatserna".into()),
        Some(Verdict::IngenSakerSkillnad { .. }) if status == ActivityStatus::PeriodenSlut => {
            reasons.push("ingen säker skillnad än, och den planerade perioden är slut".into());
        }
        _ => {}
    }
    reasons
}

/// The deployed organisations of an activity: its own, and those answering for its
/// decisions.
pub fn deployed_by(
    activity: &Activity,
    decisions: impl IntoIterator<Item = OrganisationId>,
) -> Vec<OrganisationId> {
    let mut all = vec![activity.responsible];
    for org in decisions {
        if !all.contains(&org) {
            all.push(org);
        }
    }
    all
}

/// Resolves merged places in rows, so every report counts where its place went.
pub fn resolve_rows(rows: &mut [WeeklyRow], places: &[Place]) {
    let by_id: HashMap<PlaceId, &Place> = places.iter().map(|p| (p.id, p)).collect();
    for row in rows {
        row.place = crate::lagesbild::resolve(&by_id, row.place);
    }
}
