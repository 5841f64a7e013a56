//! Documents are closed-world: after a change a record's document holds only the keys
//! its type has, in the kinds it has, and keeps every list, map and text as the same
//! object — at every depth, for every record kind. Every document the app writes passes,
//! concurrent edits merged included. `PROPTEST_CASES` runs more cases than CI's.
#![allow(clippy::unwrap_used)]

mod common;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjId, ObjType, Prop, ROOT, ReadDoc, ScalarValue};
use common::{demo_store, draft, now, second_store};
use lagesbild_core::doc::{DocChange, Document};
use lagesbild_core::permissions::Record;
use lagesbild_core::shape::{self, Fault, Kind, Refusal};
use lagesbild_core::{
    DecisionDraft, DecisionStatus, Deployee, Grade, IsoWeek, ObservationPatch, PlaceKind, Position,
    Store,
};
use proptest::prelude::*;
use uuid::Uuid;

/// A store's document as the server holds it.
fn document(store: &Store, id: &Uuid) -> Document {
    let mut doc = Document::new(&ActorId::random());
    doc.apply(&store.document_changes(id).unwrap()).unwrap();
    doc
}

/// `doc` after one change written straight into Automerge by `actor`, as a modified
/// client could write it.
fn tampered_as(doc: &Document, actor: ActorId, edit: impl FnOnce(&mut AutoCommit)) -> Document {
    let mut copy = doc.clone();
    let mut raw = AutoCommit::load(&copy.save()).unwrap().with_actor(actor);
    let heads = raw.get_heads();
    edit(&mut raw);
    let changes: Vec<DocChange> = raw
        .get_changes(&heads)
        .into_iter()
        .map(DocChange::from)
        .collect();
    assert!(!changes.is_empty(), "the edit writes something");
    copy.apply(&changes).unwrap();
    copy
}

fn tampered(doc: &Document, edit: impl FnOnce(&mut AutoCommit)) -> Document {
    tampered_as(doc, ActorId::random(), edit)
}

/// The shape check as the server makes it: the record read from the document after.
fn judged(before: &Document, after: &Document) -> Result<(), Refusal> {
    let record = Record::read(after).unwrap();
    shape::check(Some(before), after, record.kind())
}

/// The object at `path` (keys and indexes) in a raw document.
fn at(doc: &AutoCommit, path: &[Prop]) -> ObjId {
    path.iter().fold(ROOT, |obj, prop| {
        doc.get(&obj, prop.clone())
            .unwrap()
            .unwrap_or_else(|| panic!("{prop:?} is in the document"))
            .1
    })
}

fn key(k: &str) -> Prop {
    Prop::from(k)
}

fn index(i: usize) -> Prop {
    Prop::from(i)
}

fn unknown(field: &str) -> Refusal {
    Refusal {
        field: field.into(),
        fault: Fault::UnknownKey,
    }
}

fn replaced(field: &str, kind: Kind) -> Refusal {
    Refusal {
        field: field.into(),
        fault: Fault::Replaced { kind },
    }
}

/// A report by a fältare with a position, a note, a correction, a review and a link by
/// the coordinator: every field filled. Returns the coordinator's store and the id.
fn full_report() -> (Store, Uuid) {
    let (mut faltare, demo, identity) = demo_store(1);
    let mut d = draft("Rönninge station", "klotter", 3);
    d.description = Some("Nytt klotter på perrongen".into());
    d.place_detail = Some("vid hissen".into());
    d.position = Some(Position {
        lat: 59.1934,
        lon: 17.7508,
        accuracy_m: Some(8.0),
    });
    let report = faltare.record(&d, now()).unwrap();
    let other = faltare
        .record(&draft("Rönninge station", "klotter", 2), now())
        .unwrap();
    let mut coordinator = second_store(&demo, 0);
    for id in [report.id, other.id] {
        coordinator
            .receive(
                identity.workspace,
                id.as_uuid(),
                &faltare.document_changes(id.as_uuid()).unwrap(),
                now(),
            )
            .unwrap();
    }
    coordinator
        .add_note(report.id, "Polis informerad", false, now())
        .unwrap();
    coordinator.mark_reviewed(report.id, now()).unwrap();
    coordinator
        .edit(
            report.id,
            &ObservationPatch {
                category: Some("brand".into()),
                ..Default::default()
            },
            now(),
        )
        .unwrap();
    coordinator.link(&[report.id, other.id], now()).unwrap();
    (coordinator, report.id.0)
}

fn week() -> IsoWeek {
    "2026-W48".parse().unwrap()
}

fn area(store: &Store) -> lagesbild_core::PlaceId {
    let ws = store.require_identity().unwrap().workspace;
    store
        .places(ws)
        .unwrap()
        .into_iter()
        .find(|p| p.kind == PlaceKind::Omrade)
        .unwrap()
        .id
}

/// A meeting with notes and attendees, a decision followed up, and an area's assessment
/// with the official grade and a guard company's own: (store, meeting, decision,
/// assessment) as the coordinator's store holds them.
fn meeting_records() -> (Store, Uuid, Uuid, Uuid) {
    let (mut coordinator, demo, identity) = demo_store(0);
    let meeting = coordinator.start_meeting(week(), now()).unwrap();
    coordinator
        .edit_meeting_notes(meeting.id, "Läget i Rönninge", now())
        .unwrap();
    coordinator
        .add_attendee(meeting.id, "Kommunpolis Ahmed Nour", now())
        .unwrap();
    let ws = identity.workspace;
    let place = coordinator
        .places(ws)
        .unwrap()
        .into_iter()
        .find(|p| p.kind == PlaceKind::Plats)
        .unwrap();
    let decision = coordinator
        .decide(
            &DecisionDraft {
                meeting: Some(meeting.id),
                place: Some(place.id),
                deployees: vec![Deployee::Vaktare],
                days: vec!["2026-11-27".into()],
                from: Some("18:00".into()),
                to: Some("23:00".into()),
                why: "Oro vid stationen".into(),
                responsible: Some(demo.organisations[4].id),
                activity: None,
            },
            now(),
        )
        .unwrap();
    coordinator
        .set_decision_status(decision.id, DecisionStatus::Genomford, "Gjort", now())
        .unwrap();
    let area = area(&coordinator);
    let assessment = coordinator
        .assess(area, week(), true, Grade::new(3).unwrap(), "Oroligt", now())
        .unwrap();
    let mut guard = second_store(&demo, 4);
    guard
        .receive(
            ws,
            &assessment.id.0,
            &coordinator.document_changes(&assessment.id.0).unwrap(),
            now(),
        )
        .unwrap();
    guard
        .assess(
            area,
            week(),
            false,
            Grade::new(4).unwrap(),
            "Stökigt",
            now(),
        )
        .unwrap();
    coordinator
        .receive(
            ws,
            &assessment.id.0,
            &guard.document_changes(&assessment.id.0).unwrap(),
            now(),
        )
        .unwrap();
    (coordinator, meeting.id.0, decision.id.0, assessment.id.0)
}

/// Every change of a document, applied one at a time as the server applies them, passes.
fn every_step_passes(store: &Store, id: &Uuid) {
    let changes = store.document_changes(id).unwrap();
    assert!(
        changes.len() > 1,
        "the document was edited after it was made"
    );
    let mut doc = Document::new(&ActorId::random());
    for (n, change) in changes.iter().enumerate() {
        let before = doc.clone();
        doc.apply(std::slice::from_ref(change)).unwrap();
        let record = Record::read(&doc).unwrap();
        let outcome = shape::check((n > 0).then_some(&before), &doc, record.kind());
        assert_eq!(outcome, Ok(()), "change {n} of {id} as the app wrote it");
    }
}

#[test]
fn every_record_kind_as_the_app_writes_it_has_its_types_shape() {
    let (store, report) = full_report();
    let full = Record::read(&document(&store, &report)).unwrap();
    let Record::Observation(o) = &full else {
        panic!("a report")
    };
    assert!(
        o.position.is_some()
            && o.review.is_some()
            && !o.notes.is_empty()
            && !o.corrections.is_empty()
            && !o.links.is_empty(),
        "every field of the report is filled, so every depth is checked"
    );
    every_step_passes(&store, &report);
    let (store, meeting, decision, assessment) = meeting_records();
    for id in [meeting, decision, assessment] {
        every_step_passes(&store, &id);
    }
}

#[test]
fn keys_a_record_type_does_not_have_are_refused_at_every_depth_naming_the_field() {
    let (store, report) = full_report();
    let doc = document(&store, &report);
    let cases: Vec<(Vec<Prop>, &str)> = vec![
        (vec![], "padding"),
        (vec![key("notes"), index(0)], "notes[0].padding"),
        (
            vec![key("notes"), index(0), key("author")],
            "notes[0].author.padding",
        ),
        (vec![key("reporter")], "reporter.padding"),
        (vec![key("position")], "position.padding"),
        (vec![key("review")], "review.padding"),
        (vec![key("review"), key("by")], "review.by.padding"),
        (vec![key("corrections"), index(0)], "corrections[0].padding"),
    ];
    for (path, field) in cases {
        let after = tampered(&doc, |raw| {
            let obj = at(raw, &path);
            raw.put(&obj, "padding", "x".repeat(1000)).unwrap();
        });
        assert_eq!(
            judged(&doc, &after),
            Err(unknown(field)),
            "hydrating ignores `{field}`, the shape check must not"
        );
    }

    let (store, meeting, decision, assessment) = meeting_records();
    for (id, path, field) in [
        (meeting, vec![], "padding"),
        (decision, vec![key("schedule")], "schedule.padding"),
        (
            decision,
            vec![key("history"), index(0)],
            "history[0].padding",
        ),
        (assessment, vec![], "padding"),
        (assessment, vec![key("official")], "official.padding"),
        (
            assessment,
            vec![key("official"), key("by")],
            "official.by.padding",
        ),
    ] {
        let doc = document(&store, &id);
        let after = tampered(&doc, |raw| {
            let obj = at(raw, &path);
            raw.put_object(&obj, "padding", ObjType::Map).unwrap();
        });
        assert_eq!(judged(&doc, &after), Err(unknown(field)), "{field}");
    }
}

#[test]
fn lists_maps_and_texts_replaced_by_identical_copies_are_refused() {
    let (store, report) = full_report();
    let doc = document(&store, &report);
    let notes = tampered(&doc, |raw| copy_field(raw, "notes"));
    assert_eq!(
        Record::read(&notes).unwrap(),
        Record::read(&doc).unwrap(),
        "the copy reads as the original"
    );
    assert_eq!(
        judged(&doc, &notes),
        Err(replaced("notes", Kind::List)),
        "a new notes list hides notes added concurrently to the old one"
    );

    let note = tampered(&doc, |raw| {
        let list = at(raw, &[key("notes")]);
        let (kind, old) = object_at(raw, &list, index(0));
        copy_into(raw, &list, index(0), kind, &old, true);
        raw.delete(&list, 1).unwrap();
    });
    assert_eq!(judged(&doc, &note), Err(replaced("notes", Kind::Map)));

    let description = tampered(&doc, |raw| copy_field(raw, "description"));
    assert_eq!(
        judged(&doc, &description),
        Err(replaced("description", Kind::Text))
    );

    let reporter = tampered(&doc, |raw| copy_field(raw, "reporter"));
    assert_eq!(
        judged(&doc, &reporter),
        Err(replaced("reporter", Kind::Map))
    );

    let (store, meeting, decision, assessment) = meeting_records();
    for (id, field, kind) in [
        (meeting, "attendees", Kind::List),
        (meeting, "notes", Kind::Text),
        (decision, "history", Kind::List),
        (decision, "schedule", Kind::Map),
        (decision, "why", Kind::Text),
        (assessment, "official", Kind::Map),
    ] {
        let doc = document(&store, &id);
        let after = tampered(&doc, |raw| copy_field(raw, field));
        assert_eq!(
            Record::read(&after).unwrap(),
            Record::read(&doc).unwrap(),
            "the copy of `{field}` reads as the original"
        );
        assert_eq!(judged(&doc, &after), Err(replaced(field, kind)), "{field}");
    }

    // An organisation's own grade, replaced by another organisation's member.
    let doc = document(&store, &assessment);
    let org = doc_keys(&doc)
        .into_iter()
        .find(|k| k.starts_with("org:"))
        .unwrap();
    let after = tampered(&doc, |raw| copy_field(raw, &org));
    assert_eq!(judged(&doc, &after), Err(replaced(&org, Kind::Map)));
}

fn doc_keys(doc: &Document) -> Vec<String> {
    let mut copy = doc.clone();
    let raw = AutoCommit::load(&copy.save()).unwrap();
    raw.keys(ROOT).collect()
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

#[test]
fn a_value_hidden_by_a_conflict_is_held_to_its_fields_shape() {
    let (store, report) = full_report();
    let base = document(&store, &report);
    // The higher actor wins a conflict: the honest value shows, the other hides under it.
    let shown = tampered_as(&base, ActorId::from(&[0xff; 16][..]), |raw| {
        raw.put(ROOT, "place_detail", "vid trappan").unwrap();
    });
    let hidden_map = tampered_as(&base, ActorId::from(&[0x01; 16][..]), |raw| {
        let junk = raw.put_object(ROOT, "place_detail", ObjType::Map).unwrap();
        raw.put(&junk, "padding", "x".repeat(1000)).unwrap();
    });
    let mut merged = shown.clone();
    merged.merge(&mut hidden_map.clone()).unwrap();
    assert_eq!(
        judged(&shown, &merged),
        Err(Refusal {
            field: "place_detail".into(),
            fault: Fault::WrongKind {
                expected: Kind::Scalar,
                found: Kind::Map
            }
        })
    );

    // A hidden position of the right kind, with a key a position does not have.
    let shown = tampered_as(&base, ActorId::from(&[0xff; 16][..]), |raw| {
        let p = raw.put_object(ROOT, "position", ObjType::Map).unwrap();
        raw.put(&p, "lat", 59.19).unwrap();
        raw.put(&p, "lon", 17.75).unwrap();
        raw.put(&p, "accuracy_m", ScalarValue::Null).unwrap();
    });
    let hidden = tampered_as(&base, ActorId::from(&[0x01; 16][..]), |raw| {
        let p = raw.put_object(ROOT, "position", ObjType::Map).unwrap();
        raw.put(&p, "lat", 59.19).unwrap();
        raw.put(&p, "lon", 17.75).unwrap();
        raw.put(&p, "padding", "x".repeat(1000)).unwrap();
    });
    let mut merged = shown.clone();
    merged.merge(&mut hidden.clone()).unwrap();
    assert_eq!(judged(&shown, &merged), Err(unknown("position.padding")));
}

#[test]
fn honest_concurrent_edits_merge_and_pass_in_either_order() {
    let (mut faltare, demo, identity) = demo_store(1);
    let mut d = draft("Rönninge station", "klotter", 3);
    d.description = Some("Klotter".into());
    let report = faltare.record(&d, now()).unwrap();
    let id = report.id;
    let mut coordinator = second_store(&demo, 0);
    let mut police = second_store(&demo, 3);
    for store in [&mut coordinator, &mut police] {
        store
            .receive(
                identity.workspace,
                id.as_uuid(),
                &faltare.document_changes(id.as_uuid()).unwrap(),
                now(),
            )
            .unwrap();
    }
    let base = document(&faltare, id.as_uuid());
    // Two notes at once, a review, and the description edited by the reporter and the
    // coordinator at the same time; positions set on two devices at once.
    police
        .add_note(id, "Polisen åker dit", false, now())
        .unwrap();
    coordinator
        .add_note(id, "Samordnaren följer upp", false, now())
        .unwrap();
    coordinator.mark_reviewed(id, now()).unwrap();
    let position = Some(Some(Position {
        lat: 59.19,
        lon: 17.75,
        accuracy_m: None,
    }));
    coordinator
        .edit(
            id,
            &ObservationPatch {
                description: Some("Klotter, sanerat".into()),
                position,
                ..Default::default()
            },
            now(),
        )
        .unwrap();
    faltare
        .edit(
            id,
            &ObservationPatch {
                description: Some("Mycket klotter".into()),
                position,
                ..Default::default()
            },
            now(),
        )
        .unwrap();
    let own = |store: &Store| -> Vec<DocChange> {
        let all = store.document_changes(id.as_uuid()).unwrap();
        let mut doc = base.clone();
        all.into_iter()
            .filter(|c| !doc.has_change(&c.hash))
            .collect()
    };
    let pushes = [own(&police), own(&coordinator), own(&faltare)];
    for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
        let mut server = base.clone();
        for &who in &order {
            for change in &pushes[who] {
                let before = server.clone();
                server.apply(std::slice::from_ref(change)).unwrap();
                assert_eq!(
                    judged(&before, &server),
                    Ok(()),
                    "an honest change (device {who}, order {order:?})"
                );
            }
        }
        let Record::Observation(merged) = Record::read(&server).unwrap() else {
            panic!("a report")
        };
        assert_eq!(merged.notes.len(), 2, "both notes appear");
    }

    // Two laptops start the same area's assessment offline.
    let (mut chair, demo, _) = demo_store(0);
    let mut guard = second_store(&demo, 4);
    let area = area(&chair);
    let official = chair
        .assess(area, week(), true, Grade::new(3).unwrap(), "Oroligt", now())
        .unwrap();
    guard
        .assess(
            area,
            week(),
            false,
            Grade::new(4).unwrap(),
            "Stökigt",
            now(),
        )
        .unwrap();
    let doc = official.id.0;
    for (first, second) in [(&chair, &guard), (&guard, &chair)] {
        let mut server = Document::new(&ActorId::random());
        server
            .apply(&first.document_changes(&doc).unwrap())
            .unwrap();
        let before = server.clone();
        server
            .apply(&second.document_changes(&doc).unwrap())
            .unwrap();
        assert_eq!(
            judged(&before, &server),
            Ok(()),
            "the second laptop's assessment merges into the first's"
        );
    }
}

/// What a reader can reach in a full report: its maps, by path and name.
fn maps() -> Vec<(Vec<Prop>, &'static str)> {
    vec![
        (vec![], ""),
        (vec![key("notes"), index(0)], "notes[0]"),
        (
            vec![key("notes"), index(0), key("author")],
            "notes[0].author",
        ),
        (vec![key("reporter")], "reporter"),
        (vec![key("position")], "position"),
        (vec![key("review")], "review"),
        (vec![key("review"), key("by")], "review.by"),
        (vec![key("corrections"), index(0)], "corrections[0]"),
        (
            vec![key("corrections"), index(0), key("by")],
            "corrections[0].by",
        ),
    ]
}

fn value() -> impl Strategy<Value = u8> {
    0u8..4
}

proptest! {
    #[test]
    fn any_key_a_map_does_not_have_is_refused_wherever_it_is_put(
        which in 0usize..9,
        name in "[a-z_]{1,16}",
        kind in value(),
    ) {
        static FIXTURE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let bytes = FIXTURE.get_or_init(|| {
            let (store, report) = full_report();
            document(&store, &report).save()
        });
        let doc = Document::load(bytes, &ActorId::random()).unwrap();
        let (path, place) = maps()[which].clone();
        let mut copy = doc.clone();
        let raw = AutoCommit::load(&copy.save()).unwrap();
        let obj = at(&raw, &path);
        let known: Vec<String> = raw.keys(&obj).collect();
        prop_assume!(!known.contains(&name));
        let after = tampered(&doc, |raw| {
            let obj = at(raw, &path);
            match kind {
                0 => { raw.put(&obj, name.as_str(), "x").unwrap(); }
                1 => { raw.put(&obj, name.as_str(), ScalarValue::Null).unwrap(); }
                2 => { raw.put_object(&obj, name.as_str(), ObjType::List).unwrap(); }
                _ => {
                    let text = raw.put_object(&obj, name.as_str(), ObjType::Text).unwrap();
                    raw.splice_text(&text, 0, 0, "x").unwrap();
                }
            }
        });
        let field = if place.is_empty() { name.clone() } else { format!("{place}.{name}") };
        prop_assert_eq!(judged(&doc, &after), Err(unknown(&field)));
    }
}
