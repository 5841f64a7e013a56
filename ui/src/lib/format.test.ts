import { describe, expect, it } from "vitest";
import { errorText, refusalText, gradeLabel, isWordy, isoWeek, deploymentDays, currentWeek, summarise, orderPlaces, placeGroups, remember, roleLabel, stepWeek, readDay, readClock, readMoment, dayAfter, weekTitle } from "./format";
import { text } from "./i18n";
import type { Place } from "./bindings";

const place = (id: string, name: string, lat: number, lon: number, extra: Partial<Place> = {}): Place => ({
  id, workspace: "w", name, kind: "plats", area: null, lat, lon, retired: false, merged_into: null, ...extra,
});

describe("weeks", () => {
  it("steps back across a year boundary", () => {
    expect(stepWeek("2027-W01", -1)).toBe("2026-W53");
    expect(stepWeek("2026-W48", -4)).toBe("2026-W44");
    expect(stepWeek("2026-W53", 1)).toBe("2027-W01");
  });
  it("names the ISO week of a date", () => {
    expect(isoWeek(new Date(Date.UTC(2026, 10, 25)))).toBe("2026-W48");
    expect(isoWeek(new Date(Date.UTC(2027, 0, 1)))).toBe("2026-W53");
  });
  it("counts this week in Swedish time, whatever the device's zone", () => {
    // Sunday 23:30 UTC is Monday 00:30 in Sweden (winter), Monday 01:30 in summer.
    expect(currentWeek(new Date("2026-11-29T23:30:00Z"))).toBe("2026-W49");
    expect(currentWeek(new Date("2026-11-29T22:30:00Z"))).toBe("2026-W48");
    expect(currentWeek(new Date("2026-06-14T22:30:00Z"))).toBe("2026-W25");
  });
});

describe("places", () => {
  const places = [
    place("a", "Säby gård", 59.188, 17.783),
    place("b", "Rönninge station", 59.1934, 17.7508),
    place("c", "Salemhallen", 59.203, 17.774),
    place("d", "Rönninge", 59.193, 17.75, { kind: "omrade" }),
    place("e", "Gamla torget", 59.2, 17.77, { retired: true }),
  ];
  it("offers recently used first, then the nearest, never areas or retired places", () => {
    const ordered = orderPlaces(places, ["c"], { lat: 59.1935, lon: 17.751 }).map((p) => p.id);
    expect(ordered).toEqual(["c", "b", "a"]);
  });
  it("falls back to names without a position", () => {
    expect(orderPlaces(places, [], null).map((p) => p.name)).toEqual(["Rönninge station", "Salemhallen", "Säby gård"]);
  });
  it("groups the places: recently used, nearest, then the rest, within the limit", () => {
    const groups = placeGroups(places, ["c"], { lat: 59.1935, lon: 17.751 }, "", { max: 3, perGroup: 1 });
    expect(groups.map((g) => [g.key, g.places.map((p) => p.id)])).toEqual([
      ["recent", ["c"]], ["nearest", ["b"]], ["other", ["a"]],
    ]);
    // No position and nothing used yet: the places by name.
    expect(placeGroups(places, [], null, "").map((g) => g.key)).toEqual(["other"]);
    // A place used earlier that is now retired is not offered.
    expect(placeGroups(places, ["e"], null, "")[0]?.key).toEqual("other");
  });
  it("shows a search's matches alone, ignoring case", () => {
    const groups = placeGroups(places, ["c"], null, "rÖnn");
    expect(groups.map((g) => [g.key, g.places.map((p) => p.name)])).toEqual([["found", ["Rönninge station"]]]);
  });
  it("remembers the latest places without repeats", () => {
    expect(remember(["a", "b", "c"], "b")).toEqual(["b", "a", "c"]);
    expect(remember(["a", "b", "c", "d", "e"], "f")).toHaveLength(5);
  });
});

describe("words", () => {
  it("labels grades in Swedish by default and English on request", () => {
    expect(gradeLabel(5, "sv")).toBe("kritiskt läge");
    expect(gradeLabel(5, "en")).toBe("critical");
    expect(gradeLabel(1, "sv", ["lugnt", "b", "c", "d", "e"])).toBe("lugnt");
  });
  it("names roles in both languages", () => {
    expect(roleLabel("samordnare", "sv")).toBe("Säkerhetssamordnare");
    expect(roleLabel("polis", "en")).toBe("Police");
  });
  it("explains every error with what to do next", () => {
    expect(text("sv", errorText("unreachable"))).toMatch(/försök igen/);
    expect(text("en", errorText("enrolment_refused"))).toMatch(/ask the coordinator/);
    expect(text("sv", errorText("corrupt"))).toMatch(/samordnaren/);
    // Plain http:// to another machine is named as such, not as an untrusted certificate.
    expect(text("sv", errorText("plain_http"))).toMatch(/https:\/\//);
    expect(text("en", errorText("plain_http"))).toMatch(/unencrypted/);
  });
  it("says why the server refused a change, in Swedish, and what to do", () => {
    const codes = ["undecodable", "too_large", "wrong_document", "wrong_author", "missing_dependencies", "invalid_record", "forbidden", "forbidden_field"];
    for (const code of codes) {
      expect(text("sv", refusalText(code))).toMatch(/nekade|skadad/);
      expect(text("sv", refusalText(code))).toMatch(/samordnaren|[Ss]ynka igen/);
      expect(text("en", refusalText(code))).not.toBe(text("sv", refusalText(code)));
    }
    expect(text("sv", refusalText("invalid_record"))).toMatch(/registret/);
    expect(text("sv", refusalText("something new"))).toBe(text("sv", refusalText("wrong_author")));
  });
});

describe("labels on narrow buttons", () => {
  it("finds Swedish compounds too long for half a phone's width", () => {
    expect(isWordy("Ordningsstörning")).toBe(true);
    expect(isWordy("Misstänkt narkotikaförsäljning/-bruk")).toBe(true);
    expect(isWordy("Grupperingar som skapar otrygghet")).toBe(false);
    expect(isWordy("Skadegörelse")).toBe(false);
  });
});

describe("the meeting", () => {
  it("offers the days of the meeting's week and the week after", () => {
    const days = deploymentDays("2026-W48");
    expect(days.length).toBe(14);
    expect(days.slice(0, 2)).toEqual(["2026-11-23", "2026-11-24"]);
    expect(days.slice(-2)).toEqual(["2026-12-05", "2026-12-06"]);
    expect(deploymentDays("2026-W53")[7]).toBe("2027-01-04");
  });
  it("sums up before and after", () => {
    expect(summarise([{ reports: 3, highest: 4 }, { reports: 0, highest: null }, { reports: 2, highest: 5 }]))
      .toEqual({ perWeek: 1.7, highest: 5 });
    expect(summarise([])).toEqual({ perWeek: 0, highest: null });
  });
});

describe("dates and times typed the Swedish way", () => {
  it("reads days, whatever the system's locale", () => {
    expect(readDay("2026-11-30")).toBe("2026-11-30");
    expect(readDay(" 20261130 ")).toBe("2026-11-30");
    expect(readDay("2026-02-30")).toBeNull();
    expect(readDay("11/30/2026")).toBeNull();
    expect(readDay("")).toBeNull();
  });
  it("reads times of day on the 24-hour clock", () => {
    expect(readClock("21:30")).toBe("21:30");
    expect(readClock("9.05")).toBe("09:05");
    expect(readClock("2130")).toBe("21:30");
    expect(readClock("24:00")).toBeNull();
    expect(readClock("9:30 PM")).toBeNull();
  });
  it("reads moments as the core reads them", () => {
    expect(readMoment("")).toBe("");
    expect(readMoment("21:30")).toBe("21:30");
    expect(readMoment("2026-11-24 21:30")).toBe("2026-11-24 21:30");
    expect(readMoment("2026-11-24T21:30")).toBe("2026-11-24 21:30");
    expect(readMoment("24/11 21:30")).toBeNull();
  });
  it("steps days across months", () => {
    expect(dayAfter("2026-11-30")).toBe("2026-12-01");
    expect(dayAfter("2026-12-01", -1)).toBe("2026-11-30");
  });
});

describe("weekTitle", () => {
  it("names the week with its days and year", () => {
    expect(weekTitle("2026-W48", "sv")).toBe("v. 48, 23–29 nov 2026");
    expect(weekTitle("2026-W48", "en")).toBe("w. 48, 23–29 Nov 2026");
  });
  it("says the month or the year where it changes", () => {
    expect(weekTitle("2026-W49", "sv")).toBe("v. 49, 30 nov–6 dec 2026");
    expect(weekTitle("2026-W01", "sv")).toBe("v. 1, 29 dec 2025–4 jan 2026");
  });
});
