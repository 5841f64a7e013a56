//! What the device's screens and reports show, read from its store: each view fetches
//! rows from the store and hands them to the domain's pure function (`lagesbild`,
//! `agenda`, `report`), which is tested without SQLite (ARCHITECTURE.md, "The rooms").

use std::collections::HashMap;

use serde::Serialize;

use crate::agenda::{self, Agenda, AgendaInput};
use crate::codes::PlaceKind;
use crate::effect::indicator::{Indicator, IndicatorKind};
use crate::effect::{self, Effect, EffectInput, PlaceSeries};
use crate::error::{Field, Problem, Result, ValidationError};
use crate::ids::{DecisionId, PlaceId, WorkspaceId};
use crate::lagesbild::{self, Lagesbild, TREND_WEEKS};
use crate::model::{ObservationFilter, Place};
use crate::report::politicians::PoliticiansReport;
use crate::report::{self, PeriodInput, PeriodReport, Span};
use crate::store::Store;
use crate::time::{IsoWeek, Timestamp};

/// The lägesbild of a week.
pub fn lagesbild(
    store: &Store,
    workspace: WorkspaceId,
    week: IsoWeek,
    filter: &ObservationFilter,
) -> Result<Lagesbild> {
    let counts = store.week_counts(workspace, week, filter)?;
    let oldest = lagesbild::previous_weeks(week)[TREND_WEEKS - 1];
    Ok(lagesbild::build(
        workspace,
        week,
        filter,
        (&store.places(workspace)?, &store.organisations(workspace)?),
        &counts,
        store.covers(workspace, oldest.bounds().0)?,
    ))
}

/// The agenda of the meeting about `week`, in the workspace the device records in.
pub fn agenda(store: &Store, week: IsoWeek) -> Result<Agenda> {
    let workspace = store.require_identity()?.workspace;
    let picture = lagesbild(store, workspace, week, &ObservationFilter::default())?;
    let input = AgendaInput {
        week,
        picture: &picture,
        places: &store.places(workspace)?,
        organisations: &store.organisations(workspace)?,
        decisions: store.decisions()?,
        assessments: store.assessments(week)?,
        meetings: store.meetings(Some(week))?,
    };
    agenda::build(input, &mut |place, first, last| {
        store.place_weeks(place, first, last)
    })
}

/// The lägesrapport from `from` up to (not including) `until`, dates in Swedish time.
pub fn period_report(
    store: &Store,
    from: &str,
    until: &str,
    now: Timestamp,
) -> Result<PeriodReport> {
    store.require_identity()?;
    period(store, &Span::of(from, until)?, now)
}

/// The lägesrapport's version for politicians from `from` up to (not including)
/// `until`: protected against the period before (`report::politicians`).
pub fn politicians_report(
    store: &Store,
    from: &str,
    until: &str,
    now: Timestamp,
) -> Result<PoliticiansReport> {
    store.require_identity()?;
    let span = Span::of(from, until)?;
    let report = period(store, &span, now)?;
    let before = period(store, &span.previous(), now)?;
    Ok(report.for_politicians(&before))
}

fn period(store: &Store, span: &Span, now: Timestamp) -> Result<PeriodReport> {
    let workspace = store.require_identity()?.workspace;
    let input = PeriodInput {
        workspace_name: store.workspace(workspace)?.name,
        places: &store.places(workspace)?,
        categories: &store.categories(workspace)?,
        organisations: &store.organisations(workspace)?,
        decisions: store.decisions()?,
        reports: store.period_rows(workspace, span.previous_start, span.start, span.stop)?,
    };
    report::build(
        span,
        input,
        &mut |place, first, last| store.place_weeks(place, first, last),
        now,
    )
}

/// Places within this distance of a decision's place are its neighbours: their own
/// series, never comparisons (a comparison the effort reaches is no comparison).
pub const NEIGHBOUR_METRES: f64 = 500.0;
/// Weeks before a decision that its effect is measured against.
pub const BASELINE_WEEKS: i64 = 12;
/// Weeks after a decision looked at, at most (up to the current week).
pub const MOST_WEEKS_AFTER: i64 = 26;

/// A decision's effect at its place against comparable places (`effect::estimate`),
/// with what it was measured on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionEffect {
    pub decision: DecisionId,
    pub place: String,
    /// The weeks measured, oldest first; the effort starts at `weeks[start]`.
    pub weeks: Vec<IsoWeek>,
    pub start: usize,
    /// The organisations whose reports are not counted: the one deployed, whose
    /// people report what they see where they are sent.
    pub excluded: Vec<String>,
    pub comparison: Vec<String>,
    pub neighbours: Vec<String>,
    pub effect: Effect,
}

/// The effect of `decision`: reports per week at its place (an area: at its places),
/// from `BASELINE_WEEKS` before the decision's week up to this week, counting every
/// organisation's reports but the responsible one's.
pub fn decision_effect(
    store: &Store,
    decision: DecisionId,
    now: Timestamp,
) -> Result<DecisionEffect> {
    let decision = store.decision(decision)?;
    let workspace = decision.workspace;
    let places = store.places(workspace)?;
    let organisations = store.organisations(workspace)?;
    let decided = decision.created_at.week();
    let first = decided.minus(BASELINE_WEEKS);
    let cap = decided.minus(-MOST_WEEKS_AFTER);
    let last = std::cmp::min_by_key(now.week(), cap, |w| w.key());
    let weeks: Vec<IsoWeek> = std::iter::successors(Some(first), |w| {
        Some(w.minus(-1)).filter(|next| next.key() <= last.key())
    })
    .collect();
    let by_id: HashMap<PlaceId, &Place> = places.iter().map(|p| (p.id, p)).collect();
    let mut rows = store.weekly_rows(workspace, first, last)?;
    for row in &mut rows {
        row.place = lagesbild::resolve(&by_id, row.place);
    }
    let indicator = Indicator {
        kind: IndicatorKind::Reports,
        categories: vec![],
        excluded_organisations: vec![decision.responsible],
    };
    let series = |place: &Place| PlaceSeries {
        place: place.id,
        weekly: indicator
            .weekly(&rows, &[place.id], weeks.len())
            .into_iter()
            .map(|v| v.unwrap_or(0.0).round() as u32)
            .collect(),
    };
    let counted = |p: &&Place| p.kind == PlaceKind::Plats && !p.retired && p.merged_into.is_none();
    let treated: Vec<&Place> = places
        .iter()
        .filter(counted)
        .filter(|p| p.id == decision.place || p.area == Some(decision.place))
        .collect();
    let near = |p: &Place| {
        treated
            .iter()
            .any(|t| metres_between((t.lat, t.lon), (p.lat, p.lon)) <= NEIGHBOUR_METRES)
    };
    let (neighbours, untreated): (Vec<&Place>, Vec<&Place>) = places
        .iter()
        .filter(counted)
        .filter(|p| !treated.iter().any(|t| t.id == p.id))
        .partition(|p| near(p));
    let series_of = |list: &[&Place]| list.iter().map(|p| series(p)).collect::<Vec<_>>();
    let (treated_series, neighbour_series, untreated_series) = (
        series_of(&treated),
        series_of(&neighbours),
        series_of(&untreated),
    );
    let start = weeks.iter().position(|w| *w == decided).unwrap_or(0);
    let effect = effect::estimate(&EffectInput {
        treated: &treated_series,
        neighbours: &neighbour_series,
        untreated: &untreated_series,
        start,
        comparison: None,
    })
    .map_err(|e| {
        ValidationError::new(
            Field::Place,
            Problem::OutOfRange {
                value: e.field.to_string(),
                allowed: e.message,
            },
        )
    })?;
    let name = |id: PlaceId| by_id.get(&id).map_or_else(String::new, |p| p.name.clone());
    Ok(DecisionEffect {
        decision: decision.id,
        place: name(decision.place),
        start,
        excluded: organisations
            .iter()
            .filter(|o| o.id == decision.responsible)
            .map(|o| o.name.clone())
            .collect(),
        comparison: effect.comparison_places.iter().map(|p| name(*p)).collect(),
        neighbours: neighbours.iter().map(|p| p.name.clone()).collect(),
        weeks,
        effect,
    })
}

/// The distance between two points (lat, lon in degrees) along the earth's surface.
fn metres_between(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_METRES: f64 = 6_371_000.0;
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let (dlat, dlon) = ((b.0 - a.0).to_radians(), (b.1 - a.1).to_radians());
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_METRES * h.sqrt().asin()
}
