// Generated from the Rust types (src-tauri/src/bindings.rs); do not edit.
// Regenerate: LAGESBILD_WRITE_BINDINGS=1 cargo test -p lagesbild-app bindings

/**
 * What a user may do, from the table: the app shows what this allows and nothing
 * else, so no screen decides from a role's name.
 */
export type Abilities = { 
/**
 * Keep meetings and decisions, and set an area's official assessment.
 */
meeting: boolean, 
/**
 * Set the own organisation's assessment of an area beside the official one.
 */
own_assessment: boolean, 
/**
 * Review, correct and link others' reports; make the period report.
 */
review: boolean, 
/**
 * Keep places and categories.
 */
register: boolean, 
/**
 * Erase a report everywhere.
 */
erase: boolean, 
/**
 * Keep the citizen promises and the activity plan.
 */
efforts: boolean, 
/**
 * Publish the lägesrapport's version for politicians (`report::ledger`).
 */
publish: boolean, 
/**
 * Administer the workspace: organisations, people, devices, enrolment codes; read
 * and export the audit log.
 */
administer: boolean, };

/**
 * An activity of the activity plan: what is done, why, where, when and by whom, and how
 * its result is measured.
 */
export type Activity = { kind: DocKind, id: ActivityId, workspace: WorkspaceId, 
/**
 * What is done, in a line ("Väktare vid Rönninge station fredagskvällar").
 */
title: string, purpose: string, 
/**
 * The measurable goal in words; its indicators say how it is measured.
 */
goal: string, 
/**
 * The places and areas it works at; an area stands for its places.
 */
places: Array<PlaceId>, period: ActivityPeriod, 
/**
 * The organisation that answers for it, and the person there.
 */
responsible: OrganisationId, responsible_person: string, 
/**
 * The citizen promise it serves.
 */
promise: PromiseId | null, indicators: Array<IndicatorSpec>, 
/**
 * Comparison places the coordinator chose; none: proposed from the data.
 */
comparison: Array<PlaceId>, 
/**
 * Places within this distance of its places are its neighbours: their own series,
 * never comparisons.
 */
neighbour_metres: number, 
/**
 * What the deployment group decided each time it reconsidered the activity, oldest
 * first.
 */
reconsiderations: Array<ReconsiderationEntry>, created_by: Reporter, created_at: Timestamp, };

/**
 * A new activity, or its new content.
 */
export type ActivityDraft = { title: string, purpose: string, goal: string, 
/**
 * Places or areas, by id or name.
 */
places: Array<string>, 
/**
 * Dates as `2026-06-01`.
 */
from: string, to: string | null, 
/**
 * ISO weekdays, 1 Monday … 7 Sunday; empty for every day.
 */
weekdays: Array<number>, from_time: string | null, to_time: string | null, responsible: OrganisationId | null, responsible_person: string, promise: PromiseId | null, indicators: Array<IndicatorDraft>, 
/**
 * Comparison places, by id or name; none: proposed from the data.
 */
comparison: Array<string>, neighbour_metres: number | null, };

/**
 * An activity followed up.
 */
export type ActivityFollowUp = { status: ActivityStatus, 
/**
 * The weeks shown, oldest first; the activity starts at `weeks[start]` (or after
 * them, when `start == weeks.len()`).
 */
weeks: Array<IsoWeek>, start: number, 
/**
 * The places it works at (an area's places), its neighbours, and the comparison
 * places the estimate used.
 */
places: Array<PlaceId>, neighbours: Array<PlaceId>, comparison: Array<PlaceId>, 
/**
 * Organisations whose reports the effect does not count (those the activity
 * deploys), unless its indicator says they count.
 */
excluded: Array<OrganisationId>, indicators: Array<IndicatorFollowUp>, 
/**
 * Reports per week at the comparison places and at the neighbours, each scaled to
 * the activity's places' level before the start, for the chart.
 */
comparison_weekly: Array<number>, neighbour_weekly: Array<number>, 
/**
 * The effect, when the activity has started; why not, otherwise.
 */
effect: Effect | null, not_measured: string | null, 
/**
 * Why the meeting should reconsider it now, in Swedish; none when it need not.
 */
reconsider: Array<string>, };

/**
 * An activity (insats) of the activity plan.
 */
export type ActivityId = string;

/**
 * When an activity runs: from a date, until a date or on, on some weekdays or every day.
 */
export type ActivityPeriod = { 
/**
 * Dates as `2026-06-01`.
 */
from: string, 
/**
 * The planned end; none for an activity that runs until it is stopped.
 */
to: string | null, 
/**
 * ISO weekdays it recurs on (1 Monday … 7 Sunday); empty: every day of the period.
 */
weekdays: Array<number>, 
/**
 * `18:00`–`23:00`, or none for the whole day.
 */
from_time: string | null, to_time: string | null, };

/**
 * Where an activity stands in its period.
 */
export type ActivityStatus = "planerad" | "pagar" | "perioden_slut" | "avslutad";

/**
 * An activity followed up (`effect::follow_up`), with the names a reader needs.
 */
export type ActivityView = { activity: Activity, promise: string | null, responsible: string, 
/**
 * Names of its places, neighbours, comparison places and excluded organisations.
 */
places: Array<string>, neighbours: Array<string>, comparison: Array<string>, excluded: Array<string>, 
/**
 * Its decisions (deployments), newest first.
 */
decisions: Array<Decision>, follow_up: ActivityFollowUp, };

/**
 * `POST /v1/workspaces/{ws}/admin/changes`: one administrative act by the coordinator.
 */
export type AdminChange = { "op": "add_organisation", name: string, kind: OrganisationKind, } | { "op": "rename_organisation", organisation: OrganisationId, name: string, } | { "op": "set_organisation_kind", organisation: OrganisationId, kind: OrganisationKind, } | { "op": "add_person", name: string, organisation: OrganisationId, role: Role, } | { "op": "change_person", user: UserId, organisation: OrganisationId, role: Role, } | { "op": "add_membership", user: UserId, workspace: WorkspaceId, organisation: OrganisationId, role: Role, } | { "op": "deactivate", user: UserId, } | { "op": "reactivate", user: UserId, } | { "op": "revoke_device", device: DeviceId, } | { "op": "issue_code", user: UserId, ttl_minutes: number, } | { "op": "withdraw_code", code: string, };

/**
 * What an administrative act answers: the people as they are now, and the code it
 * issued, if it issued one.
 */
export type AdminOutcome = { people: People, code: IssuedCode | null, };

export type AgeGroup = "barn" | "unga" | "vuxna" | "blandat";

export type Agenda = { week: IsoWeek, meetings: Array<Meeting>, items: Array<AgendaItem>, 
/**
 * Decisions of earlier weeks not yet followed up, and those followed up this week.
 */
follow_ups: Array<FollowUp>, 
/**
 * Decisions made this week.
 */
decisions: Array<Decision>, areas: Array<AreaView>, 
/**
 * Att ompröva: activities the meeting should reconsider, and those it reconsidered
 * this week with what it decided.
 */
to_reconsider: Array<ToReconsider>, };

export type AgendaItem = { reason: AgendaReason, summary: Summary, };

/**
 * Why a place is on the agenda.
 */
export type AgendaReason = "still_high" | "worse" | "new";

export type AreaGrade = { grade: Grade, motivation: string, by: Reporter, at: Timestamp, };

/**
 * One area's week: what the reports imply beside the official assessment and each
 * organisation's own, so disagreement shows.
 */
export type AreaView = { area: PlaceId, name: string, reports: number, implied_highest: Grade | null, implied_median: number | null, official: AreaGrade | null, organisations: Array<OrganisationView>, };

/**
 * The assessments of one area for one ISO week: the official one (set by the meeting or
 * the coordinator) beside each organisation's own, so disagreement is visible.
 *
 * Its id is derived from (workspace, area, week), so two laptops that start the same
 * assessment offline write into the same document. Every value sits directly in the
 * root map (`official`, `org:<id>`): two independently created documents then merge
 * per key instead of one nested map hiding the other.
 */
export type Assessment = { id: AssessmentId, workspace: WorkspaceId, area: PlaceId, week: IsoWeek, official: AreaGrade | null, by_organisation: { [key in OrganisationId]: AreaGrade }, };

/**
 * The document holding one area's assessments for one ISO week.
 */
export type AssessmentId = string;

/**
 * What an entry of the server's audit log records. The code is what the log stores
 * and exports; the server writes only these, so every action it can write has its
 * labels. Entries written before an action was renamed keep their old text (the
 * wire's `AuditEntry::action` is a string) and show as it.
 */
export type AuditAction = "workspace.create" | "organisation.add" | "organisation.rename" | "organisation.kind" | "person.add" | "person.change" | "person.membership" | "person.deactivate" | "person.reactivate" | "device.revoke" | "enrolment.code" | "enrolment.withdraw" | "enrolment" | "enrolment.failed" | "enrolment.failures" | "register.add_place" | "register.rename_place" | "register.move_place" | "register.merge_place" | "register.add_category" | "register.retire_category" | "register.set_outline" | "register.set_tiles" | "observation.erase" | "report.review" | "report.correct" | "report.status" | "report.link" | "report.publish";

/**
 * One entry of the server's audit log: who did what, when, from where. Never what a
 * report says.
 */
export type AuditEntry = { seq: number, 
/**
 * Server time.
 */
at: Timestamp, workspace: WorkspaceId | null, 
/**
 * The person, or none for the operator's command line.
 */
user: UserId | null, user_name: string | null, device: DeviceId | null, 
/**
 * The client's address, for acts that came as requests.
 */
address: string | null, 
/**
 * What was done: the code of an `AuditAction`, such as
 * `register.add_place` or `observation.erase`. A string, not the enum: a row
 * written under a name the server no longer writes still reads (and shows as it).
 */
action: string, 
/**
 * What it was done to (an id), if anything.
 */
target: string | null, detail: string, };

/**
 * What the UI shows of the loaded basemap and needs to draw it.
 */
export type BasemapInfo = { 
/**
 * The file's own name for itself (`metadata.name`), else the uploaded file's name.
 */
name: string, 
/**
 * The tiles' image format: png, jpg or webp.
 */
format: string, min_zoom: number, max_zoom: number, 
/**
 * West, south, east, north in degrees, when the file says.
 */
bounds: [number, number, number, number] | null, attribution: string | null, bytes: number, };

/**
 * How far a bootstrap under way has come.
 */
export type BootstrapProgress = { stage: BootstrapStage, 
/**
 * The feed's head when the bootstrap began: the feed continues from it.
 */
at: number, 
/**
 * Where the next page of projections starts.
 */
next_projection: ProjectionKey | null, 
/**
 * Where the next page of documents starts.
 */
next_document: string | null, 
/**
 * Observations in the workspace when the bootstrap began.
 */
total: number, 
/**
 * Projections stored so far.
 */
projections: number, 
/**
 * Documents stored so far.
 */
documents: number, 
/**
 * While projections come in: every report observed at or after this is here.
 */
complete_since: Timestamp | null, };

export type BootstrapStage = "projections" | "documents";

/**
 * A category in the workspace's catalogue. Keys are stable; names may change.
 */
export type Category = { key: string, parent: string | null, name_sv: string, name_en: string, 
/**
 * Retired categories keep their reports but take no new ones.
 */
retired: boolean, sort: number, };

/**
 * A relative change with its 95 % interval: −0.4 is 40 % fewer.
 */
export type Change = { estimate: number, low: number, high: number, };

/**
 * An earlier publication of some of the same days, made on another device while both
 * were offline.
 */
export type Clash = { title: string, published_at: Timestamp, published_by: string, 
/**
 * The first days both published, as `2026-11-01 – 2026-11-30`.
 */
days: string, };

/**
 * The målvisare's colour.
 */
export type Colour = "gron" | "gul" | "rod";

export type CommandError = { code: ErrorCode, message: string, 
/**
 * The field a validation error or warning is about.
 */
field: Field | null, 
/**
 * A period refused because it would cut one already published for politicians.
 */
overlap?: Overlap, };

/**
 * Where a widened report came from: the report, and that report's heads (Automerge
 * change hashes, hex) when it was continued. Edits made to the old report after those
 * heads are carried over to the new one by the devices that made them.
 */
export type Continuation = { from: ObservationId, at: Array<string>, };

/**
 * A correction of category or place by someone other than the reporter, kept so the
 * reporter sees what was changed and by whom.
 */
export type Correction = { id: CorrectionId, by: Reporter, at: Timestamp, field: string, from: string, to: string, };

export type CorrectionId = string;

/**
 * Sums before and after the start.
 */
export type Counts = { before: number, after: number, };

/**
 * A deployment decision (utsättning): whom to send where, when, why, and who answers
 * for it; followed up at the next meeting.
 */
export type Decision = { kind: DocKind, id: DecisionId, workspace: WorkspaceId, meeting: MeetingId | null, place: PlaceId, deployees: Array<Deployee>, schedule: Schedule, why: string, responsible: OrganisationId, 
/**
 * The activity of the activity plan this deployment carries out.
 */
activity: ActivityId | null, status: DecisionStatus, 
/**
 * Every status change with its note, oldest first.
 */
history: Array<DecisionStatusChange>, created_by: Reporter, created_at: Timestamp, };

/**
 * A new decision as the meeting's form gives it.
 */
export type DecisionDraft = { meeting: MeetingId | null, place: PlaceId | null, deployees: Array<Deployee>, 
/**
 * Dates as `2026-11-27`.
 */
days: Array<string>, 
/**
 * `18:00`; both empty for whole days.
 */
from: string | null, to: string | null, why: string, responsible: OrganisationId | null, 
/**
 * The activity of the activity plan it carries out.
 */
activity: ActivityId | null, };

export type DecisionId = string;

export type DecisionStatus = "planerad" | "genomford" | "inte-genomford" | "uppfoljd";

export type DecisionStatusChange = { id: NoteId, status: DecisionStatus, note: string, by: Reporter, at: Timestamp, };

/**
 * Where one of this device's reports stands with the server, as its reporter reads it.
 */
export type Delivery = { "state": "waiting" } | { "state": "sent", at: Timestamp | null, } | { "state": "refused", code: string, message: string, };

/**
 * Who a deployment sends.
 */
export type Deployee = "faltare" | "vaktare" | "polis" | "nattvandrare" | "ovrigt";

export type DeviceId = string;

export type DeviceSummary = { id: DeviceId, name: string, enrolled_at: Timestamp, 
/**
 * The last request from it (to the minute).
 */
last_seen: Timestamp | null, 
/**
 * The app version it last said it runs.
 */
app_version: string | null, revoked: boolean, };

/**
 * What a document holds; stored in every document's root.
 */
export type DocKind = "observation" | "decision" | "meeting" | "assessment" | "promise" | "activity" | "publication";

/**
 * The effect of an effort.
 */
export type Effect = { treated: GroupEffect, comparison_places: Array<PlaceId>, comparison_counts: Counts, neighbours: Neighbours | null, weeks_before: number, weeks_after: number, 
/**
 * Overdispersion of the weekly counts (1 is Poisson).
 */
dispersion: number, interval: IntervalMethod, 
/**
 * The floor to beat; `None` where the counts are too small for it too.
 */
wdd: Wdd | null, };

/**
 * The citizen promises with their activities, each followed up: the *Insatser* view,
 * the agenda's "Att ompröva" and the report's section. One count of the reports over
 * every activity's weeks.
 */
export type Efforts = { promises: Array<Promise>, activities: Array<ActivityView>, };

/**
 * The stable codes of `Error`, and of a device's failures to reach its server; the app's
 * UI matches on them.
 */
export type ErrorCode = "invalid" | "needs_confirmation" | "not_found" | "no_identity" | "forbidden" | "store_too_new" | "wrong_key" | "weak_passphrase" | "corrupt" | "internal" | "enrolment_refused" | "unreachable" | "untrusted" | "plain_http";

/**
 * A field of a record, named in validation errors.
 */
export type Field = "category" | "place" | "grade" | "observed_at" | "observed_until" | "people" | "age_group" | "source" | "description" | "place_detail" | "position" | "visibility" | "status" | "note" | "name" | "organisation" | "role" | "week" | "deployees" | "schedule" | "attendees" | "motivation" | "links" | "corrections" | "title" | "places" | "period" | "indicators" | "baseline" | "target" | "comparison" | "promise" | "activity" | "reconsideration" | "outline" | "tiles";

/**
 * A decision and what happened at its place since.
 */
export type FollowUp = { decision: Decision, place_name: string, responsible_name: string, decided_week: IsoWeek, 
/**
 * The decision's week and the weeks before it, oldest first.
 */
before: Array<WeekPoint>, 
/**
 * The weeks after it up to the agenda's week, oldest first.
 */
after: Array<WeekPoint>, };

/**
 * A situation assessment: 1 normalt … 5 kritiskt läge. No other value can exist.
 */
export type Grade = 1 | 2 | 3 | 4 | 5;

/**
 * One group of places against the comparisons.
 */
export type GroupEffect = { counts: Counts, 
/**
 * `None` when the verdict is *för lite underlag*: no number is given then.
 */
change: Change | null, verdict: Verdict, };

/**
 * Who uses this device, from its enrolment (or, before enrolment, from `init`).
 */
export type Identity = { workspace: WorkspaceId, device: DeviceId, user: UserId, name: string, role: Role, organisation: OrganisationId, };

/**
 * One indicator as typed: the target as people write it ("−25 %").
 */
export type IndicatorDraft = { kind: IndicatorKind, categories: Array<string>, 
/**
 * ISO weeks; by default the `DEFAULT_BASELINE_WEEKS` before the activity starts.
 */
baseline_from: string | null, baseline_to: string | null, target: string, counts_deployed: boolean, };

/**
 * One indicator week by week over the activity's places.
 */
export type IndicatorFollowUp = { spec: IndicatorSpec, 
/**
 * Its value each week (`None`: no report, for the grade-based kinds).
 */
weekly: Array<number | null>, 
/**
 * The baseline weeks, as indices into `weekly` (inclusive).
 */
baseline: [number, number], 
/**
 * The målvisare each week from the start (`None` before, or without values).
 */
colours: Array<Colour | null>, 
/**
 * This week's målvisare, with its rule in words.
 */
malvisare: Malvisare | null, };

/**
 * What an activity's indicator measures at its places, week by week.
 */
export type IndicatorKind = "reports" | "severe-weeks" | "mean-grade";

/**
 * One indicator: what it measures, its baseline weeks and its target.
 */
export type IndicatorSpec = { kind: IndicatorKind, 
/**
 * Category codes counted; empty counts every category.
 */
categories: Array<string>, 
/**
 * The baseline: ISO weeks as `2026-W10`, inclusive.
 */
baseline_from: string, baseline_to: string, 
/**
 * The target as a change against the baseline: −0.25 is "25 % under".
 */
target: number, 
/**
 * Whether reports by the organisations the activity deploys count too. By default
 * they do not: deployed people report what they see where they are sent.
 */
counts_deployed: boolean, };

/**
 * How the interval was found.
 */
export type IntervalMethod = { "placebo": { placebos: number, } } | "normal";

/**
 * An ISO 8601 week, the unit of the weekly cycle. Weeks are counted in Swedish local
 * time: a report at 23:30 on a Sunday belongs to that Sunday's week.
 */
export type IsoWeek = string;

/**
 * A one-time enrolment code, to be shown once (as a QR code of `link`).
 */
export type IssuedCode = { code: string, 
/**
 * `lagesbild://enroll?server=…&code=…`, when the server knows its public address.
 */
link: string | null, expires_at: Timestamp, };

export type Lagesbild = { workspace: WorkspaceId, week: IsoWeek, 
/**
 * The weeks the trend compares with, most recent first.
 */
previous_weeks: [IsoWeek, IsoWeek, IsoWeek, IsoWeek], filter: ObservationFilter, total_reports: number, 
/**
 * Places with reports this week or in the previous weeks, most serious first.
 */
places: Array<Summary>, 
/**
 * The same, rolled up per area.
 */
areas: Array<Summary>, 
/**
 * Every report of these weeks is on this device. False only while a new device's
 * bootstrap is still bringing in reports this far back.
 */
complete: boolean, };

/**
 * A publication as the ledger lists it.
 */
export type LedgerEntry = { publication: Publication, 
/**
 * The earlier publication it published some of the same days as.
 */
clash: Clash | null, };

export type Link = { by: UserId, at: Timestamp, };

/**
 * Which observations a list returns, newest first.
 */
export type ListQuery = { workspace?: WorkspaceId | null, week?: IsoWeek | null, from?: Timestamp | null, until?: Timestamp | null, reporter?: UserId | null, 
/**
 * Only reports the coordinator has (or has not) reviewed.
 */
reviewed?: boolean | null, filter?: ObservationFilter, limit?: number | null, };

/**
 * Why the store is locked (`lagesbild_client::keystore::Missing`).
 */
export type LockKind = "none" | "no_key_store" | "key_store_locked" | "no_key" | "damaged";

/**
 * One week's målvisare: the colour, the values it compares and the rule, in Swedish.
 */
export type Malvisare = { colour: Colour, baseline: number, current: number, rule: string, };

/**
 * One weekly deployment meeting (utsättningsgrupp): its notes and who attended.
 * Decisions are their own documents and point back to the meeting.
 */
export type Meeting = { kind: DocKind, id: MeetingId, workspace: WorkspaceId, 
/**
 * The ISO week the meeting looks at, as `2026-W48`.
 */
week: string, held_at: Timestamp, attendees: Array<string>, notes: string, created_by: Reporter, };

export type MeetingId = string;

export type Membership = { workspace: Workspace, organisation: Organisation, role: Role, };

/**
 * The neighbours' reading.
 */
export type NeighbourReading = "forflyttning" | "spridd_effekt" | "ingen_tydlig_paverkan" | "for_lite_underlag";

export type Neighbours = { effect: GroupEffect, reading: NeighbourReading, };

/**
 * A follow-up note. Notes are only appended, so concurrent notes are all kept.
 */
export type Note = { id: NoteId, author: Reporter, at: Timestamp, text: string, };

export type NoteId = string;

/**
 * One report from the field: what, where, when, how serious. Stored as its own
 * Automerge document so that it can be erased on its own (ARCHITECTURE.md, invariant 7).
 *
 * Fields added later must be `Option` (or have a default), so older documents hydrate.
 */
export type Observation = { kind: DocKind, id: ObservationId, workspace: WorkspaceId, 
/**
 * A category key from the workspace's catalogue.
 */
category: string, place: PlaceId, position: Position | null, place_detail: string | null, 
/**
 * When it was observed, as the device said; may be a span.
 */
observed_at: Timestamp, observed_until: Timestamp | null, 
/**
 * The device's clock when the report was saved. The server keeps when it first saw it.
 */
recorded_at: Timestamp, grade: Grade, people: number | null, age_group: AgeGroup | null, source: Source | null, description: string, reporter: Reporter, visibility: Visibility, status: Status, notes: Array<Note>, 
/**
 * Other reports of the same event, keyed by observation id.
 */
links: { [key in string]: Link }, review: Review | null, corrections: Array<Correction>, 
/**
 * Set on a report widened to more readers: it continues the report named here, as a
 * fresh document that carries only that report's state, not its history (README,
 * "Visibility over time").
 */
continues: Continuation | null, 
/**
 * Set on a report that was widened: it continues as this one, and is no longer
 * listed or counted itself. Its history stays with the readers it had.
 */
continued_by: ObservationId | null, };

/**
 * A new observation as a form gives it: text where people type text.
 */
export type ObservationDraft = { 
/**
 * A category key.
 */
category?: string | null, 
/**
 * A place id, or a place's exact name.
 */
place?: string | null, grade?: number | null, 
/**
 * When; `None` means now. See `time::parse_time` for what is accepted.
 */
observed_at?: string | null, observed_until?: string | null, people?: number | null, age_group?: string | null, source?: string | null, description?: string | null, place_detail?: string | null, position?: Position | null, visibility?: string | null, 
/**
 * The user confirmed that text looking like a personnummer must be stored.
 */
acknowledge_personnummer?: boolean, };

/**
 * Which observations to include. Empty lists mean "all".
 */
export type ObservationFilter = { 
/**
 * Category keys; a main category includes its subcategories.
 */
categories: Array<string>, organisations: Array<OrganisationId>, grades: Array<Grade>, 
/**
 * A place, or an area with every place in it.
 */
place: PlaceId | null, };

export type ObservationId = string;

/**
 * An edit: only the fields the user changed are `Some`. For clearable fields the inner
 * `None` clears. Fields nobody touched are never written, so an edit made on an old
 * copy does not undo someone else's change to another field.
 */
export type ObservationPatch = { category?: string | null, place?: string | null, grade?: number | null, observed_at?: string | null, observed_until?: string | null | null, people?: number | null | null, age_group?: string | null | null, source?: string | null | null, description?: string | null, place_detail?: string | null | null, position?: Position | null | null, visibility?: string | null, status?: string | null, acknowledge_personnummer?: boolean, };

/**
 * What a list shows of an observation: its projection, with its place's name and area.
 */
export type ObservationRow = { place_name: string, area: PlaceId | null, id: ObservationId, workspace: WorkspaceId, place: PlaceId, category: string, grade: Grade, observed_at: Timestamp, observed_until: Timestamp | null, week: IsoWeek, recorded_at: Timestamp, 
/**
 * When the server first saw the report; unknown until it has.
 */
server_seen_at: Timestamp | null, organisation: OrganisationId, reporter: UserId, reporter_name: string, role: Role, visibility: Visibility, status: Status, people: number | null, age_group: AgeGroup | null, source: Source | null, description: string, place_detail: string | null, position: Position | null, note_count: number, link_count: number, reviewed: boolean, 
/**
 * Details withheld: this device's organisation may see that the report exists, its
 * place, category and grade, but not what it says.
 */
restricted: boolean, 
/**
 * The event the report belongs to: the smallest id among itself and the reports it
 * is linked to. Linked reports count as one event.
 */
event?: ObservationId | null, };

export type Organisation = { id: OrganisationId, workspace: WorkspaceId, name: string, kind: OrganisationKind, };

export type OrganisationCount = { organisation: OrganisationId, name: string, reports: number, };

export type OrganisationId = string;

/**
 * What kind of partner an organisation is; visibility rules are written in kinds.
 */
export type OrganisationKind = "kommun" | "polis" | "vaktbolag" | "fastighetsagare" | "raddningstjanst" | "ideell";

/**
 * An organisation's own assessment of an area.
 */
export type OrganisationView = { organisation: OrganisationId, name: string, assessment: AreaGrade, };

/**
 * What the UI says of a refused publication, in its own words.
 */
export type Overlap = { 
/**
 * The earlier report's title, its days, and when it was published.
 */
title: string, days: string, published: string, 
/**
 * What to publish instead, first and last day.
 */
instead: string, };

/**
 * Who this device is and where it syncs: what the start screen needs.
 */
export type Overview = { identity: Identity | null, workspace: Workspace | null, organisation: Organisation | null, server: string | null, memberships: Array<Membership>, 
/**
 * The device records into its own local workspace: not enrolled yet.
 */
local: boolean, 
/**
 * Reports made before enrolment whose place the workspace does not know: the user
 * picks one for each.
 */
waiting_for_place: Array<ObservationRow>, 
/**
 * What this user may do, from core's table of who may write what; none before
 * enrolment (the local workspace is the device's alone).
 */
abilities: Abilities, };

/**
 * One row of a part. A row that is missing had no reports: 0, published; unless the
 * table has a row of others (`report::politicians::OTHERS`), which it may be in.
 */
export type PartRow = { key: string, name: string, reports: number | null, 
/**
 * Only where `reports` is published.
 */
highest: Grade | null, per_column: Array<number | null>, };

/**
 * `GET /v1/workspaces/{ws}/admin`: the coordinator's view of the workspace's
 * organisations and people, each person with their devices.
 */
export type People = { organisations: Array<Organisation>, people: Array<Person>, };

export type Person = { user: UserId, name: string, organisation: OrganisationId, role: Role, 
/**
 * False once the coordinator deactivated the person in this workspace.
 */
active: boolean, devices: Array<DeviceSummary>, };

/**
 * A named place or an area. A place may lie in an area; the lägesbild rolls places up
 * into their areas.
 */
export type Place = { id: PlaceId, workspace: WorkspaceId, name: string, kind: PlaceKind, area: PlaceId | null, lat: number, lon: number, 
/**
 * Retired places keep their reports but take no new ones.
 */
retired: boolean, 
/**
 * Set when the coordinator merged this place into another.
 */
merged_into: PlaceId | null, 
/**
 * An area's outline as the coordinator drew it: a ring of `[lon, lat]` corners (not
 * closed: the last corner joins the first). None: the map draws the hull of the
 * area's places instead.
 */
outline: Array<[number, number]> | null, };

/**
 * How often a place has been reported from lately (`Store::place_habits`).
 */
export type PlaceHabit = { place: PlaceId, 
/**
 * Reports in the last four weeks.
 */
reports: number, 
/**
 * Of them, within two hours of this time of day.
 */
at_this_hour: number, };

/**
 * A named place or an area in the place register.
 */
export type PlaceId = string;

export type PlaceKind = "plats" | "omrade";

export type Position = { lat: number, lon: number, 
/**
 * The GPS accuracy in metres, if known.
 */
accuracy_m: number | null, };

/**
 * A place in the newest-first order of observations: when observed, then id.
 */
export type ProjectionKey = { 
/**
 * Milliseconds since 1970.
 */
observed_at: number, doc: string, };

/**
 * A citizen promise: what the police area chief and the board chair signed, for two
 * years, over some areas.
 */
export type Promise = { kind: DocKind, id: PromiseId, workspace: WorkspaceId, title: string, text: string, 
/**
 * Dates as `2026-01-01`: the promise holds from the first to the last, inclusive.
 */
from: string, to: string, 
/**
 * Who signed, as written ("Lokalpolisområdeschef Anna Berg").
 */
signed_by: Array<string>, 
/**
 * The areas (or places) it covers.
 */
areas: Array<PlaceId>, created_by: Reporter, created_at: Timestamp, };

/**
 * A new citizen promise, or its new content, as a form or the command line gives it.
 */
export type PromiseDraft = { title: string, text: string, 
/**
 * Dates as `2026-01-01`; the end defaults to two years on.
 */
from: string, to: string | null, signed_by: Array<string>, 
/**
 * Areas or places, by id or name.
 */
areas: Array<string>, };

/**
 * A citizen promise (medborgarlöfte).
 */
export type PromiseId = string;

export type Publication = { kind: DocKind, id: PublicationId, workspace: WorkspaceId, 
/**
 * The report's title as the file has it.
 */
title: string, 
/**
 * The period, as `2026-11-01` up to (not including) `2026-12-01`.
 */
from: string, until: string, 
/**
 * The file as published, its SHA-256 in hex.
 */
sha256: string, 
/**
 * How many counts the file's tables hold, and how many of them it shows.
 */
counts: number, shown: number, 
/**
 * The stretches of days whose counts it published first, oldest first.
 */
parts: Array<PublishedPart>, 
/**
 * Every stretch its counts come from, the period before's included, as
 * `2026-11-01/2026-12-01`: those in `parts`, and those it repeated from earlier
 * publications.
 */
uses: Array<string>, published_by: Reporter, published_at: Timestamp, };

/**
 * One publication of the lägesrapport's version for politicians.
 */
export type PublicationId = string;

/**
 * The counts of a stretch of days as they were published: protected on their own
 * (`report::disclosure`), and never changed afterwards. Kept in the document as one
 * JSON string: a table that is never edited needs no merging, and reads at once.
 */
export type PublishedPart = { from: string, until: string, 
/**
 * Its columns: the weeks it touches, each cut to the part (the first day of each,
 * as `2026-11-01`).
 */
columns: Array<string>, 
/**
 * Reports in all; `None` where suppressed.
 */
reports: number | null, areas: Array<PartRow>, categories: Array<PartRow>, };

/**
 * A QR code as its modules: `width` × `width`, row by row, `true` for dark. The UI draws
 * it; nothing leaves the device to make it.
 */
export type QrCode = { width: number, dark: Array<boolean>, };

/**
 * What the meeting decided when it reconsidered an activity.
 */
export type Reconsideration = "fortsatt" | "andras" | "avslutas";

/**
 * One reconsideration: continue, change or stop, why, by whom and when.
 */
export type ReconsiderationEntry = { id: NoteId, outcome: Reconsideration, reason: string, meeting: MeetingId | null, by: Reporter, at: Timestamp, };

/**
 * A change the server refused, kept with its reason.
 */
export type RefusedChange = { seq: number, doc: string, code: string, message: string, };

/**
 * `POST /v1/workspaces/{ws}/register/changes`: the coordinator changes the register. The
 * answer is the whole new register; other devices fetch it when the feed shows its new
 * version.
 */
export type RegisterChange = { "op": "add_place", name: string, is_area: boolean, area: PlaceId | null, lat: number, lon: number, } | { "op": "rename_place", place: PlaceId, name: string, } | { "op": "move_place", place: PlaceId, lat: number, lon: number, } | { "op": "merge_place", place: PlaceId, into: PlaceId, } | { "op": "add_category", name_sv: string, name_en: string, parent: string | null, } | { "op": "retire_category", key: string, } | { "op": "set_outline", place: PlaceId, outline: Array<[number, number]> | null, } | { "op": "set_tiles", template: string | null, };

/**
 * Who made a report or an edit: taken from the device's enrolment, never typed.
 */
export type Reporter = { user: UserId, name: string, role: Role, organisation: OrganisationId, };

export type Review = { by: Reporter, at: Timestamp, };

/**
 * What a person does; decides what they may change.
 */
export type Role = "fritidsfaltare" | "socialfaltare" | "vaktare" | "ordningsvakt" | "polis" | "nattvandrare" | "raddningstjanst" | "kommunpersonal" | "samordnare";

/**
 * Which days and times a deployment covers, in Swedish local time.
 */
export type Schedule = { 
/**
 * Dates as `2026-11-27`.
 */
days: Array<string>, 
/**
 * `18:00`, or none for the whole day.
 */
from: string | null, to: string | null, };

/**
 * How the reporter knows what they report.
 */
export type Source = "sjalv-sett" | "uppgift-fran-annan" | "rykte";

/**
 * Where an observation is in its handling.
 */
export type Status = "ny" | "bedomd" | "atgard-beslutad" | "avslutad";

/**
 * Whether the store is still locked, as the UI asks at start.
 */
export type StoreLock = { locked: boolean, 
/**
 * There is an encrypted store to open (else a passphrase creates one).
 */
exists: boolean, 
/**
 * Why no key was at hand, in kind: the screen says what to do about it.
 */
kind: LockKind, 
/**
 * Why no key was at hand (English, for the details line).
 */
reason: string, };

/**
 * One place's or area's week.
 */
export type Summary = { place: PlaceId, name: string, kind: PlaceKind, area: PlaceId | null, lat: number, lon: number, reports: number, 
/**
 * Events: reports linked as one event count once.
 */
events: number, highest: Grade | null, 
/**
 * The median grade; halfway between two grades when the count is even.
 */
median: number | null, 
/**
 * Reports per grade, index 0 = grade 1.
 */
grades: [number, number, number, number, number], categories: { [key in string]: number }, organisations: Array<OrganisationCount>, 
/**
 * Reports in each previous week, most recent first.
 */
previous: [number, number, number, number], 
/**
 * The highest grade in the previous weeks.
 */
previous_highest: Grade | null, trend: Trend, };

export type SyncOverview = { 
/**
 * None before enrolment: the app records locally only.
 */
status: SyncStatus | null, 
/**
 * Reports (documents) with changes still to send.
 */
waiting: number, refused: Array<RefusedChange>, };

export type SyncStatus = { 
/**
 * Local changes waiting to be sent.
 */
waiting: number, 
/**
 * Local changes the server refused (kept, with reasons).
 */
refused: number, 
/**
 * Whether the engine gets news within about a second (long poll) or periodically.
 */
live: boolean, 
/**
 * A new device's bootstrap under way.
 */
bootstrap: BootstrapProgress | null, } & ({ "state": "offline", reason: string, } | { "state": "syncing" } | { "state": "synced", at: Timestamp, } | { "state": "revoked", reason: string, } | { "state": "deactivated", reason: string, });

/**
 * An instant, stored with millisecond precision. In JSON it is RFC 3339 in UTC with
 * milliseconds: `2026-11-24T20:30:00.000Z`.
 */
export type Timestamp = string;

/**
 * An activity on the agenda's "Att ompröva".
 */
export type ToReconsider = { activity: ActivityId, title: string, 
/**
 * Why, in Swedish (a red målvisare, a clear increase, no clear difference after its
 * period); empty once reconsidered.
 */
reasons: Array<string>, 
/**
 * The effect's verdict in words, when measured.
 */
verdict: string | null, 
/**
 * What the meeting decided about it this week.
 */
reconsidered: Array<ReconsiderationEntry>, };

/**
 * This week's number of reports against the average of the previous weeks.
 */
export type Trend = "new" | "rising" | "steady" | "falling";

export type UserId = string;

/**
 * The answer a meeting reads.
 */
export type Verdict = { "verdict": "tydlig_minskning" } | { "verdict": "tydlig_okning" } | { "verdict": "ingen_saker_skillnad", more_weeks: number | null, } | { "verdict": "for_lite_underlag", why: string, };

/**
 * Which organisations may read an observation's details. Counts and grades per
 * place may be shown to all partners whatever this says.
 */
export type Visibility = "alla" | "kommun-polis" | "egen-organisation";

/**
 * The weighted displacement difference: pre/post counts with a Poisson standard error,
 * as crime analysts compute it (periods scaled to the same length, the control weighted
 * to the treated places' baseline).
 */
export type Wdd = { 
/**
 * Reports over the after period, positive for more: treated change minus the
 * weighted control change (plus the neighbours' weighted change).
 */
wdd: number, standard_error: number, z: number, 
/**
 * As a share of the treated places' baseline over the same length, with the 95 %
 * interval from the Poisson standard error.
 */
relative: Change, };

/**
 * One week of one place: what the before/after of a follow-up is made of.
 */
export type WeekPoint = { week: IsoWeek, reports: number, highest: Grade | null, };

/**
 * One municipality's collaboration.
 */
export type Workspace = { id: WorkspaceId, name: string, 
/**
 * The workspace's own labels for grades 1–5, if it has configured them.
 */
grade_labels: [string, string, string, string, string] | null, 
/**
 * Where the map's tiles come from for everyone in the workspace, set by the
 * coordinator: an XYZ or WMTS address with `{z}/{x}/{y}` (or `{TileMatrix}`,
 * `{TileCol}`, `{TileRow}`) in Web Mercator. A device's own address or offline file
 * comes first (`validate::register::tile_template` says what is accepted).
 */
tiles: string | null, };

/**
 * One municipality's collaboration; a server hosts several.
 */
export type WorkspaceId = string;
