// What sync is doing, read once for every screen: the status line, the notices under it,
// and the report form's "Sparad – skickas när nätet finns". Read again whenever sync
// moves ("sync-status"), after every change made here, and every five seconds.

import { listen } from "@tauri-apps/api/event";
import { LOCAL_CHANGE, api } from "./api";
import type { SyncOverview } from "./bindings";

export const sync = $state({ overview: null as SyncOverview | null });

export async function refreshSync() {
  try {
    sync.overview = await api.syncStatus();
  } catch {
    // What was last known stays shown.
  }
}

let started = false;

/** Starts following sync; called once the store is open. */
export function startSync() {
  if (started) return;
  started = true;
  void refreshSync();
  setInterval(refreshSync, 5000);
  void listen("sync-status", () => void refreshSync());
  window.addEventListener(LOCAL_CHANGE, () => void refreshSync());
}

/** Whether a change made now would leave at once: enrolled, and the last word from sync
 * is not "offline". */
export function online(overview: SyncOverview | null): boolean {
  const state = overview?.status?.state;
  return state === "synced" || state === "syncing";
}
