//! The weekly meeting's agenda, built from the lägesbild: places that are new, worse or
//! still high; last weeks' decisions with their follow-up (before and after, in numbers);
//! each area's official assessment beside what the reports imply and each
//! organisation's own view.

use std::collections::HashMap;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::codes::{DecisionStatus, PlaceKind};
use crate::error::Result;
use crate::grade::Grade;
use crate::ids::{OrganisationId, PlaceId};
use crate::lagesbild::Summary;
use crate::model::ObservationFilter;
use crate::model::{AreaGrade, Decision, Meeting};
use crate::store::Store;
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

impl Store {
    /// The agenda of the meeting about `week`.
    pub fn agenda(&self, week: IsoWeek) -> Result<Agenda> {
        let identity = self.require_identity()?;
        let workspace = identity.workspace;
        let picture = self.lagesbild(workspace, week, &ObservationFilter::default())?;
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

        let places: HashMap<PlaceId, _> = self
            .places(workspace)?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let organisations: HashMap<OrganisationId, String> = self
            .organisations(workspace)?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let (start, end) = week.bounds();
        let mut follow_ups = Vec::new();
        let mut decisions = Vec::new();
        for decision in self.decisions()? {
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
            let (before, after) = self.before_after(decision.place, decided_week, week)?;
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

        let assessments: HashMap<PlaceId, _> = self
            .assessments(week)?
            .into_iter()
            .map(|a| (a.area, a))
            .collect();
        let implied: HashMap<PlaceId, &Summary> =
            picture.areas.iter().map(|s| (s.place, s)).collect();
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
            meetings: self.meetings(Some(week))?,
            items,
            follow_ups,
            decisions,
            areas,
        })
    }

    /// A decision's before and after at its place: its week and the weeks before it
    /// (`BEFORE_WEEKS` in all), and the weeks after it up to `last`, at most `AFTER_WEEKS`.
    pub fn before_after(
        &self,
        place: PlaceId,
        decided: IsoWeek,
        last: IsoWeek,
    ) -> Result<(Vec<WeekPoint>, Vec<WeekPoint>)> {
        let before = self.place_weeks(place, decided.minus(BEFORE_WEEKS - 1), decided)?;
        let cap = decided.minus(-AFTER_WEEKS);
        let end = if last.key() < cap.key() { last } else { cap };
        // Empty when `end` is not after the decision's week.
        let after = self.place_weeks(place, decided.minus(-1), end)?;
        Ok((before, after))
    }

    /// Reports and highest grade per week at a place (an area: at it and every place in
    /// it, and every place merged into it), from `first` to `last` inclusive, oldest first.
    pub fn place_weeks(
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
}
