import { describe, expect, it } from "vitest";
import { draftOf, formOf, patchOf, toLocalInput } from "./form";
import type { Observation } from "./bindings";

const reporter = { user: "u", name: "Sam", role: "fritidsfaltare" as const, organisation: "o" };
const observation: Observation = {
  kind: "observation", id: "id", workspace: "w", category: "brak", place: "p1", position: null,
  place_detail: null, observed_at: "2026-11-24T20:30:00.000Z", observed_until: null,
  recorded_at: "2026-11-24T20:31:00.000Z", grade: 3, people: 8, age_group: "unga", source: null,
  description: "Grupp vid stationen", reporter, visibility: "alla", status: "ny", notes: [], links: {},
  review: null, corrections: [], continues: null, continued_by: null,
};

describe("the report form", () => {
  it("shows a time in Swedish time, whatever the device's zone", () => {
    // 20:30 UTC in November is 21:30 in Sweden; in June, 22:30.
    expect(toLocalInput(observation.observed_at)).toBe("2026-11-24 21:30");
    expect(toLocalInput("2026-06-10T20:30:00.000Z")).toBe("2026-06-10 22:30");
  });
  it("sends nothing when nothing changed", () => {
    expect(patchOf(observation, formOf(observation), false)).toBeNull();
  });
  it("sends only the changed fields", () => {
    const form = { ...formOf(observation), grade: 4 as const, description: "Grupp vid stationen, lugnare" };
    expect(patchOf(observation, form, false)).toEqual({ grade: 4, description: "Grupp vid stationen, lugnare" });
  });
  it("clears a cleared number and age group", () => {
    const form = { ...formOf(observation), people: "" as unknown as null, ageGroup: "" };
    expect(patchOf(observation, form, false)).toEqual({ people: null, age_group: null });
  });
  it("carries the personnummer acknowledgement only with a change", () => {
    const form = { ...formOf(observation), place: "p2" };
    expect(patchOf(observation, form, true)).toEqual({ place: "p2", acknowledge_personnummer: true });
  });
  it("makes a draft with empty texts as absent", () => {
    const draft = draftOf({ ...formOf(observation), description: "", when: "" }, null, false);
    expect(draft.description).toBeNull();
    expect(draft.observed_at).toBeNull();
    expect(draft.grade).toBe(3);
  });
  it("sends a narrowed visibility, a place detail and the end of a span, and clears the span", () => {
    const form = { ...formOf(observation), visibility: "kommun-polis" as const, placeDetail: " vid cykelstället ", until: "2026-11-24 23:00" };
    expect(patchOf(observation, form, false)).toEqual({
      visibility: "kommun-polis", place_detail: "vid cykelstället", observed_until: "2026-11-24 23:00",
    });
    const spanned = { ...observation, observed_until: "2026-11-24T22:00:00.000Z" };
    expect(patchOf(spanned, { ...formOf(spanned), until: "" }, false)).toEqual({ observed_until: null });
  });
  it("makes a draft for everyone in the collaboration unless the reporter narrows it", () => {
    const draft = draftOf({ ...formOf(observation), placeDetail: "  ", until: "" }, null, false);
    expect(draft.visibility).toBe("alla");
    expect(draft.place_detail).toBeNull();
    expect(draft.observed_until).toBeNull();
  });
});
