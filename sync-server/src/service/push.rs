//! Push: every change is checked before it is stored. It must be within the bounds on
//! untrusted bytes, decode, match its hash, come from the authenticated device's actor,
//! build on changes the server has, belong to the document it claims in this
//! workspace, leave that document a valid record of its type's shape (no other keys, no
//! replaced lists, maps or texts), and be allowed for the device's role.
//! Anything else is refused with a precise reason and stores nothing.
//!
//! No untrusted bytes are decoded while the database lock is held (ARCHITECTURE.md,
//! invariant 11). A push runs in three steps: decode every change (no lock); read what
//! the server holds of the documents concerned (lock, short); apply and check on copies
//! of those documents (no lock; register look-ups take the lock briefly); then store,
//! under the lock, only if none of those documents changed meanwhile — otherwise start
//! again from the read. Decoding and applying run under `catch_unwind`: a panic inside
//! Automerge refuses that change and nothing else.

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::{ActorId, Change, ChangeHash};
use lagesbild_core::ObservationProjection;
use lagesbild_core::audit_detail::{self as facts, Facts};
use lagesbild_core::chunk::bounded_change;
use lagesbild_core::doc::{DocChange, Document};
use lagesbild_core::shape;
use lagesbild_core::sync::wire::{
    MAX_PUSH_CHANGES, PushOutcome, PushRequest, PushResponse, PushResult, RefusalCode, WireChange,
};
use lagesbild_core::validate::{check_observation, records};
use lagesbild_core::{
    AuditAction, Category, DocKind, Observation, Organisation, OrganisationId, Place, PlaceId,
    Publication, Timestamp, Visibility, WorkspaceId,
};
use uuid::Uuid;

use lagesbild_core::permissions::{Denied, Record};

use super::access::{audience, may_change, may_continue, privileged, still_stands};
use super::audit::{self, Act, Origin};
use super::{Member, Service, ServiceError, ServiceResult};
use crate::storage::{NewChange, PutDocument, Tx};

/// The most operations one push may bring, so the documents a push checks at once stay
/// bounded in memory. The device halves its batch when told so; one change always fits.
pub const MAX_PUSH_OPS: usize = 200_000;

/// How often a push is tried again when another push changed one of its documents
/// between reading and storing.
const PUSH_ATTEMPTS: usize = 5;

/// A change that passed every check that needs no database.
struct Decoded {
    doc: Uuid,
    hash: ChangeHash,
    deps: Vec<ChangeHash>,
    bytes: Vec<u8>,
    ops: usize,
}

/// What the server held of one document when a push read it.
#[derive(Clone, PartialEq)]
enum Stored {
    New,
    Erased,
    Elsewhere,
    Held { bytes: Vec<u8>, first_seen: i64 },
}

/// What a push read under the lock, to decide on without it.
#[derive(PartialEq)]
struct Snapshot {
    documents: HashMap<Uuid, Stored>,
    /// Hashes of the pushed changes the server already has.
    known: HashSet<ChangeHash>,
}

/// A document being changed within one push.
struct Working {
    doc: Document,
    record: Option<Record>,
    first_seen: i64,
    changed: bool,
}

/// A change that passed every check, to be appended to the feed.
struct Accepted {
    doc: Uuid,
    kind: DocKind,
    hash: ChangeHash,
    bytes: Vec<u8>,
    creates: bool,
    org: Option<OrganisationId>,
    visibility_before: Visibility,
    visibility_after: Visibility,
    /// What the audit log keeps of it: reviews and corrections of others' reports.
    acts: Vec<Act>,
}

/// A document to write back: its saved bytes and what access decisions need.
struct Saved {
    doc: Uuid,
    kind: DocKind,
    bytes: Vec<u8>,
    org: Option<OrganisationId>,
    visibility: Visibility,
    projection: Option<String>,
    observed_at: Option<i64>,
    first_seen: i64,
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
        let outcomes = self.store_changes(member.workspace, Some(member), &request.changes, now)?;
        let results = request
            .changes
            .iter()
            .zip(outcomes)
            .map(|(change, outcome)| {
                if let PushOutcome::Refused { code, message } = &outcome {
                    tracing::info!(device = %member.device.id, doc = %change.doc, ?code, message = %message.escape_debug(), "change refused");
                }
                PushResult {
                    hash: change.hash.clone(),
                    outcome,
                }
            })
            .collect();
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
        self.store_changes(workspace, None, changes, now)
    }

    fn store_changes(
        &self,
        workspace: WorkspaceId,
        member: Option<&Member>,
        changes: &[WireChange],
        now: Timestamp,
    ) -> ServiceResult<Vec<PushOutcome>> {
        let actor = member.map(|m| m.device.actor.as_slice());
        let decoded: Vec<Result<Decoded, PushOutcome>> =
            changes.iter().map(|c| decode(c, actor)).collect();
        let ops: usize = decoded.iter().flatten().map(|d| d.ops).sum();
        if ops > MAX_PUSH_OPS {
            return Err(ServiceError::TooLarge(format!(
                "a push may hold at most {MAX_PUSH_OPS} operations; push fewer changes at a time"
            )));
        }
        for _ in 0..PUSH_ATTEMPTS {
            let read = self.read(|tx| snapshot(tx, workspace, &decoded))?;
            let (outcomes, accepted, saved) =
                self.decide(workspace, member, &decoded, &read, now)?;
            let head = self.write(|tx| {
                // Revoked or moved while the push was under way: nothing is stored. Read
                // before the feed's lock is taken, so a push that waits here for a change
                // of membership to commit does not hold up the workspace's other pushes.
                if let Some(member) = member {
                    still_stands(tx, member)?;
                }
                // Held to the commit: the documents read now stay as they are, and the
                // feed's sequence numbers commit in order.
                tx.lock_feed(workspace)?;
                if snapshot(tx, workspace, &decoded)? != read {
                    return Ok(None);
                }
                commit(tx, workspace, member, &accepted, &saved, now).map(Some)
            })?;
            if let Some(head) = head {
                if !accepted.is_empty() {
                    self.feed_grew(workspace, head);
                }
                return Ok(outcomes);
            }
        }
        Err(ServiceError::Busy(
            "the documents changed while this push was checked; push again".into(),
        ))
    }

    /// Applies and checks every change on copies of the documents, without the lock.
    #[allow(clippy::type_complexity)]
    fn decide(
        &self,
        workspace: WorkspaceId,
        member: Option<&Member>,
        decoded: &[Result<Decoded, PushOutcome>],
        snapshot: &Snapshot,
        now: Timestamp,
    ) -> ServiceResult<(Vec<PushOutcome>, Vec<Accepted>, Vec<Saved>)> {
        let mut working: HashMap<Uuid, Working> = HashMap::new();
        let mut register = Lookups::default();
        let mut accepted = Vec::new();
        let mut outcomes = Vec::with_capacity(decoded.len());
        for change in decoded {
            let outcome = match change {
                Err(outcome) => outcome.clone(),
                Ok(change) => self.ingest(
                    workspace,
                    member,
                    &mut working,
                    &mut register,
                    snapshot,
                    change,
                    now,
                    &mut accepted,
                )?,
            };
            outcomes.push(outcome);
        }
        let saved = working
            .into_iter()
            .filter(|(_, w)| w.changed)
            .filter_map(|(doc, mut work)| {
                let record = work.record.as_ref()?;
                Some(saved(doc, record, work.doc.save(), work.first_seen))
            })
            .collect::<ServiceResult<Vec<_>>>()?;
        Ok((outcomes, accepted, saved))
    }

    /// Checks one decoded change against its working document and, if it passes,
    /// applies it there and records it as accepted. A bad change is an outcome.
    #[allow(clippy::too_many_arguments)]
    fn ingest(
        &self,
        workspace: WorkspaceId,
        member: Option<&Member>,
        working: &mut HashMap<Uuid, Working>,
        register: &mut Lookups,
        snapshot: &Snapshot,
        change: &Decoded,
        now: Timestamp,
        accepted: &mut Vec<Accepted>,
    ) -> ServiceResult<PushOutcome> {
        if snapshot.known.contains(&change.hash)
            || working
                .get_mut(&change.doc)
                .is_some_and(|w| w.doc.has_change(&change.hash))
        {
            return Ok(PushOutcome::Duplicate);
        }
        let work = match working.entry(change.doc) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let stored = snapshot.documents.get(&change.doc).unwrap_or(&Stored::New);
                match load_working(stored, &change.doc, now)? {
                    Ok(w) => e.insert(w),
                    Err(outcome) => return Ok(outcome),
                }
            }
        };
        if change.deps.iter().any(|dep| !work.doc.has_change(dep)) {
            return Ok(refused(
                RefusalCode::MissingDependencies,
                "the change builds on changes the server does not have; push those first",
            ));
        }
        let doc_change = DocChange {
            hash: change.hash,
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
        let continues = match self.check_widening(workspace, working, &change.doc, &after)? {
            Ok(continues) => continues,
            Err(outcome) => return Ok(outcome),
        };
        let work = working
            .get_mut(&change.doc)
            .ok_or_else(|| ServiceError::Internal("a working document went missing".into()))?;
        let outcome = self.check_record(
            register,
            workspace,
            &change.doc,
            work.record.as_ref(),
            &after,
        )?;
        if let Some(outcome) = outcome {
            return Ok(outcome);
        }
        if let Some(member) = member {
            let allowed = match (&continues, &after) {
                (Some(from), Record::Observation(next)) => may_continue(member, from, next),
                _ => may_change(member, work.record.as_ref(), &after),
            };
            match allowed {
                Ok(()) => {}
                Err(denied @ Denied::Unreadable) => {
                    return Ok(refused(RefusalCode::Forbidden, denied.to_string()));
                }
                Err(denied @ Denied::Author(_)) => {
                    return Ok(refused(RefusalCode::WrongAuthor, denied.to_string()));
                }
                Err(denied @ Denied::Field { .. }) => {
                    return Ok(refused(RefusalCode::ForbiddenField, denied.to_string()));
                }
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
        // Closed-world documents: hydrating ignores unknown keys and new objects that
        // read as the old ones, so the document itself is checked against its type.
        let shaped = catch_unwind(AssertUnwindSafe(|| {
            shape::check(Some(&work.doc), &candidate, after.kind())
        }));
        match shaped {
            Ok(Ok(())) => {}
            Ok(Err(refusal)) => {
                return Ok(refused(RefusalCode::InvalidRecord, refusal.to_string()));
            }
            Err(_) => {
                return Ok(refused(
                    RefusalCode::InvalidRecord,
                    "the document's shape could not be checked",
                ));
            }
        }
        let (org, visibility_after) = audience(&after);
        let visibility_before = work
            .record
            .as_ref()
            .map_or(visibility_after, |b| audience(b).1);
        let acts = match (work.record.as_ref(), &after) {
            (Some(Record::Observation(b)), Record::Observation(a)) => review_acts(b, a),
            (None, Record::Publication(p)) => vec![publication_act(p)],
            _ => Vec::new(),
        };
        accepted.push(Accepted {
            acts,
            doc: change.doc,
            kind: after.kind(),
            hash: change.hash,
            bytes: change.bytes.clone(),
            creates: work.record.is_none(),
            org,
            visibility_before,
            visibility_after,
        });
        work.doc = candidate;
        work.record = Some(after);
        work.changed = true;
        Ok(PushOutcome::Stored)
    }
}

/// The checks on a change that need no database: the bounds on untrusted bytes (before
/// anything is inflated or decoded), the checksum, decoding, the hash, and the author.
fn decode(change: &WireChange, actor: Option<&[u8]>) -> Result<Decoded, PushOutcome> {
    let bytes = bounded_change(&change.bytes).map_err(|e| match e {
        lagesbild_core::chunk::BoundError::Malformed(_) => {
            refused(RefusalCode::Undecodable, e.to_string())
        }
        _ => refused(RefusalCode::TooLarge, e.to_string()),
    })?;
    if !lagesbild_core::doc::checksum_matches(&bytes) {
        return Err(refused(
            RefusalCode::Undecodable,
            "the change's checksum does not match its content",
        ));
    }
    let bytes = bytes.into_owned();
    let decoded = match catch_unwind(|| Change::from_bytes(bytes.clone())) {
        Ok(Ok(decoded)) => decoded,
        Ok(Err(e)) => {
            return Err(refused(
                RefusalCode::Undecodable,
                format!("not an Automerge change: {e}"),
            ));
        }
        Err(_) => {
            return Err(refused(
                RefusalCode::Undecodable,
                "the change could not be decoded",
            ));
        }
    };
    let hash = decoded.hash();
    if hash.to_string() != change.hash {
        return Err(refused(
            RefusalCode::Undecodable,
            "the hash does not match the change's bytes",
        ));
    }
    if let Some(actor) = actor
        && decoded.actor_id().to_bytes() != actor
    {
        return Err(refused(
            RefusalCode::WrongAuthor,
            "the change was not written by this device",
        ));
    }
    Ok(Decoded {
        doc: change.doc,
        hash,
        deps: decoded.deps().to_vec(),
        ops: decoded.len(),
        bytes,
    })
}

/// What the server holds of the documents and changes a push concerns.
fn snapshot(
    tx: &mut dyn Tx,
    workspace: WorkspaceId,
    decoded: &[Result<Decoded, PushOutcome>],
) -> ServiceResult<Snapshot> {
    let mut documents = HashMap::new();
    let mut known = HashSet::new();
    for change in decoded.iter().flatten() {
        if tx.has_change(&change.hash.0)? {
            known.insert(change.hash);
        }
        if documents.contains_key(&change.doc) {
            continue;
        }
        let state = if tx.erased(change.doc)?.is_some() {
            Stored::Erased
        } else {
            match tx.held(change.doc)? {
                None => Stored::New,
                Some(held) if held.workspace != workspace => Stored::Elsewhere,
                Some(held) => Stored::Held {
                    bytes: held.bytes,
                    first_seen: held.first_seen,
                },
            }
        };
        documents.insert(change.doc, state);
    }
    Ok(Snapshot { documents, known })
}

/// What one push looked up in the register, each once.
#[derive(Default)]
struct Lookups {
    categories: HashMap<String, Option<Category>>,
    places: HashMap<PlaceId, Option<Place>>,
    organisations: Option<Vec<Organisation>>,
}

/// The document as the push read it, or a new one; an outcome when it may not be changed.
fn load_working(
    stored: &Stored,
    doc: &Uuid,
    now: Timestamp,
) -> ServiceResult<Result<Working, PushOutcome>> {
    let (bytes, first_seen) = match stored {
        Stored::New => {
            return Ok(Ok(Working {
                doc: Document::new(&server_actor()),
                record: None,
                first_seen: now.millis(),
                changed: false,
            }));
        }
        Stored::Erased => return Ok(Err(PushOutcome::Erased)),
        // Said as for any document id that cannot be used, not where it is.
        Stored::Elsewhere => {
            return Ok(Err(refused(
                RefusalCode::WrongDocument,
                "that document id cannot be used",
            )));
        }
        Stored::Held { bytes, first_seen } => (bytes, *first_seen),
    };
    let loaded = catch_unwind(|| -> Result<(Document, Record), String> {
        let doc = Document::load(bytes, &server_actor()).map_err(|e| e.to_string())?;
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
    Record::read(doc)
}

impl Service {
    /// A report is widened by continuing it as a new one (README, "Visibility over
    /// time"). A new report that continues another must name one the server holds; it is
    /// then checked against that report (`permissions::check_continuation`, returned here
    /// for that) instead of as a new report. A report may name as its continuation only a
    /// report that continues it.
    fn check_widening(
        &self,
        workspace: WorkspaceId,
        working: &HashMap<Uuid, Working>,
        doc: &Uuid,
        after: &Record,
    ) -> ServiceResult<Result<Option<Observation>, PushOutcome>> {
        let Record::Observation(next) = after else {
            return Ok(Ok(None));
        };
        let before = working.get(doc).and_then(|w| match &w.record {
            Some(Record::Observation(b)) => Some(b),
            _ => None,
        });
        let invalid = |message: &str| Ok(Err(refused(RefusalCode::InvalidRecord, message)));
        match (before, &next.continues) {
            (None, Some(continues)) => {
                match self.observation(workspace, working, continues.from)? {
                    Some(from) => Ok(Ok(Some(from))),
                    // Erased meanwhile: its continuation holds the same content, and goes
                    // too (the device erases it when told).
                    None if self.single(|tx| Ok(tx.erased(*continues.from.as_uuid())?))?
                        == Some(workspace) =>
                    {
                        Ok(Err(PushOutcome::Erased))
                    }
                    None => invalid("the report it continues is not held by the server"),
                }
            }
            (Some(b), _) if b.continued_by != next.continued_by => {
                let Some(to) = next.continued_by else {
                    return Ok(Ok(None));
                };
                let continuation = self.observation(workspace, working, to)?;
                if continuation
                    .and_then(|c| c.continues)
                    .is_some_and(|c| c.from == next.id)
                {
                    Ok(Ok(None))
                } else {
                    invalid("a report continues only as a report that continues it")
                }
            }
            _ => Ok(Ok(None)),
        }
    }

    /// An observation of `workspace`, as this push has it or as stored.
    fn observation(
        &self,
        workspace: WorkspaceId,
        working: &HashMap<Uuid, Working>,
        id: lagesbild_core::ObservationId,
    ) -> ServiceResult<Option<Observation>> {
        if let Some(work) = working.get(id.as_uuid()) {
            return Ok(match &work.record {
                Some(Record::Observation(o)) => Some((**o).clone()),
                _ => None,
            });
        }
        let Some(stored) = self.single(|tx| Ok(tx.document(*id.as_uuid())?))? else {
            return Ok(None);
        };
        if stored.kind != DocKind::Observation {
            return Ok(None);
        }
        let observation = Document::load(&stored.bytes, &server_actor())
            .and_then(|d| d.read::<Observation>())
            .map_err(|e| ServiceError::Internal(format!("stored observation {id}: {e}")))?;
        Ok((observation.workspace == workspace).then_some(observation))
    }
}

/// The record's identity and content against the register; an outcome when refused.
impl Service {
    fn check_record(
        &self,
        register: &mut Lookups,
        workspace: WorkspaceId,
        doc: &Uuid,
        before: Option<&Record>,
        after: &Record,
    ) -> ServiceResult<Option<PushOutcome>> {
        let (id, record_workspace) = after.identity();
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
        let checked = match after {
            Record::Observation(o) => {
                let category = self.category(register, workspace, &o.category)?;
                let place = self.place(register, o.place)?;
                check_observation(o, category.as_ref(), place.as_ref())
            }
            Record::Meeting(m) => records::check_meeting(m),
            Record::Decision(d) => {
                let place = self.place(register, d.place)?;
                let responsible = self.organisation_known(register, workspace, d.responsible)?;
                if place.is_none_or(|p| p.workspace != workspace) || !responsible {
                    return Ok(Some(refused(
                        RefusalCode::InvalidRecord,
                        "the decision's place or responsible organisation is not in the register",
                    )));
                }
                records::check_decision(d)
            }
            Record::Assessment(a) => records::check_assessment(a),
            Record::Promise(p) => {
                for area in &p.areas {
                    if self
                        .place(register, *area)?
                        .is_none_or(|p| p.workspace != workspace)
                    {
                        return Ok(Some(refused(
                            RefusalCode::InvalidRecord,
                            "the promise's areas are not in the register",
                        )));
                    }
                }
                records::check_promise(p)
            }
            Record::Publication(p) => records::check_publication(p),
            Record::Activity(a) => {
                for place in a.places.iter().chain(&a.comparison) {
                    if self
                        .place(register, *place)?
                        .is_none_or(|p| p.workspace != workspace)
                    {
                        return Ok(Some(refused(
                            RefusalCode::InvalidRecord,
                            "the activity's places are not in the register",
                        )));
                    }
                }
                if !self.organisation_known(register, workspace, a.responsible)? {
                    return Ok(Some(refused(
                        RefusalCode::InvalidRecord,
                        "the activity's responsible organisation is not in the register",
                    )));
                }
                records::check_activity(a)
            }
        };
        Ok(checked
            .err()
            .map(|e| refused(RefusalCode::InvalidRecord, e.to_string())))
    }

    fn organisation_known(
        &self,
        register: &mut Lookups,
        workspace: WorkspaceId,
        id: OrganisationId,
    ) -> ServiceResult<bool> {
        if register.organisations.is_none() {
            register.organisations = Some(self.single(|tx| Ok(tx.organisations(workspace)?))?);
        }
        Ok(register.organisations.iter().flatten().any(|o| o.id == id))
    }

    fn category(
        &self,
        register: &mut Lookups,
        workspace: WorkspaceId,
        key: &str,
    ) -> ServiceResult<Option<Category>> {
        if let Some(found) = register.categories.get(key) {
            return Ok(found.clone());
        }
        let found = self.single(|tx| Ok(tx.category(workspace, key)?))?;
        register.categories.insert(key.to_string(), found.clone());
        Ok(found)
    }

    fn place(&self, register: &mut Lookups, id: PlaceId) -> ServiceResult<Option<Place>> {
        if let Some(found) = register.places.get(&id) {
            return Ok(found.clone());
        }
        let found = self.single(|tx| Ok(tx.place(id)?))?;
        register.places.insert(id, found.clone());
        Ok(found)
    }
}

/// What the audit log keeps of a change to a report: a review, corrections, links
/// and status changes — who and what, never the report's text.
fn review_acts(before: &Observation, after: &Observation) -> Vec<Act> {
    let target = Some(after.id.to_string());
    let mut acts = Vec::new();
    if before.review.is_none() && after.review.is_some() {
        acts.push(Act::new(
            AuditAction::ReportReview,
            target.clone(),
            facts::Nothing {}.detail(),
        ));
    }
    for c in after
        .corrections
        .iter()
        .filter(|c| !before.corrections.contains(c))
    {
        let detail = facts::Corrected {
            field: c.field.clone(),
            from: c.from.clone(),
            to: c.to.clone(),
        }
        .detail();
        acts.push(Act::new(AuditAction::ReportCorrect, target.clone(), detail));
    }
    for other in after
        .links
        .keys()
        .filter(|k| !before.links.contains_key(*k))
    {
        acts.push(Act::new(
            AuditAction::ReportLink,
            target.clone(),
            facts::Linked { to: other.clone() }.detail(),
        ));
    }
    if before.status != after.status {
        let detail = facts::StatusChanged {
            from: before.status,
            to: after.status,
        }
        .detail();
        acts.push(Act::new(AuditAction::ReportStatus, target.clone(), detail));
    }
    acts
}

/// What the audit log keeps of a publication of the version for politicians: who (the
/// log's own columns), the period, when the device published it, how many counts it
/// showed of how many, and the file's hash. Never a count itself.
fn publication_act(p: &Publication) -> Act {
    Act::new(
        AuditAction::ReportPublish,
        Some(p.id.to_string()),
        facts::Published {
            title: p.title.clone(),
            from: p.from.clone(),
            until: p.until.clone(),
            at: p.published_at,
            by: p.published_by.name.clone(),
            shown: p.shown,
            counts: p.counts,
            parts: p.parts.len() as u64,
            sha256: p.sha256.clone(),
        }
        .detail(),
    )
}

/// A changed document as it will be stored, prepared without the lock.
fn saved(doc: Uuid, record: &Record, bytes: Vec<u8>, first_seen: i64) -> ServiceResult<Saved> {
    let (org, visibility) = audience(record);
    let (projection, observed_at) = match record {
        // Continued as a wider report: not listed or counted itself (README, "Visibility
        // over time").
        Record::Observation(o) if o.continued_by.is_some() => (None, None),
        Record::Observation(o) => {
            let mut p = ObservationProjection::of(o);
            p.server_seen_at = Timestamp::from_millis(first_seen);
            let json =
                serde_json::to_string(&p).map_err(|e| ServiceError::Internal(e.to_string()))?;
            (Some(json), Some(o.observed_at.millis()))
        }
        _ => (None, None),
    };
    Ok(Saved {
        doc,
        kind: record.kind(),
        bytes,
        org,
        visibility,
        projection,
        observed_at,
        first_seen,
    })
}

/// Appends the accepted changes to the feed and writes the documents back; returns the
/// feed's new head.
fn commit(
    tx: &mut dyn Tx,
    workspace: WorkspaceId,
    member: Option<&Member>,
    accepted: &[Accepted],
    saved: &[Saved],
    now: Timestamp,
) -> ServiceResult<i64> {
    for a in accepted {
        tx.append_change(&NewChange {
            workspace,
            doc: a.doc,
            kind: a.kind,
            hash: &a.hash.0,
            bytes: &a.bytes,
            creates: a.creates,
            device: member.map(|m| m.device.id),
            org: a.org,
            visibility_before: a.visibility_before,
            visibility_after: a.visibility_after,
            received_at: now,
        })?;
        if let Some(member) = member {
            for act in &a.acts {
                audit::write(tx, Some(workspace), &Origin::of(member), act, now)?;
            }
        }
    }
    for d in saved {
        tx.put_document(&PutDocument {
            workspace,
            doc: d.doc,
            kind: d.kind,
            bytes: &d.bytes,
            org: d.org,
            visibility: d.visibility,
            projection: d.projection.as_deref(),
            observed_at: d.observed_at,
            first_seen: d.first_seen,
        })?;
    }
    if !accepted.is_empty() {
        tx.announce(workspace)?;
    }
    Ok(tx.feed_head(workspace)?)
}
