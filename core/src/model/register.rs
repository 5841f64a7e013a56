use serde::{Deserialize, Serialize};

use crate::codes::{Lang, OrganisationKind, PlaceKind, Role};
use crate::grade::Grade;
use crate::ids::{DeviceId, OrganisationId, PlaceId, UserId, WorkspaceId};
use crate::model::Reporter;

/// One municipality's collaboration.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    /// The workspace's own labels for grades 1–5, if it has configured them.
    #[serde(default)]
    pub grade_labels: Option<[String; 5]>,
    /// Where the map's tiles come from for everyone in the workspace, set by the
    /// coordinator: an XYZ or WMTS address with `{z}/{x}/{y}` (or `{TileMatrix}`,
    /// `{TileCol}`, `{TileRow}`) in Web Mercator. A device's own address or offline file
    /// comes first (`validate::register::tile_template` says what is accepted).
    #[serde(default)]
    pub tiles: Option<String>,
}

impl Workspace {
    pub fn grade_label(&self, grade: Grade, lang: Lang) -> String {
        match (&self.grade_labels, lang) {
            (Some(labels), Lang::Sv) => labels[usize::from(grade.value() - 1)].clone(),
            _ => grade.label(lang).to_string(),
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: OrganisationId,
    pub workspace: WorkspaceId,
    pub name: String,
    pub kind: OrganisationKind,
}

/// A named place or an area. A place may lie in an area; the lägesbild rolls places up
/// into their areas.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub id: PlaceId,
    pub workspace: WorkspaceId,
    pub name: String,
    pub kind: PlaceKind,
    pub area: Option<PlaceId>,
    pub lat: f64,
    pub lon: f64,
    /// Retired places keep their reports but take no new ones.
    #[serde(default)]
    pub retired: bool,
    /// Set when the coordinator merged this place into another.
    #[serde(default)]
    pub merged_into: Option<PlaceId>,
    /// An area's outline as the coordinator drew it: a ring of `[lon, lat]` corners (not
    /// closed: the last corner joins the first). None: the map draws the hull of the
    /// area's places instead.
    #[serde(default)]
    pub outline: Option<Vec<[f64; 2]>>,
}

impl Place {
    /// A new, active place (or area, with `is_area`) in the register.
    pub fn new(
        workspace: WorkspaceId,
        name: &str,
        is_area: bool,
        area: Option<PlaceId>,
        lat: f64,
        lon: f64,
    ) -> Place {
        Place {
            id: PlaceId::new(),
            workspace,
            name: name.trim().to_string(),
            kind: if is_area {
                PlaceKind::Omrade
            } else {
                PlaceKind::Plats
            },
            area,
            lat,
            lon,
            retired: false,
            merged_into: None,
            outline: None,
        }
    }
}

/// A category in the workspace's catalogue. Keys are stable; names may change.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub key: String,
    pub parent: Option<String>,
    pub name_sv: String,
    pub name_en: String,
    /// Retired categories keep their reports but take no new ones.
    #[serde(default)]
    pub retired: bool,
    pub sort: i64,
}

impl Category {
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Sv => &self.name_sv,
            Lang::En => &self.name_en,
        }
    }
}

/// Who uses this device, from its enrolment (or, before enrolment, from `init`).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub workspace: WorkspaceId,
    pub device: DeviceId,
    pub user: UserId,
    pub name: String,
    pub role: Role,
    pub organisation: OrganisationId,
}

impl Identity {
    pub fn reporter(&self) -> Reporter {
        Reporter {
            user: self.user,
            name: self.name.clone(),
            role: self.role,
            organisation: self.organisation,
        }
    }
}

/// The default catalogue, drawn from EST practice: (key, parent, Swedish, English).
const DEFAULT_CATEGORIES: &[(&str, Option<&str>, &str, &str)] = &[
    ("skadegorelse", None, "Skadegörelse", "Vandalism"),
    ("klotter", Some("skadegorelse"), "Klotter", "Graffiti"),
    (
        "krossat-glas",
        Some("skadegorelse"),
        "Krossat glas",
        "Broken glass",
    ),
    ("brand", Some("skadegorelse"), "Brand", "Fire"),
    (
        "grupperingar",
        None,
        "Grupperingar som skapar otrygghet",
        "Groups causing insecurity",
    ),
    (
        "ordningsstorning",
        None,
        "Ordningsstörning",
        "Public disorder",
    ),
    ("brak", Some("ordningsstorning"), "Bråk", "Brawl"),
    ("hot", Some("ordningsstorning"), "Hot", "Threats"),
    ("vald", Some("ordningsstorning"), "Våld", "Violence"),
    (
        "narkotika",
        None,
        "Misstänkt narkotikaförsäljning/-bruk",
        "Suspected drug dealing/use",
    ),
    ("alkohol", None, "Alkohol", "Alcohol"),
    ("otrygg-plats", None, "Otrygg plats", "Unsafe place"),
    (
        "belysning",
        Some("otrygg-plats"),
        "Bristande belysning",
        "Poor lighting",
    ),
    (
        "skymd-sikt",
        Some("otrygg-plats"),
        "Skymd sikt",
        "Obstructed view",
    ),
    (
        "nedskrapning",
        Some("otrygg-plats"),
        "Nedskräpning",
        "Littering",
    ),
    ("trafik", None, "Trafik", "Traffic"),
    (
        "olovlig-korning",
        Some("trafik"),
        "Olovlig körning",
        "Unlawful driving",
    ),
    (
        "vardslos-korning",
        Some("trafik"),
        "Vårdslös körning",
        "Reckless driving",
    ),
    ("handelser", None, "Händelser", "Events"),
    ("evenemang", Some("handelser"), "Evenemang", "Public event"),
    ("annat", None, "Annat", "Other"),
];

pub fn default_categories() -> Vec<Category> {
    DEFAULT_CATEGORIES
        .iter()
        .zip(0..)
        .map(|(&(key, parent, sv, en), sort)| Category {
            key: key.to_string(),
            parent: parent.map(str::to_string),
            name_sv: sv.to_string(),
            name_en: en.to_string(),
            retired: false,
            sort,
        })
        .collect()
}
