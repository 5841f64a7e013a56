//! The Lägesbild sync server. `service` is what it does; `http` puts it on the network.

pub mod backup;
pub mod config;
pub mod http;
pub mod service;
pub mod storage;

pub use http::{router, serve};
pub use service::Service;
