// Settings kept on the device: language and theme.

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
});

export function save() {
  try {
    localStorage.setItem("lagesbild.lang", settings.lang);
    localStorage.setItem("lagesbild.theme", settings.theme);
  } catch {
    // Private mode: settings last for this session.
  }
}
