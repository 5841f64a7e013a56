//! Records as Automerge documents. Every edit is one Automerge change; the changes a
//! device makes are what it later pushes.

use automerge::transaction::CommitOptions;
use automerge::{
    ActorId, AutoCommit, Change, ChangeHash, LoadOptions, ObjType, ReadDoc, TextEncoding, Value,
};
use autosurgeon::{Hydrate, Reconcile, hydrate, reconcile};

use crate::codes::DocKind;
use crate::error::{Error, Result};
use crate::time::Timestamp;

/// Text positions are UTF-8 byte offsets, as `autosurgeon::Text` computes them. This is
/// how positions are counted locally; it is not stored in the document.
const TEXT_ENCODING: TextEncoding = TextEncoding::Utf8CodeUnit;

/// One change to one document, as stored and as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocChange {
    pub hash: ChangeHash,
    pub bytes: Vec<u8>,
}

impl DocChange {
    /// Reads a change from its bytes, computing its hash. The bytes must be within the
    /// bounds of `chunk` before anything is decoded, and the header's checksum must be
    /// the hash's first four bytes, so damaged bytes are never taken for the change.
    pub fn decode(bytes: &[u8]) -> Result<DocChange> {
        let bytes = &*crate::chunk::bounded_change(bytes)
            .map_err(|e| Error::corrupt(format!("a change is refused: {e}")))?;
        if !checksum_matches(bytes) {
            return Err(Error::corrupt(
                "a change's checksum does not match its content",
            ));
        }
        let change = Change::from_bytes(bytes.to_vec())
            .map_err(|e| Error::corrupt(format!("a change does not decode: {e}")))?;
        Ok(DocChange::from(change))
    }
}

/// An Automerge chunk starts with 4 magic bytes and a 4-byte checksum, which is the start
/// of the SHA-256 over the rest.
pub fn checksum_matches(bytes: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    bytes.len() > 8 && Sha256::digest(&bytes[8..])[..4] == bytes[4..8]
}

impl From<Change> for DocChange {
    fn from(change: Change) -> Self {
        DocChange {
            hash: change.hash(),
            bytes: change.raw_bytes().to_vec(),
        }
    }
}

/// A loaded document with the actor this device writes as.
#[derive(Debug, Clone)]
pub struct Document {
    doc: AutoCommit,
}

impl Document {
    /// An empty document, to receive changes made elsewhere.
    pub fn new(actor: &ActorId) -> Document {
        Document {
            doc: AutoCommit::new_with_encoding(TEXT_ENCODING).with_actor(actor.clone()),
        }
    }

    /// A new document holding `value`, and the change that created it.
    pub fn create<T: Reconcile>(
        actor: &ActorId,
        value: &T,
        now: Timestamp,
    ) -> Result<(Document, DocChange)> {
        let mut document = Document::new(actor);
        let changes = document.update(value, now)?;
        let change = changes
            .into_iter()
            .next()
            .ok_or_else(|| Error::corrupt("a new document produced no change"))?;
        Ok((document, change))
    }

    pub fn load(bytes: &[u8], actor: &ActorId) -> Result<Document> {
        let doc =
            AutoCommit::load_with_options(bytes, LoadOptions::new().text_encoding(TEXT_ENCODING))
                .map_err(|e| Error::corrupt(format!("a stored document does not load: {e}")))?;
        Ok(Document {
            doc: doc.with_actor(actor.clone()),
        })
    }

    /// Writes `value` into the document as one change; returns the new changes (none when
    /// nothing differed).
    pub fn update<T: Reconcile>(&mut self, value: &T, now: Timestamp) -> Result<Vec<DocChange>> {
        let before = self.doc.get_heads();
        reconcile(&mut self.doc, value)?;
        self.doc
            .commit_with(CommitOptions::default().with_time(now.0.timestamp()));
        Ok(self
            .doc
            .get_changes(&before)
            .into_iter()
            .map(DocChange::from)
            .collect())
    }

    /// The Automerge document itself, for checks that read it as it is.
    pub(crate) fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    pub fn read<T: Hydrate>(&self) -> Result<T> {
        Ok(hydrate(&self.doc)?)
    }

    /// Applies changes from elsewhere; changes the document already has are ignored.
    pub fn apply(&mut self, changes: &[DocChange]) -> Result<()> {
        let decoded = changes
            .iter()
            .map(|c| Change::from_bytes(c.bytes.clone()))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::corrupt(format!("a change does not decode: {e}")))?;
        self.doc.apply_changes(decoded)?;
        Ok(())
    }

    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// How many values in the document lose a conflict to a concurrent write. A change
    /// that adds one wrote something that is hidden now but may surface later.
    pub fn conflicts(&self) -> usize {
        fn walk(doc: &AutoCommit, obj: &automerge::ObjId) -> usize {
            let props: Vec<automerge::Prop> = match doc.object_type(obj) {
                Ok(ObjType::Map | ObjType::Table) => {
                    doc.keys(obj).map(automerge::Prop::from).collect()
                }
                Ok(ObjType::List) => (0..doc.length(obj)).map(automerge::Prop::from).collect(),
                _ => return 0,
            };
            props
                .into_iter()
                .map(|prop| {
                    let values = doc.get_all(obj, prop).unwrap_or_default();
                    let nested: usize = values
                        .iter()
                        .filter(|(value, _)| {
                            matches!(
                                value,
                                Value::Object(ObjType::Map | ObjType::List | ObjType::Table)
                            )
                        })
                        .map(|(_, id)| walk(doc, id))
                        .sum();
                    values.len().saturating_sub(1) + nested
                })
                .sum()
        }
        walk(&self.doc, &automerge::ROOT)
    }

    pub fn has_change(&mut self, hash: &ChangeHash) -> bool {
        self.doc.get_change_by_hash(hash).is_some()
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    pub fn kind(&self) -> Result<DocKind> {
        Ok(autosurgeon::hydrate_prop(
            &self.doc,
            automerge::ROOT,
            "kind",
        )?)
    }

    /// Every change in the document, for tests and for bootstrapping others.
    pub fn changes(&mut self) -> Vec<DocChange> {
        self.doc
            .get_changes(&[])
            .into_iter()
            .map(DocChange::from)
            .collect()
    }

    /// The document as it was at `heads` (which it must hold).
    pub fn at(&mut self, heads: &[ChangeHash]) -> Result<Document> {
        let doc = self
            .doc
            .fork_at(heads)
            .map_err(|e| Error::corrupt(format!("the document at earlier heads: {e}")))?;
        Ok(Document { doc })
    }

    /// The hashes of the changes `actor` made that are not among `heads` or before them.
    pub fn changes_since_by(&mut self, heads: &[ChangeHash], actor: &ActorId) -> Vec<ChangeHash> {
        self.doc
            .get_changes(heads)
            .into_iter()
            .filter(|c| c.actor_id() == actor)
            .map(|c| c.hash())
            .collect()
    }

    /// The changes `actor` made.
    pub fn changes_by(&mut self, actor: &ActorId) -> Vec<DocChange> {
        self.doc
            .get_changes(&[])
            .into_iter()
            .filter(|c| c.actor_id() == actor)
            .map(DocChange::from)
            .collect()
    }

    pub fn merge(&mut self, other: &mut Document) -> Result<()> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_with_a_damaged_checksum_does_not_decode() {
        let actor = ActorId::random();
        let value = std::collections::BTreeMap::from([("a".to_string(), 1_i64)]);
        let (_, change) =
            Document::create(&actor, &value, Timestamp::from(chrono::Utc::now())).unwrap();
        assert_eq!(
            DocChange::decode(&change.bytes).unwrap(),
            change,
            "an intact change decodes"
        );
        let mut damaged = change.bytes.clone();
        damaged[5] ^= 0xff;
        assert!(
            DocChange::decode(&damaged).is_err(),
            "a damaged checksum is caught"
        );
    }

    #[test]
    fn a_document_loads_from_the_change_that_created_it() {
        let actor = ActorId::random();
        let value = std::collections::BTreeMap::from([("a".to_string(), 1_i64)]);
        let (mut created, change) =
            Document::create(&actor, &value, Timestamp::from(chrono::Utc::now())).unwrap();
        let mut loaded = Document::load(&change.bytes, &actor).unwrap();
        assert_eq!(loaded.heads(), created.heads());
        assert_eq!(
            loaded
                .read::<std::collections::BTreeMap<String, i64>>()
                .unwrap(),
            value
        );
    }
}
