//! Citizen promises and the activity plan on the device: the coordinator makes and
//! edits them, the deployment group records its reconsiderations. Each is an Automerge
//! document (ARCHITECTURE.md, invariant 3); the rules are `validate::records` and the
//! permission table, checked here before anything is written (invariant 8).

use autosurgeon::Text;
use serde::{Deserialize, Serialize};

use super::meetings::{KeptRecord, create};
use super::{Store, register};
use crate::codes::{DocKind, IndicatorKind, Reconsideration};
use crate::effect::indicator::Target;
use crate::error::{Error, Field, Problem, Result, ValidationError};
use crate::ids::{ActivityId, MeetingId, NoteId, OrganisationId, PromiseId, WorkspaceId};
use crate::model::{
    Activity, ActivityPeriod, IndicatorSpec, Place, Promise, ReconsiderationEntry, Reporter,
};
use crate::permissions::{self, Record};
use crate::time::{IsoWeek, Timestamp};
use crate::validate::records;

/// Weeks before an activity starts that its baseline covers when none is given.
pub const DEFAULT_BASELINE_WEEKS: i64 = 12;
/// An activity's neighbourhood when none is given.
pub const DEFAULT_NEIGHBOUR_METRES: u32 = 500;

/// A new citizen promise, or its new content, as a form or the command line gives it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PromiseDraft {
    pub title: String,
    pub text: String,
    /// Dates as `2026-01-01`; the end defaults to two years on.
    pub from: String,
    pub to: Option<String>,
    pub signed_by: Vec<String>,
    /// Areas or places, by id or name.
    pub areas: Vec<String>,
}

/// One indicator as typed: the target as people write it ("−25 %").
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorDraft {
    pub kind: IndicatorKind,
    pub categories: Vec<String>,
    /// ISO weeks; by default the `DEFAULT_BASELINE_WEEKS` before the activity starts.
    pub baseline_from: Option<String>,
    pub baseline_to: Option<String>,
    pub target: String,
    #[serde(default)]
    pub counts_deployed: bool,
}

impl IndicatorDraft {
    /// An indicator of `kind` over every category against the default baseline, the
    /// deployed organisations' reports left out, with `target` as people write it.
    pub fn new(kind: IndicatorKind, target: &str) -> IndicatorDraft {
        IndicatorDraft {
            kind,
            categories: Vec::new(),
            baseline_from: None,
            baseline_to: None,
            target: target.to_string(),
            counts_deployed: false,
        }
    }
}

/// A new activity, or its new content.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivityDraft {
    pub title: String,
    pub purpose: String,
    pub goal: String,
    /// Places or areas, by id or name.
    pub places: Vec<String>,
    /// Dates as `2026-06-01`.
    pub from: String,
    pub to: Option<String>,
    /// ISO weekdays, 1 Monday … 7 Sunday; empty for every day.
    pub weekdays: Vec<u32>,
    pub from_time: Option<String>,
    pub to_time: Option<String>,
    pub responsible: Option<OrganisationId>,
    pub responsible_person: String,
    pub promise: Option<PromiseId>,
    pub indicators: Vec<IndicatorDraft>,
    /// Comparison places, by id or name; none: proposed from the data.
    pub comparison: Vec<String>,
    pub neighbour_metres: Option<u32>,
}

fn invalid(field: Field, problem: Problem) -> Error {
    ValidationError::new(field, problem).into()
}

impl Store {
    /// Records a citizen promise. The coordinator's.
    pub fn add_promise(&mut self, draft: &PromiseDraft, now: Timestamp) -> Result<Promise> {
        let me = self.require_efforts()?;
        let workspace = self.require_identity()?.workspace;
        let promise = self.promise_from(draft, PromiseId::new(), workspace, me, now)?;
        self.write(|tx, actor| {
            create(
                tx,
                actor,
                (workspace, DocKind::Promise, promise.id.0),
                &promise,
                now,
            )
        })?;
        Ok(promise)
    }

    /// Replaces a promise's content with `draft`'s.
    pub fn edit_promise(
        &mut self,
        id: PromiseId,
        draft: &PromiseDraft,
        now: Timestamp,
    ) -> Result<Promise> {
        let me = self.require_efforts()?;
        let before = self.promise(id)?;
        let new = self.promise_from(draft, id, before.workspace, me, now)?;
        self.change(id.0, "promise", now, |p: &mut Promise| {
            p.title = new.title;
            p.text.update(new.text.as_str());
            p.from = new.from;
            p.to = new.to;
            p.signed_by = new.signed_by;
            p.areas = new.areas;
            Ok(())
        })
    }

    pub fn promise(&self, id: PromiseId) -> Result<Promise> {
        self.read_document(id.0, "promise")
    }

    /// The workspace's promises, the newest period first.
    pub fn promises(&self) -> Result<Vec<Promise>> {
        let workspace = self.require_identity()?.workspace;
        let mut all: Vec<Promise> = self.read_all(workspace, DocKind::Promise)?;
        all.sort_by(|a, b| b.from.cmp(&a.from).then_with(|| a.title.cmp(&b.title)));
        Ok(all)
    }

    /// Records an activity of the activity plan. The coordinator's.
    pub fn add_activity(&mut self, draft: &ActivityDraft, now: Timestamp) -> Result<Activity> {
        let me = self.require_efforts()?;
        let workspace = self.require_identity()?.workspace;
        let activity = self.activity_from(draft, ActivityId::new(), workspace, me, now)?;
        self.write(|tx, actor| {
            create(
                tx,
                actor,
                (workspace, DocKind::Activity, activity.id.0),
                &activity,
                now,
            )
        })?;
        Ok(activity)
    }

    /// Replaces an activity's content with `draft`'s; its reconsiderations stay.
    pub fn edit_activity(
        &mut self,
        id: ActivityId,
        draft: &ActivityDraft,
        now: Timestamp,
    ) -> Result<Activity> {
        let me = self.require_efforts()?;
        let before = self.activity(id)?;
        let new = self.activity_from(draft, id, before.workspace, me, now)?;
        self.change(id.0, "activity", now, |a: &mut Activity| {
            a.title = new.title;
            a.purpose.update(new.purpose.as_str());
            a.goal = new.goal;
            a.places = new.places;
            a.period = new.period;
            a.responsible = new.responsible;
            a.responsible_person = new.responsible_person;
            a.promise = new.promise;
            a.indicators = new.indicators;
            a.comparison = new.comparison;
            a.neighbour_metres = new.neighbour_metres;
            Ok(())
        })
    }

    pub fn activity(&self, id: ActivityId) -> Result<Activity> {
        self.read_document(id.0, "activity")
    }

    /// Every activity of the workspace, by start, then title.
    pub fn activities(&self) -> Result<Vec<Activity>> {
        let workspace = self.require_identity()?.workspace;
        let mut all: Vec<Activity> = self.read_all(workspace, DocKind::Activity)?;
        all.sort_by(|a, b| {
            a.period
                .from
                .cmp(&b.period.from)
                .then_with(|| a.title.cmp(&b.title))
        });
        Ok(all)
    }

    /// The deployment group's reconsideration of an activity: continue, change or stop,
    /// with why; kept on the activity for good.
    pub fn reconsider(
        &mut self,
        id: ActivityId,
        outcome: Reconsideration,
        reason: &str,
        meeting: Option<MeetingId>,
        now: Timestamp,
    ) -> Result<Activity> {
        let by = self.require_identity()?.reporter();
        if !permissions::Abilities::of(by.role).meeting {
            return Err(Error::Forbidden(
                "activities are reconsidered by the deployment group".into(),
            ));
        }
        let reason = reason.trim().to_string();
        if reason.is_empty() {
            return Err(invalid(Field::Reconsideration, Problem::Missing));
        }
        records::text(Field::Reconsideration, &reason, records::MAX_WHY)?;
        if let Some(meeting) = meeting {
            self.meeting(meeting)?;
        }
        self.change(id.0, "activity", now, |a: &mut Activity| {
            a.reconsiderations.push(ReconsiderationEntry {
                id: NoteId::new(),
                outcome,
                reason,
                meeting,
                by,
                at: now,
            });
            records::check_activity(a)?;
            Ok(())
        })
    }

    fn require_efforts(&self) -> Result<Reporter> {
        let me = self.require_identity()?.reporter();
        if !permissions::Abilities::of(me.role).efforts {
            return Err(Error::Forbidden(
                "promises and activities are kept by the coordinator".into(),
            ));
        }
        Ok(me)
    }

    /// Places by id or name, each once, every one an active place or area of the register.
    fn register_places(
        &self,
        workspace: WorkspaceId,
        field: Field,
        names: &[String],
    ) -> Result<Vec<Place>> {
        let mut found: Vec<Place> = Vec::new();
        for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            let place = register::find_place(self.conn(), workspace, name)?
                .map_err(|e| ValidationError::new(field, e.problem))?;
            if place.retired || place.merged_into.is_some() {
                return Err(invalid(
                    field,
                    Problem::Retired {
                        value: place.name.clone(),
                    },
                ));
            }
            if !found.iter().any(|p| p.id == place.id) {
                found.push(place);
            }
        }
        Ok(found)
    }

    fn promise_from(
        &self,
        draft: &PromiseDraft,
        id: PromiseId,
        workspace: WorkspaceId,
        me: Reporter,
        now: Timestamp,
    ) -> Result<Promise> {
        let from = draft.from.trim().to_string();
        let to = match draft.to.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(to) => to.to_string(),
            None => two_years_on(&from)?,
        };
        let promise = Promise {
            kind: DocKind::Promise,
            id,
            workspace,
            title: draft.title.trim().to_string(),
            text: Text::with_value(draft.text.trim()),
            from,
            to,
            signed_by: draft
                .signed_by
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            areas: self
                .register_places(workspace, Field::Places, &draft.areas)?
                .iter()
                .map(|p| p.id)
                .collect(),
            created_by: me,
            created_at: now,
        };
        records::check_promise(&promise)?;
        Ok(promise)
    }

    fn activity_from(
        &self,
        draft: &ActivityDraft,
        id: ActivityId,
        workspace: WorkspaceId,
        me: Reporter,
        now: Timestamp,
    ) -> Result<Activity> {
        let places = self.register_places(workspace, Field::Places, &draft.places)?;
        if places.is_empty() {
            return Err(invalid(Field::Places, Problem::Missing));
        }
        let comparison = self.register_places(workspace, Field::Comparison, &draft.comparison)?;
        // An area's places are the activity's too: none of them is a comparison.
        if let Some(c) = comparison.iter().find(|c| {
            places
                .iter()
                .any(|p| p.id == c.id || c.area == Some(p.id) || p.area == Some(c.id))
        }) {
            return Err(invalid(
                Field::Comparison,
                Problem::OutOfRange {
                    value: c.name.clone(),
                    allowed: "places the activity does not work at".into(),
                },
            ));
        }
        let responsible = draft
            .responsible
            .ok_or_else(|| invalid(Field::Organisation, Problem::Missing))?;
        if self
            .organisations(workspace)?
            .iter()
            .all(|o| o.id != responsible)
        {
            return Err(invalid(
                Field::Organisation,
                Problem::Unknown {
                    value: responsible.to_string(),
                    hint: "choose an organisation of the workspace".into(),
                },
            ));
        }
        if let Some(promise) = draft.promise {
            self.promise(promise).map_err(|_| {
                invalid(
                    Field::Promise,
                    Problem::Unknown {
                        value: promise.to_string(),
                        hint: "choose a citizen promise of the workspace".into(),
                    },
                )
            })?;
        }
        let from = draft.from.trim().to_string();
        let start = crate::time::parse_day(&from).map_err(|_| {
            invalid(
                Field::Period,
                Problem::Unparseable {
                    value: from.clone(),
                    expected: "a date such as 2026-06-01".into(),
                },
            )
        })?;
        let started = IsoWeek::containing_date(start);
        let categories = self.categories(workspace)?;
        let mut indicators = Vec::new();
        for indicator in &draft.indicators {
            if let Some(unknown) = indicator
                .categories
                .iter()
                .find(|c| !categories.iter().any(|k| &k.key == *c))
            {
                return Err(invalid(
                    Field::Category,
                    Problem::Unknown {
                        value: unknown.clone(),
                        hint: "a category code of the register".into(),
                    },
                ));
            }
            let target = Target::parse(&indicator.target).map_err(|e| {
                invalid(
                    Field::Target,
                    Problem::Unparseable {
                        value: indicator.target.clone(),
                        expected: e.message,
                    },
                )
            })?;
            let week = |text: &Option<String>, default: IsoWeek| {
                text.as_deref()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map_or_else(|| default.to_string(), str::to_string)
            };
            indicators.push(IndicatorSpec {
                kind: indicator.kind,
                categories: indicator.categories.clone(),
                baseline_from: week(
                    &indicator.baseline_from,
                    started.minus(DEFAULT_BASELINE_WEEKS),
                ),
                baseline_to: week(&indicator.baseline_to, started.minus(1)),
                target: target.0,
                counts_deployed: indicator.counts_deployed,
            });
        }
        let optional = |t: &Option<String>| {
            t.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        let mut weekdays = draft.weekdays.clone();
        weekdays.sort_unstable();
        weekdays.dedup();
        let activity = Activity {
            kind: DocKind::Activity,
            id,
            workspace,
            title: draft.title.trim().to_string(),
            purpose: Text::with_value(draft.purpose.trim()),
            goal: draft.goal.trim().to_string(),
            places: places.iter().map(|p| p.id).collect(),
            period: ActivityPeriod {
                from,
                to: optional(&draft.to),
                weekdays,
                from_time: optional(&draft.from_time),
                to_time: optional(&draft.to_time),
            },
            responsible,
            responsible_person: draft.responsible_person.trim().to_string(),
            promise: draft.promise,
            indicators,
            comparison: comparison.iter().map(|p| p.id).collect(),
            neighbour_metres: draft.neighbour_metres.unwrap_or(DEFAULT_NEIGHBOUR_METRES),
            reconsiderations: Vec::new(),
            created_by: me,
            created_at: now,
        };
        records::check_activity(&activity)?;
        Ok(activity)
    }
}

/// The day before the same date two years on: a promise's usual period.
fn two_years_on(from: &str) -> Result<String> {
    let start = crate::time::parse_day(from).map_err(|_| {
        invalid(
            Field::Period,
            Problem::Unparseable {
                value: from.to_string(),
                expected: "a date such as 2026-01-01".into(),
            },
        )
    })?;
    let end = start
        .checked_add_months(chrono::Months::new(24))
        .and_then(|d| d.pred_opt())
        .ok_or_else(|| {
            invalid(
                Field::Period,
                Problem::OutOfRange {
                    value: from.to_string(),
                    allowed: "a date before year 9999".into(),
                },
            )
        })?;
    Ok(end.format("%Y-%m-%d").to_string())
}

impl KeptRecord for Promise {
    fn workspace(&self) -> WorkspaceId {
        self.workspace
    }

    fn record(&self) -> Record {
        Record::Promise(Box::new(self.clone()))
    }
}

impl KeptRecord for Activity {
    fn workspace(&self) -> WorkspaceId {
        self.workspace
    }

    fn record(&self) -> Record {
        Record::Activity(Box::new(self.clone()))
    }
}
