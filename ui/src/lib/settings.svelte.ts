// Settings kept on the device: language, theme, the map's basemap, and the places this
// user reported from last (offered first on the report form).

import type { Lang } from "./i18n";

function stored<T extends string>(key: string, fallback: T): T {
  try {
    return (localStorage.getItem(key) as T | null) ?? fallback;
  } catch {
    return fallback;
  }
}

function storedList(key: string): string[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(key) ?? "[]");
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
}

export const settings = $state({
  lang: stored<Lang>("lagesbild.lang", "sv"),
  theme: stored<"light" | "dark">("lagesbild.theme", "light"),
  tileUrl: stored<string>("lagesbild.tileUrl", ""),
  /** Place ids, the most recently reported first. */
  recentPlaces: storedList("lagesbild.recentPlaces"),
});

export function save() {
  try {
    localStorage.setItem("lagesbild.lang", settings.lang);
    localStorage.setItem("lagesbild.theme", settings.theme);
    localStorage.setItem("lagesbild.tileUrl", settings.tileUrl);
    localStorage.setItem("lagesbild.recentPlaces", JSON.stringify(settings.recentPlaces));
  } catch {
    // Private mode: settings last for this session.
  }
}
