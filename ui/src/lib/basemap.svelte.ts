// The offline basemap: an MBTiles file or PMTiles archive, loaded once; the app keeps it and
// serves its tiles on the `basemap` scheme. Loaded in chunks, with progress. Online
// tiles come through the app too, on its `tiles` scheme: the page loads nothing from
// outside the app.

import { convertFileSrc, invoke } from "@tauri-apps/api/core";
import { isCommandError } from "./api";
import { isTileTemplate, type TileSource } from "./map";
import type { BasemapInfo, CommandError } from "./bindings";

const CHUNK = 4 * 1024 * 1024;

export const basemap = $state<{ info: BasemapInfo | null; loading: number | null; failure: CommandError | null }>({
  info: null,
  loading: null,
  failure: null,
});

function commandError(e: unknown): CommandError {
  return isCommandError(e) ? e : { code: "internal", message: String(e), field: null };
}

export async function refreshBasemap() {
  try {
    basemap.info = await invoke<BasemapInfo | null>("basemap");
  } catch (e) {
    basemap.failure = commandError(e);
  }
}

/** Sends `file` to the app in chunks; `basemap.loading` runs from 0 to 1 meanwhile. */
export async function loadBasemap(file: File) {
  basemap.failure = null;
  basemap.loading = 0;
  try {
    let info: BasemapInfo | null = null;
    for (let offset = 0; offset < file.size || offset === 0; offset += CHUNK) {
      const end = Math.min(file.size, offset + CHUNK);
      const bytes = new Uint8Array(await file.slice(offset, end).arrayBuffer());
      const headers: Record<string, string> = { offset: String(offset) };
      if (end >= file.size) headers.last = encodeURIComponent(file.name);
      info = await invoke<BasemapInfo | null>("basemap_upload", bytes, { headers });
      basemap.loading = file.size ? end / file.size : 1;
      if (end >= file.size) break;
    }
    basemap.info = info;
  } catch (e) {
    basemap.failure = commandError(e);
  } finally {
    basemap.loading = null;
  }
}

export async function removeBasemap() {
  try {
    await invoke("remove_basemap");
    basemap.info = null;
  } catch (e) {
    basemap.failure = commandError(e);
  }
}

/** The tile URL the app fetches from on the map's behalf, once the app has taken it,
 * and why it did not take one. */
export const online = $state<{ template: string | null; failure: CommandError | null }>({ template: null, failure: null });
let told: string | null = null;

/** Tells the app the tile URL to fetch from (empty or invalid: none). */
export async function tellTileUrl(template: string) {
  const wanted = isTileTemplate(template) ? template.trim() : "";
  if (wanted === told) return;
  told = wanted;
  try {
    await invoke("set_tile_url", { template: wanted });
    if (told === wanted) {
      online.template = wanted || null;
      online.failure = null;
    }
  } catch (e) {
    if (told === wanted) {
      online.template = null;
      online.failure = commandError(e);
    }
  }
}

/** A short fingerprint of `text`: a new tile URL gives the map new tile addresses, so
 * it fetches them again rather than keep the old server's tiles. */
function fingerprint(text: string): string {
  let h = 5381;
  for (let i = 0; i < text.length; i++) h = ((h * 33) ^ text.charCodeAt(i)) >>> 0;
  return h.toString(36);
}

/** Where the map's tiles come from now: the offline file first, else the tile URL,
 * fetched by the app. */
export function tileSource(): TileSource | null {
  const info = basemap.info;
  if (info) {
    return {
      // `basemap://localhost/` here, `http://basemap.localhost/` on Windows and Android.
      tiles: `${convertFileSrc("", "basemap")}{z}/{x}/{y}`,
      minzoom: info.min_zoom,
      maxzoom: info.max_zoom,
      attribution: info.attribution ?? undefined,
    };
  }
  if (online.template) {
    // `tiles://localhost/` here, `http://tiles.localhost/` on Windows and Android.
    return { tiles: `${convertFileSrc("", "tiles")}{z}/{x}/{y}?v=${fingerprint(online.template)}` };
  }
  return null;
}
