//! Documents are closed-world: a change may write only the fields its record's type has,
//! in the shapes it has. Keys a type does not have, and lists, maps or texts replaced by
//! new objects (even identical ones), are refused with the field named and store nothing
//! — so nobody grows another's report, concurrent notes are never orphaned, and the same
//! holds for meetings, decisions and assessments. Only the deployment group starts an
//! assessment. Honest concurrent edits still merge. Every case runs on SQLite and on
//! PostgreSQL.
#![allow(clippy::unwrap_used)]

use automerge::transaction::Transactable;
use automerge::{AutoCommit, Change, ObjId, ObjType, Prop, ROOT, ReadDoc, ScalarValue};
use lagesbild_core::sync::wire::{PushOutcome, RefusalCode, WireChange};
use lagesbild_core::{
    Assessment, DecisionDraft, Deployee, Grade, IsoWeek, Observation, ObservationDraft,
    ObservationId, PlaceKind,
};
use lagesbild_tests::{Backend, Device, Scenario, now};
use uuid::Uuid;

/// The demo workspace on `backend`; a device per person, enrolled and synced, in demo
/// order: 0 coordinator, 1 fritidsfältare, 3 police, 4 guard, 6 night walker.
async fn demo(backend: Backend) -> (Scenario, Vec<Device>) {
    let s = Scenario::on(backend).named("Sluten värld").start().await;
    let devices = s.enroll_everyone().await;
    (s, devices)
}

/// One change written straight into Automerge by `device`'s actor on the document as the
/// device holds it, as a modified client could write it.
fn raw_change(device: &Device, doc: Uuid, edit: impl FnOnce(&mut AutoCommit)) -> WireChange {
    let store = device.store();
    let mut raw = AutoCommit::new().with_actor(store.actor().clone());
    let held = store.document_changes(&doc).unwrap();
    raw.apply_changes(
        held.into_iter()
            .map(|c| Change::from_bytes(c.bytes).unwrap()),
    )
    .unwrap();
    let heads = raw.get_heads();
    edit(&mut raw);
    let mut changes = raw.get_changes(&heads);
    assert_eq!(changes.len(), 1, "one change");
    let change = changes.remove(0);
    WireChange {
        doc,
        hash: change.hash().to_string(),
        bytes: change.raw_bytes().to_vec(),
    }
}

/// Puts a new object at root `field` holding a deep copy of the old one's content.
fn copy_field(raw: &mut AutoCommit, field: &str) {
    let (kind, old) = object_at(raw, &ROOT, Prop::from(field));
    copy_into(raw, &ROOT, Prop::from(field), kind, &old, false);
}

/// The object at `prop` of `obj`, and its type.
fn object_at(raw: &AutoCommit, obj: &ObjId, prop: Prop) -> (ObjType, ObjId) {
    match raw.get(obj, prop.clone()).unwrap() {
        Some((automerge::Value::Object(kind), id)) => (kind, id),
        other => panic!("{prop:?} is an object: {other:?}"),
    }
}

/// Writes a new object of `kind` at `prop` of `to` (inserted, in a list), holding a deep
/// copy of `from`.
fn copy_into(
    raw: &mut AutoCommit,
    to: &ObjId,
    prop: Prop,
    kind: ObjType,
    from: &ObjId,
    insert: bool,
) {
    let new = match (prop, insert) {
        (Prop::Map(k), _) => raw.put_object(to, k, kind).unwrap(),
        (Prop::Seq(i), true) => raw.insert_object(to, i, kind).unwrap(),
        (Prop::Seq(i), false) => raw.put_object(to, i, kind).unwrap(),
    };
    deep_copy(raw, from, &new);
}

fn deep_copy(raw: &mut AutoCommit, from: &ObjId, to: &ObjId) {
    let list = match raw.object_type(from).unwrap() {
        ObjType::Text => {
            let text = raw.text(from).unwrap();
            raw.splice_text(to, 0, 0, &text).unwrap();
            return;
        }
        ObjType::List => true,
        ObjType::Map | ObjType::Table => false,
    };
    let props: Vec<Prop> = if list {
        (0..raw.length(from)).map(Prop::from).collect()
    } else {
        raw.keys(from).map(Prop::from).collect()
    };
    for prop in props {
        let value = match raw.get(from, prop.clone()).unwrap().unwrap() {
            (automerge::Value::Scalar(s), _) => Ok(s.into_owned()),
            (automerge::Value::Object(kind), id) => Err((kind, id)),
        };
        match (value, prop) {
            (Ok(scalar), Prop::Map(k)) => {
                raw.put(to, k, scalar).unwrap();
            }
            (Ok(scalar), Prop::Seq(i)) => {
                raw.insert(to, i, scalar).unwrap();
            }
            (Err((kind, id)), prop) => copy_into(raw, to, prop, kind, &id, list),
        }
    }
}

/// The outcome must be a refusal as an invalid record that names `field`.
fn assert_refused_naming(outcome: &PushOutcome, field: &str, what: &str) {
    match outcome {
        PushOutcome::Refused {
            code: RefusalCode::InvalidRecord,
            message,
        } if message.contains(&format!("`{field}`")) => {}
        other => panic!("{what} must be refused as an invalid record naming `{field}`: {other:?}"),
    }
}

fn report_draft(text: &str) -> ObservationDraft {
    ObservationDraft {
        category: Some("grupperingar".into()),
        place: Some("Rönninge station".into()),
        grade: Some(3),
        description: Some(text.into()),
        ..ObservationDraft::default()
    }
}

fn observation(device: &Device, id: ObservationId) -> Observation {
    device.store().observation(id).unwrap()
}

fn week() -> IsoWeek {
    "2026-W48".parse().unwrap()
}

fn an_area(device: &Device) -> lagesbild_core::PlaceId {
    device
        .store()
        .places(device.workspace)
        .unwrap()
        .into_iter()
        .find(|p| p.kind == PlaceKind::Omrade)
        .unwrap()
        .id
}

async fn a_reader_adding_keys_to_someone_elses_report_is_refused_and_the_report_does_not_grow(
    backend: Backend,
) {
    let (s, devices) = demo(backend).await;
    let (coordinator, guard) = (&devices[0], &devices[4]);
    let id = coordinator
        .store()
        .record(&report_draft("Grupp vid perrongen"), now())
        .unwrap()
        .id;
    coordinator.sync().await;
    guard.sync().await;
    let before = s.server.stored(id.0).unwrap();
    let head = s.server.feed_head(coordinator.workspace);

    let padding = "x".repeat(60_000);
    let at_root = raw_change(guard, id.0, |raw| {
        raw.put(ROOT, "padding", padding.as_str()).unwrap();
    });
    let in_reporter = raw_change(guard, id.0, |raw| {
        let reporter = raw.get(ROOT, "reporter").unwrap().unwrap().1;
        raw.put(&reporter, "padding", padding.as_str()).unwrap();
    });
    let as_a_map = raw_change(guard, id.0, |raw| {
        let map = raw.put_object(ROOT, "extra", ObjType::Map).unwrap();
        raw.put(&map, "padding", padding.as_str()).unwrap();
    });
    for (change, field) in [
        (at_root, "padding"),
        (in_reporter, "reporter.padding"),
        (as_a_map, "extra"),
    ] {
        let outcome = guard.push_one(change).await;
        assert_refused_naming(&outcome, field, "a guard's key in the coordinator's report");
    }
    assert_eq!(
        s.server.stored(id.0).unwrap(),
        before,
        "nothing refused is stored: the report did not grow"
    );
    assert_eq!(
        s.server.feed_head(coordinator.workspace),
        head,
        "nothing refused reaches the feed"
    );

    // The guard may still add a note in its own name.
    guard
        .store()
        .add_note(id, "Väktare på plats", false, now())
        .unwrap();
    guard.sync().await;
    assert!(guard.store().refused_changes().unwrap().is_empty());
    coordinator.sync().await;
    assert_eq!(observation(coordinator, id).notes.len(), 1);
}

async fn a_reader_replacing_the_notes_list_with_a_copy_is_refused_and_a_concurrent_note_still_appears(
    backend: Backend,
) {
    let (s, devices) = demo(backend).await;
    let (coordinator, faltare, guard) = (&devices[0], &devices[1], &devices[4]);
    let id = coordinator
        .store()
        .record(&report_draft("Bråk vid kiosken"), now())
        .unwrap()
        .id;
    coordinator
        .store()
        .add_note(id, "Första uppföljningen", false, now())
        .unwrap();
    coordinator.sync().await;
    faltare.sync().await;
    guard.sync().await;
    let before = s.server.stored(id.0).unwrap();

    // The fältare adds a note offline while the guard sends a copy of the list.
    faltare
        .store()
        .add_note(id, "Fältarna pratade med gruppen", false, now())
        .unwrap();
    let copied = raw_change(guard, id.0, |raw| copy_field(raw, "notes"));
    let outcome = guard.push_one(copied).await;
    assert_refused_naming(&outcome, "notes", "a copy of the notes list");
    assert_eq!(s.server.stored(id.0).unwrap(), before, "nothing is stored");

    faltare.sync().await;
    coordinator.sync().await;
    assert!(faltare.store().refused_changes().unwrap().is_empty());
    let texts: Vec<String> = observation(coordinator, id)
        .notes
        .into_iter()
        .map(|n| n.text)
        .collect();
    assert_eq!(
        texts,
        ["Första uppföljningen", "Fältarna pratade med gruppen"],
        "the concurrent note appears"
    );

    // A note's own map replaced by an identical one, and the description's text.
    let note = raw_change(guard, id.0, |raw| {
        let (_, notes) = object_at(raw, &ROOT, Prop::from("notes"));
        let (kind, old) = object_at(raw, &notes, Prop::from(0));
        copy_into(raw, &notes, Prop::from(0), kind, &old, true);
        raw.delete(&notes, 1).unwrap();
    });
    assert_refused_naming(
        &guard.push_one(note).await,
        "notes",
        "a copy of someone's note",
    );
    let description = raw_change(guard, id.0, |raw| copy_field(raw, "description"));
    assert_refused_naming(
        &guard.push_one(description).await,
        "description",
        "a copy of the description",
    );
}

async fn meetings_decisions_and_assessments_are_closed_world_too(backend: Backend) {
    let (s, devices) = demo(backend).await;
    let (coordinator, guard) = (&devices[0], &devices[4]);
    let area = an_area(coordinator);
    let (meeting, decision, assessment) = {
        let mut store = coordinator.store();
        let meeting = store.start_meeting(week(), now()).unwrap();
        store
            .edit_meeting_notes(meeting.id, "Läget i Rönninge", now())
            .unwrap();
        store
            .add_attendee(meeting.id, "Kommunpolis Ahmed Nour", now())
            .unwrap();
        let responsible = store.organisations(coordinator.workspace).unwrap()[0].id;
        let decision = store
            .decide(
                &DecisionDraft {
                    meeting: Some(meeting.id),
                    place: Some(area),
                    deployees: vec![Deployee::Vaktare],
                    days: vec!["2026-11-27".into()],
                    from: Some("18:00".into()),
                    to: Some("23:00".into()),
                    why: "Oro vid stationen".into(),
                    responsible: Some(responsible),
                    activity: None,
                },
                now(),
            )
            .unwrap();
        let assessment = store
            .assess(area, week(), true, Grade::new(3).unwrap(), "Oroligt", now())
            .unwrap();
        (meeting.id.0, decision.id.0, assessment.id.0)
    };
    coordinator.sync().await;
    guard.sync().await;
    let before: Vec<Vec<u8>> = [meeting, decision, assessment]
        .iter()
        .map(|d| s.server.stored(*d).unwrap())
        .collect();

    type Edit = Box<dyn FnOnce(&mut AutoCommit)>;
    let cases: Vec<(Uuid, &str, Edit)> = vec![
        (
            meeting,
            "padding",
            Box::new(|raw| {
                raw.put(ROOT, "padding", "x".repeat(60_000)).unwrap();
            }),
        ),
        (
            meeting,
            "attendees",
            Box::new(|raw| copy_field(raw, "attendees")),
        ),
        (meeting, "notes", Box::new(|raw| copy_field(raw, "notes"))),
        (
            decision,
            "schedule.padding",
            Box::new(|raw| {
                let schedule = raw.get(ROOT, "schedule").unwrap().unwrap().1;
                raw.put(&schedule, "padding", "x".repeat(60_000)).unwrap();
            }),
        ),
        (
            decision,
            "schedule",
            Box::new(|raw| copy_field(raw, "schedule")),
        ),
        (decision, "why", Box::new(|raw| copy_field(raw, "why"))),
        (
            assessment,
            "padding",
            Box::new(|raw| {
                raw.put(ROOT, "padding", "x".repeat(60_000)).unwrap();
            }),
        ),
        (
            assessment,
            "official",
            Box::new(|raw| copy_field(raw, "official")),
        ),
    ];
    for (doc, field, edit) in cases {
        let change = raw_change(guard, doc, edit);
        let outcome = guard.push_one(change).await;
        assert_refused_naming(&outcome, field, "a guard's change to the meeting's records");
    }
    let after: Vec<Vec<u8>> = [meeting, decision, assessment]
        .iter()
        .map(|d| s.server.stored(*d).unwrap())
        .collect();
    assert_eq!(after, before, "nothing refused is stored");
}

async fn a_night_walker_cannot_start_an_assessment(backend: Backend) {
    let (s, devices) = demo(backend).await;
    let walker = &devices[6];
    let area = an_area(walker);
    // An assessment with no grade in it yet: nothing the walker may not write but the
    // document itself.
    let assessment = Assessment::new(walker.workspace, area, week());
    let mut raw = AutoCommit::new().with_actor(walker.store().actor().clone());
    autosurgeon::reconcile(&mut raw, &assessment).unwrap();
    raw.put(ROOT, "official", ScalarValue::Null).unwrap();
    let change = raw.get_changes(&[]).remove(0);
    let outcome = walker
        .push_one(WireChange {
            doc: assessment.id.0,
            hash: change.hash().to_string(),
            bytes: change.raw_bytes().to_vec(),
        })
        .await;
    assert!(
        matches!(&outcome, PushOutcome::Refused { code: RefusalCode::ForbiddenField, message } if message.contains("deployment group")),
        "a night walker's new assessment must be refused as the deployment group's: {outcome:?}"
    );
    assert_eq!(s.server.stored(assessment.id.0), None, "nothing is stored");

    // The device refuses the same early.
    let early = walker
        .store()
        .assess(area, week(), true, Grade::new(2).unwrap(), "Lugnt", now());
    assert!(
        matches!(&early, Err(lagesbild_core::Error::Forbidden(m)) if m.contains("deployment group")),
        "{early:?}"
    );

    // A guard of the deployment group may.
    let guard = &devices[4];
    guard
        .store()
        .assess(
            area,
            week(),
            false,
            Grade::new(3).unwrap(),
            "Stökigt",
            now(),
        )
        .unwrap();
    guard.sync().await;
    assert!(guard.store().refused_changes().unwrap().is_empty());
    assert!(s.server.stored(assessment.id.0).is_some());
}

async fn honest_concurrent_edits_still_merge(backend: Backend) {
    let (_s, devices) = demo(backend).await;
    let (coordinator, faltare, police, guard) =
        (&devices[0], &devices[1], &devices[3], &devices[4]);
    let id = faltare
        .store()
        .record(&report_draft("Klotter"), now())
        .unwrap()
        .id;
    faltare.sync().await;
    for device in [coordinator, police, guard] {
        device.sync().await;
    }
    // Offline at once: two notes, the reporter's and the coordinator's edits, a review.
    police
        .store()
        .add_note(id, "Polisen åker förbi", false, now())
        .unwrap();
    guard
        .store()
        .add_note(id, "Väktarna har sett det", false, now())
        .unwrap();
    faltare
        .store()
        .edit(
            id,
            &lagesbild_core::ObservationPatch {
                description: Some("Mycket klotter".into()),
                ..Default::default()
            },
            now(),
        )
        .unwrap();
    coordinator.store().mark_reviewed(id, now()).unwrap();
    // Two laptops grade the same area for the same week, and write meeting notes.
    let area = an_area(coordinator);
    coordinator
        .store()
        .assess(area, week(), true, Grade::new(3).unwrap(), "Oroligt", now())
        .unwrap();
    guard
        .store()
        .assess(
            area,
            week(),
            false,
            Grade::new(4).unwrap(),
            "Stökigt",
            now(),
        )
        .unwrap();

    for device in [police, guard, faltare, coordinator] {
        device.sync().await;
    }
    for device in [police, guard, faltare, coordinator] {
        device.sync().await;
        assert!(
            device.store().refused_changes().unwrap().is_empty(),
            "no honest change is refused: {:?}",
            device.store().refused_changes().unwrap()
        );
    }
    let merged = observation(coordinator, id);
    let mut notes: Vec<String> = merged.notes.iter().map(|n| n.text.clone()).collect();
    notes.sort();
    assert_eq!(notes, ["Polisen åker förbi", "Väktarna har sett det"]);
    assert_eq!(merged.description(), "Mycket klotter");
    assert!(merged.review.is_some());
    let assessments = coordinator.store().assessments(week()).unwrap();
    assert_eq!(assessments.len(), 1, "one document for the area's week");
    assert!(
        assessments[0].official.is_some() && assessments[0].by_organisation.len() == 1,
        "both laptops' grades are kept: {:?}",
        assessments[0]
    );
}

/// Every text a device could read from any state of a document it holds: the
/// description, place detail and notes after each of its changes in turn.
fn texts_in_history(device: &Device, doc: Uuid) -> Vec<String> {
    let store = device.store();
    let mut document = lagesbild_core::doc::Document::new(store.actor());
    let mut texts = Vec::new();
    for change in store.document_changes(&doc).unwrap() {
        document.apply(&[change]).unwrap();
        if let Ok(o) = document.read::<Observation>() {
            texts.push(o.description().to_string());
            texts.extend(o.place_detail);
            texts.extend(o.notes.into_iter().map(|n| n.text));
        }
    }
    texts
}

fn widen(device: &Device, id: ObservationId) -> Observation {
    device
        .store()
        .edit(
            id,
            &lagesbild_core::ObservationPatch {
                visibility: Some("alla".into()),
                ..Default::default()
            },
            now(),
        )
        .unwrap()
}

/// The police's report, first readable by municipality and police only, named a boy;
/// the name was taken out, then the report widened to everyone. The guard company,
/// which could not read it before, never receives the name. A note the coordinator
/// wrote offline meanwhile still reaches everyone, and the report counts once.
async fn text_removed_before_a_report_is_widened_never_reaches_its_new_readers(backend: Backend) {
    let (s, devices) = demo(backend).await;
    let (coordinator, police, guard) = (&devices[0], &devices[3], &devices[4]);
    let mut draft = report_draft("Kalle Svensson, 15 år, langade vid perrongen");
    draft.visibility = Some("kommun-polis".into());
    let old = police.store().record(&draft, now()).unwrap().id;
    police
        .store()
        .edit(
            old,
            &lagesbild_core::ObservationPatch {
                description: Some("En ungdom langade vid perrongen".into()),
                ..Default::default()
            },
            now(),
        )
        .unwrap();
    police.sync().await;
    coordinator.sync().await;
    guard.sync().await;
    assert!(guard.store().document_changes(&old.0).unwrap().is_empty());

    // The coordinator, offline, adds a note while the police widen the report.
    coordinator
        .store()
        .add_note(old, "Skolan är kontaktad", false, now())
        .unwrap();
    let new = widen(police, old);
    assert_ne!(new.id, old, "a widened report continues as a new one");
    police.sync().await;
    assert_eq!(police.store().refused_changes().unwrap(), []);
    coordinator.sync().await;
    coordinator.sync().await;
    guard.sync().await;
    police.sync().await;

    let held = guard.store().observation(new.id).unwrap();
    assert_eq!(held.description(), "En ungdom langade vid perrongen");
    assert_eq!(
        held.notes
            .iter()
            .map(|n| n.text.as_str())
            .collect::<Vec<_>>(),
        ["Skolan är kontaktad"],
        "the note written offline was carried over to the widened report"
    );
    let texts = texts_in_history(guard, new.id.0);
    assert!(
        !texts.iter().any(|t| t.contains("Kalle")),
        "the guard holds the removed name in the history it received: {texts:?}"
    );
    assert!(
        guard.store().document_changes(&old.0).unwrap().is_empty(),
        "the guard holds none of the old report"
    );
    for device in [coordinator, police, guard] {
        let listed: Vec<ObservationId> = device
            .store()
            .list(&lagesbild_core::ListQuery::default())
            .unwrap()
            .into_iter()
            .map(|r| r.projection.id)
            .collect();
        assert_eq!(listed, [new.id], "the report is listed and counted once");
    }
    for device in [coordinator, police] {
        let read = device.store().observation(old).unwrap();
        assert_eq!(
            read.id, new.id,
            "the old id leads to the report as it continues"
        );
        assert_eq!(read.notes.len(), 1);
        assert!(device.store().refused_changes().unwrap().is_empty());
    }

    // Erasing the report erases both documents, on the server and on every device.
    let erased = coordinator
        .request(
            reqwest::Method::POST,
            &format!("observations/{}/erase", new.id),
        )
        .send()
        .await
        .unwrap();
    assert!(erased.status().is_success(), "{}", erased.status());
    assert!(s.server.stored(old.0).is_none() && s.server.stored(new.id.0).is_none());
    for device in [coordinator, police, guard] {
        device.sync().await;
        assert!(device.store().document_changes(&old.0).unwrap().is_empty());
        assert!(
            device
                .store()
                .document_changes(&new.id.0)
                .unwrap()
                .is_empty()
        );
    }
}

/// A modified client cannot widen a report in place (its history would go to the new
/// readers), nor hide a report by naming a continuation that does not continue it, nor
/// continue another's report it may not widen.
async fn a_report_is_widened_only_by_continuing_it(backend: Backend) {
    let (s, devices) = demo(backend).await;
    let (police, guard) = (&devices[3], &devices[4]);
    let mut draft = report_draft("Langning");
    draft.visibility = Some("egen-organisation".into());
    let id = police.store().record(&draft, now()).unwrap().id;
    let open = police
        .store()
        .record(&report_draft("Öppen"), now())
        .unwrap()
        .id;
    police.sync().await;
    guard.sync().await;

    let in_place = raw_change(police, id.0, |raw| {
        raw.put(ROOT, "visibility", "alla").unwrap();
    });
    let outcome = police.push_one(in_place).await;
    assert!(
        matches!(&outcome, PushOutcome::Refused { code: RefusalCode::ForbiddenField, message } if message.contains("widened by continuing")),
        "widening in place: {outcome:?}"
    );
    let hidden = raw_change(police, id.0, |raw| {
        autosurgeon::reconcile_prop(raw, ROOT, "continued_by", Some(open)).unwrap();
    });
    let outcome = police.push_one(hidden).await;
    assert!(
        matches!(&outcome, PushOutcome::Refused { code: RefusalCode::InvalidRecord, message } if message.contains("continues")),
        "a continuation that does not continue it: {outcome:?}"
    );

    // The guard makes a "continuation" of the police's open report in its own name.
    let theirs = observation(guard, open);
    let mut forged = theirs.clone();
    forged.id = ObservationId::new();
    forged.description = autosurgeon::Text::with_value(theirs.description());
    forged.continues = Some(lagesbild_core::Continuation {
        from: open,
        at: Vec::new(),
    });
    let mut raw = AutoCommit::new().with_actor(guard.store().actor().clone());
    autosurgeon::reconcile(&mut raw, &forged).unwrap();
    let change = raw.get_changes(&[]).remove(0).clone();
    let outcome = guard
        .push_one(WireChange {
            doc: forged.id.0,
            hash: change.hash().to_string(),
            bytes: change.raw_bytes().to_vec(),
        })
        .await;
    assert!(
        matches!(outcome, PushOutcome::Refused { .. }),
        "the guard may not widen the police's report: {outcome:?}"
    );
    assert!(s.server.stored(forged.id.0).is_none());
}

lagesbild_tests::on_both_backends!(
    async a_reader_adding_keys_to_someone_elses_report_is_refused_and_the_report_does_not_grow,
    a_reader_replacing_the_notes_list_with_a_copy_is_refused_and_a_concurrent_note_still_appears,
    meetings_decisions_and_assessments_are_closed_world_too,
    a_night_walker_cannot_start_an_assessment,
    honest_concurrent_edits_still_merge,
    text_removed_before_a_report_is_widened_never_reaches_its_new_readers,
    a_report_is_widened_only_by_continuing_it,
);
