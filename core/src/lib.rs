//! Lägesbild's core: the domain, its Automerge documents, the local SQLite store and the
//! queries that make a weekly lägesbild. Plain Rust: no UI framework, no web server, no
//! HTTP client; every other part of Lägesbild builds on this crate.

pub mod agenda;
pub mod audit_detail;
pub mod chunk;
pub mod codes;
pub mod demo;
pub mod doc;
pub mod effect;
pub mod error;
pub mod exchange;
pub mod grade;
pub mod ids;
pub mod inert;
pub mod lagesbild;
pub mod model;
pub mod permissions;
pub mod personnummer;
pub mod report;
pub mod shape;
pub mod sqlite;
pub mod store;
pub mod sync;
pub mod time;
pub mod validate;
pub mod views;

pub use codes::{
    AgeGroup, AuditAction, DecisionStatus, Deployee, DocKind, IndicatorKind, Lang,
    OrganisationKind, PlaceKind, Reconsideration, Role, Source, Status, Visibility,
};
pub use error::{Error, ErrorCode, Field, Overlap, Problem, Result, ValidationError, Warning};
pub use grade::Grade;
pub use ids::*;
pub use model::*;
pub use store::{DecisionDraft, Store};
pub use time::{IsoWeek, Timestamp};
pub use validate::{ObservationDraft, ObservationPatch};
