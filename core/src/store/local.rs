//! Recording before enrolment. A device that is not enrolled yet records into a local
//! workspace of its own (default categories, places the user names). Once the device
//! is enrolled and has the workspace's register, each local report moves into that
//! workspace — same id, same content, the enrolled user as reporter — and is then sent
//! like any other. A report whose place the workspace does not know waits until the
//! user picks one.

use crate::validate::register::unknown_category;
use automerge::ActorId;
use rusqlite::Connection;

use super::{Store, documents, projection, register, setting, sync};
use crate::codes::{DocKind, OrganisationKind, Role};
use crate::doc::Document;
use crate::error::{Error, Field, Problem, Result, ValidationError};
use crate::ids::{DeviceId, ObservationId, OrganisationId, PlaceId, UserId, WorkspaceId};
use crate::model::{Identity, Observation, Organisation, Place, Position, Reporter, Workspace};
use crate::time::Timestamp;
use crate::validate;

const LOCAL_WORKSPACE: &str = "local_workspace";

/// What moving the local reports did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rehomed {
    /// Reports now in the enrolled workspace, waiting to be sent.
    pub moved: Vec<ObservationId>,
    /// Reports whose place or category the workspace does not have: the user picks.
    pub waiting: Vec<ObservationId>,
}

impl Store {
    /// Makes this device able to record before it is enrolled: a local workspace with the
    /// default categories and this user as its only member. Does nothing if the device
    /// already has an identity.
    pub fn start_local(&mut self, name: &str) -> Result<Identity> {
        if let Some(identity) = self.identity()? {
            return Ok(identity);
        }
        let workspace = Workspace {
            id: WorkspaceId::new(),
            name: "Lokal".into(),
            grade_labels: None,
            tiles: None,
        };
        let organisation = Organisation {
            id: OrganisationId::new(),
            workspace: workspace.id,
            name: "Egen".into(),
            kind: OrganisationKind::Kommun,
        };
        self.create_workspace(
            &workspace,
            std::slice::from_ref(&organisation),
            &crate::model::default_categories(),
            &[],
        )?;
        let identity = Identity {
            workspace: workspace.id,
            device: DeviceId::new(),
            user: UserId::new(),
            name: name.trim().to_string(),
            role: Role::Fritidsfaltare,
            organisation: organisation.id,
        };
        let tx = self.conn.transaction()?;
        super::set_setting(&tx, LOCAL_WORKSPACE, &workspace.id.to_string())?;
        super::set_setting(
            &tx,
            "identity",
            &serde_json::to_string(&identity)
                .map_err(|e| Error::corrupt(format!("identity does not serialise: {e}")))?,
        )?;
        tx.commit()?;
        Ok(identity)
    }

    /// The local workspace, while it still holds reports (or the device is not enrolled).
    pub fn local_workspace(&self) -> Result<Option<WorkspaceId>> {
        local_workspace(&self.conn)
    }

    /// A place the user names while recording locally, at their position if known.
    pub fn add_local_place(&mut self, name: &str, position: Option<Position>) -> Result<Place> {
        let identity = self.require_identity()?;
        if self.local_workspace()? != Some(identity.workspace) {
            return Err(Error::Forbidden(
                "places are added by the workspace's coordinator".into(),
            ));
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(ValidationError::new(Field::Name, Problem::Missing).into());
        }
        if let Ok(existing) = register::find_place(&self.conn, identity.workspace, name)? {
            return Ok(existing);
        }
        let (lat, lon) = position.map_or((0.0, 0.0), |p| (p.lat, p.lon));
        let place = Place::new(identity.workspace, name, false, None, lat, lon);
        self.save_place(&place)?;
        Ok(place)
    }

    /// Moves every local report whose place (by name) and category (by key) the enrolled
    /// workspace has. Called when `workspace`'s register has arrived; does nothing unless
    /// it is the workspace the device records in.
    pub(crate) fn rehome_local(
        &mut self,
        workspace: WorkspaceId,
        now: Timestamp,
    ) -> Result<Rehomed> {
        let mut result = Rehomed::default();
        let Some(local) = self.local_workspace()? else {
            return Ok(result);
        };
        let identity = self.require_identity()?;
        if identity.workspace == local || identity.workspace != workspace {
            return Ok(result);
        }
        let reporter = identity.reporter();
        let target = identity.workspace;
        self.write(|tx, actor| {
            for old in documents::read_all::<Observation>(tx, actor, local, DocKind::Observation)? {
                let name = register::place_by_id(tx, old.place)?.map(|p| p.name);
                let place = match name {
                    Some(name) => register::find_place(tx, target, &name)?
                        .ok()
                        .filter(|p| !p.retired && p.merged_into.is_none()),
                    None => None,
                };
                match (place, category_usable(tx, target, &old.category)?) {
                    (Some(place), true) => {
                        move_observation(tx, actor, &old, target, place.id, &reporter, now)?;
                        result.moved.push(old.id);
                    }
                    _ => result.waiting.push(old.id),
                }
            }
            if result.waiting.is_empty() {
                tx.execute("DELETE FROM settings WHERE key = ?1", [LOCAL_WORKSPACE])?;
            }
            Ok(())
        })?;
        Ok(result)
    }

    /// Moves one local report into the enrolled workspace at the place the user picked.
    pub fn rehome(
        &mut self,
        id: ObservationId,
        place: PlaceId,
        now: Timestamp,
    ) -> Result<Observation> {
        let local = self
            .local_workspace()?
            .ok_or_else(|| Error::Forbidden("there are no local reports to move".into()))?;
        let identity = self.require_identity()?;
        if identity.workspace == local {
            return Err(Error::Forbidden(
                "the device is not enrolled in a workspace yet".into(),
            ));
        }
        let old = self.observation(id)?;
        if old.workspace != local {
            return Err(Error::Forbidden("the report is not a local one".into()));
        }
        let target = identity.workspace;
        let reporter = identity.reporter();
        let moved = self.write(|tx, actor| {
            let place = register::find_place(tx, target, &place.to_string())??;
            validate::usable_place(&place)?;
            if !category_usable(tx, target, &old.category)? {
                return Err(unknown_category(&old.category).into());
            }
            move_observation(tx, actor, &old, target, place.id, &reporter, now)
        })?;
        if local_count(&self.conn, local)? == 0 {
            self.conn
                .execute("DELETE FROM settings WHERE key = ?1", [LOCAL_WORKSPACE])?;
        }
        Ok(moved)
    }
}

fn local_workspace(conn: &Connection) -> Result<Option<WorkspaceId>> {
    setting(conn, LOCAL_WORKSPACE)?
        .map(|s| {
            s.parse()
                .map_err(|_| Error::corrupt("the local workspace setting is not an id"))
        })
        .transpose()
}

/// Whether the workspace takes new reports in this category.
fn category_usable(conn: &Connection, target: WorkspaceId, key: &str) -> Result<bool> {
    Ok(register::category_by_key(conn, target, key)?.is_some_and(|c| !c.retired))
}

fn local_count(conn: &Connection, local: WorkspaceId) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM documents WHERE workspace_id = ?1",
        [local],
        |r| r.get(0),
    )?)
}

/// Replaces a never-sent local document by a new one in the target workspace with the
/// same id: the server has not seen the old one, so nobody else holds it.
fn move_observation(
    tx: &Connection,
    actor: &ActorId,
    old: &Observation,
    target: WorkspaceId,
    place: PlaceId,
    reporter: &Reporter,
    now: Timestamp,
) -> Result<Observation> {
    let mut moved = old.clone();
    moved.workspace = target;
    moved.place = place;
    // A text read from a document remembers that document; this is a new one.
    moved.description = autosurgeon::Text::with_value(old.description());
    moved.reporter = reporter.clone();
    for note in &mut moved.notes {
        note.author = reporter.clone();
    }
    moved.corrections.clear();
    moved.review = None;
    moved.links.clear();
    sync::remove_document(tx, old.id.as_uuid())?;
    let (_, created) = Document::create(actor, &moved, now)?;
    documents::save_created(
        tx,
        moved.id.as_uuid(),
        target,
        DocKind::Observation,
        &created,
        now,
    )?;
    projection::upsert_observation(tx, &moved, now)?;
    Ok(moved)
}
