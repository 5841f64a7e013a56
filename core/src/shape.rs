//! Documents are closed-world (ARCHITECTURE.md, invariant 14): after a change, a record's
//! Automerge document holds only what its type has, in the shapes it has, and every
//! list, map and text that was there before is still the same object.
//!
//! Hydrating a record ignores keys its type does not have and reads a new list holding
//! the same entries as the old one, so the permission table, which compares records,
//! sees neither. This checks the document itself, every value of it (values that lost
//! a conflict included, since they surface when the winner is removed).
//!
//! The shapes are not a second list of fields. Each record type's shape is what its own
//! `Reconcile` writes for two records that fill every field (`samples`): keys both have
//! are the type's fields; keys that differ between them are a map's entries (a report's
//! links, an assessment's `org:` grades), allowed under the prefix they share. A field
//! added to a model type must be filled in the samples (the struct literal does not
//! compile otherwise, and a test refuses a sample with an empty field), so the shape
//! follows the type.
//!
//! The work is linear in the size of the document: each object of the document after
//! and before the change is visited once; a text's characters are not visited at all.

mod samples;

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use automerge::{
    ActorId, AutoCommit, ObjId, ObjType, Prop, ROOT, ReadDoc, ScalarValueRef, Value, ValueRef,
};

use crate::codes::DocKind;
use crate::doc::Document;

/// What a value is, as the shape check tells values apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Scalar,
    Text,
    List,
    Map,
}

impl Kind {
    fn of(value: &Value<'_>) -> Kind {
        match value {
            Value::Scalar(_) => Kind::Scalar,
            Value::Object(ObjType::Text) => Kind::Text,
            Value::Object(ObjType::List) => Kind::List,
            Value::Object(ObjType::Map | ObjType::Table) => Kind::Map,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Scalar => "a single value",
            Kind::Text => "a text",
            Kind::List => "a list",
            Kind::Map => "a map",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Scalar => "value",
            Kind::Text => "text",
            Kind::List => "list",
            Kind::Map => "map",
        }
    }
}

/// Why a document is not its record type's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// A key the record's type does not have there.
    UnknownKey,
    /// A value of another kind than the type's (a map where a text belongs, …).
    WrongKind { expected: Kind, found: Kind },
    /// A list, map or text that was there before is gone and a new object holds its
    /// place: what others add to the old one concurrently would no longer appear.
    Replaced { kind: Kind },
    /// The record type's shape could not be derived (a defect, caught by core's tests).
    Underived,
}

/// A change refused for the shape of the document it leaves, naming where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct Refusal {
    /// Where in the record, as `notes[2].author.name`.
    pub field: String,
    pub fault: Fault,
}

impl Refusal {
    fn message(&self) -> String {
        let field = &self.field;
        match &self.fault {
            Fault::UnknownKey => format!("`{field}` is not a field of this record"),
            Fault::WrongKind { expected, found } => format!(
                "`{field}` must be {}, not {}",
                expected.name(),
                found.name()
            ),
            Fault::Replaced { kind } => format!(
                "`{field}` is replaced by a new {}; a change edits the one that is there, so \
                 what others add to it concurrently is kept",
                kind.noun()
            ),
            Fault::Underived => "this record kind's shape is not known".into(),
        }
    }
}

/// Whether the document `after`, a record of `kind`, has only the keys and kinds of
/// the record's type, and keeps every list, map and text of `before` (none: a new
/// document) as the same object.
pub fn check(before: Option<&Document>, after: &Document, kind: DocKind) -> Result<(), Refusal> {
    let shape = shape(kind).ok_or(Refusal {
        field: String::new(),
        fault: Fault::Underived,
    })?;
    let mut path = Path::default();
    conforms(after.automerge(), &ROOT, shape, &mut path)?;
    if let Some(before) = before {
        kept(before.automerge(), after.automerge(), ROOT, &mut path)?;
    }
    Ok(())
}

/// The shape of a value of a record type, as its `Reconcile` writes it. A null may
/// stand anywhere (an `Option` that is none); reading the record refuses it where the
/// type has no option.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Scalar,
    Text,
    List(Box<Shape>),
    Map {
        fields: BTreeMap<String, Shape>,
        /// Entries keyed by data (ids), under a common prefix, and their shape.
        entries: Option<(String, Box<Shape>)>,
    },
}

impl Shape {
    fn kind(&self) -> Kind {
        match self {
            Shape::Scalar => Kind::Scalar,
            Shape::Text => Kind::Text,
            Shape::List(_) => Kind::List,
            Shape::Map { .. } => Kind::Map,
        }
    }

    /// The shape under `key` of a map shape.
    fn field(&self, key: &str) -> Option<&Shape> {
        match self {
            Shape::Map { fields, entries } => fields.get(key).or_else(|| {
                entries
                    .as_ref()
                    .filter(|(prefix, _)| key.starts_with(prefix.as_str()))
                    .map(|(_, shape)| shape.as_ref())
            }),
            _ => None,
        }
    }
}

/// The shape of records of `kind`, derived once.
pub fn shape(kind: DocKind) -> Option<&'static Shape> {
    static SHAPES: OnceLock<Vec<(DocKind, Option<Shape>)>> = OnceLock::new();
    SHAPES
        .get_or_init(|| {
            DocKind::ALL
                .iter()
                .map(|kind| (*kind, derive_shape(*kind).ok()))
                .collect()
        })
        .iter()
        .find(|(k, _)| *k == kind)
        .and_then(|(_, shape)| shape.as_ref())
}

/// The shape both samples of `kind` have, written by the type's own `Reconcile`.
fn derive_shape(kind: DocKind) -> Result<Shape, String> {
    let [one, other] = samples::written(kind).map_err(|e| e.to_string())?;
    derive(&one, &ROOT, &other, &ROOT)
}

fn derive(a: &AutoCommit, a_obj: &ObjId, b: &AutoCommit, b_obj: &ObjId) -> Result<Shape, String> {
    let (Ok(a_type), Ok(b_type)) = (a.object_type(a_obj), b.object_type(b_obj)) else {
        return Err("not an object".into());
    };
    match (a_type, b_type) {
        (ObjType::Map | ObjType::Table, ObjType::Map | ObjType::Table) => {
            let a_keys: Vec<String> = a.keys(a_obj).collect();
            let b_keys: Vec<String> = b.keys(b_obj).collect();
            let mut fields = BTreeMap::new();
            for key in a_keys.iter().filter(|k| b_keys.contains(k)) {
                fields.insert(key.clone(), value_shape(a, a_obj, b, b_obj, key, key)?);
            }
            let a_only: Vec<&String> = a_keys.iter().filter(|k| !b_keys.contains(k)).collect();
            let b_only: Vec<&String> = b_keys.iter().filter(|k| !a_keys.contains(k)).collect();
            let entries = match (a_only.first(), b_only.first()) {
                (None, None) => None,
                (Some(ka), Some(kb)) => {
                    let prefix: String = ka
                        .chars()
                        .zip(kb.chars())
                        .take_while(|(x, y)| x == y)
                        .map(|(x, _)| x)
                        .collect();
                    Some((prefix, Box::new(value_shape(a, a_obj, b, b_obj, ka, kb)?)))
                }
                _ => {
                    return Err(format!(
                        "the samples' keys differ on one side: {a_only:?} {b_only:?}"
                    ));
                }
            };
            Ok(Shape::Map { fields, entries })
        }
        (ObjType::List, ObjType::List) => {
            let (Some((va, ia)), Some((vb, ib))) = (
                a.get(a_obj, 0).map_err(|e| e.to_string())?,
                b.get(b_obj, 0).map_err(|e| e.to_string())?,
            ) else {
                return Err("a sample's list is empty".into());
            };
            Ok(Shape::List(Box::new(element_shape(
                a, &va, &ia, b, &vb, &ib,
            )?)))
        }
        (ObjType::Text, ObjType::Text) => Ok(Shape::Text),
        _ => Err("the samples differ in kind".into()),
    }
}

fn value_shape(
    a: &AutoCommit,
    a_obj: &ObjId,
    b: &AutoCommit,
    b_obj: &ObjId,
    a_key: &str,
    b_key: &str,
) -> Result<Shape, String> {
    let (Some((va, ia)), Some((vb, ib))) = (
        a.get(a_obj, a_key).map_err(|e| e.to_string())?,
        b.get(b_obj, b_key).map_err(|e| e.to_string())?,
    ) else {
        return Err(format!("`{a_key}` is missing"));
    };
    element_shape(a, &va, &ia, b, &vb, &ib).map_err(|e| format!("{a_key}: {e}"))
}

fn element_shape(
    a: &AutoCommit,
    va: &Value<'_>,
    ia: &ObjId,
    b: &AutoCommit,
    vb: &Value<'_>,
    ib: &ObjId,
) -> Result<Shape, String> {
    match (va, vb) {
        (Value::Scalar(x), Value::Scalar(y)) if !x.is_null() && !y.is_null() => Ok(Shape::Scalar),
        (Value::Scalar(_), Value::Scalar(_)) => Err("a sample leaves a field empty".into()),
        (Value::Object(_), Value::Object(_)) => derive(a, ia, b, ib),
        _ => Err("the samples differ in kind".into()),
    }
}

/// Where the walk is, for naming the field.
#[derive(Default)]
struct Path(Vec<Prop>);

impl Path {
    fn at(&self, prop: Option<&Prop>) -> String {
        let mut out = String::new();
        for p in self.0.iter().chain(prop) {
            match p {
                Prop::Map(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                Prop::Seq(index) => out.push_str(&format!("[{index}]")),
            }
        }
        out
    }

    fn refuse(&self, prop: Option<&Prop>, fault: Fault) -> Refusal {
        Refusal {
            field: self.at(prop),
            fault,
        }
    }
}

/// The kind of a value, none for a null.
fn kind_of(value: &ValueRef<'_>) -> Option<Kind> {
    match value {
        ValueRef::Scalar(ScalarValueRef::Null) => None,
        ValueRef::Scalar(_) => Some(Kind::Scalar),
        ValueRef::Object(ObjType::Text) => Some(Kind::Text),
        ValueRef::Object(ObjType::List) => Some(Kind::List),
        ValueRef::Object(ObjType::Map | ObjType::Table) => Some(Kind::Map),
    }
}

fn kind_of_value(value: &Value<'_>) -> Option<Kind> {
    match value {
        Value::Scalar(s) if s.is_null() => None,
        _ => Some(Kind::of(value)),
    }
}

/// A value's kind (none: a null) and, for an object, its id.
type Found = (Option<Kind>, ObjId);

/// The kind of the value shown, and its id if it is an object (a scalar's is not needed).
fn shown(value: &ValueRef<'_>, id: impl FnOnce() -> ObjId) -> Found {
    let kind = kind_of(value);
    match value {
        ValueRef::Object(_) => (kind, id()),
        ValueRef::Scalar(_) => (kind, ROOT),
    }
}

/// The values at one property: the one shown, or all of them when they conflict.
fn values(doc: &AutoCommit, obj: &ObjId, prop: &Prop, shown: Found, conflict: bool) -> Vec<Found> {
    if !conflict {
        return vec![shown];
    }
    doc.get_all(obj, prop.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|(value, id)| (kind_of_value(&value), id))
        .collect()
}

/// Every value under `obj` (conflicting ones included) is of the kind `shape` gives
/// it, at every depth; a null passes anywhere. One pass over each object; conflicting
/// values are looked up only where there are some.
fn conforms(doc: &AutoCommit, obj: &ObjId, shape: &Shape, path: &mut Path) -> Result<(), Refusal> {
    let entries: Vec<(Prop, &Shape, Vec<Found>)> = match shape {
        Shape::Map { .. } => {
            let mut entries = Vec::new();
            for item in doc.map_range(obj, ..) {
                let prop = Prop::from(item.key.as_ref());
                let Some(inner) = shape.field(&item.key) else {
                    return Err(path.refuse(Some(&prop), Fault::UnknownKey));
                };
                let found = values(
                    doc,
                    obj,
                    &prop,
                    shown(&item.value, || item.id()),
                    item.conflict,
                );
                entries.push((prop, inner, found));
            }
            entries
        }
        Shape::List(element) => doc
            .list_range(obj, ..)
            .map(|item| {
                let prop = Prop::from(item.index);
                let found = values(
                    doc,
                    obj,
                    &prop,
                    shown(&item.value, || item.id()),
                    item.conflict,
                );
                (prop, element.as_ref(), found)
            })
            .collect(),
        Shape::Scalar | Shape::Text => Vec::new(),
    };
    for (prop, inner, found) in entries {
        for (kind, id) in found {
            let Some(found) = kind else { continue };
            if found != inner.kind() {
                return Err(path.refuse(
                    Some(&prop),
                    Fault::WrongKind {
                        expected: inner.kind(),
                        found,
                    },
                ));
            }
            if matches!(found, Kind::Map | Kind::List) {
                path.0.push(prop.clone());
                let nested = conforms(doc, &id, inner, path);
                path.0.pop();
                nested?;
            }
        }
    }
    Ok(())
}

/// The objects (list, map, text) among the values at one property, with that property.
fn objects(doc: &AutoCommit, obj: &ObjId, prop: Prop) -> Vec<(Prop, Kind, ObjId)> {
    doc.get_all(obj, prop.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|(value, _)| matches!(value, Value::Object(_)))
        .map(|(value, id)| (prop.clone(), Kind::of(&value), id))
        .collect()
}

/// The objects among the values of a list, with their indexes.
fn list_objects(doc: &AutoCommit, obj: &ObjId) -> Vec<(Prop, Kind, ObjId)> {
    let mut found = Vec::new();
    for item in doc.list_range(obj, ..) {
        let prop = Prop::from(item.index);
        if item.conflict {
            found.extend(objects(doc, obj, prop));
        } else if let ValueRef::Object(_) = item.value
            && let Some(kind) = kind_of(&item.value)
        {
            found.push((prop, kind, item.id()));
        }
    }
    found
}

/// Every object of `before` under `obj` is still an object of `after` at the same key
/// (in a list: in the same list), unless it was removed and no new object took its
/// place (an option set to none). Only keys that hold objects are looked up in `after`.
fn kept(
    before: &AutoCommit,
    after: &AutoCommit,
    obj: ObjId,
    path: &mut Path,
) -> Result<(), Refusal> {
    match before.object_type(&obj) {
        Ok(ObjType::Map | ObjType::Table) => {
            let mut places = Vec::new();
            for item in before.map_range(&obj, ..) {
                let prop = Prop::from(item.key.as_ref());
                if item.conflict {
                    places.push(objects(before, &obj, prop));
                } else if let ValueRef::Object(_) = item.value
                    && let Some(kind) = kind_of(&item.value)
                {
                    places.push(vec![(prop, kind, item.id())]);
                }
            }
            for old in places.into_iter().filter(|old| !old.is_empty()) {
                let prop = old[0].0.clone();
                let new = objects(after, &obj, prop.clone());
                descend(before, after, &old, &new, Some(&prop), path)?;
            }
        }
        Ok(ObjType::List) => {
            let old = list_objects(before, &obj);
            if old.is_empty() {
                return Ok(());
            }
            let new = list_objects(after, &obj);
            descend(before, after, &old, &new, None, path)?;
        }
        _ => {}
    }
    Ok(())
}

/// Compares the objects that were at one key (`old`) with those there now (`new`), or
/// those of one list (`key` none: the path is at the list), and goes into those kept.
fn descend(
    before: &AutoCommit,
    after: &AutoCommit,
    old: &[(Prop, Kind, ObjId)],
    new: &[(Prop, Kind, ObjId)],
    key: Option<&Prop>,
    path: &mut Path,
) -> Result<(), Refusal> {
    let now: HashSet<&ObjId> = new.iter().map(|(_, _, id)| id).collect();
    let then: HashSet<&ObjId> = old.iter().map(|(_, _, id)| id).collect();
    if let Some((_, kind, _)) = old.iter().find(|(_, _, id)| !now.contains(id))
        && new.iter().any(|(_, _, id)| !then.contains(id))
    {
        return Err(path.refuse(key, Fault::Replaced { kind: *kind }));
    }
    for (prop, _, id) in old.iter().filter(|(_, _, id)| now.contains(id)) {
        path.0.push(prop.clone());
        let inner = kept(before, after, id.clone(), path);
        path.0.pop();
        inner?;
    }
    Ok(())
}

/// A fresh document to write samples into; never saved or sent.
fn scratch() -> AutoCommit {
    AutoCommit::new().with_actor(ActorId::from(&[0u8; 16][..]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_record_kinds_shape_is_derived_from_its_samples() {
        for kind in DocKind::ALL {
            let derived = derive_shape(*kind);
            assert!(derived.is_ok(), "{kind:?}: {derived:?}");
        }
    }

    #[test]
    fn entries_keyed_by_data_are_allowed_under_their_prefix_only() {
        let assessment = shape(DocKind::Assessment).unwrap();
        assert!(
            matches!(assessment, Shape::Map { entries: Some((prefix, _)), .. } if prefix == "org:"),
            "{assessment:?}"
        );
        assert!(assessment.field("org:0195a3").is_some());
        assert!(assessment.field("official").is_some());
        assert!(assessment.field("padding").is_none());
        let observation = shape(DocKind::Observation).unwrap();
        let links = observation.field("links").unwrap();
        assert!(
            matches!(links, Shape::Map { fields, entries: Some((prefix, _)) } if fields.is_empty() && prefix.is_empty()),
            "links are keyed by report ids: {links:?}"
        );
        assert!(observation.field("links_padding").is_none());
        assert!(
            matches!(observation.field("notes"), Some(Shape::List(note)) if note.field("author").is_some())
        );
    }
}
