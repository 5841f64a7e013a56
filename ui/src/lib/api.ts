// The app's commands, typed. Every call goes through `call`, so errors always arrive as
// a `CommandError` with a stable code.

import { invoke } from "@tauri-apps/api/core";
import type {
  AdminChange, AdminOutcome, AuditEntry, People, QrCode, WorkspaceId,
  Agenda, Assessment, RegisterChange, Decision, DecisionDraft, DecisionStatus, Grade, Meeting,
  Category, CommandError, Delivery, Lagesbild, ListQuery, Observation, ObservationDraft, ObservationFilter,
  ObservationPatch, ObservationRow, Organisation, Overview, Place, PlaceHabit, Position, StoreLock, SyncOverview,
  Activity, ActivityDraft, Efforts, Promise as CitizenPromise, PromiseDraft, LedgerEntry, Reconsideration,
} from "./bindings";
import type { Lang } from "./i18n";

export function isCommandError(e: unknown): e is CommandError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    if (isCommandError(e)) throw e;
    throw { code: "internal", message: String(e), field: null } satisfies CommandError;
  }
}

/** Said on the window after every change this device makes, so that what counts the
 * unsent changes (the status bar, *Mina rapporter*) looks again at once. */
export const LOCAL_CHANGE = "lagesbild:local-change";

/** A call that changes the store: when it succeeds, `LOCAL_CHANGE` is said. */
async function change<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  const result = await call<T>(command, args);
  window.dispatchEvent(new Event(LOCAL_CHANGE));
  return result;
}

export const api = {
  storeLock: () => call<StoreLock>("store_lock"),
  retryKeyStore: () => call<StoreLock>("retry_key_store"),
  unlock: (passphrase: string) => call<void>("unlock", { passphrase }),
  overview: () => call<Overview>("overview"),
  /** The first screen is drawn (the app's start is timed by it). */
  uiReady: () => call<void>("ui_ready"),
  enroll: (server: string, code: string, ca: string | null, deviceName: string) =>
    call<Overview>("enroll", { server, code, ca, deviceName }),
  startLocal: (name: string) => call<Overview>("start_local", { name }),
  addLocalPlace: (name: string, position: Position | null) => call<Place>("add_local_place", { name, position }),
  rehome: (id: string, place: string) => change<Observation>("rehome", { id, place }),
  categories: () => call<Category[]>("categories"),
  places: () => call<Place[]>("places"),
  organisations: () => call<Organisation[]>("organisations"),
  record: (draft: ObservationDraft) => change<Observation>("record", { draft }),
  edit: (id: string, patch: ObservationPatch) => change<Observation>("edit", { id, patch }),
  addNote: (id: string, text: string, acknowledgePersonnummer = false) =>
    change<Observation>("add_note", { id, text, acknowledgePersonnummer }),
  observation: (id: string) => call<Observation>("observation", { id }),
  list: (query: ListQuery) => call<ObservationRow[]>("list", { query }),
  lagesbild: (week: string | null, filter: ObservationFilter) => call<Lagesbild>("lagesbild", { week, filter }),
  syncStatus: () => call<SyncOverview>("sync_status"),
  delivery: (ids: string[]) => call<Delivery[]>("delivery", { ids }),
  syncNow: () => call<void>("sync_now"),
  markReviewed: (id: string) => call<Observation>("mark_reviewed", { id }),
  markReviewedMany: (ids: string[]) => call<number>("mark_reviewed_many", { ids }),
  link: (ids: string[]) => call<void>("link", { ids }),
  erase: (id: string) => call<void>("erase", { id }),
  reportSheet: (from: string, until: string, politicians: boolean, lang: Lang) =>
    call<string>("report_sheet", { from, until, politicians, lang }),
  saveReport: (from: string, until: string, politicians: boolean, lang: Lang, format: "html" | "csv") =>
    call<string>("save_report", { from, until, politicians, lang, format }),
  publications: () => call<LedgerEntry[]>("publications"),
  placeHabits: () => call<PlaceHabit[]>("place_habits"),
  export: (format: "csv" | "geojson", from: string, until: string) => call<string>("export", { format, from, until }),
  /** The page as it stands, printed to a PDF file where the user chooses ("" if not saved). */
  savePdf: (name: string) => call<string>("save_pdf", { name }),
  changeRegister: (change: RegisterChange) => call<void>("change_register", { change }),
  people: (workspace: WorkspaceId | null = null) => call<People>("people", { workspace }),
  administer: (change: AdminChange) => call<AdminOutcome>("administer", { change }),
  /** A page of the audit log, each detail said as a sentence in `lang`. */
  audit: (before: number | null, lang: Lang) => call<AuditEntry[]>("audit", { before, lang }),
  exportAudit: () => call<string>("export_audit"),
  qrCode: (text: string) => call<QrCode>("qr_code", { text }),
  agenda: (week: string | null) => call<Agenda>("agenda", { week }),
  startMeeting: (week: string) => call<Meeting>("start_meeting", { week }),
  editMeetingNotes: (id: string, text: string) => call<Meeting>("edit_meeting_notes", { id, text }),
  addAttendee: (id: string, name: string) => call<Meeting>("add_attendee", { id, name }),
  decide: (draft: DecisionDraft) => call<Decision>("decide", { draft }),
  setDecisionStatus: (id: string, status: DecisionStatus, note: string) =>
    call<Decision>("set_decision_status", { id, status, note }),
  assess: (area: string, week: string, official: boolean, grade: Grade, motivation: string) =>
    call<Assessment>("assess", { area, week, official, grade, motivation }),
  efforts: () => call<Efforts>("efforts"),
  addPromise: (draft: PromiseDraft) => change<CitizenPromise>("add_promise", { draft }),
  addActivity: (draft: ActivityDraft) => change<Activity>("add_activity", { draft }),
  editActivity: (id: string, draft: ActivityDraft) => change<Activity>("edit_activity", { id, draft }),
  reconsider: (id: string, outcome: Reconsideration, reason: string, meeting: string | null) =>
    change<Activity>("reconsider", { id, outcome, reason, meeting }),
};
