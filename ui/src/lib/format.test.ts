import { describe, expect, it } from "vitest";
import { errorText, refusalText, gradeLabel, isWordy, isoWeek, deploymentDays, currentWeek, summarise, offerPlaces, remember, roleLabel, stepWeek, readDay, readClock, readMoment, dayAfter, weekTitle } from "./format";
import { text } from "./i18n";
import type { Place, PlaceHabit } from "./bindings";

const place = (id: string, name: string, lat: number, lon: number, extra: Partial<Place> = {}): Place => ({
  id, workspace: "w", name, kind: "plats", area: null, lat, lon, retired: false, merged_into: null, outline: null, ...extra,
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
  const ids = (o: { offered: Place[]; more: Place[] }) => [o.offered.map((p) => p.id), o.more.map((p) => p.id)];
  const habit = (place: string, reports: number, at_this_hour: number): PlaceHabit => ({ place, reports, at_this_hour });
  const here = { lat: 59.1935, lon: 17.751 };
  it("offers the nearest first, then the recent, never areas or retired places", () => {
    expect(ids(offerPlaces(places, ["c"], [], here, "", null, { near: 1 }))).toEqual([["b", "c", "a"], []]);
  });
  it("falls back to names without a position or a history", () => {
    expect(offerPlaces(places, [], [], null, "", null).offered.map((p) => p.name)).toEqual(["Rönninge station", "Salemhallen", "Säby gård"]);
    // A place used earlier that is now retired is not offered.
    expect(ids(offerPlaces(places, ["e"], [], null, "", null))).toEqual([["b", "c", "a"], []]);
  });
  it("offers what is reported from at this time of day before what is reported from at others", () => {
    const habits = [habit("c", 9, 0), habit("a", 2, 2)];
    expect(ids(offerPlaces(places, [], habits, null, "", null))).toEqual([["a", "c", "b"], []]);
    // The recent come before the frequent.
    expect(ids(offerPlaces(places, ["b"], habits, null, "", null))).toEqual([["b", "a", "c"], []]);
  });
  it("keeps the rest behind a count, and the chosen place always on a chip", () => {
    expect(ids(offerPlaces(places, [], [], null, "", null, { max: 2 }))).toEqual([["b", "c"], ["a"]]);
    expect(ids(offerPlaces(places, [], [], null, "", "a", { max: 2 }))).toEqual([["a", "b"], ["c"]]);
  });
  it("shows a search's matches alone, ignoring case", () => {
    expect(offerPlaces(places, ["c"], [], null, "rÖnn", null).offered.map((p) => p.name)).toEqual(["Rönninge station"]);
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
