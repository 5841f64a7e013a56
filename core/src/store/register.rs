//! The register: workspaces, organisations, places and categories. The free functions
//! work on any connection with these tables; the sync server's database has them too.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::Store;
use crate::error::{Error, Field, Problem, Result, ValidationError};
use crate::ids::{OrganisationId, PlaceId, WorkspaceId};
use crate::model::{Category, Organisation, Place, Workspace};
use crate::validate::register::unknown_place;

impl Store {
    pub fn save_workspace(&mut self, workspace: &Workspace) -> Result<()> {
        save_workspace(&self.conn, workspace)
    }

    pub fn workspaces(&self) -> Result<Vec<Workspace>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, name, grade_labels, tiles FROM workspaces ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            let labels: Option<String> = r.get(2)?;
            Ok(Workspace {
                id: r.get(0)?,
                name: r.get(1)?,
                grade_labels: labels.and_then(|l| serde_json::from_str(&l).ok()),
                tiles: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn workspace(&self, id: WorkspaceId) -> Result<Workspace> {
        self.workspaces()?
            .into_iter()
            .find(|w| w.id == id)
            .ok_or_else(|| Error::NotFound {
                what: "workspace",
                id: id.to_string(),
            })
    }

    pub fn save_organisation(&mut self, org: &Organisation) -> Result<()> {
        save_organisation(&self.conn, org)
    }

    pub fn organisations(&self, workspace: WorkspaceId) -> Result<Vec<Organisation>> {
        organisations(&self.conn, workspace)
    }

    pub fn organisation(&self, id: OrganisationId) -> Result<Organisation> {
        self.conn
            .prepare_cached(&format!("{ORGANISATION_SELECT} WHERE id = ?1"))?
            .query_row([id], organisation_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "organisation",
                id: id.to_string(),
            })
    }

    pub fn save_place(&mut self, place: &Place) -> Result<()> {
        save_place(&self.conn, place)
    }

    pub fn places(&self, workspace: WorkspaceId) -> Result<Vec<Place>> {
        places(&self.conn, workspace)
    }

    pub fn place(&self, id: PlaceId) -> Result<Place> {
        place_by_id(&self.conn, id)?.ok_or_else(|| Error::NotFound {
            what: "place",
            id: id.to_string(),
        })
    }

    /// Finds a place by id or by its exact name (ignoring case).
    pub fn find_place(&self, workspace: WorkspaceId, id_or_name: &str) -> Result<Place> {
        Ok(find_place(&self.conn, workspace, id_or_name)??)
    }

    pub fn save_category(&mut self, workspace: WorkspaceId, category: &Category) -> Result<()> {
        save_category(&self.conn, workspace, category)
    }

    pub fn categories(&self, workspace: WorkspaceId) -> Result<Vec<Category>> {
        categories(&self.conn, workspace)
    }

    /// Creates a workspace with its organisations, categories and places, all or nothing.
    pub fn create_workspace(
        &mut self,
        workspace: &Workspace,
        organisations: &[Organisation],
        categories: &[Category],
        places: &[Place],
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        save_workspace(&tx, workspace)?;
        for org in organisations {
            save_organisation(&tx, org)?;
        }
        for category in categories {
            save_category(&tx, workspace.id, category)?;
        }
        for place in places {
            save_place(&tx, place)?;
        }
        tx.commit()?;
        Ok(())
    }
}

pub fn save_workspace(conn: &Connection, workspace: &Workspace) -> Result<()> {
    let labels = workspace
        .grade_labels
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| Error::corrupt(format!("grade labels do not serialise: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO workspaces (id, name, grade_labels, tiles) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name,
           grade_labels = excluded.grade_labels, tiles = excluded.tiles",
    )?
    .execute(params![
        workspace.id,
        workspace.name,
        labels,
        workspace.tiles
    ])?;
    Ok(())
}

pub fn save_organisation(conn: &Connection, org: &Organisation) -> Result<()> {
    if org.name.trim().is_empty() {
        return Err(ValidationError::new(Field::Name, Problem::Missing).into());
    }
    conn.prepare_cached(
        "INSERT INTO organisations (id, workspace_id, name, kind) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind",
    )?
    .execute(params![org.id, org.workspace, org.name.trim(), org.kind])?;
    Ok(())
}

pub fn save_place(conn: &Connection, place: &Place) -> Result<()> {
    if place.name.trim().is_empty() {
        return Err(ValidationError::new(Field::Name, Problem::Missing).into());
    }
    conn.prepare_cached(
        "INSERT INTO places (id, workspace_id, name, kind, area_id, lat, lon, retired, merged_into,
           outline)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
           area_id = excluded.area_id, lat = excluded.lat, lon = excluded.lon,
           retired = excluded.retired, merged_into = excluded.merged_into,
           outline = excluded.outline",
    )?
    .execute(params![
        place.id,
        place.workspace,
        place.name.trim(),
        place.kind,
        place.area,
        place.lat,
        place.lon,
        place.retired,
        place.merged_into,
        place
            .outline
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| Error::corrupt(format!("an outline does not serialise: {e}")))?
    ])?;
    Ok(())
}

const ORGANISATION_SELECT: &str = "SELECT id, workspace_id, name, kind FROM organisations";

fn organisation_from_row(r: &Row<'_>) -> rusqlite::Result<Organisation> {
    Ok(Organisation {
        id: r.get(0)?,
        workspace: r.get(1)?,
        name: r.get(2)?,
        kind: r.get(3)?,
    })
}

const PLACE_SELECT: &str = "SELECT id, workspace_id, name, kind, area_id, lat, lon, retired, merged_into, outline FROM places";
const CATEGORY_SELECT: &str = "SELECT key, parent, name_sv, name_en, retired, sort FROM categories";

fn place_from_row(r: &Row<'_>) -> rusqlite::Result<Place> {
    Ok(Place {
        id: r.get(0)?,
        workspace: r.get(1)?,
        name: r.get(2)?,
        kind: r.get(3)?,
        area: r.get(4)?,
        lat: r.get(5)?,
        lon: r.get(6)?,
        retired: r.get(7)?,
        merged_into: r.get(8)?,
        outline: r
            .get::<_, Option<String>>(9)?
            .map(|text| {
                serde_json::from_str(&text).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        9,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })
            })
            .transpose()?,
    })
}

fn category_from_row(r: &Row<'_>) -> rusqlite::Result<Category> {
    Ok(Category {
        key: r.get(0)?,
        parent: r.get(1)?,
        name_sv: r.get(2)?,
        name_en: r.get(3)?,
        retired: r.get(4)?,
        sort: r.get(5)?,
    })
}

pub fn save_category(conn: &Connection, workspace: WorkspaceId, c: &Category) -> Result<()> {
    let valid_key = !c.key.is_empty()
        && c.key
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
    if !valid_key {
        return Err(ValidationError::new(
            Field::Category,
            Problem::Unparseable {
                value: c.key.clone(),
                expected: "a key of a–z, 0–9 and -".into(),
            },
        )
        .into());
    }
    conn.prepare_cached(
        "INSERT INTO categories (workspace_id, key, parent, name_sv, name_en, retired, sort)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (workspace_id, key) DO UPDATE SET parent = excluded.parent,
           name_sv = excluded.name_sv, name_en = excluded.name_en, retired = excluded.retired,
           sort = excluded.sort",
    )?
    .execute(params![
        workspace, c.key, c.parent, c.name_sv, c.name_en, c.retired, c.sort
    ])?;
    Ok(())
}

pub fn place_by_id(conn: &Connection, id: PlaceId) -> Result<Option<Place>> {
    Ok(conn
        .prepare_cached(&format!("{PLACE_SELECT} WHERE id = ?1"))?
        .query_row([id], place_from_row)
        .optional()?)
}

pub fn category_by_key(
    conn: &Connection,
    workspace: WorkspaceId,
    key: &str,
) -> Result<Option<Category>> {
    Ok(conn
        .prepare_cached(&format!(
            "{CATEGORY_SELECT} WHERE workspace_id = ?1 AND key = ?2"
        ))?
        .query_row(params![workspace, key], category_from_row)
        .optional()?)
}

/// A place by id or exact name; the inner error names the field for the user.
pub fn find_place(
    conn: &Connection,
    workspace: WorkspaceId,
    id_or_name: &str,
) -> Result<std::result::Result<Place, ValidationError>> {
    let text = id_or_name.trim();
    if let Ok(id) = text.parse::<PlaceId>() {
        return Ok(place_by_id(conn, id)?
            .filter(|p| p.workspace == workspace)
            .ok_or_else(|| unknown_place(text)));
    }
    let mut stmt = conn.prepare_cached(&format!(
        "{PLACE_SELECT} WHERE workspace_id = ?1 AND name = ?2 COLLATE NOCASE"
    ))?;
    let mut found = stmt
        .query_map(params![workspace, text], place_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(match found.len() {
        0 => Err(unknown_place(text)),
        1 => Ok(found.remove(0)),
        _ => Err(ValidationError::new(
            Field::Place,
            Problem::Ambiguous {
                value: text.to_string(),
                candidates: found.iter().map(|p| p.id.to_string()).collect(),
            },
        )),
    })
}

pub fn organisations(conn: &Connection, workspace: WorkspaceId) -> Result<Vec<Organisation>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{ORGANISATION_SELECT} WHERE workspace_id = ?1 ORDER BY name"
    ))?;
    let rows = stmt.query_map([workspace], organisation_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn places(conn: &Connection, workspace: WorkspaceId) -> Result<Vec<Place>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{PLACE_SELECT} WHERE workspace_id = ?1 ORDER BY name COLLATE NOCASE"
    ))?;
    let rows = stmt.query_map([workspace], place_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn categories(conn: &Connection, workspace: WorkspaceId) -> Result<Vec<Category>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{CATEGORY_SELECT} WHERE workspace_id = ?1 ORDER BY sort, key"
    ))?;
    let rows = stmt.query_map([workspace], category_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
