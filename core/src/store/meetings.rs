//! The weekly meeting (utsättningsgrupp): meetings with their notes, deployment
//! decisions with their follow-up, and the official assessment per area and week. Each
//! is an Automerge document, so two laptops editing the same meeting offline merge.

use autosurgeon::{Hydrate, Reconcile, Text};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::{Store, documents, register};
use crate::codes::{DecisionStatus, Deployee, DocKind, PlaceKind};
use crate::doc::Document;
use crate::error::{Error, Field, Problem, Result, ValidationError};
use crate::grade::Grade;
use crate::ids::{ActivityId, DecisionId, MeetingId, NoteId, OrganisationId, PlaceId, WorkspaceId};
use crate::model::{
    AreaGrade, Assessment, Decision, DecisionStatusChange, Meeting, Reporter, Schedule,
};
use crate::permissions::{self, Record};
use crate::time::{IsoWeek, Timestamp};

/// The most text a meeting's notes or a decision's motivation may hold.
use crate::validate::records::{MAX_MEETING_NOTES as MAX_NOTES, MAX_WHY};

/// A new decision as the meeting's form gives it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DecisionDraft {
    pub meeting: Option<MeetingId>,
    pub place: Option<PlaceId>,
    pub deployees: Vec<Deployee>,
    /// Dates as `2026-11-27`.
    pub days: Vec<String>,
    /// `18:00`; both empty for whole days.
    pub from: Option<String>,
    pub to: Option<String>,
    pub why: String,
    pub responsible: Option<OrganisationId>,
    /// The activity of the activity plan it carries out.
    #[serde(default)]
    pub activity: Option<ActivityId>,
}

impl Store {
    /// Opens a meeting about `week`. Anyone in the deployment group may; the meeting's
    /// notes are then edited by everyone at it.
    pub fn start_meeting(&mut self, week: IsoWeek, now: Timestamp) -> Result<Meeting> {
        let me = self.require_meeting_group()?;
        let workspace = self.require_identity()?.workspace;
        let meeting = Meeting {
            kind: DocKind::Meeting,
            id: MeetingId::new(),
            workspace,
            week: week.to_string(),
            held_at: now,
            attendees: Vec::new(),
            notes: Text::with_value(""),
            created_by: me,
        };
        self.write(|tx, actor| {
            create(
                tx,
                actor,
                (workspace, DocKind::Meeting, meeting.id.0),
                &meeting,
                now,
            )
        })?;
        Ok(meeting)
    }

    pub fn meeting(&self, id: MeetingId) -> Result<Meeting> {
        self.read_document(id.0, "meeting")
    }

    /// The workspace's meetings about `week` (all weeks if none), earliest first.
    pub fn meetings(&self, week: Option<IsoWeek>) -> Result<Vec<Meeting>> {
        let workspace = self.require_identity()?.workspace;
        let mut all: Vec<Meeting> = self.read_all(workspace, DocKind::Meeting)?;
        if let Some(week) = week {
            let week = week.to_string();
            all.retain(|m| m.week == week);
        }
        all.sort_by_key(|m| m.held_at);
        Ok(all)
    }

    /// Replaces the meeting's notes with `text`, as the smallest edit: concurrent edits
    /// by another laptop elsewhere in the text are kept.
    pub fn edit_meeting_notes(
        &mut self,
        id: MeetingId,
        text: &str,
        now: Timestamp,
    ) -> Result<Meeting> {
        self.require_meeting_group()?;
        let length = text.chars().count();
        if length > MAX_NOTES {
            return Err(too_long(Field::Note, length, MAX_NOTES));
        }
        // Notes end with a line break: two laptops that write at the same place offline
        // (the end, most often) then merge into lines of their own, not one run-on line.
        let text = if text.is_empty() || text.ends_with('\n') {
            text.to_string()
        } else {
            format!("{text}\n")
        };
        self.change(id.0, "meeting", now, |m: &mut Meeting| {
            m.notes.update(&text);
            Ok(())
        })
    }

    /// Adds people to the meeting's attendance list (names as written; no one is removed
    /// by another laptop's list).
    pub fn add_attendee(&mut self, id: MeetingId, name: &str, now: Timestamp) -> Result<Meeting> {
        self.require_meeting_group()?;
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(ValidationError::new(Field::Name, Problem::Missing).into());
        }
        self.change(id.0, "meeting", now, |m: &mut Meeting| {
            if !m.attendees.contains(&name) {
                m.attendees.push(name);
            }
            Ok(())
        })
    }

    /// Records a deployment decision, planned.
    pub fn decide(&mut self, draft: &DecisionDraft, now: Timestamp) -> Result<Decision> {
        let me = self.require_meeting_group()?;
        let workspace = self.require_identity()?.workspace;
        let place = draft
            .place
            .ok_or_else(|| Error::from(ValidationError::new(Field::Place, Problem::Missing)))?;
        let place = register::find_place(self.conn(), workspace, &place.to_string())??;
        if draft.deployees.is_empty() {
            return Err(ValidationError::new(Field::Deployees, Problem::Missing).into());
        }
        let responsible = draft.responsible.ok_or_else(|| {
            Error::from(ValidationError::new(Field::Organisation, Problem::Missing))
        })?;
        if self
            .organisations(workspace)?
            .iter()
            .all(|o| o.id != responsible)
        {
            return Err(ValidationError::new(
                Field::Organisation,
                Problem::Unknown {
                    value: responsible.to_string(),
                    hint: "choose an organisation of the workspace".into(),
                },
            )
            .into());
        }
        let schedule = schedule(draft)?;
        let why = draft.why.trim();
        let length = why.chars().count();
        if length > MAX_WHY {
            return Err(too_long(Field::Description, length, MAX_WHY));
        }
        if let Some(meeting) = draft.meeting {
            self.meeting(meeting)?;
        }
        if let Some(activity) = draft.activity {
            self.activity(activity)?;
        }
        let decision = Decision {
            kind: DocKind::Decision,
            id: DecisionId::new(),
            workspace,
            meeting: draft.meeting,
            place: place.id,
            deployees: draft.deployees.clone(),
            schedule,
            why: Text::with_value(why),
            responsible,
            activity: draft.activity,
            status: DecisionStatus::Planerad,
            history: Vec::new(),
            created_by: me,
            created_at: now,
        };
        self.write(|tx, actor| {
            create(
                tx,
                actor,
                (workspace, DocKind::Decision, decision.id.0),
                &decision,
                now,
            )
        })?;
        Ok(decision)
    }

    /// Moves a decision on (carried out, not carried out, followed up), with a note.
    pub fn set_decision_status(
        &mut self,
        id: DecisionId,
        status: DecisionStatus,
        note: &str,
        now: Timestamp,
    ) -> Result<Decision> {
        let by = self.require_meeting_group()?;
        let note = note.trim().to_string();
        let length = note.chars().count();
        if length > MAX_WHY {
            return Err(too_long(Field::Note, length, MAX_WHY));
        }
        self.change(id.0, "decision", now, |d: &mut Decision| {
            d.status = status;
            d.history.push(DecisionStatusChange {
                id: NoteId::new(),
                status,
                note,
                by,
                at: now,
            });
            Ok(())
        })
    }

    pub fn decision(&self, id: DecisionId) -> Result<Decision> {
        self.read_document(id.0, "decision")
    }

    /// Every decision of the workspace, newest first.
    pub fn decisions(&self) -> Result<Vec<Decision>> {
        let workspace = self.require_identity()?.workspace;
        let mut all: Vec<Decision> = self.read_all(workspace, DocKind::Decision)?;
        all.sort_by_key(|d| std::cmp::Reverse(d.created_at));
        Ok(all)
    }

    /// Sets the official assessment of an area for a week (`organisation: None`), or this
    /// device's organisation's own (`Some`, which must be the device's).
    pub fn assess(
        &mut self,
        area: PlaceId,
        week: IsoWeek,
        official: bool,
        grade: Grade,
        motivation: &str,
        now: Timestamp,
    ) -> Result<Assessment> {
        let by = self.require_meeting_group()?;
        let workspace = self.require_identity()?.workspace;
        let place = register::place_by_id(self.conn(), area)?
            .filter(|p| p.workspace == workspace && p.kind == PlaceKind::Omrade)
            .ok_or_else(|| {
                Error::from(ValidationError::new(
                    Field::Place,
                    Problem::Unknown {
                        value: area.to_string(),
                        hint: "an assessment is made for an area".into(),
                    },
                ))
            })?;
        let motivation = motivation.trim().to_string();
        if official && motivation.is_empty() {
            return Err(ValidationError::new(Field::Description, Problem::Missing).into());
        }
        let length = motivation.chars().count();
        if length > MAX_WHY {
            return Err(too_long(Field::Description, length, MAX_WHY));
        }
        let value = AreaGrade {
            grade,
            motivation,
            by: by.clone(),
            at: now,
        };
        let id = crate::ids::AssessmentId::for_area_week(workspace, place.id, week);
        self.write(|tx, actor| {
            let (mut doc, mut assessment, before) = match documents::load(tx, &id.0, actor)? {
                Some(doc) => {
                    let a: Assessment = doc.read()?;
                    let before = Record::Assessment(Box::new(a.clone()));
                    (doc, a, Some(before))
                }
                None => (
                    Document::new(actor),
                    Assessment::new(workspace, place.id, week),
                    None,
                ),
            };
            if official {
                assessment.official = Some(value);
            } else {
                assessment.by_organisation.insert(by.organisation, value);
            }
            permissions::check(
                &permissions::Writer {
                    me: &by,
                    may_read: true,
                },
                before.as_ref(),
                &Record::Assessment(Box::new(assessment.clone())),
            )
            .map_err(|denied| Error::Forbidden(denied.to_string()))?;
            let changes =
                documents::update_checked(&mut doc, &assessment, DocKind::Assessment, now)?;
            documents::save(
                tx,
                &id.0,
                workspace,
                DocKind::Assessment,
                &mut doc,
                &changes,
                now,
            )?;
            Ok(assessment)
        })
    }

    /// The assessments of every area for `week`.
    pub fn assessments(&self, week: IsoWeek) -> Result<Vec<Assessment>> {
        let workspace = self.require_identity()?.workspace;
        let mut all: Vec<Assessment> = self.read_all(workspace, DocKind::Assessment)?;
        all.retain(|a| a.week == week);
        Ok(all)
    }

    fn require_meeting_group(&self) -> Result<Reporter> {
        let me = self.require_identity()?.reporter();
        if !permissions::Abilities::of(me.role).meeting {
            return Err(Error::Forbidden(
                "meetings and decisions are kept by the deployment group".into(),
            ));
        }
        Ok(me)
    }

    pub(super) fn read_document<T: Hydrate>(
        &self,
        id: uuid::Uuid,
        what: &'static str,
    ) -> Result<T> {
        documents::load(self.conn(), &id, &self.actor)?
            .ok_or_else(|| Error::NotFound {
                what,
                id: id.to_string(),
            })?
            .read()
    }

    pub(super) fn read_all<T: Hydrate>(
        &self,
        workspace: WorkspaceId,
        kind: DocKind,
    ) -> Result<Vec<T>> {
        documents::read_all(self.conn(), &self.actor, workspace, kind)
    }

    /// Loads, changes and saves one document as one Automerge change.
    pub(super) fn change<T: Hydrate + Reconcile + KeptRecord>(
        &mut self,
        id: uuid::Uuid,
        what: &'static str,
        now: Timestamp,
        change: impl FnOnce(&mut T) -> Result<()>,
    ) -> Result<T> {
        let me = self.require_identity()?.reporter();
        self.write(|tx, actor| {
            let mut doc = documents::load(tx, &id, actor)?.ok_or_else(|| Error::NotFound {
                what,
                id: id.to_string(),
            })?;
            let mut record: T = doc.read()?;
            let before = record.record();
            change(&mut record)?;
            // The server's table, so the device refuses what the server would, early.
            permissions::check(
                &permissions::Writer {
                    me: &me,
                    may_read: true,
                },
                Some(&before),
                &record.record(),
            )
            .map_err(|denied| Error::Forbidden(denied.to_string()))?;
            let changes = documents::update_checked(&mut doc, &record, before.kind(), now)?;
            if !changes.is_empty() {
                let kind = doc.kind()?;
                documents::save(tx, &id, record.workspace(), kind, &mut doc, &changes, now)?;
            }
            Ok(record)
        })
    }
}

/// A meeting, a decision, a promise or an activity, as the permission table judges it.
pub(super) trait KeptRecord {
    fn workspace(&self) -> WorkspaceId;
    fn record(&self) -> Record;
}

impl KeptRecord for Meeting {
    fn workspace(&self) -> WorkspaceId {
        self.workspace
    }

    fn record(&self) -> Record {
        Record::Meeting(Box::new(self.clone()))
    }
}

impl KeptRecord for Decision {
    fn workspace(&self) -> WorkspaceId {
        self.workspace
    }

    fn record(&self) -> Record {
        Record::Decision(Box::new(self.clone()))
    }
}

pub(super) fn create<T: Reconcile>(
    tx: &Connection,
    actor: &automerge::ActorId,
    (workspace, kind, id): (WorkspaceId, DocKind, uuid::Uuid),
    record: &T,
    now: Timestamp,
) -> Result<()> {
    let (_, created) = Document::create(actor, record, now)?;
    documents::save_created(tx, &id, workspace, kind, &created, now)
}

pub(super) fn too_long(field: Field, length: usize, max: usize) -> Error {
    ValidationError::new(field, Problem::TooLong { length, max }).into()
}

/// Dates must be real dates; times `HH:MM`, both or neither.
fn schedule(draft: &DecisionDraft) -> Result<Schedule> {
    let mut days = Vec::new();
    for day in &draft.days {
        let day = day.trim();
        if chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err() {
            return Err(ValidationError::new(
                Field::Schedule,
                Problem::Unparseable {
                    value: day.to_string(),
                    expected: "a date such as 2026-11-27".into(),
                },
            )
            .into());
        }
        if !days.iter().any(|d: &String| d == day) {
            days.push(day.to_string());
        }
    }
    if days.is_empty() {
        return Err(ValidationError::new(Field::Schedule, Problem::Missing).into());
    }
    days.sort();
    let time = |t: &Option<String>| -> Result<Option<String>> {
        match t.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => chrono::NaiveTime::parse_from_str(t, "%H:%M")
                .map(|_| Some(t.to_string()))
                .map_err(|_| {
                    ValidationError::new(
                        Field::Schedule,
                        Problem::Unparseable {
                            value: t.to_string(),
                            expected: "a time such as 18:00".into(),
                        },
                    )
                    .into()
                }),
        }
    };
    Ok(Schedule {
        days,
        from: time(&draft.from)?,
        to: time(&draft.to)?,
    })
}
