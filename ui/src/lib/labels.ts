// Generated from the Rust types (src-tauri/src/bindings.rs); do not edit.
// Regenerate: LAGESBILD_WRITE_BINDINGS=1 cargo test -p lagesbild-app bindings

import type { AgeGroup, AuditAction, DecisionStatus, Deployee, DocKind, IndicatorKind, OrganisationKind, PlaceKind, Reconsideration, Role, Source, Status, Visibility } from "./bindings";

/** A code's name for people, in Swedish and English. */
export type Label = { sv: string, en: string };

/** The labels of every `Role`. */
export const ROLE_LABELS: Record<Role, Label> = {
  "fritidsfaltare": { sv: "Fritidsfältare", en: "Youth field worker" },
  "socialfaltare": { sv: "Socialfältare", en: "Social services field worker" },
  "vaktare": { sv: "Väktare", en: "Security guard" },
  "ordningsvakt": { sv: "Ordningsvakt", en: "Public order guard" },
  "polis": { sv: "Polis", en: "Police" },
  "nattvandrare": { sv: "Nattvandrare", en: "Night walker" },
  "raddningstjanst": { sv: "Räddningstjänst", en: "Rescue service" },
  "kommunpersonal": { sv: "Kommunal personal", en: "Municipal staff" },
  "samordnare": { sv: "Säkerhetssamordnare", en: "Security coordinator" },
};

/** The labels of every `OrganisationKind`. */
export const ORGANISATION_KIND_LABELS: Record<OrganisationKind, Label> = {
  "kommun": { sv: "Kommun", en: "Municipality" },
  "polis": { sv: "Polis", en: "Police" },
  "vaktbolag": { sv: "Vaktbolag", en: "Security company" },
  "fastighetsagare": { sv: "Fastighetsägare", en: "Property owner" },
  "raddningstjanst": { sv: "Räddningstjänst", en: "Rescue service" },
  "ideell": { sv: "Ideell organisation", en: "Voluntary organisation" },
};

/** The labels of every `Visibility`. */
export const VISIBILITY_LABELS: Record<Visibility, Label> = {
  "alla": { sv: "Alla i samverkan", en: "Everyone in the collaboration" },
  "kommun-polis": { sv: "Kommun och polis", en: "Municipality and police" },
  "egen-organisation": { sv: "Egen organisation", en: "Own organisation only" },
};

/** The labels of every `Status`. */
export const STATUS_LABELS: Record<Status, Label> = {
  "ny": { sv: "Ny", en: "New" },
  "bedomd": { sv: "Bedömd", en: "Assessed" },
  "atgard-beslutad": { sv: "Åtgärd beslutad", en: "Action decided" },
  "avslutad": { sv: "Avslutad", en: "Closed" },
};

/** The labels of every `AgeGroup`. */
export const AGE_GROUP_LABELS: Record<AgeGroup, Label> = {
  "barn": { sv: "Barn", en: "Children" },
  "unga": { sv: "Unga", en: "Young people" },
  "vuxna": { sv: "Vuxna", en: "Adults" },
  "blandat": { sv: "Blandat", en: "Mixed" },
};

/** The labels of every `Source`. */
export const SOURCE_LABELS: Record<Source, Label> = {
  "sjalv-sett": { sv: "Själv sett", en: "Seen myself" },
  "uppgift-fran-annan": { sv: "Uppgift från annan", en: "Told by someone" },
  "rykte": { sv: "Rykte, sociala medier", en: "Rumour, social media" },
};

/** The labels of every `PlaceKind`. */
export const PLACE_KIND_LABELS: Record<PlaceKind, Label> = {
  "plats": { sv: "Plats", en: "Place" },
  "omrade": { sv: "Område", en: "Area" },
};

/** The labels of every `Deployee`. */
export const DEPLOYEE_LABELS: Record<Deployee, Label> = {
  "faltare": { sv: "Fältare", en: "Field workers" },
  "vaktare": { sv: "Väktare", en: "Security guards" },
  "polis": { sv: "Polis", en: "Police" },
  "nattvandrare": { sv: "Nattvandrare", en: "Night walkers" },
  "ovrigt": { sv: "Övrigt", en: "Other" },
};

/** The labels of every `DecisionStatus`. */
export const DECISION_STATUS_LABELS: Record<DecisionStatus, Label> = {
  "planerad": { sv: "Planerad", en: "Planned" },
  "genomford": { sv: "Genomförd", en: "Carried out" },
  "inte-genomford": { sv: "Inte genomförd", en: "Not carried out" },
  "uppfoljd": { sv: "Uppföljd", en: "Followed up" },
};

/** The labels of every `DocKind`. */
export const DOC_KIND_LABELS: Record<DocKind, Label> = {
  "observation": { sv: "Observation", en: "Observation" },
  "decision": { sv: "Beslut", en: "Decision" },
  "meeting": { sv: "Möte", en: "Meeting" },
  "assessment": { sv: "Bedömning", en: "Assessment" },
  "promise": { sv: "Medborgarlöfte", en: "Citizen promise" },
  "activity": { sv: "Insats", en: "Activity" },
  "publication": { sv: "Publicering", en: "Publication" },
};

/** The labels of every `IndicatorKind`. */
export const INDICATOR_KIND_LABELS: Record<IndicatorKind, Label> = {
  "reports": { sv: "Rapporter per vecka", en: "Reports per week" },
  "severe-weeks": { sv: "Andel veckor med läge 4 eller högre", en: "Share of weeks at grade 4 or higher" },
  "mean-grade": { sv: "Medelläge", en: "Mean grade" },
};

/** The labels of every `Reconsideration`. */
export const RECONSIDERATION_LABELS: Record<Reconsideration, Label> = {
  "fortsatt": { sv: "Fortsätt", en: "Continue" },
  "andras": { sv: "Ändra", en: "Change" },
  "avslutas": { sv: "Avsluta", en: "Stop" },
};

/** The labels of every `AuditAction`. */
export const AUDIT_ACTION_LABELS: Record<AuditAction, Label> = {
  "workspace.create": { sv: "Arbetsyta skapad", en: "Workspace created" },
  "organisation.add": { sv: "Organisation tillagd", en: "Organisation added" },
  "organisation.rename": { sv: "Organisation bytte namn", en: "Organisation renamed" },
  "organisation.kind": { sv: "Organisationens typ ändrad", en: "Organisation kind changed" },
  "person.add": { sv: "Person tillagd", en: "Person added" },
  "person.change": { sv: "Roll eller organisation ändrad", en: "Role or organisation changed" },
  "person.membership": { sv: "Medlemskap i annan arbetsyta", en: "Membership in another workspace" },
  "person.deactivate": { sv: "Person avaktiverad", en: "Person deactivated" },
  "person.reactivate": { sv: "Person återaktiverad", en: "Person reactivated" },
  "device.revoke": { sv: "Enhet avstängd", en: "Device switched off" },
  "enrolment.code": { sv: "Kod för ny enhet", en: "Enrolment code issued" },
  "enrolment.withdraw": { sv: "Kod återkallad", en: "Enrolment code withdrawn" },
  "enrolment": { sv: "Enhet ansluten", en: "Device enrolled" },
  "enrolment.failed": { sv: "Misslyckad anslutning", en: "Failed enrolment" },
  "enrolment.failures": { sv: "Misslyckade anslutningar under en minut", en: "Failed enrolments in a minute" },
  "register.add_place": { sv: "Plats tillagd", en: "Place added" },
  "register.rename_place": { sv: "Plats bytte namn", en: "Place renamed" },
  "register.move_place": { sv: "Plats flyttad", en: "Place moved" },
  "register.merge_place": { sv: "Platser sammanslagna", en: "Places merged" },
  "register.add_category": { sv: "Kategori tillagd", en: "Category added" },
  "register.retire_category": { sv: "Kategori avvecklad", en: "Category retired" },
  "register.set_outline": { sv: "Områdets gräns ritad", en: "Area outline drawn" },
  "register.set_tiles": { sv: "Kartans adress ändrad", en: "Map address changed" },
  "observation.erase": { sv: "Rapport raderad", en: "Report erased" },
  "report.review": { sv: "Rapport granskad", en: "Report reviewed" },
  "report.correct": { sv: "Rapport rättad", en: "Report corrected" },
  "report.status": { sv: "Rapportens status ändrad", en: "Report status changed" },
  "report.link": { sv: "Rapporter kopplade", en: "Reports linked" },
  "report.publish": { sv: "Lägesrapport publicerad för politiker", en: "Report published for politicians" },
};
