//! The domain. Documents (edited by people, merged as Automerge documents) are
//! `Observation`, `Decision`, `Meeting`, `Assessment`, `Promise`, `Activity` and `Publication`; the register (places,
//! categories, organisations, workspaces) is managed by the coordinator and synced as
//! plain rows.

mod assessment;
mod effort;
mod meeting;
mod observation;
mod projection;
mod publication;
mod query;
mod register;
pub(crate) mod text_serde;

pub use assessment::{AreaGrade, Assessment};
pub use effort::{Activity, ActivityPeriod, IndicatorSpec, Promise, ReconsiderationEntry};
pub use meeting::{Decision, DecisionStatusChange, Meeting, Schedule};
pub use observation::{
    Continuation, Correction, Link, Note, Observation, Position, Reporter, Review,
};
pub use projection::ObservationProjection;
pub use publication::{PartRow, Publication, PublishedPart};
pub use query::{ListQuery, ObservationFilter, ObservationRow};
pub use register::{Category, Identity, Organisation, Place, Workspace, default_categories};
