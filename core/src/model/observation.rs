use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};
use serde::{Deserialize, Serialize};

use crate::codes::{AgeGroup, DocKind, Role, Source, Status, Visibility};
use crate::grade::Grade;
use crate::ids::{
    CorrectionId, NoteId, ObservationId, OrganisationId, PlaceId, UserId, WorkspaceId,
};
use crate::time::Timestamp;

/// One report from the field: what, where, when, how serious. Stored as its own
/// Automerge document so that it can be erased on its own (ARCHITECTURE.md, invariant 7).
///
/// Fields added later must be `Option` (or have a default), so older documents hydrate.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Observation {
    pub kind: DocKind,
    pub id: ObservationId,
    pub workspace: WorkspaceId,
    /// A category key from the workspace's catalogue.
    pub category: String,
    pub place: PlaceId,
    pub position: Option<Position>,
    pub place_detail: Option<String>,
    /// When it was observed, as the device said; may be a span.
    pub observed_at: Timestamp,
    pub observed_until: Option<Timestamp>,
    /// The device's clock when the report was saved. The server keeps when it first saw it.
    pub recorded_at: Timestamp,
    pub grade: Grade,
    pub people: Option<u32>,
    pub age_group: Option<AgeGroup>,
    pub source: Option<Source>,
    #[serde(with = "super::text_serde")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub description: Text,
    pub reporter: Reporter,
    pub visibility: Visibility,
    pub status: Status,
    pub notes: Vec<Note>,
    /// Other reports of the same event, keyed by observation id.
    pub links: BTreeMap<String, Link>,
    pub review: Option<Review>,
    pub corrections: Vec<Correction>,
    /// Set on a report widened to more readers: it continues the report named here, as a
    /// fresh document that carries only that report's state, not its history (README,
    /// "Visibility over time").
    pub continues: Option<Continuation>,
    /// Set on a report that was widened: it continues as this one, and is no longer
    /// listed or counted itself. Its history stays with the readers it had.
    pub continued_by: Option<ObservationId>,
}

/// Where a widened report came from: the report, and that report's heads (Automerge
/// change hashes, hex) when it was continued. Edits made to the old report after those
/// heads are carried over to the new one by the devices that made them.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Continuation {
    pub from: ObservationId,
    pub at: Vec<String>,
}

/// Who made a report or an edit: taken from the device's enrolment, never typed.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Reporter {
    pub user: UserId,
    pub name: String,
    pub role: Role,
    pub organisation: OrganisationId,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
    /// The GPS accuracy in metres, if known.
    pub accuracy_m: Option<f64>,
}

/// A follow-up note. Notes are only appended, so concurrent notes are all kept.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Note {
    #[key]
    pub id: NoteId,
    pub author: Reporter,
    pub at: Timestamp,
    pub text: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Link {
    pub by: UserId,
    pub at: Timestamp,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Review {
    pub by: Reporter,
    pub at: Timestamp,
}

/// A correction of category or place by someone other than the reporter, kept so the
/// reporter sees what was changed and by whom.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Correction {
    #[key]
    pub id: CorrectionId,
    pub by: Reporter,
    pub at: Timestamp,
    pub field: String,
    pub from: String,
    pub to: String,
}

impl Observation {
    pub fn description(&self) -> &str {
        self.description.as_str()
    }

    pub fn linked(&self) -> impl Iterator<Item = ObservationId> + '_ {
        self.links.keys().filter_map(|k| k.parse().ok())
    }
}
