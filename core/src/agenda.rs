//! The weekly meeting's agenda, built from the lägesbild: places that are new, worse or
//! still high; last weeks' decisions with their follow-up (before and after, in numbers);
//! each area's official assessment beside what the reports imply and each
//! organisation's own view.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::codes::{DecisionStatus, PlaceKind};
use crate::error::Result;
use crate::grade::Grade;
use crate::ids::{ActivityId, OrganisationId, PlaceId};
use crate::lagesbild::{Lagesbild, Summary};
use crate::model::{
    AreaGrade, Assessment, Decision, Meeting, Organisation, Place, ReconsiderationEntry,
};
use crate::time::IsoWeek;

/// How many weeks before a decision its follow-up compares with.
pub const BEFORE_WEEKS: i64 = 4;
/// How many weeks after a decision its follow-up shows at most.
pub const AFTER_WEEKS: i64 = 4;

/// Why a place is on the agenda.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgendaReason {
    /// Reports at grade 4 or 5 this week and in the weeks before.
    StillHigh,
    /// A higher grade than in the previous weeks.
    Worse,
    /// Reports this week after none in the previous weeks.
    New,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgendaItem {
    pub reason: AgendaReason,
    pub summary: Summary,
}

/// One week of one place: what the before/after of a follow-up is made of.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekPoint {
    pub week: IsoWeek,
    pub reports: u32,
    pub highest: Option<Grade>,
}

/// A decision and what happened at its place since.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    pub decision: Decision,
    pub place_name: String,
    pub responsible_name: String,
    pub decided_week: IsoWeek,
    /// The decision's week and the weeks before it, oldest first.
    pub before: Vec<WeekPoint>,
    /// The weeks after it up to the agenda's week, oldest first.
    pub after: Vec<WeekPoint>,
}

/// An organisation's own assessment of an area.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganisationView {
    pub organisation: OrganisationId,
    pub name: String,
    pub assessment: AreaGrade,
}

/// One area's week: what the reports imply beside the official assessment and each
/// organisation's own, so disagreement shows.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaView {
    pub area: PlaceId,
    pub name: String,
    pub reports: u32,
    pub implied_highest: Option<Grade>,
    pub implied_median: Option<f64>,
    pub official: Option<AreaGrade>,
    pub organisations: Vec<OrganisationView>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agenda {
    pub week: IsoWeek,
    pub meetings: Vec<Meeting>,
    pub items: Vec<AgendaItem>,
    /// Decisions of earlier weeks not yet followed up, and those followed up this week.
    pub follow_ups: Vec<FollowUp>,
    /// Decisions made this week.
    pub decisions: Vec<Decision>,
    pub areas: Vec<AreaView>,
    /// Att ompröva: activities the meeting should reconsider, and those it reconsidered
    /// this week with what it decided.
    pub to_reconsider: Vec<ToReconsider>,
}

/// An activity on the agenda's "Att ompröva".
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToReconsider {
    pub activity: ActivityId,
    pub title: String,
    /// Why, in Swedish (a red målvisare, a clear increase, no clear difference after its
    /// period); empty once reconsidered.
    pub reasons: Vec<String>,
    /// The effect's verdict in words, when measured.
    pub verdict: Option<String>,
    /// What the meeting decided about it this week.
    pub reconsidered: Vec<ReconsiderationEntry>,
}

impl AgendaReason {
    /// Why a place's week belongs on the agenda, if it does.
    pub fn of(summary: &Summary) -> Option<AgendaReason> {
        let highest = summary.highest?;
        let previously = summary.previous.iter().sum::<u32>();
        if previously == 0 {
            return Some(AgendaReason::New);
        }
        match summary.previous_highest {
            Some(before) if highest > before => Some(AgendaReason::Worse),
            Some(before) if highest >= Grade::Allvarligt && before >= Grade::Allvarligt => {
                Some(AgendaReason::StillHigh)
            }
            _ => None,
        }
    }
}

/// What the agenda of a week is made from, as the store holds it.
#[derive(Debug, Clone)]
pub struct AgendaInput<'a> {
    pub week: IsoWeek,
    /// The week's lägesbild, unfiltered.
    pub picture: &'a Lagesbild,
    pub places: &'a [Place],
    pub organisations: &'a [Organisation],
    /// Every decision, newest first.
    pub decisions: Vec<Decision>,
    /// The week's assessments.
    pub assessments: Vec<Assessment>,
    /// The week's meetings.
    pub meetings: Vec<Meeting>,
}

/// Reports and highest grade per week at a place, from a first to a last week
/// inclusive, oldest first (`Store::place_weeks`).
pub type Series<'a> = dyn FnMut(PlaceId, IsoWeek, IsoWeek) -> Result<Vec<WeekPoint>> + 'a;

/// The agenda of the meeting about `input.week`: the places on it and why, the
/// decisions to follow up with their before and after (from `series`), the week's
/// decisions, and each area's assessments beside what the reports imply.
pub fn build(input: AgendaInput<'_>, series: &mut Series<'_>) -> Result<Agenda> {
    let AgendaInput {
        week,
        picture,
        places,
        organisations,
        decisions: all_decisions,
        assessments,
        meetings,
    } = input;
    let mut items: Vec<AgendaItem> = picture
        .places
        .iter()
        .filter(|s| s.reports > 0)
        .filter_map(|s| {
            AgendaReason::of(s).map(|reason| AgendaItem {
                reason,
                summary: s.clone(),
            })
        })
        .collect();
    items.sort_by(|a, b| {
        a.reason
            .cmp(&b.reason)
            .then(b.summary.highest.cmp(&a.summary.highest))
            .then(b.summary.reports.cmp(&a.summary.reports))
    });

    let places: HashMap<PlaceId, &Place> = places.iter().map(|p| (p.id, p)).collect();
    let organisations: HashMap<OrganisationId, String> = organisations
        .iter()
        .map(|o| (o.id, o.name.clone()))
        .collect();
    let (start, end) = week.bounds();
    let mut follow_ups = Vec::new();
    let mut decisions = Vec::new();
    for decision in all_decisions {
        if decision.created_at >= start && decision.created_at < end {
            decisions.push(decision);
            continue;
        }
        if decision.created_at >= end {
            continue;
        }
        let followed_up_before = decision.status == DecisionStatus::Uppfoljd
            && decision
                .history
                .iter()
                .rev()
                .find(|h| h.status == DecisionStatus::Uppfoljd)
                .is_some_and(|h| h.at < start);
        if followed_up_before {
            continue;
        }
        let decided_week = decision.created_at.week();
        let (before, after) = before_after(series, decision.place, decided_week, week)?;
        follow_ups.push(FollowUp {
            place_name: places
                .get(&decision.place)
                .map_or_else(String::new, |p| p.name.clone()),
            responsible_name: organisations
                .get(&decision.responsible)
                .cloned()
                .unwrap_or_default(),
            decided_week,
            before,
            after,
            decision,
        });
    }
    follow_ups.sort_by_key(|f| f.decision.created_at);

    let assessments: HashMap<PlaceId, _> = assessments.into_iter().map(|a| (a.area, a)).collect();
    let implied: HashMap<PlaceId, &Summary> = picture.areas.iter().map(|s| (s.place, s)).collect();
    let mut areas: Vec<AreaView> = places
        .values()
        .filter(|p| p.kind == PlaceKind::Omrade && !p.retired)
        .map(|area| {
            let summary = implied.get(&area.id);
            let assessment = assessments.get(&area.id);
            AreaView {
                area: area.id,
                name: area.name.clone(),
                reports: summary.map_or(0, |s| s.reports),
                implied_highest: summary.and_then(|s| s.highest),
                implied_median: summary.and_then(|s| s.median),
                official: assessment.and_then(|a| a.official.clone()),
                organisations: assessment
                    .map(|a| {
                        a.by_organisation
                            .iter()
                            .map(|(org, grade)| OrganisationView {
                                organisation: *org,
                                name: organisations.get(org).cloned().unwrap_or_default(),
                                assessment: grade.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    areas.sort_by(|a, b| {
        b.implied_highest
            .cmp(&a.implied_highest)
            .then(b.reports.cmp(&a.reports))
            .then(a.name.cmp(&b.name))
    });

    Ok(Agenda {
        week,
        meetings,
        items,
        follow_ups,
        decisions,
        areas,
        to_reconsider: Vec::new(),
    })
}

/// A decision's before and after at its place: its week and the weeks before it
/// (`BEFORE_WEEKS` in all), and the weeks after it up to `last`, at most `AFTER_WEEKS`.
pub fn before_after(
    series: &mut Series<'_>,
    place: PlaceId,
    decided: IsoWeek,
    last: IsoWeek,
) -> Result<(Vec<WeekPoint>, Vec<WeekPoint>)> {
    let before = series(place, decided.minus(BEFORE_WEEKS - 1), decided)?;
    let cap = decided.minus(-AFTER_WEEKS);
    let end = if last.key() < cap.key() { last } else { cap };
    // Empty when `end` is not after the decision's week.
    let after = series(place, decided.minus(-1), end)?;
    Ok((before, after))
}
