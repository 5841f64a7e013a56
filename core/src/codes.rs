//! Closed sets of values with stable string codes. The code is what is stored (in
//! documents, SQLite and JSON); labels are for people, in Swedish and English.

use std::fmt;
use std::str::FromStr;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use serde::{Deserialize, Serialize};

/// The languages of the user interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Sv,
    En,
}

/// A code that is not one of a set's codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{code}'; expected one of: {expected}")]
pub struct UnknownCode {
    pub kind: &'static str,
    pub code: String,
    pub expected: String,
}

/// The labels of one closed set, for a user interface that shows them: generated into
/// the app's TypeScript so that the UI has no copy of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelTable {
    /// The type's name, as in Rust and in the TypeScript bindings.
    pub name: &'static str,
    /// `(code, Swedish, English)`, in the order the set declares them.
    pub labels: Vec<(&'static str, &'static str, &'static str)>,
}

macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident as $kind:literal {
            $( $variant:ident = $code:literal, $sv:literal, $en:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum $name {
            $( #[serde(rename = $code)] $variant, )+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code stored in documents, SQLite and JSON.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            pub fn label(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $(($name::$variant, Lang::Sv) => $sv, ($name::$variant, Lang::En) => $en,)+
                }
            }

            /// Every code with its labels, for the UI.
            pub fn label_table() -> LabelTable {
                LabelTable {
                    name: stringify!($name),
                    labels: vec![$(($code, $sv, $en)),+],
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        /// Accepts the code, or either label, case-insensitively.
        impl FromStr for $name {
            type Err = UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let wanted = s.trim().to_lowercase();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| {
                        v.code() == wanted
                            || v.label(Lang::Sv).to_lowercase() == wanted
                            || v.label(Lang::En).to_lowercase() == wanted
                    })
                    .ok_or_else(|| UnknownCode {
                        kind: $kind,
                        code: s.to_string(),
                        expected: $name::ALL.iter().map(|v| v.code()).collect::<Vec<_>>().join(", "),
                    })
            }
        }

        impl Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
                reconciler.str(self.code())
            }
        }

        impl Hydrate for $name {
            fn hydrate_string(s: &'_ str) -> Result<Self, HydrateError> {
                $name::from_code(s).ok_or_else(|| {
                    HydrateError::unexpected(concat!("a ", $kind, " code"), s.to_string())
                })
            }
        }

        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::from(self.code()))
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                let text = value.as_str()?;
                $name::from_code(text).ok_or_else(|| {
                    rusqlite::types::FromSqlError::Other(format!(
                        concat!("unknown ", $kind, " code '{}' in the store"), text
                    ).into())
                })
            }
        }
    };
}

code_enum! {
    /// What a person does; decides what they may change.
    pub enum Role as "role" {
        Fritidsfaltare = "fritidsfaltare", "Fritidsfältare", "Youth field worker";
        Socialfaltare = "socialfaltare", "Socialfältare", "Social services field worker";
        Vaktare = "vaktare", "Väktare", "Security guard";
        Ordningsvakt = "ordningsvakt", "Ordningsvakt", "Public order guard";
        Polis = "polis", "Polis", "Police";
        Nattvandrare = "nattvandrare", "Nattvandrare", "Night walker";
        Raddningstjanst = "raddningstjanst", "Räddningstjänst", "Rescue service";
        Kommunpersonal = "kommunpersonal", "Kommunal personal", "Municipal staff";
        Samordnare = "samordnare", "Säkerhetssamordnare", "Security coordinator";
    }
}

impl Role {
    /// The coordinator may change everything in the workspace.
    pub fn is_coordinator(self) -> bool {
        self == Role::Samordnare
    }

    /// The deployment group (utsättningsgrupp) keeps meetings and decisions: everyone
    /// but the volunteers.
    pub fn in_meeting_group(self) -> bool {
        self != Role::Nattvandrare
    }
}

code_enum! {
    /// What kind of partner an organisation is; visibility rules are written in kinds.
    pub enum OrganisationKind as "organisation kind" {
        Kommun = "kommun", "Kommun", "Municipality";
        Polis = "polis", "Polis", "Police";
        Vaktbolag = "vaktbolag", "Vaktbolag", "Security company";
        Fastighetsagare = "fastighetsagare", "Fastighetsägare", "Property owner";
        Raddningstjanst = "raddningstjanst", "Räddningstjänst", "Rescue service";
        Ideell = "ideell", "Ideell organisation", "Voluntary organisation";
    }
}

code_enum! {
    /// Which organisations may read an observation's details. Counts and grades per
    /// place may be shown to all partners whatever this says.
    pub enum Visibility as "visibility" {
        Alla = "alla", "Alla i samverkan", "Everyone in the collaboration";
        KommunPolis = "kommun-polis", "Kommun och polis", "Municipality and police";
        EgenOrganisation = "egen-organisation", "Egen organisation", "Own organisation only";
    }
}

impl Visibility {
    /// Whether this reaches readers `other` does not: each level's readers include the
    /// narrower level's.
    pub fn wider_than(self, other: Visibility) -> bool {
        fn readers(v: Visibility) -> u8 {
            match v {
                Visibility::EgenOrganisation => 0,
                Visibility::KommunPolis => 1,
                Visibility::Alla => 2,
            }
        }
        readers(self) > readers(other)
    }

    /// Whether a reader in `reader` may read details written by `author`.
    pub fn allows(
        self,
        author: crate::OrganisationId,
        reader: crate::OrganisationId,
        reader_kind: OrganisationKind,
    ) -> bool {
        author == reader
            || match self {
                Visibility::Alla => true,
                Visibility::KommunPolis => {
                    matches!(
                        reader_kind,
                        OrganisationKind::Kommun | OrganisationKind::Polis
                    )
                }
                Visibility::EgenOrganisation => false,
            }
    }
}

code_enum! {
    /// Where an observation is in its handling.
    pub enum Status as "status" {
        Ny = "ny", "Ny", "New";
        Bedomd = "bedomd", "Bedömd", "Assessed";
        AtgardBeslutad = "atgard-beslutad", "Åtgärd beslutad", "Action decided";
        Avslutad = "avslutad", "Avslutad", "Closed";
    }
}

code_enum! {
    pub enum AgeGroup as "age group" {
        Barn = "barn", "Barn", "Children";
        Unga = "unga", "Unga", "Young people";
        Vuxna = "vuxna", "Vuxna", "Adults";
        Blandat = "blandat", "Blandat", "Mixed";
    }
}

code_enum! {
    /// How the reporter knows what they report.
    pub enum Source as "source" {
        SjalvSett = "sjalv-sett", "Själv sett", "Seen myself";
        UppgiftFranAnnan = "uppgift-fran-annan", "Uppgift från annan", "Told by someone";
        Rykte = "rykte", "Rykte, sociala medier", "Rumour, social media";
    }
}

code_enum! {
    pub enum PlaceKind as "place kind" {
        Plats = "plats", "Plats", "Place";
        Omrade = "omrade", "Område", "Area";
    }
}

code_enum! {
    /// Who a deployment sends.
    pub enum Deployee as "deployee" {
        Faltare = "faltare", "Fältare", "Field workers";
        Vaktare = "vaktare", "Väktare", "Security guards";
        Polis = "polis", "Polis", "Police";
        Nattvandrare = "nattvandrare", "Nattvandrare", "Night walkers";
        Ovrigt = "ovrigt", "Övrigt", "Other";
    }
}

code_enum! {
    pub enum DecisionStatus as "decision status" {
        Planerad = "planerad", "Planerad", "Planned";
        Genomford = "genomford", "Genomförd", "Carried out";
        InteGenomford = "inte-genomford", "Inte genomförd", "Not carried out";
        Uppfoljd = "uppfoljd", "Uppföljd", "Followed up";
    }
}

code_enum! {
    /// What a document holds; stored in every document's root.
    pub enum DocKind as "document kind" {
        Observation = "observation", "Observation", "Observation";
        Decision = "decision", "Beslut", "Decision";
        Meeting = "meeting", "Möte", "Meeting";
        Assessment = "assessment", "Bedömning", "Assessment";
        Promise = "promise", "Medborgarlöfte", "Citizen promise";
        Activity = "activity", "Insats", "Activity";
        Publication = "publication", "Publicering", "Publication";
    }
}

code_enum! {
    /// What an activity's indicator measures at its places, week by week.
    pub enum IndicatorKind as "indicator" {
        Reports = "reports", "Rapporter per vecka", "Reports per week";
        SevereWeeks = "severe-weeks", "Andel veckor med läge 4 eller högre", "Share of weeks at grade 4 or higher";
        MeanGrade = "mean-grade", "Medelläge", "Mean grade";
    }
}

code_enum! {
    /// What the meeting decided when it reconsidered an activity.
    pub enum Reconsideration as "reconsideration" {
        Fortsatt = "fortsatt", "Fortsätt", "Continue";
        Andras = "andras", "Ändra", "Change";
        Avslutas = "avslutas", "Avsluta", "Stop";
    }
}

code_enum! {
    /// What an entry of the server's audit log records. The code is what the log stores
    /// and exports; the server writes only these, so every action it can write has its
    /// labels. Entries written before an action was renamed keep their old text (the
    /// wire's `AuditEntry::action` is a string) and show as it.
    pub enum AuditAction as "audit action" {
        WorkspaceCreate = "workspace.create", "Arbetsyta skapad", "Workspace created";
        OrganisationAdd = "organisation.add", "Organisation tillagd", "Organisation added";
        OrganisationRename = "organisation.rename", "Organisation bytte namn", "Organisation renamed";
        OrganisationKindChange = "organisation.kind", "Organisationens typ ändrad", "Organisation kind changed";
        PersonAdd = "person.add", "Person tillagd", "Person added";
        PersonChange = "person.change", "Roll eller organisation ändrad", "Role or organisation changed";
        PersonMembership = "person.membership", "Medlemskap i annan arbetsyta", "Membership in another workspace";
        PersonDeactivate = "person.deactivate", "Person avaktiverad", "Person deactivated";
        PersonReactivate = "person.reactivate", "Person återaktiverad", "Person reactivated";
        DeviceRevoke = "device.revoke", "Enhet avstängd", "Device switched off";
        EnrolmentCode = "enrolment.code", "Kod för ny enhet", "Enrolment code issued";
        EnrolmentWithdraw = "enrolment.withdraw", "Kod återkallad", "Enrolment code withdrawn";
        Enrolment = "enrolment", "Enhet ansluten", "Device enrolled";
        EnrolmentFailed = "enrolment.failed", "Misslyckad anslutning", "Failed enrolment";
        EnrolmentFailures = "enrolment.failures", "Misslyckade anslutningar under en minut", "Failed enrolments in a minute";
        RegisterAddPlace = "register.add_place", "Plats tillagd", "Place added";
        RegisterRenamePlace = "register.rename_place", "Plats bytte namn", "Place renamed";
        RegisterMovePlace = "register.move_place", "Plats flyttad", "Place moved";
        RegisterMergePlace = "register.merge_place", "Platser sammanslagna", "Places merged";
        RegisterAddCategory = "register.add_category", "Kategori tillagd", "Category added";
        RegisterRetireCategory = "register.retire_category", "Kategori avvecklad", "Category retired";
        RegisterSetOutline = "register.set_outline", "Områdets gräns ritad", "Area outline drawn";
        RegisterSetTiles = "register.set_tiles", "Kartans adress ändrad", "Map address changed";
        ObservationErase = "observation.erase", "Rapport raderad", "Report erased";
        ReportReview = "report.review", "Rapport granskad", "Report reviewed";
        ReportCorrect = "report.correct", "Rapport rättad", "Report corrected";
        ReportStatus = "report.status", "Rapportens status ändrad", "Report status changed";
        ReportLink = "report.link", "Rapporter kopplade", "Reports linked";
        ReportPublish = "report.publish", "Lägesrapport publicerad för politiker", "Report published for politicians";
    }
}

/// The labels of every closed set, for the UI (generated into its TypeScript).
pub fn label_tables() -> Vec<LabelTable> {
    vec![
        Role::label_table(),
        OrganisationKind::label_table(),
        Visibility::label_table(),
        Status::label_table(),
        AgeGroup::label_table(),
        Source::label_table(),
        PlaceKind::label_table(),
        Deployee::label_table(),
        DecisionStatus::label_table(),
        DocKind::label_table(),
        IndicatorKind::label_table(),
        Reconsideration::label_table(),
        AuditAction::label_table(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_labels_parse() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(*role));
            assert_eq!(role.label(Lang::Sv).parse::<Role>().ok(), Some(*role));
        }
        assert_eq!("Själv sett".parse::<Source>().ok(), Some(Source::SjalvSett));
        let err = "kapten".parse::<Role>().unwrap_err();
        assert!(
            err.to_string().contains("fritidsfaltare"),
            "the error lists the valid codes"
        );
    }

    #[test]
    fn every_set_has_its_labels_for_the_ui() {
        // Each `code_enum!` in this file is one table: a set added without one fails here.
        let declared = include_str!("codes.rs")
            .lines()
            .filter(|l| l.trim() == concat!("code_enum", "! {"))
            .count();
        let tables = label_tables();
        assert_eq!(
            tables.len(),
            declared,
            "label_tables() lists every code_enum!"
        );
        let mut names: Vec<_> = tables.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), tables.len(), "each set once");
        for table in &tables {
            for (code, sv, en) in &table.labels {
                assert!(
                    !code.is_empty() && !sv.is_empty() && !en.is_empty(),
                    "{}: {code}",
                    table.name
                );
            }
        }
    }

    #[test]
    fn audit_actions_keep_their_stored_names() {
        // The log stores and exports these strings; older rows must keep meaning the same.
        assert_eq!(AuditAction::ALL.len(), 29);
        assert_eq!(AuditAction::ObservationErase.code(), "observation.erase");
        assert_eq!(
            serde_json::to_string(&AuditAction::RegisterAddPlace).unwrap(),
            "\"register.add_place\""
        );
        assert_eq!(
            AuditAction::from_code("workspace.create"),
            Some(AuditAction::WorkspaceCreate)
        );
        assert_eq!(
            AuditAction::WorkspaceCreate.label(Lang::Sv),
            "Arbetsyta skapad"
        );
        assert_eq!(AuditAction::from_code("something.older"), None);
    }

    #[test]
    fn own_organisation_visibility_admits_only_the_author_organisation() {
        let author = crate::OrganisationId::new();
        let other = crate::OrganisationId::new();
        let v = Visibility::EgenOrganisation;
        assert!(v.allows(author, author, OrganisationKind::Vaktbolag));
        assert!(!v.allows(author, other, OrganisationKind::Polis));
        assert!(Visibility::KommunPolis.allows(author, other, OrganisationKind::Polis));
        assert!(!Visibility::KommunPolis.allows(author, other, OrganisationKind::Vaktbolag));
    }
}
