import { describe, expect, it } from "vitest";
import { change, monthPeriod, quarterPeriod, reportFile, shown } from "./report";

describe("the lägesrapport", () => {
  it("shows counts under 3 as <3 in the version for politicians", () => {
    expect([0, 1, 2, 3, 17].map((n) => shown(n, true))).toEqual(["0", "<3", "<3", "3", "17"]);
    expect([0, 1, 2, 3].map((n) => shown(n, false))).toEqual(["0", "1", "2", "3"]);
  });
  it("gives the change against the period before", () => {
    expect(change(5, 4)).toBe("+25 %");
    expect(change(3, 5)).toBe("−40 %");
    expect(change(2, 0)).toBe("ny");
    expect(change(0, 0)).toBe("±0 %");
  });
  it("names months and quarters", () => {
    const today = new Date(2026, 10, 25);
    expect(monthPeriod(today)).toEqual(["2026-11-01", "2026-12-01"]);
    expect(monthPeriod(today, -1)).toEqual(["2026-10-01", "2026-11-01"]);
    expect(quarterPeriod(today)).toEqual(["2026-10-01", "2027-01-01"]);
    expect(quarterPeriod(new Date(2026, 1, 3), -1)).toEqual(["2025-10-01", "2026-01-01"]);
  });
  it("makes a whole page of the report", () => {
    const page = reportFile("Lägesrapport <Salem>", "<h1>x</h1>", "sv");
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page).toContain("<title>Lägesrapport &lt;Salem&gt;</title>");
    expect(page).toContain("<h1>x</h1>");
  });
});
