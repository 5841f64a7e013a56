use autosurgeon::{Hydrate, Reconcile, Text};
use serde::{Deserialize, Serialize};

use crate::codes::{DecisionStatus, Deployee, DocKind};
use crate::ids::{ActivityId, DecisionId, MeetingId, NoteId, OrganisationId, PlaceId, WorkspaceId};
use crate::model::Reporter;
use crate::time::Timestamp;

/// One weekly deployment meeting (utsättningsgrupp): its notes and who attended.
/// Decisions are their own documents and point back to the meeting.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Meeting {
    pub kind: DocKind,
    pub id: MeetingId,
    pub workspace: WorkspaceId,
    /// The ISO week the meeting looks at, as `2026-W48`.
    pub week: String,
    pub held_at: Timestamp,
    pub attendees: Vec<String>,
    #[serde(with = "super::text_serde")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub notes: Text,
    pub created_by: Reporter,
}

/// A deployment decision (utsättning): whom to send where, when, why, and who answers
/// for it; followed up at the next meeting.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Decision {
    pub kind: DocKind,
    pub id: DecisionId,
    pub workspace: WorkspaceId,
    pub meeting: Option<MeetingId>,
    pub place: PlaceId,
    pub deployees: Vec<Deployee>,
    pub schedule: Schedule,
    #[serde(with = "super::text_serde")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub why: Text,
    pub responsible: OrganisationId,
    /// The activity of the activity plan this deployment carries out.
    pub activity: Option<ActivityId>,
    pub status: DecisionStatus,
    /// Every status change with its note, oldest first.
    pub history: Vec<DecisionStatusChange>,
    pub created_by: Reporter,
    pub created_at: Timestamp,
}

/// Which days and times a deployment covers, in Swedish local time.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Schedule {
    /// Dates as `2026-11-27`.
    pub days: Vec<String>,
    /// `18:00`, or none for the whole day.
    pub from: Option<String>,
    pub to: Option<String>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct DecisionStatusChange {
    #[key]
    pub id: NoteId,
    pub status: DecisionStatus,
    pub note: String,
    pub by: Reporter,
    pub at: Timestamp,
}
