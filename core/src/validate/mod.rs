//! Input as forms, files and command lines give it, and its checks. One path for every
//! entry point: whatever comes in is checked here before anything is stored.

use std::collections::BTreeMap;

use autosurgeon::Text;
use serde::{Deserialize, Deserializer, Serialize};

use crate::codes::{AgeGroup, DocKind, Source, Status, Visibility};
use crate::error::{Error, Field, Problem, Result, ValidationError, Warning};
use crate::grade::Grade;
use crate::ids::{ObservationId, PlaceId, WorkspaceId};
use crate::model::{Category, Observation, Place, Position, Reporter};
use crate::personnummer::looks_like_personnummer;
use crate::time::{Timestamp, parse_time};

pub mod records;
pub mod register;

pub const MAX_DESCRIPTION: usize = 2000;
pub const MAX_PLACE_DETAIL: usize = 200;
pub const MAX_NOTE: usize = 2000;
pub const MAX_PEOPLE: i64 = 10_000;
/// How far ahead of the device's clock an observation time may lie (clocks drift).
const FUTURE_TOLERANCE_MINUTES: i64 = 60;

/// A new observation as a form gives it: text where people type text.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", ts(optional_fields = nullable))]
pub struct ObservationDraft {
    /// A category key.
    pub category: Option<String>,
    /// A place id, or a place's exact name.
    pub place: Option<String>,
    pub grade: Option<i64>,
    /// When; `None` means now. See `time::parse_time` for what is accepted.
    pub observed_at: Option<String>,
    pub observed_until: Option<String>,
    pub people: Option<i64>,
    pub age_group: Option<String>,
    pub source: Option<String>,
    pub description: Option<String>,
    pub place_detail: Option<String>,
    pub position: Option<Position>,
    pub visibility: Option<String>,
    /// The user confirmed that text looking like a personnummer must be stored.
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub acknowledge_personnummer: bool,
}

/// An edit: only the fields the user changed are `Some`. For clearable fields the inner
/// `None` clears. Fields nobody touched are never written, so an edit made on an old
/// copy does not undo someone else's change to another field.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", ts(optional_fields = nullable))]
pub struct ObservationPatch {
    pub category: Option<String>,
    pub place: Option<String>,
    pub grade: Option<i64>,
    pub observed_at: Option<String>,
    #[serde(deserialize_with = "double_option")]
    pub observed_until: Option<Option<String>>,
    #[serde(deserialize_with = "double_option")]
    pub people: Option<Option<i64>>,
    #[serde(deserialize_with = "double_option")]
    pub age_group: Option<Option<String>>,
    #[serde(deserialize_with = "double_option")]
    pub source: Option<Option<String>>,
    pub description: Option<String>,
    #[serde(deserialize_with = "double_option")]
    pub place_detail: Option<Option<String>>,
    #[serde(deserialize_with = "double_option")]
    pub position: Option<Option<Position>>,
    pub visibility: Option<String>,
    pub status: Option<String>,
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub acknowledge_personnummer: bool,
}

/// Tells a JSON `null` (clear) from an absent field (leave alone).
fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

impl ObservationPatch {
    pub fn is_empty(&self) -> bool {
        *self
            == ObservationPatch {
                acknowledge_personnummer: self.acknowledge_personnummer,
                ..Default::default()
            }
    }
}

/// The register entries a draft refers to, looked up by the store.
#[derive(Debug)]
pub(crate) struct References {
    pub category: std::result::Result<Category, ValidationError>,
    pub place: std::result::Result<Place, ValidationError>,
}

fn invalid(field: Field, problem: Problem) -> Error {
    Error::Invalid(ValidationError::new(field, problem))
}

pub(crate) fn required(field: Field, value: &Option<String>) -> Result<&str> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(invalid(field, Problem::Missing)),
    }
}

pub(crate) fn grade(value: Option<i64>) -> Result<Grade> {
    let value = value.ok_or_else(|| invalid(Field::Grade, Problem::Missing))?;
    Grade::new(value).map_err(|_| {
        invalid(
            Field::Grade,
            Problem::OutOfRange {
                value: value.to_string(),
                allowed: "a grade is 1 to 5".into(),
            },
        )
    })
}

pub(crate) fn time(field: Field, text: &str, now: Timestamp) -> Result<Timestamp> {
    let at = parse_time(text, now).ok_or_else(|| {
        invalid(
            field,
            Problem::Unparseable {
                value: text.to_string(),
                expected: "a time such as 2026-11-24 21:30 (Swedish time) or 21:30".into(),
            },
        )
    })?;
    let latest = now.0 + chrono::Duration::minutes(FUTURE_TOLERANCE_MINUTES);
    if at.0 > latest {
        return Err(invalid(
            field,
            Problem::OutOfRange {
                value: at.local_display(),
                allowed: format!("it lies in the future (now is {})", now.local_display()),
            },
        ));
    }
    Ok(at)
}

fn span(at: Timestamp, until: Option<&str>, now: Timestamp) -> Result<Option<Timestamp>> {
    let Some(until) = until.map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let until = time(Field::ObservedUntil, until, now)?;
    if until < at {
        return Err(invalid(
            Field::ObservedUntil,
            Problem::OutOfRange {
                value: until.local_display(),
                allowed: format!(
                    "the end must not be before the start ({})",
                    at.local_display()
                ),
            },
        ));
    }
    Ok(Some(until))
}

pub(crate) fn text(field: Field, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    let length = value.chars().count();
    if length > max {
        return Err(invalid(field, Problem::TooLong { length, max }));
    }
    Ok(value.to_string())
}

fn optional_text(field: Field, value: Option<&str>, max: usize) -> Result<Option<String>> {
    value
        .map(|v| text(field, v, max))
        .transpose()
        .map(|v| v.filter(|v| !v.is_empty()))
}

fn people(value: Option<i64>) -> Result<Option<u32>> {
    value
        .map(|n| {
            u32::try_from(n)
                .ok()
                .filter(|n| i64::from(*n) <= MAX_PEOPLE)
                .ok_or_else(|| {
                    invalid(
                        Field::People,
                        Problem::OutOfRange {
                            value: n.to_string(),
                            allowed: format!("a number of people from 0 to {MAX_PEOPLE}"),
                        },
                    )
                })
        })
        .transpose()
}

fn code<T: std::str::FromStr<Err = crate::codes::UnknownCode>>(
    field: Field,
    value: Option<&str>,
) -> Result<Option<T>> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<T>().map_err(|e| {
                invalid(
                    field,
                    Problem::Unknown {
                        value: v.to_string(),
                        hint: format!("use one of: {}", e.expected),
                    },
                )
            })
        })
        .transpose()
}

fn position(value: Option<Position>) -> Result<Option<Position>> {
    match value {
        Some(p)
            if !(-90.0..=90.0).contains(&p.lat)
                || !(-180.0..=180.0).contains(&p.lon)
                || p.accuracy_m
                    .is_some_and(|a| !(0.0..=100_000.0).contains(&a)) =>
        {
            Err(invalid(
                Field::Position,
                Problem::OutOfRange {
                    value: format!("{}, {}", p.lat, p.lon),
                    allowed: "latitude −90…90, longitude −180…180, accuracy ≥ 0 m".into(),
                },
            ))
        }
        other => Ok(other),
    }
}

/// Refuses text that looks like a personnummer unless the user acknowledged it.
pub(crate) fn personnummer_check(
    acknowledged: bool,
    texts: &[(Field, Option<&str>)],
) -> Result<()> {
    if acknowledged {
        return Ok(());
    }
    match texts
        .iter()
        .find(|(_, t)| t.is_some_and(looks_like_personnummer))
    {
        Some((field, _)) => Err(Error::NeedsConfirmation(Warning::PossiblePersonnummer {
            field: *field,
        })),
        None => Ok(()),
    }
}

pub(crate) fn usable_category(
    category: &Category,
) -> std::result::Result<Category, ValidationError> {
    if category.retired {
        return Err(ValidationError::new(
            Field::Category,
            Problem::Retired {
                value: category.key.clone(),
            },
        ));
    }
    Ok(category.clone())
}

pub(crate) fn usable_place(place: &Place) -> std::result::Result<Place, ValidationError> {
    if place.retired || place.merged_into.is_some() {
        return Err(ValidationError::new(
            Field::Place,
            Problem::Retired {
                value: place.name.clone(),
            },
        ));
    }
    Ok(place.clone())
}

/// Checks a draft and builds the observation it describes. Stores nothing.
pub(crate) fn new_observation(
    draft: &ObservationDraft,
    refs: References,
    workspace: WorkspaceId,
    reporter: &Reporter,
    now: Timestamp,
) -> Result<Observation> {
    required(Field::Category, &draft.category)?;
    required(Field::Place, &draft.place)?;
    let category = refs.category?;
    let place = refs.place?;
    let grade = grade(draft.grade)?;
    let observed_at = match draft
        .observed_at
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(t) => time(Field::ObservedAt, t, now)?,
        None => now,
    };
    let observed_until = span(observed_at, draft.observed_until.as_deref(), now)?;
    let description = text(
        Field::Description,
        draft.description.as_deref().unwrap_or(""),
        MAX_DESCRIPTION,
    )?;
    let place_detail = optional_text(
        Field::PlaceDetail,
        draft.place_detail.as_deref(),
        MAX_PLACE_DETAIL,
    )?;
    personnummer_check(
        draft.acknowledge_personnummer,
        &[
            (Field::Description, Some(&description)),
            (Field::PlaceDetail, place_detail.as_deref()),
        ],
    )?;
    Ok(Observation {
        kind: DocKind::Observation,
        id: ObservationId::new(),
        workspace,
        category: category.key,
        place: place.id,
        position: position(draft.position)?,
        place_detail,
        observed_at,
        observed_until,
        recorded_at: now,
        grade,
        people: people(draft.people)?,
        age_group: code::<AgeGroup>(Field::AgeGroup, draft.age_group.as_deref())?,
        source: code::<Source>(Field::Source, draft.source.as_deref())?,
        description: Text::with_value(description),
        reporter: reporter.clone(),
        visibility: code::<Visibility>(Field::Visibility, draft.visibility.as_deref())?
            .unwrap_or(Visibility::Alla),
        status: Status::Ny,
        notes: Vec::new(),
        links: BTreeMap::new(),
        review: None,
        corrections: Vec::new(),
        continues: None,
        continued_by: None,
    })
}

/// Applies a patch to a copy of `current` and checks every changed field. The category
/// and place have already been looked up (when the patch changes them).
pub(crate) fn patched_observation(
    current: &Observation,
    patch: &ObservationPatch,
    category: Option<std::result::Result<Category, ValidationError>>,
    place: Option<std::result::Result<PlaceId, ValidationError>>,
    now: Timestamp,
) -> Result<Observation> {
    let mut next = current.clone();
    if let Some(category) = category {
        next.category = category?.key;
    }
    if let Some(place) = place {
        next.place = place?;
    }
    if patch.grade.is_some() {
        next.grade = grade(patch.grade)?;
    }
    if let Some(at) = &patch.observed_at {
        next.observed_at = time(Field::ObservedAt, at, now)?;
    }
    if let Some(until) = &patch.observed_until {
        next.observed_until = span(next.observed_at, until.as_deref(), now)?;
    } else if next.observed_until.is_some_and(|u| u < next.observed_at) {
        next.observed_until = None;
    }
    if let Some(p) = patch.people {
        next.people = people(p)?;
    }
    if let Some(a) = &patch.age_group {
        next.age_group = code(Field::AgeGroup, a.as_deref())?;
    }
    if let Some(s) = &patch.source {
        next.source = code(Field::Source, s.as_deref())?;
    }
    if let Some(d) = &patch.description {
        next.description
            .update(text(Field::Description, d, MAX_DESCRIPTION)?);
    }
    if let Some(d) = &patch.place_detail {
        next.place_detail = optional_text(Field::PlaceDetail, d.as_deref(), MAX_PLACE_DETAIL)?;
    }
    if let Some(p) = patch.position {
        next.position = position(p)?;
    }
    if let Some(v) = &patch.visibility {
        next.visibility = code(Field::Visibility, Some(v))?.unwrap_or(next.visibility);
    }
    if let Some(s) = &patch.status {
        next.status = code::<Status>(Field::Status, Some(s))?.unwrap_or(next.status);
    }
    let new_description = patch.description.as_ref().map(|_| next.description());
    let new_detail = patch
        .place_detail
        .as_ref()
        .and(next.place_detail.as_deref());
    personnummer_check(
        patch.acknowledge_personnummer,
        &[
            (Field::Description, new_description),
            (Field::PlaceDetail, new_detail),
        ],
    )?;
    Ok(next)
}

/// Checks a whole observation as the server receives it from a device: its category and
/// place are in the register, and every field is within its limits.
///
/// A retired category or a merged place is accepted: a device that recorded offline
/// before it learned of the change must not have its report refused for ever (a merged
/// place's reports count for the place it merged into). Devices that know keep new
/// reports off them when recording and editing (`usable_place`, `usable_category`), and
/// the coordinator can correct what arrives.
pub fn check_observation(
    o: &Observation,
    category: Option<&Category>,
    place: Option<&Place>,
) -> std::result::Result<(), ValidationError> {
    if category.is_none() {
        return Err(ValidationError::new(
            Field::Category,
            Problem::Unknown {
                value: o.category.clone(),
                hint: "not in the catalogue".into(),
            },
        ));
    }
    if place.is_none_or(|p| p.workspace != o.workspace) {
        return Err(ValidationError::new(
            Field::Place,
            Problem::Unknown {
                value: o.place.to_string(),
                hint: "not in the place register".into(),
            },
        ));
    }
    let too_long = |field, text: &str, max| {
        let length = text.chars().count();
        (length > max).then(|| ValidationError::new(field, Problem::TooLong { length, max }))
    };
    let checks = [
        too_long(Field::Description, o.description(), MAX_DESCRIPTION),
        o.place_detail
            .as_deref()
            .and_then(|d| too_long(Field::PlaceDetail, d, MAX_PLACE_DETAIL)),
        o.notes
            .iter()
            .find_map(|n| too_long(Field::Note, &n.text, MAX_NOTE)),
    ];
    if let Some(error) = checks.into_iter().flatten().next() {
        return Err(error);
    }
    if o.notes.iter().any(|n| n.text.trim().is_empty()) {
        return Err(ValidationError::new(Field::Note, Problem::Missing));
    }
    if let Some(n) = o.people.filter(|n| i64::from(*n) > MAX_PEOPLE) {
        return Err(ValidationError::new(
            Field::People,
            Problem::OutOfRange {
                value: n.to_string(),
                allowed: format!("at most {MAX_PEOPLE}"),
            },
        ));
    }
    if o.observed_until.is_some_and(|u| u < o.observed_at) {
        return Err(ValidationError::new(
            Field::ObservedUntil,
            Problem::OutOfRange {
                value: String::new(),
                allowed: "the end must not be before the start".into(),
            },
        ));
    }
    position(o.position).map_err(|e| match e {
        Error::Invalid(v) => v,
        other => ValidationError::new(
            Field::Position,
            Problem::Unparseable {
                value: other.to_string(),
                expected: "a position".into(),
            },
        ),
    })?;
    records::observation_limits(o)
}
