//! The publication ledger on the device: publishing the version for politicians
//! records what it published (`model::publication`, `report::ledger`). The document
//! syncs like the rest, so a report published offline reaches the server at the next
//! sync.

use sha2::{Digest, Sha256};

use super::Store;
use super::meetings::create;
use crate::Lang;
use crate::codes::DocKind;
use crate::error::{Error, Field, Problem, Result, ValidationError};
use crate::ids::PublicationId;
use crate::model::{Publication, PublishedPart};
use crate::permissions;
use crate::report::ledger::{Ledger, Piece};
use crate::report::politicians::PoliticiansReport;
use crate::time::{Timestamp, parse_day};
use crate::validate::records;

/// The counts one publication may publish first, as JSON: well inside the largest
/// change the server takes (`chunk::MAX_CHANGE_BYTES`).
pub const MAX_NEW_PART_BYTES: usize = 192 * 1024;

impl Store {
    /// The workspace's publications, oldest first.
    pub fn publications(&self) -> Result<Vec<Publication>> {
        let workspace = self.require_identity()?.workspace;
        let all = self.read_all(workspace, DocKind::Publication)?;
        Ok(Ledger::new(all).publications().to_vec())
    }

    /// The ledger as the coordinator reads it: newest first, each publication with the
    /// earlier one it clashes with.
    pub fn ledger(&self) -> Result<Vec<crate::report::ledger::LedgerEntry>> {
        let workspace = self.require_identity()?.workspace;
        let all = self.read_all(workspace, DocKind::Publication)?;
        Ok(Ledger::new(all).entries())
    }

    /// Records that `report` (`views::politicians_report`) was published as `file`:
    /// who, when, the period, the counts it published and the file's SHA-256. The
    /// coordinator's. Refused, recording nothing, when the ledger has changed since the
    /// report was made so that its counts no longer agree with what was published.
    pub fn publish(
        &mut self,
        report: &PoliticiansReport,
        file: &[u8],
        now: Timestamp,
    ) -> Result<Publication> {
        let me = self.require_identity()?.reporter();
        if !permissions::Abilities::of(me.role).publish {
            return Err(Error::Forbidden(
                "the version for politicians is published by the coordinator".into(),
            ));
        }
        let workspace = self.require_identity()?.workspace;
        let ledger = Ledger::new(self.read_all(workspace, DocKind::Publication)?);
        let mut new = Vec::new();
        for part in &report.parts {
            let pieces = ledger.pieces(parse_day(&part.from)?, parse_day(&part.until)?)?;
            match pieces.as_slice() {
                [Piece::Published(published)] if *published == part => {}
                pieces if pieces.iter().all(|p| matches!(p, Piece::New { .. })) => {
                    new.push(part.clone());
                }
                _ => {
                    return Err(Error::Forbidden(format!(
                        "{} – {} was published meanwhile with other counts; make the report again",
                        part.from, part.until
                    )));
                }
            }
        }
        // The record must sync: a first publication of a long period over many rows
        // would be a change larger than the server takes.
        let bytes: usize = new
            .iter()
            .map(|p| serde_json::to_string(p).map_or(0, |j| j.len()))
            .sum();
        if bytes > MAX_NEW_PART_BYTES {
            return Err(ValidationError::new(
                Field::Period,
                Problem::OutOfRange {
                    value: format!("{} new months", new.len()),
                    allowed: "fewer at once: publish the months first, one at a time, then the longer period (its months are then repeated, not sent again)".into(),
                },
            )
            .into());
        }
        let publication = Publication {
            kind: DocKind::Publication,
            id: PublicationId::new(),
            workspace,
            title: report.title(Lang::Sv),
            from: report.from.clone(),
            until: report.until.clone(),
            sha256: hex(&Sha256::digest(file)),
            counts: report.share.all,
            shown: report.share.shown,
            parts: new,
            uses: report.parts.iter().map(PublishedPart::span).collect(),
            published_by: me,
            published_at: now,
        };
        records::check_publication(&publication)?;
        self.write(|tx, actor| {
            create(
                tx,
                actor,
                (workspace, DocKind::Publication, publication.id.0),
                &publication,
                now,
            )
        })?;
        Ok(publication)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
