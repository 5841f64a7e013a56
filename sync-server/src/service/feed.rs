//! The feed and the bootstrap, as one device may see them.
//!
//! The feed is read in sequence order from the device's cursor, so its cost grows with
//! what changed since, never with what exists. Each entry is turned into what this
//! device may know: the change itself, the whole document when it has just become
//! readable, a restricted summary when it may not read it, or a removal.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use lagesbild_core::ObservationProjection;
use lagesbild_core::sync::wire::{BootstrapPage, FeedEntry, FeedPage, MAX_PAGE, ProjectionKey};
use lagesbild_core::{DocKind, OrganisationId, Timestamp, Visibility, WorkspaceId};
use serde::Serialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::access::can_read;
use super::{Member, Service, ServiceError, ServiceResult};
use crate::storage::{FeedRow, StoredDocument};

/// A document's current state, as stored.
#[derive(Clone)]
struct Current {
    kind: DocKind,
    bytes: Vec<u8>,
    org: Option<OrganisationId>,
    visibility: Visibility,
    projection: Option<ObservationProjection>,
}

impl Current {
    fn of(doc: Uuid, stored: StoredDocument) -> ServiceResult<Current> {
        let projection = stored
            .projection
            .map(|p| serde_json::from_str(&p))
            .transpose()
            .map_err(|e| ServiceError::Internal(format!("stored projection of {doc}: {e}")))?;
        Ok(Current {
            kind: stored.kind,
            bytes: stored.bytes,
            org: stored.org,
            visibility: stored.visibility,
            projection,
        })
    }
}

/// The whole document if `member` may read it, else its restricted summary (observations
/// only; other records are readable by every member).
fn as_visible(member: &Member, doc: Uuid, current: Current) -> Option<FeedEntry> {
    if can_read(member, current.org, current.visibility) {
        Some(FeedEntry::Document {
            doc,
            kind: current.kind,
            bytes: current.bytes,
            projection: current.projection,
        })
    } else {
        current.projection.map(|p| FeedEntry::Restricted {
            projection: p.restricted(),
        })
    }
}

/// A page of projections as sent (`ProjectionPage` on the wire). Those the device may
/// read go out as stored, without being parsed and written again.
#[derive(Debug, Serialize)]
pub struct Projections {
    pub projections: Vec<Box<RawValue>>,
    pub cursor: i64,
    pub next: Option<ProjectionKey>,
    pub total: Option<u64>,
}

/// Pages read lately, kept for the long polls that ask for the same one: when a change
/// lands, every device of the workspace wakes and asks for the page after the same
/// cursor. A page holds while the workspace's feed head is what it was when it was read
/// (every change, an erasure included, moves the head). Small pages only, few of them.
pub(super) type Pages = Mutex<HashMap<(WorkspaceId, i64, usize), Page>>;

pub(super) struct Page {
    head: i64,
    rows: Vec<FeedRow>,
    /// Documents as they are, read as the members asking needed them.
    current: HashMap<Uuid, Option<Current>>,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("head", &self.head)
            .field("rows", &self.rows.len())
            .finish_non_exhaustive()
    }
}

impl Page {
    fn bytes(&self) -> usize {
        self.rows
            .iter()
            .map(|r| r.bytes.as_ref().map_or(0, Vec::len))
            .sum()
    }
}

/// Pages kept at once, and the most change bytes a kept page may hold.
const KEPT_PAGES: usize = 64;
const KEPT_PAGE_BYTES: usize = 256 * 1024;

impl Service {
    /// The page after `since` from memory, when the long polls that woke with this one
    /// had it read already: no database, no blocking. `None`: read it with `feed`.
    pub fn feed_from_memory(
        &self,
        member: &Member,
        since: i64,
        limit: usize,
    ) -> ServiceResult<Option<FeedPage>> {
        let limit = limit.clamp(1, MAX_PAGE);
        let (Some(known), Some(timeline)) = (self.known(member.workspace), self.timeline.get())
        else {
            return Ok(None);
        };
        // A page holds while the workspace's head is what it was read at; one that lacks
        // a document this member needs is read from the database by `feed` (never while
        // the pages are held: the database path takes its connection first, then them).
        let mut pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(page) = pages
            .get_mut(&(member.workspace, since, limit))
            .filter(|p| p.head == known.head)
        else {
            return Ok(None);
        };
        Ok(
            visible_entries(member, page, |_| Ok(None))?.map(|entries| FeedPage {
                more: page.rows.len() == limit,
                cursor: page.rows.last().map_or(since, |r| r.seq),
                entries,
                register_version: known.register_version,
                timeline: Some(*timeline),
            }),
        )
    }

    /// Entries after `since`, at most `limit` of them scanned.
    pub fn feed(&self, member: &Member, since: i64, limit: usize) -> ServiceResult<FeedPage> {
        let limit = limit.clamp(1, MAX_PAGE);
        let key = (member.workspace, since, limit);
        // Read once per process, and never under the pages' lock.
        let timeline = self.timeline()?;
        // When a change lands, every device of the workspace wakes and asks for the
        // same page: it is read once, and the others are answered from memory.
        if let Some(page) = self.feed_from_memory(member, since, limit)? {
            return Ok(page);
        }
        let epoch = self.epoch();
        self.read(|tx| {
            let head = tx.feed_head(member.workspace)?;
            let register_version = tx
                .workspace(member.workspace)?
                .map_or(0, |(_, version)| version);
            let mut pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
            let mut fresh;
            let page = match pages.get_mut(&key).filter(|p| p.head == head) {
                Some(page) => page,
                None => {
                    fresh = Page {
                        head,
                        rows: tx.feed(member.workspace, since, limit)?,
                        current: HashMap::new(),
                    };
                    if fresh.bytes() > KEPT_PAGE_BYTES {
                        &mut fresh
                    } else {
                        if pages.len() >= KEPT_PAGES {
                            pages.clear();
                        }
                        pages.entry(key).insert_entry(fresh).into_mut()
                    }
                }
            };
            let entries = visible_entries(member, page, |doc| Ok(Some(tx.document(*doc)?)))?
                .unwrap_or_default();
            let page = FeedPage {
                more: page.rows.len() == limit,
                cursor: page.rows.last().map_or(since, |r| r.seq),
                entries,
                register_version,
                timeline: Some(timeline),
            };
            drop(pages);
            self.learn(member.workspace, head, register_version, epoch);
            Ok(page)
        })
    }

    /// The workspace's observations' projections as `member` may see them, the most
    /// recently observed first, after `before`. `at` is the cursor from the first page;
    /// the first page sets it to the feed's head and counts the observations.
    pub fn projections(
        &self,
        member: &Member,
        before: Option<ProjectionKey>,
        at: Option<i64>,
        limit: usize,
    ) -> ServiceResult<Projections> {
        let limit = limit.clamp(1, MAX_PAGE);
        self.read(|tx| {
            let (cursor, total) = match at {
                Some(at) => (at, None),
                None => (
                    tx.feed_head(member.workspace)?,
                    Some(tx.observation_count(member.workspace)?),
                ),
            };
            let rows = tx.projections(
                member.workspace,
                before.map(|k| (k.observed_at, k.doc)),
                limit,
            )?;
            let next = (rows.len() == limit)
                .then(|| rows.last())
                .flatten()
                .map(|r| ProjectionKey {
                    observed_at: r.observed_at,
                    doc: r.doc,
                });
            let projections = rows
                .into_iter()
                .map(|row| {
                    let doc = row.doc;
                    let broken = |e: serde_json::Error| {
                        ServiceError::Internal(format!("stored projection of {doc}: {e}"))
                    };
                    if can_read(member, row.org, row.visibility) {
                        RawValue::from_string(row.projection).map_err(broken)
                    } else {
                        let whole: ObservationProjection =
                            serde_json::from_str(&row.projection).map_err(broken)?;
                        serde_json::value::to_raw_value(&whole.restricted()).map_err(broken)
                    }
                })
                .collect::<ServiceResult<_>>()?;
            Ok(Projections {
                projections,
                cursor,
                next,
                total,
            })
        })
    }

    /// The workspace's documents as they are now, by id after `after`. `at` is the
    /// cursor from the first page; the first page sets it to the feed's head. Without
    /// `projections`, only the documents `member` may read, without their projections
    /// (a device that stored the projections first).
    pub fn bootstrap(
        &self,
        member: &Member,
        after: Option<Uuid>,
        at: Option<i64>,
        limit: usize,
        projections: bool,
    ) -> ServiceResult<BootstrapPage> {
        let limit = limit.clamp(1, MAX_PAGE);
        self.read(|tx| {
            let cursor = match at {
                Some(at) => at,
                None => tx.feed_head(member.workspace)?,
            };
            let rows = tx.documents(member.workspace, after.unwrap_or(Uuid::nil()), limit)?;
            let count = rows.len();
            let last = rows.last().map(|(doc, _)| *doc);
            let mut entries = Vec::with_capacity(count);
            for (doc, stored) in rows {
                if projections {
                    entries.extend(as_visible(member, doc, Current::of(doc, stored)?));
                } else if can_read(member, stored.org, stored.visibility) {
                    entries.push(FeedEntry::Document {
                        doc,
                        kind: stored.kind,
                        bytes: stored.bytes,
                        projection: None,
                    });
                }
            }
            Ok(BootstrapPage {
                entries,
                cursor,
                next: if count == limit { last } else { None },
            })
        })
    }
}

/// What `member` may know of a page's rows; `read` reads a document the page has not
/// read yet (each is read once for all the members asking for the page), or answers
/// `None` when it cannot, and then so does this.
fn visible_entries(
    member: &Member,
    page: &mut Page,
    mut read: impl FnMut(&Uuid) -> ServiceResult<Option<Option<StoredDocument>>>,
) -> ServiceResult<Option<Vec<FeedEntry>>> {
    let mut entries = Vec::new();
    // Documents already sent whole (or summarised) in this page.
    let mut settled: HashSet<Uuid> = HashSet::new();
    let Page {
        rows,
        current: documents,
        ..
    } = page;
    // `Err(None)`: the document is not at hand here.
    let mut document = |doc: &Uuid| -> Result<Option<Current>, Option<ServiceError>> {
        if let Some(found) = documents.get(doc) {
            return Ok(found.clone());
        }
        let stored = read(doc).map_err(Some)?.ok_or(None)?;
        let found = stored
            .map(|d| Current::of(*doc, d))
            .transpose()
            .map_err(Some)?;
        documents.insert(*doc, found.clone());
        Ok(found)
    };
    for row in rows.iter() {
        let FeedRow {
            doc,
            remove,
            kind,
            bytes,
            creates,
            device,
            org,
            before,
            after,
            first_seen,
            now,
            ..
        } = row;
        let doc = *doc;
        if *remove {
            settled.insert(doc);
            entries.push(FeedEntry::Remove {
                doc,
                restricted: None,
            });
            continue;
        }
        if *device == Some(member.device.id) || settled.contains(&doc) {
            continue;
        }
        // What this device may read is decided now, from the document's current
        // audience, never from what was true when the change was written: a report
        // narrowed later must not leak its earlier text to anyone.
        let Some((now_org, now_visibility)) = *now else {
            continue;
        };
        let readable_now = can_read(member, now_org, now_visibility);
        let readable_before = can_read(member, *org, before.unwrap_or(Visibility::Alla));
        let readable_after = can_read(member, *org, after.unwrap_or(Visibility::Alla));
        if !readable_now {
            settled.insert(doc);
            let restricted = match document(&doc) {
                Ok(current) => current.and_then(|c| c.projection).map(|p| p.restricted()),
                Err(None) => return Ok(None),
                Err(Some(e)) => return Err(e),
            };
            if readable_before || readable_after {
                // It may hold the text: remove it, keep what may be counted.
                entries.push(FeedEntry::Remove { doc, restricted });
            } else if let Some(projection) = restricted {
                entries.push(FeedEntry::Restricted { projection });
            } else if *kind == DocKind::Observation {
                // Continued as a wider report: its summary goes, the continuation counts.
                entries.push(FeedEntry::Remove {
                    doc,
                    restricted: None,
                });
            }
        } else if *creates || !readable_before || !readable_after {
            // A new document, or one whose readability changed here, goes whole as it
            // is now, with its projection: the device stores it as it is.
            settled.insert(doc);
            let current = match document(&doc) {
                Ok(current) => current,
                Err(None) => return Ok(None),
                Err(Some(e)) => return Err(e),
            };
            if let Some(entry) = current.and_then(|c| as_visible(member, doc, c)) {
                entries.push(entry);
            }
        } else if let Some(bytes) = bytes {
            entries.push(FeedEntry::Change {
                doc,
                kind: *kind,
                bytes: bytes.clone(),
                first_seen: stamp(*first_seen),
            });
        }
    }
    Ok(Some(entries))
}

fn stamp(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms).unwrap_or(Timestamp(chrono::DateTime::UNIX_EPOCH))
}
