//! Visibility over time. A report widened to more readers continues as a new report: a
//! fresh document carrying only the old one's state, so that text removed while fewer
//! could read it never reaches the new readers in the old one's history. Edits made to
//! the old report after it was continued (offline, concurrently) are carried over to the
//! new one, field by field, by the device that made them (README, "Visibility over
//! time").

use std::collections::BTreeSet;

use automerge::{ActorId, ChangeHash};
use rusqlite::Connection;
use uuid::Uuid;

use super::{documents, projection};
use crate::codes::DocKind;
use crate::doc::Document;
use crate::error::{Error, Result};
use crate::ids::ObservationId;
use crate::model::{Continuation, Observation, Reporter};
use crate::permissions::{self, Record};
use crate::time::Timestamp;

/// The report `id` as it stands: followed to where it continues, as far as this device
/// holds the continuation.
pub(super) fn current(
    conn: &Connection,
    actor: &ActorId,
    id: ObservationId,
) -> Result<(Document, Observation)> {
    let not_found = || Error::NotFound {
        what: "observation",
        id: id.to_string(),
    };
    let mut doc = documents::load(conn, id.as_uuid(), actor)?.ok_or_else(not_found)?;
    let mut observation: Observation = doc.read()?;
    // A report widened twice continues twice; a chain longer than that is not made here.
    for _ in 0..8 {
        let Some(next) = observation.continued_by else {
            break;
        };
        let Some(next_doc) = documents::load(conn, next.as_uuid(), actor)? else {
            break;
        };
        observation = next_doc.read()?;
        doc = next_doc;
    }
    Ok((doc, observation))
}

/// Widens a report by continuing it as a new one: a fresh document holding `next` (the
/// report as it is now, with its wider visibility) and none of the old one's history, so
/// that what was removed from it while fewer could read it never reaches the new
/// readers. The old report names its continuation and is no longer listed or counted;
/// it keeps its history with the readers it had. The new document is written first, so
/// it is sent first.
pub(super) fn continue_widened(
    tx: &Connection,
    actor: &ActorId,
    writer: &permissions::Writer<'_>,
    doc: &mut Document,
    before: &Observation,
    mut next: Observation,
    now: Timestamp,
) -> Result<Observation> {
    next.id = ObservationId::new();
    // Written into a fresh document: a text read from the old one carries its edits.
    next.description = autosurgeon::Text::with_value(next.description());
    next.continues = Some(Continuation {
        from: before.id,
        at: doc.heads().iter().map(ToString::to_string).collect(),
    });
    next.continued_by = None;
    let denied = |denied: permissions::Denied| Error::Forbidden(denied.to_string());
    permissions::check_continuation(writer, before, &next).map_err(denied)?;
    let (_, created) = Document::create(actor, &next, now)?;
    documents::save_created(
        tx,
        next.id.as_uuid(),
        next.workspace,
        DocKind::Observation,
        &created,
        now,
    )?;
    projection::upsert_observation(tx, &next, now)?;
    let mut old = before.clone();
    old.continued_by = Some(next.id);
    write_checked(tx, writer, doc, before, &old, now)?.map_err(denied)?;
    Ok(next)
}

/// Carries this device's own edits of widened reports, made after they were continued,
/// over to their continuations. `docs` are the documents a feed page touched: an old
/// report that now names its continuation, or a continuation that arrived.
///
/// Only this device's changes are carried, each field only if the continuation still
/// holds what the old report held when it was continued (a field changed on both keeps
/// the continuation's value), notes and corrections by their ids. The changes are made
/// in this device's user's name and checked like any other; what the user may not
/// write is left where it was.
pub(super) fn carry_over(
    conn: &Connection,
    actor: &ActorId,
    me: &Reporter,
    docs: &BTreeSet<Uuid>,
    now: Timestamp,
) -> Result<()> {
    let mut pairs = BTreeSet::new();
    for doc in docs {
        let Some(document) = documents::load(conn, doc, actor)? else {
            continue;
        };
        if document.kind()? != DocKind::Observation {
            continue;
        }
        let observation: Observation = document.read()?;
        if let Some(next) = observation.continued_by {
            pairs.insert((observation.id, next));
        }
        if let Some(from) = &observation.continues {
            pairs.insert((from.from, observation.id));
        }
    }
    for &(old, new) in &pairs {
        carry_pair(conn, actor, me, old, new, now)?;
    }
    merge_refused_rivals(conn, actor, me, &pairs, now)
}

/// Two devices of the same person widened the same report while apart: the server keeps
/// the continuation it received first and refuses the other. The refused one's changes
/// (its edit besides the widening) are carried over to the kept one, and the refused
/// one is dropped here, with the refused change that named it on the old report.
fn merge_refused_rivals(
    conn: &Connection,
    actor: &ActorId,
    me: &Reporter,
    pairs: &BTreeSet<(ObservationId, ObservationId)>,
    now: Timestamp,
) -> Result<()> {
    let refused: Vec<Vec<u8>> = conn
        .prepare_cached("SELECT DISTINCT doc_id FROM pending_changes WHERE refused IS NOT NULL")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for doc in refused {
        let Ok(doc) = Uuid::from_slice(&doc) else {
            continue;
        };
        let Some(rival_doc) = documents::load(conn, &doc, actor)? else {
            continue;
        };
        if rival_doc.kind()? != DocKind::Observation {
            continue;
        }
        let rival: Observation = rival_doc.read()?;
        let Some(from) = rival.continues.clone() else {
            continue;
        };
        let Some(&(_, kept)) = pairs
            .iter()
            .find(|(old, new)| *old == from.from && *new != rival.id)
        else {
            continue;
        };
        let (Some(mut old_doc), Some(mut kept_doc)) = (
            documents::load(conn, from.from.as_uuid(), actor)?,
            documents::load(conn, kept.as_uuid(), actor)?,
        ) else {
            continue;
        };
        let continued: Observation = kept_doc.read()?;
        if continued.continues.as_ref().map(|c| c.from) != Some(from.from) {
            continue;
        }
        let Some(heads) = continued_at(&from, &mut old_doc) else {
            continue;
        };
        let before: Observation = old_doc.at(&heads)?.read()?;
        let mut after = rival.clone();
        after.visibility = continued.visibility;
        let next = carried(&before, &after, &continued);
        save_if_allowed(conn, me, &mut kept_doc, continued, next, now)?;
        super::sync::remove_document(conn, &doc)?;
        conn.prepare_cached(
            "DELETE FROM pending_changes WHERE doc_id = ?1 AND refused IS NOT NULL",
        )?
        .execute([from.from.as_uuid().as_bytes().as_slice()])?;
    }
    Ok(())
}

fn carry_pair(
    conn: &Connection,
    actor: &ActorId,
    me: &Reporter,
    old: ObservationId,
    new: ObservationId,
    now: Timestamp,
) -> Result<()> {
    let (Some(mut old_doc), Some(mut new_doc)) = (
        documents::load(conn, old.as_uuid(), actor)?,
        documents::load(conn, new.as_uuid(), actor)?,
    ) else {
        return Ok(());
    };
    let continued: Observation = new_doc.read()?;
    let Some(from) = continued.continues.as_ref().filter(|c| c.from == old) else {
        return Ok(());
    };
    let Some(base) = continued_at(from, &mut old_doc) else {
        return Ok(());
    };
    let mine = old_doc.changes_since_by(&base, actor);
    if mine.is_empty() {
        return Ok(());
    }
    let before: Observation = old_doc.at(&base)?.read()?;
    let heads: Vec<ChangeHash> = base.iter().chain(&mine).copied().collect();
    let after: Observation = old_doc.at(&heads)?.read()?;
    let next = carried(&before, &after, &continued);
    save_if_allowed(conn, me, &mut new_doc, continued, next, now)
}

/// Saves `next` over `current` in `doc` as this device's user, if the table allows it.
fn save_if_allowed(
    conn: &Connection,
    me: &Reporter,
    doc: &mut Document,
    current: Observation,
    next: Observation,
    now: Timestamp,
) -> Result<()> {
    if next == current {
        return Ok(());
    }
    let writer = permissions::Writer { me, may_read: true };
    // What the user may not write is left where it was.
    let _ = write_checked(conn, &writer, doc, &current, &next, now)?;
    Ok(())
}

/// Writes `next` over `current` in `doc`, with its projection, if the table lets
/// `writer` make that change; `Ok(Err(denied))` when it does not.
fn write_checked(
    conn: &Connection,
    writer: &permissions::Writer<'_>,
    doc: &mut Document,
    current: &Observation,
    next: &Observation,
    now: Timestamp,
) -> Result<std::result::Result<(), permissions::Denied>> {
    if let Err(denied) = permissions::check(
        writer,
        Some(&Record::Observation(Box::new(current.clone()))),
        &Record::Observation(Box::new(next.clone())),
    ) {
        return Ok(Err(denied));
    }
    let changes = documents::update_checked(doc, next, DocKind::Observation, now)?;
    documents::save(
        conn,
        next.id.as_uuid(),
        next.workspace,
        DocKind::Observation,
        doc,
        &changes,
        now,
    )?;
    projection::upsert_observation(conn, next, now)?;
    Ok(Ok(()))
}

/// `target` with what changed from `before` to `after` carried over: each field that
/// `target` still holds as `before` did, and notes and corrections `target` lacks.
fn carried(before: &Observation, after: &Observation, target: &Observation) -> Observation {
    let mut next = target.clone();
    macro_rules! carry {
        ($($field:ident),+ $(,)?) => {$(
            if before.$field != after.$field && next.$field == before.$field {
                next.$field = after.$field.clone();
            }
        )+};
    }
    carry!(
        category,
        place,
        position,
        place_detail,
        observed_at,
        observed_until,
        grade,
        people,
        age_group,
        source,
        status,
        links,
        review,
    );
    if before.description() != after.description() && next.description() == before.description() {
        next.description.update(after.description());
    }
    for note in after.notes.iter().filter(|n| !before.notes.contains(n)) {
        if next.notes.iter().all(|n| n.id != note.id) {
            next.notes.push(note.clone());
        }
    }
    for correction in after
        .corrections
        .iter()
        .filter(|c| !before.corrections.contains(c))
    {
        if next.corrections.iter().all(|c| c.id != correction.id) {
            next.corrections.push(correction.clone());
        }
    }
    next
}

/// The old report's heads when it was continued, if this device holds them all: until
/// they have arrived, there is nothing to tell later edits from.
fn continued_at(from: &Continuation, old_doc: &mut Document) -> Option<Vec<ChangeHash>> {
    let heads = from
        .at
        .iter()
        .map(|h| h.parse::<ChangeHash>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .ok()?;
    heads.iter().all(|h| old_doc.has_change(h)).then_some(heads)
}
