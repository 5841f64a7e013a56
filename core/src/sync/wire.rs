//! What travels between a device and the server, as JSON. Binary fields are base64.
//! Fields added later must have `#[serde(default)]`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codes::{DocKind, Role};
use crate::ids::{DeviceId, PlaceId, UserId};
use crate::model::ObservationProjection;
use crate::model::{Category, Organisation, Place, Workspace};
use crate::time::Timestamp;

/// The API version in every path: `/v1/...`.
pub const API_VERSION: &str = "v1";
/// The most changes one push may carry; larger batches are split by the device.
pub const MAX_PUSH_CHANGES: usize = 500;
/// The most feed entries or bootstrap documents in one response.
pub const MAX_PAGE: usize = 1000;

pub mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

/// `POST /v1/enroll`: a device exchanges a one-time code for its own credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollRequest {
    pub code: String,
    /// A name people recognise the device by, such as "Jonas surfplatta".
    pub device_name: String,
    /// The Automerge actor id the device writes as (hex). The server accepts changes
    /// from this device only when they carry this actor.
    pub actor: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollResponse {
    pub device: DeviceId,
    /// The device's credential, sent as `Authorization: Bearer <token>`. Shown once; the
    /// server keeps only its hash.
    pub token: String,
    pub me: Me,
}

/// One entry of the server's audit log: who did what, when, from where. Never what a
/// report says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEntry {
    pub seq: i64,
    /// Server time.
    pub at: Timestamp,
    pub workspace: Option<crate::ids::WorkspaceId>,
    /// The person, or none for the operator's command line.
    pub user: Option<UserId>,
    pub user_name: Option<String>,
    pub device: Option<DeviceId>,
    /// The client's address, for acts that came as requests.
    pub address: Option<String>,
    /// What was done: the code of an `AuditAction`, such as
    /// `register.add_place` or `observation.erase`. A string, not the enum: a row
    /// written under a name the server no longer writes still reads (and shows as it).
    pub action: String,
    /// What it was done to (an id), if anything.
    pub target: Option<String>,
    pub detail: String,
}

/// `GET /v1/me`: who the credential belongs to and where they are a member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub device: DeviceId,
    pub user: UserId,
    pub name: String,
    pub memberships: Vec<Membership>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Membership {
    pub workspace: Workspace,
    pub organisation: Organisation,
    pub role: Role,
}

/// `GET /v1/workspaces/{ws}/register`: places, categories and organisations. `version`
/// grows with every change; `?since=<version>` answers `unchanged` when nothing moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Register {
    pub version: i64,
    #[serde(default)]
    pub unchanged: bool,
    pub workspace: Option<Workspace>,
    #[serde(default)]
    pub organisations: Vec<Organisation>,
    #[serde(default)]
    pub places: Vec<Place>,
    #[serde(default)]
    pub categories: Vec<Category>,
}

/// `POST /v1/workspaces/{ws}/register/changes`: the coordinator changes the register. The
/// answer is the whole new register; other devices fetch it when the feed shows its new
/// version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum RegisterChange {
    /// A new place, or a new area (`is_area`), at a position.
    AddPlace {
        name: String,
        is_area: bool,
        area: Option<PlaceId>,
        lat: f64,
        lon: f64,
    },
    RenamePlace {
        place: PlaceId,
        name: String,
    },
    /// The place (or area) lies at another position: set where it was guessed, or
    /// corrected by the coordinator. Its reports keep their place.
    MovePlace {
        place: PlaceId,
        lat: f64,
        lon: f64,
    },
    /// `place` is the same as `into`: its reports count for `into` from now on, and it
    /// takes no new reports. The reports keep their place.
    MergePlace {
        place: PlaceId,
        into: PlaceId,
    },
    /// A new category; a subcategory when `parent` is a main category's key.
    AddCategory {
        name_sv: String,
        name_en: String,
        parent: Option<String>,
    },
    /// The category takes no new reports; its reports keep it.
    RetireCategory {
        key: String,
    },
    /// An area's outline as drawn: at least three `[lon, lat]` corners, not crossing
    /// itself; none to go back to the outline around its places.
    SetOutline {
        place: PlaceId,
        outline: Option<Vec<[f64; 2]>>,
    },
    /// The workspace's map tile address (XYZ or WMTS, Web Mercator); none to remove it.
    SetTiles {
        template: Option<String>,
    },
}

/// One Automerge change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WireChange {
    pub doc: Uuid,
    /// The change hash, hex; the server checks it against the bytes.
    pub hash: String,
    #[serde(with = "base64_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Byte))]
    pub bytes: Vec<u8>,
}

/// `POST /v1/workspaces/{ws}/push`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    pub changes: Vec<WireChange>,
}

/// One outcome per pushed change, in the order they were sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    pub results: Vec<PushResult>,
    /// The server's clock when it stored them.
    pub server_time: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResult {
    pub hash: String,
    #[serde(flatten)]
    pub outcome: PushOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PushOutcome {
    /// Stored now.
    Stored,
    /// Stored before: a repeated push, or a push whose response was lost.
    Duplicate,
    /// Not stored; the device keeps the change and shows why.
    Refused { code: RefusalCode, message: String },
    /// The document was erased by the coordinator; the device must erase it too.
    Erased,
}

/// Why a change was refused; mirrored in the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    /// The bytes are not an Automerge change, or the hash does not match them.
    Undecodable,
    /// The change is over a limit: its size, inflated size or number of operations
    /// (`chunk::MAX_CHANGE_BYTES`, `chunk::MAX_CHANGE_OPS`).
    TooLarge,
    /// The change belongs to another document than it claims.
    WrongDocument,
    /// The change was written by another device (its actor is not this device's), or
    /// names another person, role or organisation as the author of what it adds.
    WrongAuthor,
    /// The change needs changes the server has not stored (for example refused ones).
    MissingDependencies,
    /// The document would no longer be a valid record: a value is invalid, or the
    /// change writes a key the record's type does not have, a value of another shape,
    /// or a new list, map or text in place of one that is there (`shape`); the message
    /// names the field.
    InvalidRecord,
    /// The device's role may not make this change.
    Forbidden,
    /// The change writes a field that the device's user may not write
    /// (`permissions::FIELDS`); the message names the field.
    ForbiddenField,
}

/// `GET /v1/workspaces/{ws}/feed?since=<cursor>&limit=<n>&wait=<seconds>`: what
/// changed after `since`, as this device may see it. With `wait`, the server holds the
/// request until something arrives or the time is up (long poll).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedPage {
    pub entries: Vec<FeedEntry>,
    /// Where the next pull starts.
    pub cursor: i64,
    /// More entries are waiting beyond this page.
    pub more: bool,
    /// The register's version now: a device fetches the register when it has an older one.
    #[serde(default)]
    pub register_version: i64,
    /// Which history the server holds; a new one after the server was restored from a
    /// backup.
    #[serde(default)]
    pub timeline: Option<Timeline>,
}

/// Which history a server's database holds. Restoring a backup starts a new timeline:
/// a device that sees one goes back to `restored_head` (everything up to it is as it
/// was) and sends again the changes it made itself, which the backup may lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timeline {
    pub id: Uuid,
    /// The feed's head when the backup was restored; 0 if it never was.
    pub restored_head: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
/// Externally tagged (`{"change": {...}}`): decoding needs no buffering, which matters
/// for bootstrap pages of a thousand entries.
#[serde(rename_all = "snake_case")]
pub enum FeedEntry {
    /// A change to a document the device can read.
    Change {
        doc: Uuid,
        kind: DocKind,
        #[serde(with = "base64_bytes")]
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Byte))]
        bytes: Vec<u8>,
        /// When the server first saw this document.
        first_seen: Timestamp,
    },
    /// A whole document: one the device has just become able to read, or a bootstrap.
    Document {
        doc: Uuid,
        kind: DocKind,
        #[serde(with = "base64_bytes")]
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Byte))]
        bytes: Vec<u8>,
        /// The observation's projection, so the device need not parse the document.
        projection: Option<ObservationProjection>,
    },
    /// An observation the device may know of but not read: place, category, grade.
    Restricted { projection: ObservationProjection },
    /// The document is gone (erased), or no longer readable by this device: remove its
    /// content. A restricted projection stays when the device may still count it.
    Remove {
        doc: Uuid,
        restricted: Option<ObservationProjection>,
    },
}

/// `GET /v1/workspaces/{ws}/bootstrap?after=<doc>&at=<cursor>&limit=<n>&projections=<bool>`:
/// the workspace's documents as they are now, in pages. The first page's `cursor` is
/// where the feed continues once every page is in. A device that stored the
/// projections first (`projections` below) asks with `projections=false`: then the
/// pages hold only the documents it may read, without their projections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BootstrapPage {
    pub entries: Vec<FeedEntry>,
    pub cursor: i64,
    /// Pass as `after` for the next page; none when this was the last.
    pub next: Option<Uuid>,
}

/// `GET /v1/workspaces/{ws}/projections?before=<ms>&before_doc=<doc>&at=<cursor>&limit=<n>`:
/// a new device's first pass. Every observation's projection as this device may see it
/// (whole, or restricted), the most recently observed first, so that the lägesbild,
/// lists and map work from the first pages while older reports and then the documents
/// come in behind. The first page's `cursor` (the feed's head) is passed back as `at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectionPage {
    pub projections: Vec<ObservationProjection>,
    pub cursor: i64,
    /// Where the next page starts; none when this was the last.
    pub next: Option<ProjectionKey>,
    /// Observations in the workspace, counted for the first page only.
    #[serde(default)]
    pub total: Option<u64>,
}

/// A place in the newest-first order of observations: when observed, then id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProjectionKey {
    /// Milliseconds since 1970.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub observed_at: i64,
    pub doc: Uuid,
}

/// Every error the server sends: a stable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// `GET /v1/workspaces/{ws}/admin`: the coordinator's view of the workspace's
/// organisations and people, each person with their devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct People {
    pub organisations: Vec<Organisation>,
    pub people: Vec<Person>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Person {
    pub user: UserId,
    pub name: String,
    pub organisation: crate::ids::OrganisationId,
    pub role: Role,
    /// False once the coordinator deactivated the person in this workspace.
    pub active: bool,
    pub devices: Vec<DeviceSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeviceSummary {
    pub id: DeviceId,
    pub name: String,
    pub enrolled_at: Timestamp,
    /// The last request from it (to the minute).
    pub last_seen: Option<Timestamp>,
    /// The app version it last said it runs.
    pub app_version: Option<String>,
    pub revoked: bool,
}

/// `POST /v1/workspaces/{ws}/admin/changes`: one administrative act by the coordinator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum AdminChange {
    AddOrganisation {
        name: String,
        kind: crate::codes::OrganisationKind,
    },
    RenameOrganisation {
        organisation: crate::ids::OrganisationId,
        name: String,
    },
    SetOrganisationKind {
        organisation: crate::ids::OrganisationId,
        kind: crate::codes::OrganisationKind,
    },
    AddPerson {
        name: String,
        organisation: crate::ids::OrganisationId,
        role: Role,
    },
    /// A new role or organisation in this workspace.
    ChangePerson {
        user: UserId,
        organisation: crate::ids::OrganisationId,
        role: Role,
    },
    /// A membership in another workspace where this coordinator is coordinator too (a
    /// police officer serves several municipalities).
    AddMembership {
        user: UserId,
        workspace: crate::ids::WorkspaceId,
        organisation: crate::ids::OrganisationId,
        role: Role,
    },
    /// The person may no longer act in this workspace; their devices are refused here.
    Deactivate {
        user: UserId,
    },
    Reactivate {
        user: UserId,
    },
    RevokeDevice {
        device: DeviceId,
    },
    /// A one-time enrolment code for one of the person's devices (answered in `code`).
    IssueCode {
        user: UserId,
        ttl_minutes: u32,
    },
    /// Withdraws a code not used yet.
    WithdrawCode {
        code: String,
    },
}

/// What an administrative act answers: the people as they are now, and the code it
/// issued, if it issued one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AdminOutcome {
    pub people: People,
    pub code: Option<IssuedCode>,
}

/// A one-time enrolment code, to be shown once (as a QR code of `link`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IssuedCode {
    pub code: String,
    /// `lagesbild://enroll?server=…&code=…`, when the server knows its public address.
    pub link: Option<String>,
    pub expires_at: Timestamp,
}
