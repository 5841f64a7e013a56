//! Sync between devices and the server: the wire types both sides speak, and the
//! device's sans-IO sync engine.
//!
//! The protocol is a server-assigned, per-workspace sequence (a feed) and a cursor per
//! device: a device pushes the changes it made and pulls the feed from its cursor, so a
//! reconnect costs what changed since, not what exists. Change hashes make pushes
//! idempotent. A new device bootstraps from pages of whole documents and their
//! projections instead of replaying history.

pub mod engine;
pub mod link;
mod memory;
pub mod storage;
pub mod wire;

pub use storage::SyncStorage;
