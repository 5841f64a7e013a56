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
    /// The workspace's map tile address.
    Tiles(Option<String>),
}

/// The most corners an area's outline may have: a drawn district has tens.
pub const MAX_OUTLINE_CORNERS: usize = 500;

/// The longest tile address taken.
const MAX_TILE_TEMPLATE: usize = 2000;

/// An area's outline as drawn: 3 to `MAX_OUTLINE_CORNERS` corners, each a position,
/// enclosing some ground and not crossing itself (a map fills a crossed ring
/// unpredictably, and "is this place in the area?" has no answer for it).
pub fn outline(corners: &[[f64; 2]]) -> Result<Vec<[f64; 2]>> {
    let invalid = |allowed: &str| -> crate::error::Error {
        ValidationError::new(
            Field::Outline,
            Problem::OutOfRange {
                value: format!("{} corners", corners.len()),
                allowed: allowed.into(),
            },
        )
        .into()
    };
    let mut ring: Vec<[f64; 2]> = corners.to_vec();
    // A closed ring (last corner = first) is taken as the same outline.
    if ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    if ring.len() < 3 || ring.len() > MAX_OUTLINE_CORNERS {
        return Err(invalid(&format!(
            "an outline of 3 to {MAX_OUTLINE_CORNERS} corners"
        )));
    }
    for &[lon, lat] in &ring {
        if !lon.is_finite() || !lat.is_finite() {
            return Err(invalid("corners that are positions"));
        }
        position(lat, lon)?;
    }
    let area2: f64 = (0..ring.len())
        .map(|i| {
            let ([x1, y1], [x2, y2]) = (ring[i], ring[(i + 1) % ring.len()]);
            x1 * y2 - x2 * y1
        })
        .sum();
    if area2.abs() < 1e-12 {
        return Err(invalid("an outline that encloses some ground"));
    }
    let n = ring.len();
    let segment = |i: usize| (ring[i], ring[(i + 1) % n]);
    for i in 0..n {
        for j in i + 1..n {
            // Neighbouring sides share a corner; that is no crossing.
            if j == i + 1 || (i == 0 && j == n - 1) {
                continue;
            }
            let ((a, b), (c, d)) = (segment(i), segment(j));
            if crosses(a, b, c, d) {
                return Err(invalid("an outline whose sides do not cross"));
            }
        }
    }
    Ok(ring)
}

/// Whether the segments `a`–`b` and `c`–`d` meet (touching counts).
fn crosses(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> bool {
    let side = |p: [f64; 2], q: [f64; 2], r: [f64; 2]| {
        let v = (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]);
        if v > 0.0 {
            1
        } else if v < 0.0 {
            -1
        } else {
            0
        }
    };
    let within = |p: [f64; 2], q: [f64; 2], r: [f64; 2]| {
        r[0] >= p[0].min(q[0])
            && r[0] <= p[0].max(q[0])
            && r[1] >= p[1].min(q[1])
            && r[1] <= p[1].max(q[1])
    };
    let (d1, d2, d3, d4) = (side(c, d, a), side(c, d, b), side(a, b, c), side(a, b, d));
    if d1 * d2 < 0 && d3 * d4 < 0 {
        return true;
    }
    (d1 == 0 && within(c, d, a))
        || (d2 == 0 && within(c, d, b))
        || (d3 == 0 && within(a, b, c))
        || (d4 == 0 && within(a, b, d))
}

/// A tile address with WMTS's names for the numbers (`{TileMatrix}`, `{TileCol}`,
/// `{TileRow}`, in any case) written as XYZ's (`{z}`, `{x}`, `{y}`), trimmed.
pub fn xyz_template(text: &str) -> String {
    let mut template = text.trim().to_string();
    for (wmts, xyz) in [
        ("{tilematrix}", "{z}"),
        ("{tilecol}", "{x}"),
        ("{tilerow}", "{y}"),
    ] {
        while let Some(at) = template.to_ascii_lowercase().find(wmts) {
            template.replace_range(at..at + wmts.len(), xyz);
        }
    }
    template
}

/// A map tile address as the workspace keeps it: an XYZ address with `{z}`, `{x}` and
/// `{y}`, or a WMTS one (RESTful or key-value) whose `{TileMatrix}`, `{TileCol}` and
/// `{TileRow}` are written as those; over `https://` (or `http://` to this computer),
/// with no number in the server's name. Only tile matrix sets in Web Mercator
/// (EPSG:3857, "GoogleMapsCompatible") line up with the map. The app checks the same
/// again before it fetches a tile (`lagesbild_client::tiles`).
pub fn tile_template(text: &str) -> Result<String> {
    let template = xyz_template(text);
    let refused = || -> crate::error::Error {
        ValidationError::new(
            Field::Tiles,
            Problem::OutOfRange {
                value: text.trim().to_string(),
                allowed: "a tile address (https://…/{z}/{x}/{y}.png, or WMTS with {TileMatrix}, {TileCol} and {TileRow})".into(),
            },
        )
        .into()
    };
    if template.len() > MAX_TILE_TEMPLATE
        || !["{z}", "{x}", "{y}"].iter().all(|p| template.contains(p))
    {
        return Err(refused());
    }
    let lower = template.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(refused)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty()
        || authority.contains(['{', '}'])
        || template.chars().any(char::is_whitespace)
    {
        return Err(refused());
    }
    if lower.starts_with("http://") {
        let host = authority.rsplit('@').next().unwrap_or_default();
        let host = match host.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => host,
        };
        let loopback = host == "localhost" || host == "[::1]" || host.starts_with("127.");
        if !loopback {
            return Err(refused());
        }
    }
    Ok(template)
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
        RegisterChange::SetOutline {
            place,
            outline: corners,
        } => {
            let mut area = live(*place)?.clone();
            if area.kind != crate::codes::PlaceKind::Omrade {
                return Err(ValidationError::new(
                    Field::Place,
                    Problem::OutOfRange {
                        value: area.name.clone(),
                        allowed: "an area: a place has a position, not an outline".into(),
                    },
                )
                .into());
            }
            area.outline = corners.as_deref().map(outline).transpose()?;
            Ok(vec![RegisterWrite::Place(area)])
        }
        RegisterChange::SetTiles { template } => Ok(vec![RegisterWrite::Tiles(
            template
                .as_deref()
                .filter(|t| !t.trim().is_empty())
                .map(tile_template)
                .transpose()?,
        )]),
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
