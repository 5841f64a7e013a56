//! The register's rules: a coordinator's change to places and categories, checked
//! against the workspace's register and turned into what to write. The device store and
//! the server's storage write it; this touches no database.

use crate::error::{Field, Problem, Result, ValidationError};
use crate::ids::{PlaceId, WorkspaceId};
use crate::model::{Category, Place};

pub(crate) fn unknown_place(text: &str) -> ValidationError {
    ValidationError::new(
        Field::Place,
        Problem::Unknown {
            value: text.to_string(),
            hint: "choose a place from the place register".into(),
        },
    )
}

pub(crate) fn unknown_category(key: &str) -> ValidationError {
    ValidationError::new(
        Field::Category,
        Problem::Unknown {
            value: key.to_string(),
            hint: "choose a category from the catalogue".into(),
        },
    )
}

/// What a coordinator's change to the register writes.
#[derive(Debug, Clone, PartialEq)]
pub enum RegisterWrite {
    Place(Place),
    Category(Category),
}

/// A position on the earth: latitude and longitude in degrees (WGS 84).
fn position(lat: f64, lon: f64) -> Result<()> {
    if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) {
        return Ok(());
    }
    Err(ValidationError::new(
        Field::Position,
        Problem::OutOfRange {
            value: format!("{lat}, {lon}"),
            allowed: "a latitude and longitude".into(),
        },
    )
    .into())
}

/// Checks a coordinator's change to the register of `workspace` against its places
/// (`existing`) and categories (`all`) — names present and not taken, places and
/// categories of this workspace, a merge into another live place of the same kind —
/// and answers what to write. The server stores it; this touches no database.
pub fn plan_change(
    existing: &[Place],
    all: &[Category],
    workspace: WorkspaceId,
    change: &crate::sync::wire::RegisterChange,
) -> Result<Vec<RegisterWrite>> {
    use crate::sync::wire::RegisterChange;
    let name_free = |name: &str, except: Option<PlaceId>| -> Result<String> {
        let name = crate::validate::records::name(Field::Name, name)?;
        let name = name.as_str();
        if existing
            .iter()
            .any(|p| Some(p.id) != except && p.name.to_lowercase() == name.to_lowercase())
        {
            return Err(ValidationError::new(
                Field::Name,
                Problem::OutOfRange {
                    value: name.to_string(),
                    allowed: "another place already has that name".into(),
                },
            )
            .into());
        }
        Ok(name.to_string())
    };
    let live = |id: PlaceId| -> Result<&Place> {
        existing
            .iter()
            .find(|p| p.id == id && p.merged_into.is_none())
            .ok_or_else(|| unknown_place(&id.to_string()).into())
    };
    match change {
        RegisterChange::AddPlace {
            name,
            is_area,
            area,
            lat,
            lon,
        } => {
            let name = name_free(name, None)?;
            if let Some(area) = area
                && live(*area)?.kind != crate::codes::PlaceKind::Omrade
            {
                return Err(unknown_place(&area.to_string()).into());
            }
            position(*lat, *lon)?;
            let area = if *is_area { None } else { *area };
            Ok(vec![RegisterWrite::Place(Place::new(
                workspace, &name, *is_area, area, *lat, *lon,
            ))])
        }
        RegisterChange::RenamePlace { place, name } => {
            let name = name_free(name, Some(*place))?;
            let mut renamed = live(*place)?.clone();
            renamed.name = name;
            Ok(vec![RegisterWrite::Place(renamed)])
        }
        RegisterChange::MovePlace { place, lat, lon } => {
            position(*lat, *lon)?;
            let mut moved = live(*place)?.clone();
            (moved.lat, moved.lon) = (*lat, *lon);
            Ok(vec![RegisterWrite::Place(moved)])
        }
        RegisterChange::MergePlace { place, into } => {
            let (from, to) = (live(*place)?, live(*into)?);
            if from.id == to.id || from.kind != to.kind {
                return Err(ValidationError::new(
                    Field::Place,
                    Problem::OutOfRange {
                        value: to.name.clone(),
                        allowed: "a place merges into another place (an area into another area)"
                            .into(),
                    },
                )
                .into());
            }
            let mut merged = from.clone();
            merged.merged_into = Some(to.id);
            merged.retired = true;
            let mut writes = vec![RegisterWrite::Place(merged)];
            // Places of a merged area now lie in the area it merged into.
            for child in existing.iter().filter(|p| p.area == Some(from.id)) {
                let mut moved = child.clone();
                moved.area = Some(to.id);
                writes.push(RegisterWrite::Place(moved));
            }
            Ok(writes)
        }
        RegisterChange::AddCategory {
            name_sv,
            name_en,
            parent,
        } => {
            let name_sv = &crate::validate::records::name(Field::Name, name_sv)?;
            crate::validate::records::line(
                Field::Name,
                name_en,
                crate::validate::records::MAX_NAME,
            )?;
            if let Some(parent) = parent
                && !all.iter().any(|c| &c.key == parent && c.parent.is_none())
            {
                return Err(unknown_category(parent).into());
            }
            let base = slug(name_sv);
            let key = (1..)
                .map(|n| {
                    if n == 1 {
                        base.clone()
                    } else {
                        format!("{base}-{n}")
                    }
                })
                .find(|k| all.iter().all(|c| &c.key != k))
                .unwrap_or(base);
            let name_en = name_en.trim();
            Ok(vec![RegisterWrite::Category(Category {
                key,
                parent: parent.clone(),
                name_sv: name_sv.to_string(),
                name_en: if name_en.is_empty() { name_sv } else { name_en }.to_string(),
                retired: false,
                sort: all.iter().map(|c| c.sort).max().unwrap_or(0) + 1,
            })])
        }
        RegisterChange::RetireCategory { key } => {
            let mut category = all
                .iter()
                .find(|c| &c.key == key)
                .cloned()
                .ok_or_else(|| unknown_category(key))?;
            category.retired = true;
            Ok(vec![RegisterWrite::Category(category)])
        }
    }
}

/// A category key from its Swedish name: `Nedskräpning` → `nedskrapning`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        let c = match c {
            'å' | 'ä' => 'a',
            'ö' => 'o',
            'é' => 'e',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        };
        if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(c);
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "kategori".into()
    } else {
        out
    }
}
