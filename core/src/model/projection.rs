//! The observation projection: what lists, maps and the lägesbild read of a report, one
//! row per observation, kept in step with the documents. The same row travels from the
//! server to a new device, so a device becomes usable without parsing every document.

use serde::{Deserialize, Serialize};

use crate::codes::{AgeGroup, Role, Source, Status, Visibility};
use crate::grade::Grade;
use crate::ids::{ObservationId, OrganisationId, PlaceId, UserId, WorkspaceId};
use crate::model::{Observation, Position};
use crate::time::{IsoWeek, Timestamp};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservationProjection {
    pub id: ObservationId,
    pub workspace: WorkspaceId,
    pub place: PlaceId,
    pub category: String,
    pub grade: Grade,
    pub observed_at: Timestamp,
    pub observed_until: Option<Timestamp>,
    pub week: IsoWeek,
    pub recorded_at: Timestamp,
    /// When the server first saw the report; unknown until it has.
    pub server_seen_at: Option<Timestamp>,
    pub organisation: OrganisationId,
    pub reporter: UserId,
    pub reporter_name: String,
    pub role: Role,
    pub visibility: Visibility,
    pub status: Status,
    pub people: Option<u32>,
    pub age_group: Option<AgeGroup>,
    pub source: Option<Source>,
    pub description: String,
    pub place_detail: Option<String>,
    pub position: Option<Position>,
    pub note_count: u32,
    pub link_count: u32,
    pub reviewed: bool,
    /// Details withheld: this device's organisation may see that the report exists, its
    /// place, category and grade, but not what it says.
    #[serde(default)]
    pub restricted: bool,
    /// The event the report belongs to: the smallest id among itself and the reports it
    /// is linked to. Linked reports count as one event.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub event: Option<ObservationId>,
}

impl ObservationProjection {
    pub fn of(o: &Observation) -> ObservationProjection {
        ObservationProjection {
            id: o.id,
            workspace: o.workspace,
            place: o.place,
            category: o.category.clone(),
            grade: o.grade,
            observed_at: o.observed_at,
            observed_until: o.observed_until,
            week: o.observed_at.week(),
            recorded_at: o.recorded_at,
            server_seen_at: None,
            organisation: o.reporter.organisation,
            reporter: o.reporter.user,
            reporter_name: o.reporter.name.clone(),
            role: o.reporter.role,
            visibility: o.visibility,
            status: o.status,
            people: o.people,
            age_group: o.age_group,
            source: o.source,
            description: o.description().to_string(),
            place_detail: o.place_detail.clone(),
            position: o.position,
            note_count: u32::try_from(o.notes.len()).unwrap_or(u32::MAX),
            link_count: u32::try_from(o.links.len()).unwrap_or(u32::MAX),
            reviewed: o.review.is_some(),
            restricted: false,
            event: o.linked().chain(std::iter::once(o.id)).min(),
        }
    }

    /// What partners who may not read the details still see: that there was a report,
    /// where, of what, and how serious.
    pub fn restricted(&self) -> ObservationProjection {
        ObservationProjection {
            reporter: UserId(uuid::Uuid::nil()),
            reporter_name: String::new(),
            people: None,
            age_group: None,
            source: None,
            description: String::new(),
            place_detail: None,
            position: None,
            note_count: 0,
            link_count: 0,
            restricted: true,
            ..self.clone()
        }
    }
}
