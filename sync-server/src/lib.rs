//! The sync server; built in its own issue.
