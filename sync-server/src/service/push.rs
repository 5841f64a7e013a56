//! Push: every change is checked before it is stored. It must decode, match its hash,
//! come from the authenticated device's actor, build on changes the server has, belong
//! to the document it claims in this workspace, leave that document a valid record, and
//! be allowed for the device's role. Anything else is refused with a precise reason and
//! stores nothing. Decoding and applying untrusted bytes runs under `catch_unwind`, on a
//! copy of the document: a panic inside Automerge refuses that change and nothing else.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::{ActorId, Change};
use lagesbild_core::doc::{DocChange, Document};
use lagesbild_core::store::projection::ObservationProjection;
use lagesbild_core::store::register;
use lagesbild_core::sync::wire::{
    MAX_PUSH_CHANGES, PushOutcome, PushRequest, PushResponse, PushResult, RefusalCode, WireChange,
};
use lagesbild_core::validate::check_observation;
use lagesbild_core::{Assessment, Decision, DocKind, Meeting, Observation, Timestamp, WorkspaceId};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::access::{Record, may_change, privileged};
use super::{Member, Service, ServiceError, ServiceResult};

/// The largest change the server accepts.
pub const MAX_CHANGE_BYTES: usize = 256 * 1024;

/// A document being changed within one push.
struct Working {
    doc: Document,
    record: Option<Record>,
    first_seen: i64,
    changed: bool,
}

fn refused(code: RefusalCode, message: impl Into<String>) -> PushOutcome {
    PushOutcome::Refused {
        code,
        message: message.into(),
    }
}

/// The server never writes into documents; this actor only satisfies the API.
fn server_actor() -> ActorId {
    ActorId::from(&[0u8; 16][..])
}

impl Service {
    pub fn push(
        &self,
        member: &Member,
        request: &PushRequest,
        now: Timestamp,
    ) -> ServiceResult<PushResponse> {
        if request.changes.len() > MAX_PUSH_CHANGES {
            return Err(ServiceError::BadRequest(format!(
                "at most {MAX_PUSH_CHANGES} changes per push"
            )));
        }
        let (results, head) = self.db().with(|conn| -> ServiceResult<_> {
            let tx = conn.transaction()?;
            let mut working = HashMap::new();
            let mut results = Vec::with_capacity(request.changes.len());
            for change in &request.changes {
                let outcome = ingest(&tx, member.workspace, Some(member), &mut working, change, now)?;
                if let PushOutcome::Refused { code, message } = &outcome {
                    tracing::info!(device = %member.device.id, doc = %change.doc, ?code, %message, "change refused");
                }
                results.push(PushResult { hash: change.hash.clone(), outcome });
            }
            save_working(&tx, member.workspace, working)?;
            let head = feed_head(&tx, member.workspace)?;
            tx.commit()?;
            Ok((results, head))
        })?;
        self.feed_grew(member.workspace, head);
        Ok(PushResponse {
            results,
            server_time: now,
        })
    }

    /// Stores changes made outside any device (the demo workspace, imports by the
    /// operator), through the same checks as a push except authorship.
    pub fn ingest_changes(
        &self,
        workspace: WorkspaceId,
        changes: &[WireChange],
        now: Timestamp,
    ) -> ServiceResult<Vec<PushOutcome>> {
        let (outcomes, head) = self.db().with(|conn| -> ServiceResult<_> {
            let tx = conn.transaction()?;
            let mut working = HashMap::new();
            let outcomes = changes
                .iter()
                .map(|c| ingest(&tx, workspace, None, &mut working, c, now))
                .collect::<ServiceResult<Vec<_>>>()?;
            save_working(&tx, workspace, working)?;
            let head = feed_head(&tx, workspace)?;
            tx.commit()?;
            Ok((outcomes, head))
        })?;
        self.feed_grew(workspace, head);
        Ok(outcomes)
    }
}

pub(super) fn feed_head(conn: &Connection, workspace: WorkspaceId) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM feed WHERE workspace_id = ?1")?
        .query_row([workspace], |r| r.get(0))
}

/// Checks one change and, if it passes, applies it to its working document and appends
/// it to the feed. Errors are database failures only; a bad change is an outcome.
fn ingest(
    conn: &Connection,
    workspace: WorkspaceId,
    member: Option<&Member>,
    working: &mut HashMap<Uuid, Working>,
    change: &WireChange,
    now: Timestamp,
) -> ServiceResult<PushOutcome> {
    if change.bytes.len() > MAX_CHANGE_BYTES {
        return Ok(refused(
            RefusalCode::Undecodable,
            format!("a change may be at most {MAX_CHANGE_BYTES} bytes"),
        ));
    }
    if !lagesbild_core::doc::checksum_matches(&change.bytes) {
        return Ok(refused(
            RefusalCode::Undecodable,
            "the change's checksum does not match its content",
        ));
    }
    let decoded = match catch_unwind(|| Change::from_bytes(change.bytes.clone())) {
        Ok(Ok(decoded)) => decoded,
        Ok(Err(e)) => {
            return Ok(refused(
                RefusalCode::Undecodable,
                format!("not an Automerge change: {e}"),
            ));
        }
        Err(_) => {
            return Ok(refused(
                RefusalCode::Undecodable,
                "the change could not be decoded",
            ));
        }
    };
    let hash = decoded.hash();
    if hash.to_string() != change.hash {
        return Ok(refused(
            RefusalCode::Undecodable,
            "the hash does not match the change's bytes",
        ));
    }
    let stored: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM feed WHERE hash = ?1)")?
        .query_row([hash.0.as_slice()], |r| r.get(0))?;
    if stored
        || working
            .get_mut(&change.doc)
            .is_some_and(|w| w.doc.has_change(&hash))
    {
        return Ok(PushOutcome::Duplicate);
    }
    let erased: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM erased WHERE doc_id = ?1)")?
        .query_row([change.doc.as_bytes().as_slice()], |r| r.get(0))?;
    if erased {
        return Ok(PushOutcome::Erased);
    }
    if let Some(member) = member
        && decoded.actor_id().to_bytes() != member.device.actor.as_slice()
    {
        return Ok(refused(
            RefusalCode::WrongAuthor,
            "the change was not written by this device",
        ));
    }
    let work = match working.entry(change.doc) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(e) => {
            match load_working(conn, workspace, &change.doc, now)? {
                Ok(w) => e.insert(w),
                Err(outcome) => return Ok(outcome),
            }
        }
    };
    if decoded.deps().iter().any(|dep| !work.doc.has_change(dep)) {
        return Ok(refused(
            RefusalCode::MissingDependencies,
            "the change builds on changes the server does not have; push those first",
        ));
    }
    let doc_change = DocChange {
        hash,
        bytes: change.bytes.clone(),
    };
    let attempt = catch_unwind(AssertUnwindSafe(
        || -> Result<(Document, Record), String> {
            let mut candidate = work.doc.clone();
            candidate.apply(&[doc_change]).map_err(|e| e.to_string())?;
            let record = read_record(&candidate)
                .map_err(|e| format!("the document would not be a valid record: {e}"))?;
            Ok((candidate, record))
        },
    ));
    let (candidate, after) = match attempt {
        Ok(Ok(ok)) => ok,
        Ok(Err(message)) => return Ok(refused(RefusalCode::InvalidRecord, message)),
        Err(_) => {
            return Ok(refused(
                RefusalCode::Undecodable,
                "the change could not be applied",
            ));
        }
    };
    if let Some(outcome) = check_record(conn, workspace, &change.doc, work.record.as_ref(), &after)?
    {
        return Ok(outcome);
    }
    if let Some(member) = member {
        if let Err(reason) = may_change(member, work.record.as_ref(), &after) {
            return Ok(refused(RefusalCode::Forbidden, reason));
        }
        // A write that loses a conflict changes nothing visible now, but could surface
        // once the winner is overwritten; only those who may change it may write so.
        let hidden_write = catch_unwind(AssertUnwindSafe(|| {
            candidate.conflicts() > work.doc.conflicts()
        }))
        .unwrap_or(true);
        if !privileged(member, work.record.as_ref()) && hidden_write {
            return Ok(refused(
                RefusalCode::Forbidden,
                "the change writes, concurrently with others, to what only the reporter or the coordinator may change",
            ));
        }
    }
    let (org, visibility_after) = after.audience();
    let visibility_before = work
        .record
        .as_ref()
        .map_or(visibility_after, |b| b.audience().1);
    conn.prepare_cached(
        "INSERT INTO feed (workspace_id, doc_id, entry, doc_kind, hash, bytes, creates, device_id, org_id,
                           visibility_before, visibility_after, received_at)
         VALUES (?1, ?2, 'change', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        workspace,
        change.doc.as_bytes().as_slice(),
        after.kind(),
        hash.0.as_slice(),
        change.bytes,
        work.record.is_none(),
        member.map(|m| m.device.id),
        org,
        visibility_before,
        visibility_after,
        now.millis()
    ])?;
    work.doc = candidate;
    work.record = Some(after);
    work.changed = true;
    Ok(PushOutcome::Stored)
}

/// The document as stored, or a new one; an outcome when it belongs elsewhere.
fn load_working(
    conn: &Connection,
    workspace: WorkspaceId,
    doc: &Uuid,
    now: Timestamp,
) -> ServiceResult<Result<Working, PushOutcome>> {
    let row: Option<(WorkspaceId, Vec<u8>, i64)> = conn
        .prepare_cached("SELECT workspace_id, bytes, first_seen FROM documents WHERE id = ?1")?
        .query_row([doc.as_bytes().as_slice()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((doc_workspace, bytes, first_seen)) = row else {
        return Ok(Ok(Working {
            doc: Document::new(&server_actor()),
            record: None,
            first_seen: now.millis(),
            changed: false,
        }));
    };
    if doc_workspace != workspace {
        return Ok(Err(refused(
            RefusalCode::WrongDocument,
            "the document belongs to another workspace",
        )));
    }
    let loaded = catch_unwind(|| -> Result<(Document, Record), String> {
        let doc = Document::load(&bytes, &server_actor()).map_err(|e| e.to_string())?;
        let record = read_record(&doc).map_err(|e| e.to_string())?;
        Ok((doc, record))
    });
    match loaded {
        Ok(Ok((doc, record))) => Ok(Ok(Working {
            doc,
            record: Some(record),
            first_seen,
            changed: false,
        })),
        _ => Err(ServiceError::Internal(format!(
            "stored document {doc} does not load"
        ))),
    }
}

fn read_record(doc: &Document) -> lagesbild_core::Result<Record> {
    Ok(match doc.kind()? {
        DocKind::Observation => Record::Observation(Box::new(doc.read::<Observation>()?)),
        DocKind::Decision => Record::Decision(Box::new(doc.read::<Decision>()?)),
        DocKind::Meeting => Record::Meeting(Box::new(doc.read::<Meeting>()?)),
        DocKind::Assessment => Record::Assessment(Box::new(doc.read::<Assessment>()?)),
    })
}

/// The record's identity and content against the register; an outcome when refused.
fn check_record(
    conn: &Connection,
    workspace: WorkspaceId,
    doc: &Uuid,
    before: Option<&Record>,
    after: &Record,
) -> ServiceResult<Option<PushOutcome>> {
    let (id, record_workspace) = match after {
        Record::Observation(o) => (o.id.0, o.workspace),
        Record::Decision(d) => (d.id.0, d.workspace),
        Record::Meeting(m) => (m.id.0, m.workspace),
        Record::Assessment(a) => (a.id.0, a.workspace),
    };
    if id != *doc || record_workspace != workspace {
        return Ok(Some(refused(
            RefusalCode::WrongDocument,
            format!("the change makes document {doc} hold record {id}"),
        )));
    }
    if let (Some(b), a) = (before, after)
        && std::mem::discriminant(b) != std::mem::discriminant(a)
    {
        return Ok(Some(refused(
            RefusalCode::InvalidRecord,
            "a change may not turn a record into another kind",
        )));
    }
    if let Record::Observation(o) = after {
        let category = register::category_by_key(conn, workspace, &o.category)?;
        let place = register::place_by_id(conn, o.place)?;
        if let Err(e) = check_observation(o, category.as_ref(), place.as_ref()) {
            return Ok(Some(refused(RefusalCode::InvalidRecord, e.to_string())));
        }
    }
    Ok(None)
}

fn save_working(
    conn: &Connection,
    workspace: WorkspaceId,
    working: HashMap<Uuid, Working>,
) -> ServiceResult<()> {
    for (id, mut work) in working.into_iter().filter(|(_, w)| w.changed) {
        let Some(record) = &work.record else { continue };
        let (org, visibility) = record.audience();
        let (kind, projection) = match record {
            Record::Observation(o) => {
                let mut p = ObservationProjection::of(o);
                p.server_seen_at = Timestamp::from_millis(work.first_seen);
                (
                    DocKind::Observation,
                    Some(
                        serde_json::to_string(&p)
                            .map_err(|e| ServiceError::Internal(e.to_string()))?,
                    ),
                )
            }
            Record::Decision(_) => (DocKind::Decision, None),
            Record::Meeting(_) => (DocKind::Meeting, None),
            Record::Assessment(_) => (DocKind::Assessment, None),
        };
        conn.prepare_cached(
            "INSERT INTO documents (id, workspace_id, kind, bytes, org_id, visibility, projection, first_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes, org_id = excluded.org_id,
               visibility = excluded.visibility, projection = excluded.projection",
        )?
        .execute(params![id.as_bytes().as_slice(), workspace, kind, work.doc.save(), org, visibility, projection, work.first_seen])?;
    }
    Ok(())
}
