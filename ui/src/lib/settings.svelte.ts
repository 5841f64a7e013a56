// Settings kept on the device: language, theme, and the map's tile URL (empty: no tiles).

import type { Lang } from "./i18n";

function stored<T extends string>(key: string, fallback: T): T {
  try {
    return (localStorage.getItem(key) as T | null) ?? fallback;
  } catch {
    return fallback;
  }
}

export const settings = $state({
  lang: stored<Lang>("lagesbild.lang", "sv"),
  theme: stored<"light" | "dark">("lagesbild.theme", "light"),
  tileUrl: stored<string>("lagesbild.tileUrl", ""),
});

export function save() {
  try {
    localStorage.setItem("lagesbild.lang", settings.lang);
    localStorage.setItem("lagesbild.theme", settings.theme);
    localStorage.setItem("lagesbild.tileUrl", settings.tileUrl);
  } catch {
    // Private mode: settings last for this session.
  }
}
