// The workspace's register on this device — places, categories, organisations — loaded
// once for every screen and read again when sync brings a change or this device makes one.
// A failure is kept and shown, never swallowed: a screen with no places says why.

import { listen } from "@tauri-apps/api/event";
import { api } from "./api";
import type { Category, CommandError, Organisation, Place } from "./bindings";
import { settings } from "./settings.svelte";

export const register = $state({
  places: [] as Place[],
  categories: [] as Category[],
  organisations: [] as Organisation[],
  /** Why the register could not be read, the last time it was tried. */
  failure: null as CommandError | null,
  loaded: false,
});

let loading: Promise<void> | null = null;
let again = false;

/** Reads the register again. Calls while a read is under way make one more read after it,
 * so the last change is never missed and a burst of sync events costs two reads. */
export function refreshRegister(): Promise<void> {
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    do {
      again = false;
      try {
        const [places, categories, organisations] = await Promise.all([
          api.places(), api.categories(), api.organisations(),
        ]);
        Object.assign(register, { places, categories, organisations, failure: null, loaded: true });
      } catch (e) {
        register.failure = e as CommandError;
      }
    } while (again);
    loading = null;
  })();
  return loading;
}

let started = false;

/** Loads the register and keeps it current; called once the store is open. */
export function startRegister() {
  if (started) return refreshRegister();
  started = true;
  // Sync says "sync-status" whenever it moves; a register change arrives through it.
  void listen("sync-status", () => void refreshRegister());
  return refreshRegister();
}

/** A category's name in the chosen language; its key where the register has none. */
export function categoryName(key: string): string {
  const c = register.categories.find((c) => c.key === key);
  return c ? (settings.lang === "en" ? c.name_en : c.name_sv) : key;
}

/** An organisation's name; empty where the register has none. */
export function organisationName(id: string): string {
  return register.organisations.find((o) => o.id === id)?.name ?? "";
}

/** The `n` commonest categories of some counts, as "Klotter 4, Bråk 2". */
export function topCategories(counts: { [key: string]: number }, n: number): string {
  return Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, n)
    .map(([key, count]) => `${categoryName(key)} ${count}`)
    .join(", ");
}
