//! The municipality's efforts: citizen promises (medborgarlöften) and the activities
//! (insatser) of the activity plan. Both are Automerge documents kept by the
//! coordinator and read by everyone; the deployment group appends its reconsiderations
//! to an activity. Decisions (deployments) may belong to an activity.

use autosurgeon::{Hydrate, Reconcile, Text};
use serde::{Deserialize, Serialize};

use crate::codes::{DocKind, IndicatorKind, Reconsideration};
use crate::ids::{ActivityId, MeetingId, NoteId, OrganisationId, PlaceId, PromiseId, WorkspaceId};
use crate::model::Reporter;
use crate::time::Timestamp;

/// A citizen promise: what the police area chief and the board chair signed, for two
/// years, over some areas.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Promise {
    pub kind: DocKind,
    pub id: PromiseId,
    pub workspace: WorkspaceId,
    pub title: String,
    #[serde(with = "super::text_serde")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub text: Text,
    /// Dates as `2026-01-01`: the promise holds from the first to the last, inclusive.
    pub from: String,
    pub to: String,
    /// Who signed, as written ("Lokalpolisområdeschef Anna Berg").
    pub signed_by: Vec<String>,
    /// The areas (or places) it covers.
    pub areas: Vec<PlaceId>,
    pub created_by: Reporter,
    pub created_at: Timestamp,
}

/// An activity of the activity plan: what is done, why, where, when and by whom, and how
/// its result is measured.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Activity {
    pub kind: DocKind,
    pub id: ActivityId,
    pub workspace: WorkspaceId,
    /// What is done, in a line ("Väktare vid Rönninge station fredagskvällar").
    pub title: String,
    #[serde(with = "super::text_serde")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub purpose: Text,
    /// The measurable goal in words; its indicators say how it is measured.
    pub goal: String,
    /// The places and areas it works at; an area stands for its places.
    pub places: Vec<PlaceId>,
    pub period: ActivityPeriod,
    /// The organisation that answers for it, and the person there.
    pub responsible: OrganisationId,
    pub responsible_person: String,
    /// The citizen promise it serves.
    pub promise: Option<PromiseId>,
    pub indicators: Vec<IndicatorSpec>,
    /// Comparison places the coordinator chose; none: proposed from the data.
    pub comparison: Vec<PlaceId>,
    /// Places within this distance of its places are its neighbours: their own series,
    /// never comparisons.
    pub neighbour_metres: u32,
    /// What the deployment group decided each time it reconsidered the activity, oldest
    /// first.
    pub reconsiderations: Vec<ReconsiderationEntry>,
    pub created_by: Reporter,
    pub created_at: Timestamp,
}

/// When an activity runs: from a date, until a date or on, on some weekdays or every day.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct ActivityPeriod {
    /// Dates as `2026-06-01`.
    pub from: String,
    /// The planned end; none for an activity that runs until it is stopped.
    pub to: Option<String>,
    /// ISO weekdays it recurs on (1 Monday … 7 Sunday); empty: every day of the period.
    pub weekdays: Vec<u32>,
    /// `18:00`–`23:00`, or none for the whole day.
    pub from_time: Option<String>,
    pub to_time: Option<String>,
}

/// One indicator: what it measures, its baseline weeks and its target.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct IndicatorSpec {
    pub kind: IndicatorKind,
    /// Category codes counted; empty counts every category.
    pub categories: Vec<String>,
    /// The baseline: ISO weeks as `2026-W10`, inclusive.
    pub baseline_from: String,
    pub baseline_to: String,
    /// The target as a change against the baseline: −0.25 is "25 % under".
    pub target: f64,
    /// Whether reports by the organisations the activity deploys count too. By default
    /// they do not: deployed people report what they see where they are sent.
    pub counts_deployed: bool,
}

/// One reconsideration: continue, change or stop, why, by whom and when.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct ReconsiderationEntry {
    #[key]
    pub id: NoteId,
    pub outcome: Reconsideration,
    pub reason: String,
    pub meeting: Option<MeetingId>,
    pub by: Reporter,
    pub at: Timestamp,
}
