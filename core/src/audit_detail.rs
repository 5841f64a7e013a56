//! What an entry of the server's audit log says, in the reader's language.
//!
//! The server stores an entry's `detail` as facts, not prose: a small JSON object whose
//! shape the entry's action decides (the structs below, which the server writes), or for
//! a register change the JSON of the `RegisterChange` itself (its `op` tag says which).
//! [`render`] turns an entry into a sentence in Swedish or English, with codes shown by
//! their labels and places and categories by their names in the register the reader
//! holds ([`Names`]). The facts stay what the log keeps, exact and in no language; the
//! sentence is made each time it is read.
//!
//! A row that is not such facts — written as English text by an older server, or of a
//! shape or `op` this version does not know — is shown as it is stored: rendering never
//! fails and never hides what the log says.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::codes::{AuditAction, Lang, OrganisationKind, Role, Status};
use crate::model::{Category, Place};
use crate::time::Timestamp;

/// Facts the server stores as an audit entry's detail.
pub trait Facts: Serialize {
    /// The facts as stored: compact JSON.
    fn detail(&self) -> String {
        // Plain structs of strings and numbers: serialising them cannot fail.
        serde_json::to_string(self).unwrap_or_else(|e| e.to_string())
    }
}

/// `workspace.create`: the workspace's name; for the demo, what it was filled with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceCreated {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demo: Option<DemoContents>,
}

/// What the demo workspace was installed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoContents {
    pub organisations: u64,
    pub places: u64,
    pub people: u64,
    pub reports: u64,
}

/// `organisation.add`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationAdded {
    pub name: String,
    pub kind: OrganisationKind,
}

/// `organisation.rename`: the name before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationRenamed {
    pub from: String,
    pub to: String,
}

/// `organisation.kind`: the organisation, its kind before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationKindChanged {
    pub name: String,
    pub from: OrganisationKind,
    pub to: OrganisationKind,
}

/// `person.add`, `person.change` and `person.membership`: who, in which organisation
/// (when known), in which role; for a membership written in the workspace the person
/// already belonged to, the workspace they joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

/// `person.deactivate`, `person.reactivate`, `enrolment.withdraw`: whom it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
}

/// `device.revoke` and `enrolment`: the device's name and, when known, whose it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub device: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
}

/// `enrolment.code`: for whom (when known), valid for how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeIssued {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    pub minutes: i64,
}

/// Why an enrolment code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusedCode {
    /// No such code.
    Unknown,
    /// Used before.
    Used,
    /// Too late.
    Expired,
    /// Issued before codes named their workspace.
    Unscoped,
}

/// `enrolment.failed`: why, and what the device called itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentRefused {
    pub reason: RefusedCode,
    pub device: String,
}

/// `enrolment.failures`: the failed enrolments of one minute, by reason, and from how
/// many addresses (`at_least`: that many were counted, and there were more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentFailures {
    pub minute: Timestamp,
    pub unknown: i64,
    pub used: i64,
    pub expired: i64,
    pub addresses: i64,
    #[serde(default)]
    pub at_least: bool,
}

impl EnrolmentFailures {
    pub fn failed(&self) -> i64 {
        self.unknown + self.used + self.expired
    }
}

/// `report.review` and `observation.erase` say all in their action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nothing {}

/// `report.correct`: a field of a report the coordinator corrected, as the report's
/// correction keeps it (a category's key, a place's id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Corrected {
    pub field: String,
    pub from: String,
    pub to: String,
}

/// `report.link`: the report it was linked to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Linked {
    pub to: String,
}

/// `report.status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChanged {
    pub from: Status,
    pub to: Status,
}

/// `report.publish`: the period (`until` not included), when and by whom, how many of
/// its counts it shows, how many new parts of the ledger it added, and the file's hash.
/// Never a count itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub title: String,
    pub from: String,
    pub until: String,
    pub at: Timestamp,
    pub by: String,
    pub shown: u32,
    pub counts: u32,
    pub parts: u64,
    pub sha256: String,
}

impl Facts for WorkspaceCreated {}
impl Facts for OrganisationAdded {}
impl Facts for OrganisationRenamed {}
impl Facts for OrganisationKindChanged {}
impl Facts for Membership {}
impl Facts for Person {}
impl Facts for Device {}
impl Facts for CodeIssued {}
impl Facts for EnrolmentRefused {}
impl Facts for EnrolmentFailures {}
impl Facts for Nothing {}
impl Facts for Corrected {}
impl Facts for Linked {}
impl Facts for StatusChanged {}
impl Facts for Published {}

/// The register's names for what details refer to by id or key: places (and areas) by
/// id, categories by key. What it does not hold is shown by its id.
#[derive(Debug, Default)]
pub struct Names<'a> {
    places: HashMap<String, &'a str>,
    categories: HashMap<&'a str, &'a Category>,
}

impl<'a> Names<'a> {
    pub fn new(places: &'a [Place], categories: &'a [Category]) -> Names<'a> {
        Names {
            places: places
                .iter()
                .map(|p| (p.id.to_string(), p.name.as_str()))
                .collect(),
            categories: categories.iter().map(|c| (c.key.as_str(), c)).collect(),
        }
    }

    /// No register: ids are shown as they are.
    pub fn none() -> Names<'static> {
        Names::default()
    }

    fn place(&self, id: &str) -> String {
        self.places
            .get(id)
            .map_or_else(|| id.to_string(), |n| n.to_string())
    }

    fn category(&self, key: &str, lang: Lang) -> String {
        self.categories
            .get(key)
            .map_or_else(|| key.to_string(), |c| c.name(lang).to_string())
    }
}

/// The entry's detail as a sentence in `lang`. `action` is the entry's action code (a
/// string, as the log keeps it); `detail` what the server stored. A detail it cannot
/// read as facts is returned as it is.
pub fn render(action: &str, detail: &str, lang: Lang, names: &Names<'_>) -> String {
    sentence(action, detail, lang, names).unwrap_or_else(|| detail.to_string())
}

fn sentence(action: &str, detail: &str, lang: Lang, names: &Names<'_>) -> Option<String> {
    let sv = lang == Lang::Sv;
    let Some(action) = AuditAction::from_code(action) else {
        // An action this version does not name: a register change still reads by its op.
        return register_change(detail, lang, names);
    };
    use AuditAction as A;
    Some(match action {
        A::WorkspaceCreate => {
            let f: WorkspaceCreated = facts(detail)?;
            match (f.demo, sv) {
                (None, true) => format!("Arbetsytan {} skapades", f.name),
                (None, false) => format!("Workspace {} was created", f.name),
                (Some(d), _) => {
                    let parts = [
                        counted(
                            d.organisations,
                            lang,
                            ("organisation", "organisationer"),
                            ("organisation", "organisations"),
                        ),
                        counted(d.places, lang, ("plats", "platser"), ("place", "places")),
                        counted(d.people, lang, ("person", "personer"), ("person", "people")),
                        counted(
                            d.reports,
                            lang,
                            ("rapport", "rapporter"),
                            ("report", "reports"),
                        ),
                    ];
                    if sv {
                        format!(
                            "Arbetsytan {} skapades med demodata: {}",
                            f.name,
                            listed(&parts, lang)
                        )
                    } else {
                        format!(
                            "Workspace {} was created with demo data: {}",
                            f.name,
                            listed(&parts, lang)
                        )
                    }
                }
            }
        }
        A::OrganisationAdd => {
            let f: OrganisationAdded = facts(detail)?;
            let kind = lower_first(f.kind.label(lang));
            if sv {
                format!("Ny organisation: {} ({kind})", f.name)
            } else {
                format!("New organisation: {} ({kind})", f.name)
            }
        }
        A::OrganisationRename => {
            let f: OrganisationRenamed = facts(detail)?;
            if sv {
                format!("{} heter nu {}", f.from, f.to)
            } else {
                format!("{} is now named {}", f.from, f.to)
            }
        }
        A::OrganisationKindChange => {
            let f: OrganisationKindChanged = facts(detail)?;
            let (from, to) = (
                lower_first(f.from.label(lang)),
                lower_first(f.to.label(lang)),
            );
            if sv {
                format!("{} är nu av typen {to} (var {from})", f.name)
            } else {
                format!("{} is now of the kind {to} (was {from})", f.name)
            }
        }
        A::PersonAdd | A::PersonChange | A::PersonMembership => {
            let f: Membership = facts(detail)?;
            let role = lower_first(f.role.label(lang));
            let place = match (&f.organisation, sv) {
                (Some(org), true) => format!("{role} hos {org}"),
                (Some(org), false) => format!("{role} at {org}"),
                (None, _) => role,
            };
            match (action, &f.workspace, sv) {
                (A::PersonAdd, _, true) => format!("Ny person: {}, {place}", f.name),
                (A::PersonAdd, _, false) => format!("New person: {}, {place}", f.name),
                (A::PersonChange, _, true) => format!("{}: nu {place}", f.name),
                (A::PersonChange, _, false) => format!("{}: now {place}", f.name),
                (_, Some(ws), true) => {
                    format!("{} är nu också medlem i arbetsytan {ws}: {place}", f.name)
                }
                (_, Some(ws), false) => {
                    format!(
                        "{} is now also a member of the workspace {ws}: {place}",
                        f.name
                    )
                }
                (_, None, true) => format!("Ny medlem: {}, {place}", f.name),
                (_, None, false) => format!("New member: {}, {place}", f.name),
            }
        }
        A::PersonDeactivate => {
            let f: Person = facts(detail)?;
            if sv {
                format!("{} avaktiverades", f.name)
            } else {
                format!("{} was deactivated", f.name)
            }
        }
        A::PersonReactivate => {
            let f: Person = facts(detail)?;
            if sv {
                format!("{} återaktiverades", f.name)
            } else {
                format!("{} was reactivated", f.name)
            }
        }
        A::DeviceRevoke => {
            if detail == OLD_REVOKED_AT_THE_COMMAND_LINE {
                return Some(if sv {
                    "Avstängd från serverns kommandorad".into()
                } else {
                    "Switched off at the server's command line".into()
                });
            }
            let f: Device = facts(detail)?;
            let whose = f.person.map(|p| format!(" ({p})")).unwrap_or_default();
            if sv {
                format!("Enheten {}{whose} stängdes av", quoted(&f.device, lang))
            } else {
                format!(
                    "The device {}{whose} was switched off",
                    quoted(&f.device, lang)
                )
            }
        }
        A::Enrolment => {
            let f: Device = facts(detail)?;
            if sv {
                format!("Enheten {} anslöts", quoted(&f.device, lang))
            } else {
                format!("The device {} was enrolled", quoted(&f.device, lang))
            }
        }
        A::EnrolmentCode => {
            let f: CodeIssued = facts(detail)?;
            let valid = duration(f.minutes, lang);
            match (f.person, sv) {
                (Some(p), true) => format!("Engångskod för {p}, giltig i {valid}"),
                (Some(p), false) => format!("A one-time code for {p}, valid for {valid}"),
                (None, true) => format!("Engångskod, giltig i {valid}"),
                (None, false) => format!("A one-time code, valid for {valid}"),
            }
        }
        A::EnrolmentWithdraw => {
            let f: Person = facts(detail)?;
            if sv {
                format!("Koden för {} återkallades innan den användes", f.name)
            } else {
                format!("The code for {} was withdrawn before it was used", f.name)
            }
        }
        A::EnrolmentFailed => {
            let f: EnrolmentRefused = facts(detail)?;
            let why = refused_code(f.reason, 1, lang);
            let device = quoted(&f.device, lang);
            if sv {
                format!("{} (enheten kallade sig {device})", upper_first(&why))
            } else {
                format!("{} (the device called itself {device})", upper_first(&why))
            }
        }
        A::EnrolmentFailures => {
            let f: EnrolmentFailures = facts(detail)?;
            let failed = f.failed();
            let minute = f.minute.local_display();
            let reasons: Vec<String> = [
                (RefusedCode::Unknown, f.unknown),
                (RefusedCode::Used, f.used),
                (RefusedCode::Expired, f.expired),
            ]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(why, n)| {
                let with = if sv { "med" } else { "with" };
                format!("{n} {with} {}", refused_code(why, n, lang))
            })
            .collect();
            let reasons = reasons.join(", ");
            let addresses = counted(
                f.addresses.unsigned_abs(),
                lang,
                ("adress", "adresser"),
                ("address", "addresses"),
            );
            match (f.at_least, sv) {
                (false, true) => format!(
                    "{failed} misslyckade anslutningar under minuten från {minute} ({reasons}), från {addresses}"
                ),
                (true, true) => format!(
                    "{failed} misslyckade anslutningar under minuten från {minute} ({reasons}), från minst {addresses}"
                ),
                (false, false) => format!(
                    "{failed} failed enrolments in the minute from {minute} ({reasons}), from {addresses}"
                ),
                (true, false) => format!(
                    "{failed} failed enrolments in the minute from {minute} ({reasons}), from at least {addresses}"
                ),
            }
        }
        A::ObservationErase => {
            if detail != OLD_ERASED {
                let _: Nothing = facts(detail)?;
            }
            if sv {
                "Rapporten raderades överallt; dess innehåll finns inte kvar".into()
            } else {
                "The report was erased everywhere; its content is gone".into()
            }
        }
        A::ReportReview => {
            if detail != OLD_REVIEWED {
                let _: Nothing = facts(detail)?;
            }
            if sv {
                "Markerad som granskad".into()
            } else {
                "Marked as reviewed".into()
            }
        }
        A::ReportCorrect => {
            let f: Corrected = facts(detail)?;
            let (what, from, to) = match f.field.as_str() {
                "category" => (
                    if sv { "Kategorin" } else { "The category" },
                    names.category(&f.from, lang),
                    names.category(&f.to, lang),
                ),
                "place" => (
                    if sv { "Platsen" } else { "The place" },
                    names.place(&f.from),
                    names.place(&f.to),
                ),
                other => (other, f.from.clone(), f.to.clone()),
            };
            if sv {
                format!("{what} rättades från {from} till {to}")
            } else {
                format!("{what} was corrected from {from} to {to}")
            }
        }
        A::ReportLink => {
            let f: Linked = facts(detail)?;
            if sv {
                format!("Kopplad till rapport {}", f.to)
            } else {
                format!("Linked to report {}", f.to)
            }
        }
        A::ReportStatus => {
            let f: StatusChanged = facts(detail)?;
            let (from, to) = (
                lower_first(f.from.label(lang)),
                lower_first(f.to.label(lang)),
            );
            if sv {
                format!("Status ändrad från {from} till {to}")
            } else {
                format!("Status changed from {from} to {to}")
            }
        }
        A::ReportPublish => {
            let f: Published = facts(detail)?;
            let period = format!("{} – {}", f.from, last_day(&f.until));
            let at = f.at.local_display();
            let parts = counted(f.parts, lang, ("del", "delar"), ("part", "parts"));
            if sv {
                format!(
                    "{} ({period}), publicerad {at} av {}; visar {} av {} antal, byggd av {parts}; sha256 {}",
                    f.title, f.by, f.shown, f.counts, f.sha256
                )
            } else {
                format!(
                    "{} ({period}), published {at} by {}; {} of {} counts shown, built from {parts}; sha256 {}",
                    f.title, f.by, f.shown, f.counts, f.sha256
                )
            }
        }
        // Register changes, and any action added later that stores one, read by the op.
        _ => return register_change(detail, lang, names),
    })
}

/// What older servers wrote for these acts, word for word: shown in the reader's
/// language too, as they say nothing more than the action.
const OLD_ERASED: &str = "the report was erased everywhere; its content is gone";
const OLD_REVIEWED: &str = "marked reviewed";
const OLD_REVOKED_AT_THE_COMMAND_LINE: &str = "revoked at the server's command line";

fn facts<T: DeserializeOwned>(detail: &str) -> Option<T> {
    serde_json::from_str(detail).ok()
}

/// A register change as its JSON is stored (`RegisterChange`, tagged by `op`). Read here
/// from its own mirror, every field optional where a later version might leave it out, so
/// that a row of an op this version does not have still shows (as it is stored).
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Change {
    AddPlace {
        name: String,
        #[serde(default)]
        is_area: bool,
        #[serde(default)]
        area: Option<String>,
    },
    RenamePlace {
        place: String,
        name: String,
    },
    MovePlace {
        place: String,
        lat: f64,
        lon: f64,
    },
    MergePlace {
        place: String,
        into: String,
    },
    AddCategory {
        name_sv: String,
        name_en: String,
        #[serde(default)]
        parent: Option<String>,
    },
    RetireCategory {
        key: String,
    },
    SetOutline {
        place: String,
        #[serde(default)]
        outline: Option<Vec<serde_json::Value>>,
    },
    SetTiles {
        #[serde(default)]
        template: Option<String>,
    },
}

fn register_change(detail: &str, lang: Lang, names: &Names<'_>) -> Option<String> {
    let sv = lang == Lang::Sv;
    let change: Change = facts(detail)?;
    Some(match change {
        Change::AddPlace {
            name,
            is_area,
            area,
        } => {
            let within = area.map(|a| names.place(&a));
            match (is_area, within, sv) {
                (true, _, true) => format!("Nytt område: {name}"),
                (true, _, false) => format!("New area: {name}"),
                (false, Some(a), true) => format!("Ny plats: {name} (i {a})"),
                (false, Some(a), false) => format!("New place: {name} (in {a})"),
                (false, None, true) => format!("Ny plats: {name}"),
                (false, None, false) => format!("New place: {name}"),
            }
        }
        Change::RenamePlace { place, name } => {
            // The register holds the place's name now: said too when it was renamed again.
            let now = names.place(&place);
            let later = (now != name && now != place).then_some(now);
            match (later, sv) {
                (None, true) => format!("Bytte namn på en plats till {name}"),
                (None, false) => format!("Renamed a place to {name}"),
                (Some(now), true) => format!("Bytte namn på en plats till {name} (heter nu {now})"),
                (Some(now), false) => format!("Renamed a place to {name} (now named {now})"),
            }
        }
        Change::MovePlace { place, lat, lon } => {
            let place = names.place(&place);
            if sv {
                format!("Flyttade {place} till {lat:.5}, {lon:.5}")
            } else {
                format!("Moved {place} to {lat:.5}, {lon:.5}")
            }
        }
        Change::MergePlace { place, into } => {
            let (place, into) = (names.place(&place), names.place(&into));
            if sv {
                format!("Slog ihop {place} med {into}: dess rapporter räknas för {into}")
            } else {
                format!("Merged {place} into {into}: its reports count for {into}")
            }
        }
        Change::AddCategory {
            name_sv,
            name_en,
            parent,
        } => {
            let name = if sv { name_sv } else { name_en };
            match (parent.map(|p| names.category(&p, lang)), sv) {
                (Some(p), true) => format!("Ny underkategori till {p}: {name}"),
                (Some(p), false) => format!("New subcategory of {p}: {name}"),
                (None, true) => format!("Ny kategori: {name}"),
                (None, false) => format!("New category: {name}"),
            }
        }
        Change::RetireCategory { key } => {
            let name = names.category(&key, lang);
            if sv {
                format!("Avvecklade kategorin {name}")
            } else {
                format!("Retired the category {name}")
            }
        }
        Change::SetOutline { place, outline } => {
            let area = names.place(&place);
            match (outline, sv) {
                (Some(corners), _) => {
                    let n = counted(
                        corners.len() as u64,
                        lang,
                        ("hörn", "hörn"),
                        ("corner", "corners"),
                    );
                    if sv {
                        format!("Ritade om området {area} ({n})")
                    } else {
                        format!("Redrew the area {area} ({n})")
                    }
                }
                (None, true) => {
                    format!("Tog bort den ritade gränsen för området {area}")
                }
                (None, false) => format!("Removed the drawn outline of the area {area}"),
            }
        }
        Change::SetTiles { template } => match (template, sv) {
            (Some(t), true) => format!("Kartans adress: {t}"),
            (Some(t), false) => format!("Map address: {t}"),
            (None, true) => "Kartans adress togs bort".into(),
            (None, false) => "Map address removed".into(),
        },
    })
}

/// A code refused, as said after a count of `n` of them ("2 with a code used before").
fn refused_code(why: RefusedCode, n: i64, lang: Lang) -> String {
    let one = n == 1;
    match (why, lang) {
        (RefusedCode::Unknown, Lang::Sv) => if one { "okänd kod" } else { "okända koder" }.into(),
        (RefusedCode::Unknown, Lang::En) => if one {
            "an unknown code"
        } else {
            "unknown codes"
        }
        .into(),
        (RefusedCode::Used, Lang::Sv) => if one {
            "en kod som redan använts"
        } else {
            "koder som redan använts"
        }
        .into(),
        (RefusedCode::Used, Lang::En) => if one {
            "a code used before"
        } else {
            "codes used before"
        }
        .into(),
        (RefusedCode::Expired, Lang::Sv) => if one {
            "en kod som gått ut"
        } else {
            "koder som gått ut"
        }
        .into(),
        (RefusedCode::Expired, Lang::En) => if one {
            "an expired code"
        } else {
            "expired codes"
        }
        .into(),
        (RefusedCode::Unscoped, Lang::Sv) => "en kod från innan koder angav sin arbetsyta".into(),
        (RefusedCode::Unscoped, Lang::En) => {
            "a code from before codes named their workspace".into()
        }
    }
}

/// `n` with its noun, singular or plural: "1 plats", "3 platser".
fn counted(n: u64, lang: Lang, sv: (&str, &str), en: (&str, &str)) -> String {
    let (one, many) = if lang == Lang::Sv { sv } else { en };
    let noun = if n == 1 { one } else { many };
    format!("{n} {noun}")
}

/// "a, b, c och d" / "a, b, c and d".
fn listed(items: &[String], lang: Lang) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => {
            let and = if lang == Lang::Sv { "och" } else { "and" };
            format!("{} {and} {last}", init.join(", "))
        }
    }
}

/// A length of time in the largest whole unit: "15 minuter", "1 timme", "7 dygn".
fn duration(minutes: i64, lang: Lang) -> String {
    let m = minutes.unsigned_abs();
    if m > 0 && m.is_multiple_of(24 * 60) {
        counted(m / (24 * 60), lang, ("dygn", "dygn"), ("day", "days"))
    } else if m > 0 && m.is_multiple_of(60) {
        counted(m / 60, lang, ("timme", "timmar"), ("hour", "hours"))
    } else {
        counted(m, lang, ("minut", "minuter"), ("minute", "minutes"))
    }
}

/// The last day of a period given up to (not including) `until`; as it is when it is
/// not a day.
fn last_day(until: &str) -> String {
    crate::time::parse_day(until)
        .ok()
        .and_then(|d| d.pred_opt())
        .map_or_else(|| until.to_string(), |d| d.to_string())
}

/// A name someone typed, in the language's quotation marks.
fn quoted(text: &str, lang: Lang) -> String {
    match lang {
        Lang::Sv => format!("”{text}”"),
        Lang::En => format!("“{text}”"),
    }
}

/// A label inside a sentence: "Väktare" → "väktare".
fn lower_first(label: &str) -> String {
    let mut chars = label.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
