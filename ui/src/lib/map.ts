// What the map draws besides the map library's own work: where each place's label goes
// so that it covers no other marker or label, the outline of an area around its places,
// and the map's style (a plain background, an online tile URL or the offline basemap
// file). Unit-tested; MapLibre GL JS draws the result.

import type { StyleSpecification } from "maplibre-gl";

/** A WMTS address's `{TileMatrix}`, `{TileCol}` and `{TileRow}` (any case) as `{z}`,
 * `{x}` and `{y}`, trimmed: what core's `validate::register::xyz_template` does. */
export function xyzTemplate(template: string): string {
  return template.trim().replace(/\{tilematrix\}/gi, "{z}").replace(/\{tilecol\}/gi, "{x}").replace(/\{tilerow\}/gi, "{y}");
}

/**
 * Whether a tile URL template (XYZ, or WMTS as above) names all three of zoom, column and row, outside its
 * server's address (every tile comes from the one server), on `https://`, or `http://`
 * only to this computer. The app checks the same before it fetches a tile.
 */
export function isTileTemplate(template: string): boolean {
  const t = xyzTemplate(template);
  if (!["{z}", "{x}", "{y}"].every((p) => t.includes(p))) return false;
  const address = /^(https?):\/\/([^/?#]+)/i.exec(t);
  if (!address || /[{}]/.test(address[2]!)) return false;
  if (address[1]!.toLowerCase() === "https") return true;
  const host = address[2]!.replace(/^.*@/, "").replace(/:\d*$/, "").toLowerCase();
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** `text` as HTML that shows exactly `text`: what a basemap file says of itself is
 * shown, never parsed as markup (MapLibre's attribution control sets it as HTML). */
export function htmlText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A marker on the screen: a circle at `x`, `y` with radius `r`, and its label's size. */
export interface Marker { id: string; x: number; y: number; r: number; width: number; height: number }

export interface Box { left: number; top: number; right: number; bottom: number }

export type Side = "right" | "left" | "above" | "below";
export interface Label { side: Side; left: number; top: number }

const GAP = 4;

function overlaps(a: Box, b: Box): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

function candidates(m: Marker): Label[] {
  const { x, y, r, width: w, height: h } = m;
  return [
    { side: "right", left: x + r + GAP, top: y - h / 2 },
    { side: "left", left: x - r - GAP - w, top: y - h / 2 },
    { side: "above", left: x - w / 2, top: y - r - GAP - h },
    { side: "below", left: x - w / 2, top: y + r + GAP },
  ];
}

/**
 * Places labels greedily, the markers first in the order given (the most serious first):
 * each takes the first of right, left, above and below that stays inside the view and
 * covers no marker and no label placed before it; a label with no such place is left
 * out (the marker still names its place when tapped). Markers never overlap: those that
 * would are gathered first (`clusterMarkers`).
 */
export function placeLabels(markers: Marker[], view: { width: number; height: number }): Map<string, Label> {
  const circles: Box[] = markers.map((m) => ({ left: m.x - m.r, top: m.y - m.r, right: m.x + m.r, bottom: m.y + m.r }));
  const taken: Box[] = [];
  const out = new Map<string, Label>();
  for (const m of markers) {
    for (const c of candidates(m)) {
      const box = { left: c.left, top: c.top, right: c.left + m.width, bottom: c.top + m.height };
      const inside = box.left >= 0 && box.top >= 0 && box.right <= view.width && box.bottom <= view.height;
      if (inside && !circles.some((o) => overlaps(box, o)) && !taken.some((o) => overlaps(box, o))) {
        taken.push(box);
        out.set(m.id, c);
        break;
      }
    }
  }
  return out;
}

/** Markers that would overlap, gathered: the first member (the most serious) stands for them. */
export interface Cluster { id: string; x: number; y: number; r: number; members: string[] }

/**
 * Gathers markers that would cover one another, greedily in the order given (the most
 * serious first): each joins the first cluster whose marker it would touch, else starts
 * its own. A cluster is drawn at its first member's place, a little larger, with how
 * many places it holds; so no marker ever hides another.
 */
export function clusterMarkers(markers: { id: string; x: number; y: number; r: number }[]): Cluster[] {
  const clusters: Cluster[] = [];
  for (const m of markers) {
    const near = clusters.find((c) => Math.hypot(c.x - m.x, c.y - m.y) < c.r + m.r);
    if (near) {
      near.members.push(m.id);
      near.r = Math.min(40, Math.max(near.r, m.r) + 2);
    } else {
      clusters.push({ id: m.id, x: m.x, y: m.y, r: m.r, members: [m.id] });
    }
  }
  // A cluster grown by its members may now touch another: gathered too, until none do.
  for (let merged = true; merged; ) {
    merged = false;
    for (let i = 0; i < clusters.length && !merged; i++)
      for (let j = i + 1; j < clusters.length && !merged; j++) {
        const [a, b] = [clusters[i]!, clusters[j]!];
        if (Math.hypot(a.x - b.x, a.y - b.y) < a.r + b.r) {
          a.members.push(...b.members);
          a.r = Math.min(40, Math.max(a.r, b.r) + 2);
          clusters.splice(j, 1);
          merged = true;
        }
      }
  }
  return clusters;
}

type LonLat = [number, number];

function cross(o: LonLat, a: LonLat, b: LonLat): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/** The convex hull of `points` (Andrew's monotone chain), counter-clockwise. */
export function hull(points: LonLat[]): LonLat[] {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (sorted.length < 3) return sorted;
  const half = (list: LonLat[]) => {
    const out: LonLat[] = [];
    for (const p of list) {
      while (out.length >= 2 && cross(out[out.length - 2]!, out[out.length - 1]!, p) <= 0) out.pop();
      out.push(p);
    }
    out.pop();
    return out;
  };
  return [...half(sorted), ...half([...sorted].reverse())];
}

/**
 * An area's outline: the hull of its places, each widened by `metres` (an octagon around
 * each), so that an area of one or two places still has a shape. A closed ring.
 */
export function outline(places: { lat: number; lon: number }[], metres = 250): LonLat[] {
  const around: LonLat[] = [];
  for (const { lat, lon } of places) {
    const dLat = metres / 111_320;
    const dLon = dLat / Math.max(0.01, Math.cos((lat * Math.PI) / 180));
    for (let i = 0; i < 8; i++) {
      const a = (i * Math.PI) / 4 + Math.PI / 8;
      around.push([lon + dLon * Math.cos(a), lat + dLat * Math.sin(a)]);
    }
  }
  const ring = hull(around);
  return ring.length ? [...ring, ring[0]!] : ring;
}

/**
 * An area's outline on the map: as the coordinator drew it (closed), else the hull
 * around its live places; empty when it has neither.
 */
export function areaRing(area: { id: string; outline: [number, number][] | null }, places: { area: string | null; retired: boolean; lat: number; lon: number }[]): LonLat[] {
  if (area.outline && area.outline.length >= 3) return [...area.outline, area.outline[0]!];
  return outline(places.filter((p) => p.area === area.id && !p.retired));
}

/** Where the map's tiles come from: the offline file, an online template, or nowhere. */
export interface TileSource { tiles: string; minzoom?: number; maxzoom?: number; attribution?: string }

/** An area on the map; `drawn` when its outline is the coordinator's, not the hull. */
export interface AreaShape { id: string; name: string; ring: LonLat[]; drawn?: boolean }

/** The map's style: a background in the theme's colour, the tiles, and area outlines. */
export function mapStyle(source: TileSource | null, colours: { background: string; area: string }, areas: AreaShape[]): StyleSpecification {
  const style: StyleSpecification = {
    version: 8,
    sources: {
      areas: {
        type: "geojson",
        data: {
          type: "FeatureCollection",
          features: areas.map((a) => ({
            type: "Feature",
            id: a.id,
            properties: { name: a.name },
            geometry: { type: "Polygon", coordinates: [a.ring] },
          })),
        },
      },
    },
    layers: [{ id: "background", type: "background", paint: { "background-color": colours.background } }],
  };
  if (source) {
    style.sources.basemap = {
      type: "raster",
      tiles: [source.tiles],
      tileSize: 256,
      minzoom: source.minzoom ?? 0,
      maxzoom: source.maxzoom ?? 19,
      attribution: source.attribution === undefined ? undefined : htmlText(source.attribution),
    };
    style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  style.layers.push(
    { id: "area-fill", type: "fill", source: "areas", paint: { "fill-color": colours.area, "fill-opacity": 0.08 } },
    { id: "area-line", type: "line", source: "areas", paint: { "line-color": colours.area, "line-width": 2, "line-dasharray": [3, 2] } },
  );
  return style;
}
