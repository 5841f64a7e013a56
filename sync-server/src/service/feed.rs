//! The feed and the bootstrap, as one device may see them.
//!
//! The feed is read in sequence order from the device's cursor, so its cost grows with
//! what changed since, never with what exists. Each entry is turned into what this
//! device may know: the change itself, the whole document when it has just become
//! readable, a restricted summary when it may not read it, or a removal.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use lagesbild_core::store::projection::ObservationProjection;
use lagesbild_core::sync::wire::{BootstrapPage, FeedEntry, FeedPage, MAX_PAGE};
use lagesbild_core::{DocKind, OrganisationId, Timestamp, Visibility, WorkspaceId};
use rusqlite::{Connection, OptionalExtension, params};

use uuid::Uuid;

use super::access::can_read;
use super::push::feed_head;
use super::{Member, Service, ServiceError, ServiceResult};

#[derive(Clone)]
struct FeedRow {
    seq: i64,
    doc: Vec<u8>,
    entry: String,
    kind: DocKind,
    bytes: Option<Vec<u8>>,
    creates: bool,
    device: Option<lagesbild_core::DeviceId>,
    org: Option<OrganisationId>,
    before: Option<Visibility>,
    after: Option<Visibility>,
    first_seen: i64,
    /// Who may read the document now; none when it is gone.
    now: Option<(Option<OrganisationId>, Visibility)>,
}

/// A document's current state, as stored.
#[derive(Clone)]
struct Current {
    kind: DocKind,
    bytes: Vec<u8>,
    org: Option<OrganisationId>,
    visibility: Visibility,
    projection: Option<ObservationProjection>,
}

fn current(conn: &Connection, doc: &Uuid) -> ServiceResult<Option<Current>> {
    let row = conn
        .prepare_cached(
            "SELECT kind, bytes, org_id, visibility, projection FROM documents WHERE id = ?1",
        )?
        .query_row([doc.as_bytes().as_slice()], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })
        .optional()?;
    row.map(|(kind, bytes, org, visibility, projection)| {
        let projection = projection
            .map(|p| serde_json::from_str(&p))
            .transpose()
            .map_err(|e| ServiceError::Internal(format!("stored projection of {doc}: {e}")))?;
        Ok(Current {
            kind,
            bytes,
            org,
            visibility,
            projection,
        })
    })
    .transpose()
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

/// The feed's rows after `since`, with who may read each document now.
fn read_rows(
    conn: &Connection,
    workspace: WorkspaceId,
    since: i64,
    limit: usize,
) -> ServiceResult<Vec<FeedRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.seq, f.doc_id, f.entry, f.doc_kind, f.bytes, f.creates, f.device_id, f.org_id, f.visibility_before,
                f.visibility_after, COALESCE(d.first_seen, f.received_at), d.id IS NOT NULL, d.org_id, d.visibility
         FROM feed f LEFT JOIN documents d ON d.id = f.doc_id
         WHERE f.workspace_id = ?1 AND f.seq > ?2 ORDER BY f.seq LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(params![workspace, since, limit as i64], |r| {
            Ok(FeedRow {
                seq: r.get(0)?,
                doc: r.get(1)?,
                entry: r.get(2)?,
                kind: r.get(3)?,
                bytes: r.get(4)?,
                creates: r.get(5)?,
                device: r.get(6)?,
                org: r.get(7)?,
                before: r.get(8)?,
                after: r.get(9)?,
                first_seen: r.get(10)?,
                now: if r.get(11)? {
                    Some((r.get(12)?, r.get(13)?))
                } else {
                    None
                },
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

impl Service {
    /// Entries after `since`, at most `limit` of them scanned.
    pub fn feed(&self, member: &Member, since: i64, limit: usize) -> ServiceResult<FeedPage> {
        let limit = limit.clamp(1, MAX_PAGE);
        self.db().with(|conn| {
            // One read transaction: one snapshot, and one lock on the file, not one for
            // each statement (under load those locks were a tenth of the server's time).
            let tx = conn.transaction()?;
            let conn = &*tx;
            let head = feed_head(conn, member.workspace)?;
            let key = (member.workspace, since, limit);
            let mut pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
            let mut fresh;
            let page = match pages.get_mut(&key).filter(|p| p.head == head) {
                Some(page) => page,
                None => {
                    fresh = Page {
                        head,
                        rows: read_rows(conn, member.workspace, since, limit)?,
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
            let more = page.rows.len() == limit;
            let cursor = page.rows.last().map_or(since, |r| r.seq);
            let mut entries = Vec::new();
            // Documents already sent whole (or summarised) in this page.
            let mut settled: HashSet<Uuid> = HashSet::new();
            let Page {
                rows,
                current: documents,
                ..
            } = page;
            // Each document read once for all the members asking for this page.
            let mut document = |doc: &Uuid| -> ServiceResult<Option<Current>> {
                if let Some(found) = documents.get(doc) {
                    return Ok(found.clone());
                }
                let found = current(conn, doc)?;
                documents.insert(*doc, found.clone());
                Ok(found)
            };
            for row in rows.iter() {
                let FeedRow {
                    doc,
                    entry,
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
                let doc =
                    Uuid::from_slice(doc).map_err(|e| ServiceError::Internal(e.to_string()))?;
                if entry == "remove" {
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
                // audience, never from what was true when the change was written: a
                // report narrowed later must not leak its earlier text to anyone.
                let Some((now_org, now_visibility)) = *now else {
                    continue;
                };
                let readable_now = can_read(member, now_org, now_visibility);
                let readable_before = can_read(member, *org, before.unwrap_or(Visibility::Alla));
                let readable_after = can_read(member, *org, after.unwrap_or(Visibility::Alla));
                if !readable_now {
                    settled.insert(doc);
                    let restricted = document(&doc)?
                        .and_then(|c| c.projection)
                        .map(|p| p.restricted());
                    if readable_before || readable_after {
                        // It may hold the text: remove it, keep what may be counted.
                        entries.push(FeedEntry::Remove { doc, restricted });
                    } else if let Some(projection) = restricted {
                        entries.push(FeedEntry::Restricted { projection });
                    }
                } else if *creates || !readable_before || !readable_after {
                    // A new document, or one whose readability changed here, goes whole
                    // as it is now, with its projection: the device stores it as it is.
                    settled.insert(doc);
                    if let Some(entry) = document(&doc)?.and_then(|c| as_visible(member, doc, c)) {
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
            drop(pages);
            let register_version = conn
                .prepare_cached("SELECT register_version FROM workspaces WHERE id = ?1")?
                .query_row([member.workspace], |r| r.get(0))?;
            tx.commit()?;
            Ok(FeedPage {
                entries,
                cursor,
                more,
                register_version,
            })
        })
    }

    /// The workspace's documents as they are now, by id after `after`. `at` is the
    /// cursor from the first page; the first page sets it to the feed's head.
    pub fn bootstrap(
        &self,
        member: &Member,
        after: Option<Uuid>,
        at: Option<i64>,
        limit: usize,
    ) -> ServiceResult<BootstrapPage> {
        let limit = limit.clamp(1, MAX_PAGE);
        self.db().with(|conn| {
            let tx = conn.transaction()?;
            let cursor = match at {
                Some(at) => at,
                None => feed_head(&tx, member.workspace)?,
            };
            let after = after.unwrap_or(Uuid::nil());
            let mut stmt = tx.prepare_cached(
                "SELECT id, kind, bytes, org_id, visibility, projection FROM documents
                 WHERE workspace_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            )?;
            let mut entries = Vec::new();
            let mut last = None;
            let mut rows = stmt.query(params![
                member.workspace,
                after.as_bytes().as_slice(),
                limit as i64
            ])?;
            let mut count = 0;
            while let Some(r) = rows.next()? {
                count += 1;
                let doc = Uuid::from_slice(&r.get::<_, Vec<u8>>(0)?)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
                last = Some(doc);
                let projection = r
                    .get::<_, Option<String>>(5)?
                    .map(|p| serde_json::from_str(&p))
                    .transpose()
                    .map_err(|e| {
                        ServiceError::Internal(format!("stored projection of {doc}: {e}"))
                    })?;
                let current = Current {
                    kind: r.get(1)?,
                    bytes: r.get(2)?,
                    org: r.get(3)?,
                    visibility: r.get(4)?,
                    projection,
                };
                entries.extend(as_visible(member, doc, current));
            }
            drop(rows);
            drop(stmt);
            tx.commit()?;
            Ok(BootstrapPage {
                entries,
                cursor,
                next: if count == limit { last } else { None },
            })
        })
    }
}

fn stamp(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms).unwrap_or(Timestamp(chrono::DateTime::UNIX_EPOCH))
}
