// The shapes the app's commands send and receive, as serde writes them from the Rust
// types in core (`core/src/…`). Kept beside `api.ts`; field names are the Rust ones.

export type Uuid = string;
export type Grade = 1 | 2 | 3 | 4 | 5;

export interface Workspace { id: Uuid; name: string; grade_labels?: string[] | null }
export interface Organisation { id: Uuid; workspace: Uuid; name: string; kind: string }
export interface Place {
  id: Uuid; workspace: Uuid; name: string; kind: "plats" | "omrade"; area: Uuid | null;
  lat: number; lon: number; retired: boolean; merged_into: Uuid | null;
}
export interface Category { key: string; parent: string | null; name_sv: string; name_en: string; retired: boolean; sort: number }
export interface Identity { workspace: Uuid; device: Uuid; user: Uuid; name: string; role: string; organisation: Uuid }
export interface Membership { workspace: Workspace; organisation: Organisation; role: string }
export interface Overview {
  identity: Identity | null; workspace: Workspace | null; organisation: Organisation | null;
  server: string | null; memberships: Membership[];
}
export interface Position { lat: number; lon: number; accuracy_m: number | null }

export interface ObservationDraft {
  category?: string | null; place?: string | null; grade?: number | null;
  observed_at?: string | null; observed_until?: string | null; people?: number | null;
  age_group?: string | null; source?: string | null; description?: string | null;
  place_detail?: string | null; position?: Position | null; visibility?: string | null;
  acknowledge_personnummer?: boolean;
}

export interface Note { id: Uuid; author: { name: string; role: string }; at: string; text: string }
export interface Observation {
  id: Uuid; workspace: Uuid; category: string; place: Uuid; observed_at: string;
  observed_until: string | null; recorded_at: string; grade: Grade; people: number | null;
  age_group: string | null; source: string | null; description: string; place_detail: string | null;
  reporter: { user: Uuid; name: string; role: string; organisation: Uuid };
  visibility: string; status: string; notes: Note[];
  corrections: { id: Uuid; by: { name: string }; at: string; field: string; from: string; to: string }[];
}

export interface ObservationRow {
  id: Uuid; place: Uuid; place_name: string; area: Uuid | null; category: string; grade: Grade;
  observed_at: string; week: string; organisation: Uuid; reporter: Uuid; reporter_name: string;
  description: string; status: string; note_count: number; restricted: boolean; server_seen_at: string | null;
}

export interface ObservationFilter { categories: string[]; organisations: Uuid[]; grades: Grade[]; place: Uuid | null }
export interface ListQuery { week?: string | null; reporter?: Uuid | null; filter?: ObservationFilter; limit?: number | null }

export type Trend = "new" | "rising" | "steady" | "falling";
export interface Summary {
  place: Uuid; name: string; kind: "plats" | "omrade"; area: Uuid | null; lat: number; lon: number;
  reports: number; highest: Grade | null; median: number | null; grades: number[];
  categories: Record<string, number>; organisations: { organisation: Uuid; name: string; reports: number }[];
  previous: number[]; previous_highest: Grade | null; trend: Trend;
}
export interface Lagesbild {
  workspace: Uuid; week: string; previous_weeks: string[]; filter: ObservationFilter;
  total_reports: number; places: Summary[]; areas: Summary[];
}

export type SyncState =
  | { state: "offline"; reason: string }
  | { state: "syncing" }
  | { state: "synced"; at: string }
  | { state: "revoked"; reason: string };
export type SyncStatus = SyncState & { waiting: number; refused: number; live: boolean };
export interface RefusedChange { seq: number; doc: Uuid; code: string; message: string }
export interface SyncOverview { status: SyncStatus | null; waiting: number; refused: RefusedChange[] }

/** The stable error codes of the app's commands (`src-tauri/src/error.rs`). */
export type ErrorCode =
  | "invalid" | "needs_confirmation" | "not_found" | "no_identity" | "forbidden"
  | "store_too_new" | "corrupt" | "internal" | "enrolment_refused" | "unreachable";
export interface CommandError { code: ErrorCode; message: string; field: string | null }
