// Pure helpers for the coordinator's administration screens: the QR code's drawing,
// the audit log's words, the people by organisation. Unit-tested.

import type { Lang } from "./i18n";
import { labeller } from "./format";
import { AUDIT_ACTION_LABELS, ORGANISATION_KIND_LABELS } from "./labels";
import type { AuditEntry, OrganisationKind, People, Person } from "./bindings";

/**
 * An SVG path of a QR code's dark modules, one unit a module, offset by the quiet
 * zone (`quiet` modules of light on every side, which readers need). Each row's runs of
 * dark modules become one rectangle, so the path stays short.
 */
export function qrPath(width: number, dark: boolean[], quiet = 4): string {
  const parts: string[] = [];
  for (let y = 0; y < width; y++) {
    let x = 0;
    while (x < width) {
      if (!dark[y * width + x]) {
        x++;
        continue;
      }
      const start = x;
      while (x < width && dark[y * width + x]) x++;
      parts.push(`M${start + quiet} ${y + quiet}h${x - start}v1h-${x - start}z`);
    }
  }
  return parts.join("");
}

/** How long a new enrolment code is valid, in minutes (the server allows up to 7 days). */
export const CODE_LIFETIMES: { minutes: number; label: [string, string] }[] = [
  { minutes: 15, label: ["15 minuter", "15 minutes"] },
  { minutes: 60, label: ["1 timme", "1 hour"] },
  { minutes: 24 * 60, label: ["1 dygn", "1 day"] },
  { minutes: 7 * 24 * 60, label: ["7 dygn", "7 days"] },
];

export const ORGANISATION_KINDS = Object.keys(ORGANISATION_KIND_LABELS) as OrganisationKind[];
export const kindLabel = labeller(ORGANISATION_KIND_LABELS);

/**
 * An audit action's name (the labels are core's `AuditAction`); an action the app does
 * not know, such as one an older server wrote, shows as the server names it.
 */
export const actionLabel = labeller<string>(AUDIT_ACTION_LABELS);

/** The groups the log can be narrowed to, by the action's first word. */
export const ACTION_GROUPS = ["person", "device", "enrolment", "organisation", "register", "report"] as const;
export type ActionGroup = (typeof ACTION_GROUPS)[number];

/**
 * Entries in `group` (all for null) whose words contain `search`, case-insensitively: the
 * detail as the app's `audit` command said it, in the chosen language, the action's name,
 * who and from where.
 */
export function filterAudit(entries: AuditEntry[], group: ActionGroup | null, search: string, lang: Lang): AuditEntry[] {
  const needle = search.trim().toLocaleLowerCase("sv");
  return entries.filter((e) => {
    const head = e.action.split(".")[0];
    const inGroup =
      group === null || head === group || (group === "report" && head === "observation");
    if (!inGroup) return false;
    if (!needle) return true;
    return [e.user_name ?? "", e.address ?? "", e.detail, e.target ?? "", actionLabel(e.action, lang), e.action]
      .some((s) => s.toLocaleLowerCase("sv").includes(needle));
  });
}

/** The people of each organisation, the organisations in register order, names sorted. */
export function byOrganisation(people: People, search = ""): { id: string; name: string; people: Person[] }[] {
  const needle = search.trim().toLocaleLowerCase("sv");
  return people.organisations
    .map((o) => ({
      id: o.id,
      name: o.name,
      people: people.people
        .filter((p) => p.organisation === o.id)
        .filter((p) => !needle || p.name.toLocaleLowerCase("sv").includes(needle)
          || p.devices.some((d) => d.name.toLocaleLowerCase("sv").includes(needle)))
        .sort((a, b) => a.name.localeCompare(b.name, "sv")),
    }))
    .filter((o) => o.people.length > 0 || !needle);
}
