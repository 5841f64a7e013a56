//! What a device asks of its reports: which ones (`ListQuery`, `ObservationFilter`) and
//! what a list shows of each (`ObservationRow`). The store answers them in SQL; the UI
//! and the exports share the types.

use serde::{Deserialize, Serialize};

use crate::grade::Grade;
use crate::ids::{OrganisationId, PlaceId, UserId, WorkspaceId};
use crate::model::ObservationProjection;
use crate::time::{IsoWeek, Timestamp};

/// Which observations to include. Empty lists mean "all".
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ObservationFilter {
    /// Category keys; a main category includes its subcategories.
    pub categories: Vec<String>,
    pub organisations: Vec<OrganisationId>,
    pub grades: Vec<Grade>,
    /// A place, or an area with every place in it.
    pub place: Option<PlaceId>,
}

/// What a list shows of an observation: its projection, with its place's name and area.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservationRow {
    #[serde(flatten)]
    pub projection: ObservationProjection,
    pub place_name: String,
    pub area: Option<PlaceId>,
}

impl std::ops::Deref for ObservationRow {
    type Target = ObservationProjection;
    fn deref(&self) -> &ObservationProjection {
        &self.projection
    }
}

/// Which observations a list returns, newest first.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", ts(optional_fields = nullable))]
pub struct ListQuery {
    pub workspace: Option<WorkspaceId>,
    pub week: Option<IsoWeek>,
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub reporter: Option<UserId>,
    /// Only reports the coordinator has (or has not) reviewed.
    pub reviewed: Option<bool>,
    #[cfg_attr(feature = "ts", ts(as = "Option<_>", optional))]
    pub filter: ObservationFilter,
    pub limit: Option<u32>,
}
