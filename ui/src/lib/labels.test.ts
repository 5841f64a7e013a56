import { describe, expect, it } from "vitest";
import bindingsSource from "./bindings.ts?raw";
import * as labels from "./labels";
import { AUDIT_ACTION_LABELS, type Label } from "./labels";
import { actionLabel, kindLabel, ORGANISATION_KINDS } from "./admin";
import {
  AGE_GROUPS, DEPLOYEES, ROLES, SOURCES, VISIBILITIES, ageGroupLabel, deployeeLabel, reportStatusLabel, roleLabel,
  sourceLabel, statusLabel, visibilityLabel,
} from "./format";
import type { Lang } from "./i18n";

const LANGS: Lang[] = ["sv", "en"];

/** The members of a string union as bindings.ts declares it: `export type X = "a" | "b";`. */
function unionOf(name: string): string[] {
  const match = new RegExp(`^export type ${name} = ([^;]+);$`, "m").exec(bindingsSource);
  if (!match?.[1]) throw new Error(`bindings.ts declares no ${name}`);
  return match[1].split("|").map((member) => JSON.parse(member.trim()) as string);
}

const tables = Object.entries(labels).filter(([name]) => name.endsWith("_LABELS")) as [string, Record<string, Label>][];

describe("the generated labels", () => {
  it("name every audit action the server can write, in Swedish and English", () => {
    // AuditAction in bindings.ts comes from the enum's serde names, the table from its
    // labels: both from core's AuditAction, and they must name the same actions.
    const actions = unionOf("AuditAction");
    expect(actions).toContain("workspace.create");
    expect(Object.keys(AUDIT_ACTION_LABELS).sort()).toEqual([...actions].sort());
    for (const action of actions) {
      for (const lang of LANGS) {
        const label = actionLabel(action, lang);
        expect(label, `${action} in ${lang}`).not.toBe(action);
        expect(label.trim(), `${action} in ${lang}`).not.toBe("");
      }
    }
    expect(actionLabel("workspace.create", "sv")).toBe("Arbetsyta skapad");
    expect(actionLabel("workspace.create", "en")).toBe("Workspace created");
  });

  it("show an action an older server wrote as it is stored", () => {
    expect(actionLabel("register.add", "sv")).toBe("register.add");
  });

  it("hold a label in both languages for every code of every set bindings.ts declares", () => {
    expect(tables.length).toBeGreaterThanOrEqual(11);
    for (const [name, table] of tables) {
      const type = name.replace(/_LABELS$/, "").toLowerCase().replace(/(^|_)(\w)/g, (_, __, c: string) => c.toUpperCase());
      expect(Object.keys(table), name).toEqual(unionOf(type));
      for (const [code, label] of Object.entries(table)) {
        for (const lang of LANGS) expect(label[lang].trim(), `${name} ${code} ${lang}`).not.toBe("");
      }
    }
  });

  it("are what the UI shows and offers", () => {
    const shown: [Record<string, Label>, (code: string, lang: Lang) => string, string[] | null][] = [
      [labels.ROLE_LABELS, roleLabel, ROLES],
      [labels.ORGANISATION_KIND_LABELS, kindLabel as (code: string, lang: Lang) => string, ORGANISATION_KINDS],
      [labels.VISIBILITY_LABELS, visibilityLabel as (code: string, lang: Lang) => string, VISIBILITIES],
      [labels.AGE_GROUP_LABELS, ageGroupLabel as (code: string, lang: Lang) => string, AGE_GROUPS],
      [labels.SOURCE_LABELS, sourceLabel as (code: string, lang: Lang) => string, SOURCES],
      [labels.DEPLOYEE_LABELS, deployeeLabel, DEPLOYEES],
      [labels.STATUS_LABELS, reportStatusLabel as (code: string, lang: Lang) => string, null],
      [labels.DECISION_STATUS_LABELS, statusLabel as (code: string, lang: Lang) => string, null],
      [AUDIT_ACTION_LABELS, actionLabel, null],
    ];
    for (const [table, label, offered] of shown) {
      if (offered) expect(offered).toEqual(Object.keys(table));
      for (const [code, words] of Object.entries(table)) {
        for (const lang of LANGS) expect(label(code, lang)).toBe(words[lang]);
      }
    }
    // A label core changed reaches the UI: this one was once typed differently here.
    expect(kindLabel("ideell", "sv")).toBe("Ideell organisation");
  });

  it("have no hand-typed copy elsewhere in the UI", () => {
    const sources = import.meta.glob(["../**/*.ts", "../**/*.svelte", "!../**/*.test.ts", "!./labels.ts", "!./bindings.ts"], {
      query: "?raw", import: "default", eager: true,
    }) as Record<string, string>;
    expect(Object.keys(sources).length).toBeGreaterThan(10);
    // A copy names a code in both languages on one line, as the old tables did.
    const pairs = tables.flatMap(([name, table]) =>
      Object.entries(table)
        .filter(([, { sv, en }]) => sv !== en)
        .map(([code, { sv, en }]) => ({ what: `${name} ${code}`, sv: JSON.stringify(sv), en: JSON.stringify(en) })));
    const copies: string[] = [];
    for (const [file, source] of Object.entries(sources)) {
      for (const line of source.split("\n")) {
        for (const { what, sv, en } of pairs) {
          if (line.includes(sv) && line.includes(en)) copies.push(`${file}: ${what}: ${line.trim()}`);
        }
      }
    }
    expect(copies).toEqual([]);
  });
});
