// The offline basemap: an MBTiles file the coordinator loads once; the app keeps it and
// serves its tiles on the `basemap` scheme. Loaded in chunks, with progress.

import { convertFileSrc, invoke } from "@tauri-apps/api/core";
import { isCommandError } from "./api";
import { settings } from "./settings.svelte";
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

/** Where the map's tiles come from now: the offline file first, else the tile URL. */
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
  if (isTileTemplate(settings.tileUrl)) return { tiles: settings.tileUrl };
  return null;
}
