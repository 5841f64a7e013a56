//! The device side of sync, shared by the command line, the app and the tests: an HTTP
//! transport (reqwest) for core's sans-IO `SyncEngine`, and a runner that drives the
//! engines in the background with backoff and reports their status.

mod runner;
mod transport;

pub use runner::{Syncer, sync_once};
pub use transport::{HttpTransport, enroll};
