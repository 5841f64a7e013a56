import { describe, expect, it } from "vitest";
import { TILE, fit, isTileTemplate, project, tiles } from "./map";

const salem = [
  { lat: 59.2004, lon: 17.7704 },
  { lat: 59.1934, lon: 17.7508 },
  { lat: 59.2301, lon: 17.8199 },
];

describe("the map", () => {
  it("projects as tile servers do", () => {
    // Stockholm lies in tile 563/301 at zoom 10 (the slippy-map formula with asinh).
    const p = project({ lat: 59.3293, lon: 18.0686 }, 10);
    expect(Math.floor(p.x / TILE)).toBe(563);
    expect(Math.floor(p.y / TILE)).toBe(301);
  });
  it("zooms in as far as the places allow", () => {
    const view = fit(salem);
    const xy = salem.map((p) => project(p, view.z));
    for (const p of xy) {
      expect(p.x - view.left).toBeGreaterThanOrEqual(0);
      expect(p.x - view.left).toBeLessThanOrEqual(view.width);
      expect(p.y - view.top).toBeGreaterThanOrEqual(0);
      expect(p.y - view.top).toBeLessThanOrEqual(view.height);
    }
    const closer = fit(salem, 1000, 700, 80);
    expect(closer.z).toBe(view.z);
    // One more zoom level would not fit.
    const wider = salem.map((p) => project(p, view.z + 1));
    const w = Math.max(...wider.map((p) => p.x)) - Math.min(...wider.map((p) => p.x));
    const h = Math.max(...wider.map((p) => p.y)) - Math.min(...wider.map((p) => p.y));
    expect(w + 160 > 1000 || h + 160 > 700).toBe(true);
  });
  it("covers the view with tiles and fills in the template", () => {
    const view = fit(salem);
    const covering = tiles(view, "https://tiles.example/{z}/{x}/{y}.png");
    expect(covering.length).toBeGreaterThan(0);
    for (const t of covering) {
      expect(t.url).toMatch(new RegExp(`^https://tiles.example/${view.z}/\\d+/\\d+\\.png$`));
      expect(t.x).toBeGreaterThan(-TILE);
      expect(t.x).toBeLessThan(view.width);
    }
    const area = covering.length * TILE * TILE;
    expect(area).toBeGreaterThanOrEqual(view.width * view.height);
  });
  it("accepts only templates with zoom, column and row", () => {
    expect(isTileTemplate("https://tile.openstreetmap.org/{z}/{x}/{y}.png")).toBe(true);
    expect(isTileTemplate("https://tile.openstreetmap.org/{z}/{x}.png")).toBe(false);
    expect(isTileTemplate("javascript:{z}{x}{y}")).toBe(false);
  });
});
