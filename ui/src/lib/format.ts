// Pure helpers for what the UI shows: grades, trends, weeks, places. Unit-tested.

import type { Lang } from "./i18n";
import type {
  AgeGroup, DecisionStatus, Deployee, ErrorCode, Grade, IndicatorKind, Place, PlaceHabit, Reconsideration, Role, Source, Status, Trend,
  Visibility,
} from "./bindings";
import type { TextKey } from "./i18n";
import {
  AGE_GROUP_LABELS, DECISION_STATUS_LABELS, DEPLOYEE_LABELS, INDICATOR_KIND_LABELS, RECONSIDERATION_LABELS, ROLE_LABELS,
  SOURCE_LABELS, STATUS_LABELS, VISIBILITY_LABELS, type Label,
} from "./labels";

const GRADE_LABELS: Record<Lang, string[]> = {
  sv: ["normalt", "något förhöjt", "förhöjt", "allvarligt", "kritiskt läge"],
  en: ["normal", "somewhat elevated", "elevated", "serious", "critical"],
};

export const GRADES: Grade[] = [1, 2, 3, 4, 5];

export function gradeLabel(grade: Grade, lang: Lang, workspaceLabels?: string[] | null): string {
  if (lang === "sv" && workspaceLabels?.[grade - 1]) return workspaceLabels[grade - 1] as string;
  return GRADE_LABELS[lang][grade - 1] as string;
}

/** Names a code in `lang` from a generated table of labels; an unknown code shows as itself. */
export function labeller<K extends string>(table: Record<K, Label>): (code: K, lang: Lang) => string {
  const byCode: Partial<Record<string, Label>> = table;
  return (code, lang) => byCode[code]?.[lang] ?? code;
}

// The labels are core's (`lagesbild_core::codes`), generated into labels.ts; the lists
// keep the order the sets are declared in.

/** A role's name. */
export const roleLabel = labeller<string>(ROLE_LABELS);
export const ROLES = Object.keys(ROLE_LABELS) as Role[];

export const DEPLOYEES = Object.keys(DEPLOYEE_LABELS) as Deployee[];
export const deployeeLabel = labeller<string>(DEPLOYEE_LABELS);

/** What a meeting decided about an activity, and what an indicator measures. */
export const RECONSIDERATIONS = Object.keys(RECONSIDERATION_LABELS) as Reconsideration[];
export const reconsiderationLabel = labeller<Reconsideration>(RECONSIDERATION_LABELS);
export const INDICATOR_KINDS = Object.keys(INDICATOR_KIND_LABELS) as IndicatorKind[];
export const indicatorLabel = labeller<IndicatorKind>(INDICATOR_KIND_LABELS);

/** A relative change as people read it: "−54 %". */
export function percent(x: number, lang: Lang): string {
  const n = Math.round(x * 100);
  const sign = n > 0 ? "+" : n < 0 ? "−" : "±";
  return `${sign}${Math.abs(n)}${lang === "sv" ? "\u00a0%" : "%"}`;
}

/** A number with one decimal, with the language's decimal sign. */
export function decimal(x: number, lang: Lang): string {
  return x.toLocaleString(lang === "sv" ? "sv-SE" : "en-GB", { maximumFractionDigits: 1, minimumFractionDigits: 0 });
}

/** A decision's status. */
export const statusLabel = labeller<DecisionStatus>(DECISION_STATUS_LABELS);

/** A report's handling status. */
export const reportStatusLabel = labeller<Status>(STATUS_LABELS);

export const VISIBILITIES = Object.keys(VISIBILITY_LABELS) as Visibility[];
export const visibilityLabel = labeller(VISIBILITY_LABELS);

export const AGE_GROUPS = Object.keys(AGE_GROUP_LABELS) as AgeGroup[];
export const ageGroupLabel = labeller(AGE_GROUP_LABELS);

export const SOURCES = Object.keys(SOURCE_LABELS) as Source[];
export const sourceLabel = labeller(SOURCE_LABELS);

/**
 * The days a meeting about `week` can deploy on: the rest of that week and the week
 * after (Monday first), as `2026-11-30`.
 */
export function deploymentDays(week: string): string[] {
  const monday = mondayOf(week);
  if (!monday) return [];
  return Array.from({ length: 14 }, (_, i) => new Date(monday.getTime() + i * DAY).toISOString().slice(0, 10));
}

const MONTHS: Record<Lang, string[]> = {
  sv: ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
  en: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
};

/**
 * A week as people name it: its number, its days and the year, "v. 48, 23–29 nov 2026";
 * the month and the year are said only where they change ("v. 1, 29 dec 2025–4 jan 2026").
 */
export function weekTitle(week: string, lang: Lang): string {
  const monday = mondayOf(week);
  if (!monday) return week;
  const sunday = new Date(monday.getTime() + 6 * DAY);
  const number = Number(week.slice(-2));
  const [d1, m1, y1] = [monday.getUTCDate(), monday.getUTCMonth(), monday.getUTCFullYear()];
  const [d2, m2, y2] = [sunday.getUTCDate(), sunday.getUTCMonth(), sunday.getUTCFullYear()];
  const month = (m: number) => MONTHS[lang][m];
  const start = y1 !== y2 ? `${d1} ${month(m1)} ${y1}` : m1 !== m2 ? `${d1} ${month(m1)}` : `${d1}`;
  return `${lang === "sv" ? "v." : "w."} ${number}, ${start}–${d2} ${month(m2)} ${y2}`;
}

/** Average reports per week and the highest grade over a run of weeks. */
export function summarise(points: { reports: number; highest: Grade | null }[]): { perWeek: number; highest: Grade | null } {
  if (points.length === 0) return { perWeek: 0, highest: null };
  const total = points.reduce((n, p) => n + p.reports, 0);
  const highest = points.reduce<Grade | null>((h, p) => (p.highest !== null && (h === null || p.highest > h) ? p.highest : h), null);
  return { perWeek: Math.round((total / points.length) * 10) / 10, highest };
}

/**
 * Whether a label holds a word too long for a half-width button on a phone. Swedish
 * compounds ("narkotikaförsäljning") are long and WebKitGTK has no Swedish hyphenation,
 * so such buttons get a full row there instead of breaking mid-word.
 */
export function isWordy(label: string, longest = 13): boolean {
  return label.split(/[\s/]+/).some((word) => word.length > longest);
}

/** A CSS class per grade; the colours live in app.css for both themes. */
export function gradeClass(grade: Grade | null): string {
  return grade === null ? "grade-none" : `grade-${grade}`;
}

export function trendSymbol(trend: Trend): string {
  return { new: "ny", rising: "↑", steady: "→", falling: "↓" }[trend];
}

/** `2026-W48` stepped by `n` weeks (negative is earlier). */
export function stepWeek(week: string, n: number): string {
  const monday = mondayOf(week);
  return monday ? isoWeek(new Date(monday.getTime() + n * 7 * DAY)) : week;
}

const DAY = 86400000;

/** The Monday (UTC midnight) of `2026-W48`, or null for anything else. */
function mondayOf(week: string): Date | null {
  const match = /^(\d{4})-W(\d{2})$/.exec(week);
  if (!match) return null;
  const [year, number] = [Number(match[1]), Number(match[2])];
  // Monday of ISO week 1 is the Monday of the week holding 4 January.
  const jan4 = new Date(Date.UTC(year, 0, 4));
  return new Date(jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * DAY + (number - 1) * 7 * DAY);
}

/**
 * The calendar day in Sweden at `instant`, as a UTC-midnight Date: weeks and periods
 * are Swedish weeks (as the core counts them), whatever zone the device is set to.
 */
export function swedishDay(instant: Date): Date {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Europe/Stockholm", year: "numeric", month: "2-digit", day: "2-digit",
  }).formatToParts(instant);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return new Date(Date.UTC(part("year"), part("month") - 1, part("day")));
}

/** This week in Sweden, as `2026-W48`. */
export function currentWeek(now: Date = new Date()): string {
  return isoWeek(swedishDay(now));
}

/** The ISO week of a date (its UTC calendar day). */
export function isoWeek(date: Date): string {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const dayNumber = (day.getUTCDay() + 6) % 7;
  day.setUTCDate(day.getUTCDate() - dayNumber + 3);
  const year = day.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  const week = 1 + Math.round(((day.getTime() - firstThursday.getTime()) / 86400000 - 3 + ((firstThursday.getUTCDay() + 6) % 7)) / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** Swedish time as people read it: `2026-11-24 21:30` (`21:30:05` with `seconds`). */
export function swedishTime(instant: Date, seconds = false): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Europe/Stockholm", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    ...(seconds ? { second: "2-digit" as const } : {}),
  }).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const time = `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}`;
  return seconds ? `${time}:${part("second")}` : time;
}

/** Local (Swedish) time as people read it: `2026-11-24 21:30`. */
export function localTime(iso: string): string {
  return swedishTime(new Date(iso));
}

/** The same to the second, as a log needs it: `2026-11-24 21:30:05`. */
export function localTimeSeconds(iso: string): string {
  return swedishTime(new Date(iso), true);
}

/** Distance in metres between two points (haversine). */
export function distance(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371000 * Math.asin(Math.sqrt(h));
}


/** What the report form offers: a few places as chips, and the rest behind "Fler platser". */
export interface PlaceOffer {
  offered: Place[];
  /** The rest, by name. */
  more: Place[];
}

/**
 * The places the report form offers as chips, in the order a patrol needs them: the
 * nearest two when a position is known, then those this device used last, then those
 * most reported from at this time of day lately (`habits`, the store's), then by name;
 * `max` chips, the chosen place always among them. A search offers its matches instead,
 * in the same order.
 */
export function offerPlaces(
  places: Place[], recent: string[], habits: PlaceHabit[], position: { lat: number; lon: number } | null,
  search: string, chosen: string | null, { max = 5, near = 2 } = {},
): PlaceOffer {
  const usable = places.filter((p) => p.kind === "plats" && !p.retired && !p.merged_into);
  const byName = (a: Place, b: Place) => a.name.localeCompare(b.name, "sv");
  const habit = new Map(habits.map((h) => [h.place, h]));
  const nearest = position ? [...usable].sort((a, b) => distance(position, a) - distance(position, b)).slice(0, near) : [];
  const used = recent.map((id) => usable.find((p) => p.id === id)).filter((p): p is Place => p !== undefined);
  const frequent = usable
    .filter((p) => (habit.get(p.id)?.reports ?? 0) > 0)
    .sort((a, b) => {
      const [x, y] = [habit.get(a.id)!, habit.get(b.id)!];
      return y.at_this_hour - x.at_this_hour || y.reports - x.reports || byName(a, b);
    });
  const ranked = [...new Set([...nearest, ...used, ...frequent, ...[...usable].sort(byName)])];
  const needle = search.trim().toLocaleLowerCase("sv");
  if (needle) {
    return { offered: ranked.filter((p) => p.name.toLocaleLowerCase("sv").includes(needle)).slice(0, 12), more: [] };
  }
  let offered = ranked.slice(0, max);
  const picked = usable.find((p) => p.id === chosen);
  if (picked && !offered.includes(picked)) offered = [picked, ...offered.slice(0, max - 1)];
  return { offered, more: usable.filter((p) => !offered.includes(p)).sort(byName) };
}

/** Keeps the most recent first, without repeats, at most `max`. */
export function remember(recent: string[], id: string, max = 5): string[] {
  return [id, ...recent.filter((r) => r !== id)].slice(0, max);
}

/** Which text tells the user what went wrong and what to do next. */
/** What the user reads about a change the server refused (codes are core's `RefusalCode`). */
export function refusalText(code: string): TextKey {
  switch (code) {
    case "invalid_record":
      return "refusedInvalid";
    case "forbidden":
    case "forbidden_field":
      return "refusedForbidden";
    case "missing_dependencies":
      return "refusedDependencies";
    case "undecodable":
      return "refusedDamaged";
    default:
      return "refusedOther";
  }
}

export function errorText(code: ErrorCode): TextKey {
  switch (code) {
    case "invalid":
      return "errorInvalid";
    case "unreachable":
      return "errorUnreachable";
    case "enrolment_refused":
      return "errorEnrolment";
    case "not_found":
      return "errorNotFound";
    case "forbidden":
      return "errorForbidden";
    case "untrusted":
      return "errorUntrusted";
    case "plain_http":
      return "errorPlainHttp";
    case "wrong_key":
      return "errorWrongKey";
    case "weak_passphrase":
      return "errorWeakPassphrase";
    default:
      return "errorGeneric";
  }
}

/**
 * A day as typed in Sweden, `2026-11-30` (or `20261130`), as `2026-11-30`; `null` when
 * it is no day. Inputs are text, not the system's date picker, so that dates read the
 * Swedish way whatever the system's locale.
 */
export function readDay(text: string): string | null {
  const m = /^\s*(\d{4})-?(\d{2})-?(\d{2})\s*$/.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** A time of day, `21:30` (or `2130`, `21.30`), as `21:30`; `null` when it is none. */
export function readClock(text: string): string | null {
  const [, h = "", min = ""] = /^\s*(\d{1,2})[:.]?(\d{2})\s*$/.exec(text) ?? [];
  if (!h || Number(h) > 23 || Number(min) > 59) return null;
  return `${h.padStart(2, "0")}:${min}`;
}

/**
 * A moment as typed, Swedish time: `2026-11-24 21:30`, or `21:30` for today; `""` when
 * empty (now), `null` when it cannot be read. Given to the core as it reads it.
 */
export function readMoment(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === "") return "";
  const clock = readClock(trimmed);
  if (clock) return clock;
  const [, d = "", c = ""] = /^(\S+)[ T]+(\S+)$/.exec(trimmed) ?? [];
  const day = readDay(d);
  const time = readClock(c);
  return day && time ? `${day} ${time}` : null;
}

/** The day before `day` (`2026-12-01` → `2026-11-30`), and the day after. */
export function dayAfter(day: string, n = 1): string {
  return new Date(new Date(day + "T12:00:00Z").getTime() + n * 86400000).toISOString().slice(0, 10);
}
