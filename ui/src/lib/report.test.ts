import { describe, expect, it } from "vitest";
import { monthPeriod, quarterPeriod } from "./report";

describe("the lägesrapport's periods", () => {
  it("names months and quarters", () => {
    const today = new Date(2026, 10, 25);
    expect(monthPeriod(today)).toEqual(["2026-11-01", "2026-12-01"]);
    expect(monthPeriod(today, -1)).toEqual(["2026-10-01", "2026-11-01"]);
    expect(quarterPeriod(today)).toEqual(["2026-10-01", "2027-01-01"]);
    expect(quarterPeriod(new Date(2026, 1, 3), -1)).toEqual(["2025-10-01", "2026-01-01"]);
  });
});
