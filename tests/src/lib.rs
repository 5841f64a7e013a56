//! Shared helpers for cross-part tests and benchmarks.
