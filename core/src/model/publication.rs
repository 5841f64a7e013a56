//! The publication ledger: every time the lägesrapport's version for politicians left
//! the collaboration, what it published. A publication is an Automerge document made
//! once by the coordinator's device and never changed; it syncs like the rest, so a
//! report published offline reaches the server's audit log at the next sync.
//!
//! What it keeps is what the file published — the published counts of each stretch of
//! days (`PublishedPart`) it published first, and which stretches it repeated; never a
//! suppressed count or any report's text — and the file's SHA-256. The parts are what
//! later reports are built from: a count, once published, is published the same every
//! time (`report::ledger`).

use autosurgeon::reconcile::{NoKey, Reconciler};
use autosurgeon::{Hydrate, HydrateError, Reconcile};
use serde::{Deserialize, Serialize};

use crate::codes::DocKind;
use crate::grade::Grade;
use crate::ids::{PublicationId, WorkspaceId};
use crate::model::Reporter;
use crate::time::Timestamp;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Publication {
    pub kind: DocKind,
    pub id: PublicationId,
    pub workspace: WorkspaceId,
    /// The report's title as the file has it.
    pub title: String,
    /// The period, as `2026-11-01` up to (not including) `2026-12-01`.
    pub from: String,
    pub until: String,
    /// The file as published, its SHA-256 in hex.
    pub sha256: String,
    /// How many counts the file's tables hold, and how many of them it shows.
    pub counts: u32,
    pub shown: u32,
    /// The stretches of days whose counts it published first, oldest first.
    pub parts: Vec<PublishedPart>,
    /// Every stretch its counts come from, the period before's included, as
    /// `2026-11-01/2026-12-01`: those in `parts`, and those it repeated from earlier
    /// publications.
    pub uses: Vec<String>,
    pub published_by: Reporter,
    pub published_at: Timestamp,
}

/// The counts of a stretch of days as they were published: protected on their own
/// (`report::disclosure`), and never changed afterwards. Kept in the document as one
/// JSON string: a table that is never edited needs no merging, and reads at once.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedPart {
    pub from: String,
    pub until: String,
    /// Its columns: the weeks it touches, each cut to the part (the first day of each,
    /// as `2026-11-01`).
    pub columns: Vec<String>,
    /// Reports in all; `None` where suppressed.
    pub reports: Option<u32>,
    pub areas: Vec<PartRow>,
    pub categories: Vec<PartRow>,
}

/// One row of a part. A row that is missing had no reports: 0, published; unless the
/// table has a row of others (`report::politicians::OTHERS`), which it may be in.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRow {
    pub key: String,
    pub name: String,
    pub reports: Option<u32>,
    /// Only where `reports` is published.
    pub highest: Option<Grade>,
    pub per_column: Vec<Option<u32>>,
}

impl PublishedPart {
    /// `2026-11-01/2026-12-01`, as `Publication::uses` names it.
    pub fn span(&self) -> String {
        format!("{}/{}", self.from, self.until)
    }
}

impl Reconcile for PublishedPart {
    type Key<'a> = NoKey;
    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        // Serialising plain strings, numbers and options cannot fail.
        reconciler.str(serde_json::to_string(self).unwrap_or_default())
    }
}

impl Hydrate for PublishedPart {
    fn hydrate_string(s: &'_ str) -> Result<Self, HydrateError> {
        serde_json::from_str(s)
            .map_err(|e| HydrateError::unexpected("a published part as JSON", e.to_string()))
    }
}
