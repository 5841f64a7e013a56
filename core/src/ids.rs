//! Typed identifiers. Every record id is a UUIDv7, so ids sort by creation time and
//! index well in SQLite.

use std::fmt;
use std::str::FromStr;

use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc, Reconcile, Reconciler};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self)
            }
        }

        impl Reconcile for $name {
            type Key<'a> = Uuid;
            fn reconcile<R: Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
                self.0.reconcile(reconciler)
            }
            fn key(&self) -> autosurgeon::reconcile::LoadKey<Self::Key<'_>> {
                autosurgeon::reconcile::LoadKey::Found(self.0)
            }
            fn hydrate_key<'a, D: ReadDoc>(
                doc: &D,
                obj: &automerge::ObjId,
                prop: Prop<'_>,
            ) -> Result<autosurgeon::reconcile::LoadKey<Self::Key<'a>>, autosurgeon::ReconcileError>
            {
                Uuid::hydrate_key(doc, obj, prop)
            }
        }

        // Ids are bytes in documents. Implementing `hydrate_bytes` (rather than
        // `hydrate`) lets `Option<Id>` hydrate too.
        impl Hydrate for $name {
            fn hydrate_bytes(bytes: &[u8]) -> Result<Self, HydrateError> {
                Uuid::from_slice(bytes)
                    .map(Self)
                    .map_err(|e| HydrateError::unexpected("a 16-byte id", e.to_string()))
            }
        }

        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::Borrowed(rusqlite::types::ValueRef::Blob(
                    self.0.as_bytes(),
                )))
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                Uuid::from_slice(value.as_blob()?)
                    .map(Self)
                    .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
            }
        }
    };
}

id_type!(
    /// One municipality's collaboration; a server hosts several.
    WorkspaceId
);
id_type!(OrganisationId);
id_type!(UserId);
id_type!(DeviceId);
id_type!(
    /// A named place or an area in the place register.
    PlaceId
);
id_type!(ObservationId);
id_type!(NoteId);
id_type!(CorrectionId);
id_type!(DecisionId);
id_type!(MeetingId);
id_type!(
    /// A citizen promise (medborgarlöfte).
    PromiseId
);
id_type!(
    /// An activity (insats) of the activity plan.
    ActivityId
);
id_type!(
    /// One publication of the lägesrapport's version for politicians.
    PublicationId
);
id_type!(
    /// The document holding one area's assessments for one ISO week.
    AssessmentId
);
