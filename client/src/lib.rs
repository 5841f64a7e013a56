//! The device side of sync.
