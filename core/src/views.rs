//! What the device's screens and reports show, read from its store: each view fetches
//! rows from the store and hands them to the domain's pure function (`lagesbild`,
//! `agenda`, `report`), which is tested without SQLite (ARCHITECTURE.md, "The rooms").

use std::collections::HashMap;

use serde::Serialize;

use crate::agenda::{self, Agenda, AgendaInput};
use crate::effect::follow_up::{self, ActivityFollowUp, FollowUpInput};
use crate::effect::indicator::{Indicator, IndicatorKind};
use crate::effect::{self, Effect, EffectInput, PlaceSeries};
use crate::error::{Field, Problem, Result, ValidationError};
use crate::ids::{ActivityId, DecisionId, OrganisationId, PlaceId, WorkspaceId};
use crate::lagesbild::{self, Lagesbild, TREND_WEEKS};
use crate::model::{Activity, Decision, ObservationFilter, Place, Promise, PublishedPart};
use crate::report::ledger::{self, Ledger, Piece};
use crate::report::politicians::{self, PoliticiansReport};
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

/// The agenda of the meeting about `week`, in the workspace the device records in, with
/// the activities to reconsider as they stand at `now` (or the week's end, if earlier).
pub fn agenda(store: &Store, week: IsoWeek, now: Timestamp) -> Result<Agenda> {
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
    let mut agenda = agenda::build(input, &mut |place, first, last| {
        store.place_weeks(place, first, last)
    })?;
    let (monday, next_monday) = week.bounds();
    let at = std::cmp::min(now, next_monday);
    for view in efforts(store, at)?.activities {
        let reconsidered: Vec<_> = view
            .activity
            .reconsiderations
            .iter()
            .filter(|r| r.at >= monday && r.at < next_monday)
            .cloned()
            .collect();
        if view.follow_up.reconsider.is_empty() && reconsidered.is_empty() {
            continue;
        }
        agenda.to_reconsider.push(agenda::ToReconsider {
            activity: view.activity.id,
            title: view.activity.title.clone(),
            reasons: view.follow_up.reconsider.clone(),
            verdict: view
                .follow_up
                .effect
                .as_ref()
                .map(|e| e.treated.verdict.label()),
            reconsidered,
        });
    }
    Ok(agenda)
}

/// The lägesrapport from `from` up to (not including) `until`, dates in Swedish time.
pub fn period_report(
    store: &Store,
    from: &str,
    until: &str,
    now: Timestamp,
) -> Result<PeriodReport> {
    store.require_identity()?;
    period(store, &Span::of(from, until)?, now, true)
}

/// The lägesrapport's version for politicians from `from` up to (not including)
/// `until`, a period that has ended: built from the ledger's published parts and new
/// ones protected on their own (`report::ledger`), against the period before.
pub fn politicians_report(
    store: &Store,
    from: &str,
    until: &str,
    now: Timestamp,
) -> Result<PoliticiansReport> {
    store.require_identity()?;
    let span = Span::of(from, until)?;
    // Published counts are never changed: a period still running would be frozen
    // before its reports are in.
    if span.end > now.local_date() {
        return Err(ValidationError::new(
            Field::Period,
            Problem::OutOfRange {
                value: ledger::days(span.first, span.end),
                allowed: format!(
                    "the version for politicians is published for days that have ended, up to {}",
                    now.local_date().pred_opt().unwrap_or(span.first)
                ),
            },
        )
        .into());
    }
    let ledger = Ledger::new(store.publications()?);
    let pieces = ledger.pieces(span.first, span.end)?;
    let current = parts(store, &pieces, now)?;
    let previous = span.previous();
    // The period before is not shown where it would cut a published report.
    let before = match ledger.pieces(previous.first, previous.end) {
        Ok(pieces) => Some(parts(store, &pieces, now)?),
        Err(_) => None,
    };
    // Its decisions and activities; the counts come from the parts.
    let full = period(store, &span, now, false)?;
    Ok(politicians::assemble(
        &full,
        current,
        before,
        (previous.first.to_string(), previous.end.to_string()),
    ))
}

/// The counts of each piece: a published part as it was published, new time counted
/// now and protected on its own.
fn parts(store: &Store, pieces: &[Piece<'_>], now: Timestamp) -> Result<Vec<PublishedPart>> {
    let workspace = store.require_identity()?.workspace;
    let (places, categories) = (store.places(workspace)?, store.categories(workspace)?);
    let name = store.workspace(workspace)?.name;
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Published(part) => Ok((*part).clone()),
            Piece::New { first, end } => {
                let span = Span::between(*first, *end);
                let input = PeriodInput {
                    workspace_name: name.clone(),
                    places: &places,
                    categories: &categories,
                    organisations: &[],
                    decisions: Vec::new(),
                    reports: store.period_rows(workspace, span.start, span.start, span.stop)?,
                };
                let counts = report::build(&span, input, &mut |_, _, _| Ok(Vec::new()), now)?;
                Ok(counts.published_part())
            }
        })
        .collect()
}

/// The period's report; without `counts`, its decisions and activities alone.
fn period(store: &Store, span: &Span, now: Timestamp, counts: bool) -> Result<PeriodReport> {
    let workspace = store.require_identity()?.workspace;
    let input = PeriodInput {
        workspace_name: store.workspace(workspace)?.name,
        places: &store.places(workspace)?,
        categories: &store.categories(workspace)?,
        organisations: &store.organisations(workspace)?,
        decisions: store.decisions()?,
        reports: if counts {
            store.period_rows(workspace, span.previous_start, span.start, span.stop)?
        } else {
            Vec::new()
        },
    };
    let mut report = report::build(
        span,
        input,
        &mut |place, first, last| store.place_weeks(place, first, last),
        now,
    )?;
    // The activities as they stood when the period ended.
    let at = std::cmp::min(now, span.stop);
    for view in efforts(store, at)?.activities {
        let f = view.follow_up;
        report.efforts.push(report::EffortOutcome {
            promise: view.promise,
            activity: view.activity.title.clone(),
            responsible: view.responsible,
            status: f.status,
            malvisare: f.indicators.first().and_then(|i| i.malvisare.clone()),
            verdict: f.effect.as_ref().map(|e| e.treated.verdict.clone()),
            not_measured: f.not_measured.clone(),
            change: f.effect.as_ref().and_then(|e| e.treated.change),
            counts: f.effect.as_ref().map(|e| e.treated.counts),
            reconsiderations: view
                .activity
                .reconsiderations
                .into_iter()
                .filter(|r| r.at >= span.start && r.at < span.stop)
                .collect(),
        });
    }
    Ok(report)
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
    let mut rows = store.weekly_rows(workspace, first, last, &[])?;
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
            .weekly(&rows, &[place.id], 0..weeks.len())
            .into_iter()
            .map(|v| v.unwrap_or(0.0).round() as u32)
            .collect(),
    };
    let counted = follow_up::counted_places(&places);
    let treated: Vec<&Place> = counted
        .iter()
        .copied()
        .filter(|p| p.id == decision.place || p.area == Some(decision.place))
        .collect();
    let (neighbours, untreated) = follow_up::split_places(&treated, &counted, NEIGHBOUR_METRES);
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
    .map_err(effect_error)?;
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

/// An activity followed up (`effect::follow_up`), with the names a reader needs.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityView {
    pub activity: Activity,
    pub promise: Option<String>,
    pub responsible: String,
    /// Names of its places, neighbours, comparison places and excluded organisations.
    pub places: Vec<String>,
    pub neighbours: Vec<String>,
    pub comparison: Vec<String>,
    pub excluded: Vec<String>,
    /// Its decisions (deployments), newest first.
    pub decisions: Vec<Decision>,
    pub follow_up: ActivityFollowUp,
}

/// The citizen promises with their activities, each followed up: the *Insatser* view,
/// the agenda's "Att ompröva" and the report's section. One count of the reports over
/// every activity's weeks.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Efforts {
    pub promises: Vec<Promise>,
    pub activities: Vec<ActivityView>,
}

pub fn efforts(store: &Store, now: Timestamp) -> Result<Efforts> {
    let activities = store.activities()?;
    follow_up_all(store, activities, now)
}

/// One activity followed up.
pub fn activity(store: &Store, id: ActivityId, now: Timestamp) -> Result<ActivityView> {
    let activity = store.activity(id)?;
    let mut all = follow_up_all(store, vec![activity], now)?;
    Ok(all.activities.remove(0))
}

fn follow_up_all(store: &Store, activities: Vec<Activity>, now: Timestamp) -> Result<Efforts> {
    let workspace = store.require_identity()?.workspace;
    let promises = store.promises()?;
    if activities.is_empty() {
        return Ok(Efforts {
            promises,
            activities: Vec::new(),
        });
    }
    let places = store.places(workspace)?;
    let organisations = store.organisations(workspace)?;
    let decisions = store.decisions()?;
    // Every activity's places, the ones not followed up here too: none is untreated.
    let all_activities = if activities.len() == 1 {
        store.activities()?
    } else {
        activities.clone()
    };
    let spans: Vec<(IsoWeek, IsoWeek)> = activities
        .iter()
        .map(|a| follow_up::weeks_of(a, now))
        .collect();
    let first = spans.iter().map(|s| s.0).min_by_key(|w| w.key());
    let last = spans.iter().map(|s| s.1).max_by_key(|w| w.key());
    let (Some(first), Some(last)) = (first, last) else {
        unreachable!("activities is not empty")
    };
    // Every category counted from the weekly counts; the categories some indicator
    // names, each on its own.
    let mut categories: Vec<String> = activities
        .iter()
        .flat_map(|a| {
            a.indicators
                .iter()
                .flat_map(|i| i.categories.iter().cloned())
        })
        .collect();
    categories.sort();
    categories.dedup();
    let mut rows = store.weekly_rows(workspace, first, last, &categories)?;
    follow_up::resolve_rows(&mut rows, &places);
    let place_name = |id: &PlaceId| {
        places
            .iter()
            .find(|p| p.id == *id)
            .map_or_else(|| id.to_string(), |p| p.name.clone())
    };
    let org_name = |id: &OrganisationId| {
        organisations
            .iter()
            .find(|o| o.id == *id)
            .map_or_else(|| id.to_string(), |o| o.name.clone())
    };
    // Each follow-up is a pure function of the rows: they run side by side.
    let follow = |i: usize| -> Result<ActivityView> {
        let (own_first, own_last) = spans[i];
        let activity = activities[i].clone();
        let elsewhere: Vec<PlaceId> = all_activities
            .iter()
            .filter(|a| a.id != activity.id && follow_up::overlap((own_first, own_last), a))
            .flat_map(|a| a.places.iter().copied())
            .collect();
        let own: Vec<Decision> = decisions
            .iter()
            .filter(|d| d.activity == Some(activity.id))
            .cloned()
            .collect();
        let deployed = follow_up::deployed_by(&activity, own.iter().map(|d| d.responsible));
        let follow_up = follow_up::follow_up(
            &activity,
            &FollowUpInput {
                places: &places,
                rows: &rows,
                rows_first: first,
                first: own_first,
                deployed: &deployed,
                elsewhere: &elsewhere,
                now,
            },
        )
        .map_err(effect_error)?;
        Ok(ActivityView {
            promise: activity.promise.and_then(|id| {
                promises
                    .iter()
                    .find(|p| p.id == id)
                    .map(|p| p.title.clone())
            }),
            responsible: org_name(&activity.responsible),
            places: activity.places.iter().map(place_name).collect(),
            neighbours: follow_up.neighbours.iter().map(place_name).collect(),
            comparison: follow_up.comparison.iter().map(place_name).collect(),
            excluded: follow_up.excluded.iter().map(org_name).collect(),
            decisions: own,
            activity,
            follow_up,
        })
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(activities.len());
    let mut results: Vec<Option<Result<ActivityView>>> =
        (0..activities.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let chunk = activities.len().div_ceil(threads);
        let follow = &follow;
        let handles: Vec<_> = results
            .chunks_mut(chunk)
            .enumerate()
            .map(|(c, slots)| {
                scope.spawn(move || {
                    for (k, slot) in slots.iter_mut().enumerate() {
                        *slot = Some(follow(c * chunk + k));
                    }
                })
            })
            .collect();
        for handle in handles {
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    // Every slot is filled once every thread has finished.
    let views = results.into_iter().flatten().collect::<Result<Vec<_>>>()?;
    Ok(Efforts {
        promises,
        activities: views,
    })
}

/// An estimate's refusal as the store's errors name fields.
fn effect_error(e: effect::EffectError) -> crate::Error {
    let field = match e.field {
        "places" => Field::Places,
        "baseline" => Field::Baseline,
        "comparison" => Field::Comparison,
        "target" => Field::Target,
        "period" => Field::Period,
        _ => Field::Place,
    };
    ValidationError::new(
        field,
        Problem::OutOfRange {
            value: e.field.to_string(),
            allowed: e.message,
        },
    )
    .into()
}
