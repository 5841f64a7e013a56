//! The device side of sync, shared by the command line, the app and the tests: an HTTP
//! transport (reqwest) for core's sans-IO `SyncEngine`, a runner that drives the
//! engines in the background with backoff and reports their status, and the flows that
//! need the server (enrolment, erasure), written once; where the key of the device's
//! encrypted store comes from; and the online map tiles the app shows.

mod flows;
pub mod keystore;
mod runner;
pub mod tiles;
mod transport;

pub use flows::{FlowError, credential_transport, enrol, erase_everywhere, online};
pub use runner::{Syncer, sync_once};
pub use transport::{HttpTransport, enroll};
