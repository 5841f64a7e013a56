// Web Mercator, as map tile servers cut the world: places and tiles share one
// projection, so pins sit on the tiles when a tile URL is configured and on a plain
// background when not. Unit-tested.

export const TILE = 256;
const MAX_ZOOM = 18;

export interface Point { lat: number; lon: number }

/** World pixel coordinates of a point at zoom `z`. */
export function project({ lat, lon }: Point, z: number): { x: number; y: number } {
  const scale = TILE * 2 ** z;
  const sin = Math.sin((Math.max(-85, Math.min(85, lat)) * Math.PI) / 180);
  return {
    x: ((lon + 180) / 360) * scale,
    y: (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * scale,
  };
}

export interface View { z: number; left: number; top: number; width: number; height: number }

/**
 * The closest zoom at which every point fits in `width` × at most `maxHeight` pixels
 * with `pad` to spare, and the window onto the world at that zoom.
 */
export function fit(points: Point[], width = 1000, maxHeight = 700, pad = 80): View {
  if (points.length === 0) return { z: 0, left: 0, top: 0, width, height: maxHeight };
  let z = MAX_ZOOM;
  for (; z > 0; z--) {
    const xy = points.map((p) => project(p, z));
    const w = Math.max(...xy.map((p) => p.x)) - Math.min(...xy.map((p) => p.x));
    const h = Math.max(...xy.map((p) => p.y)) - Math.min(...xy.map((p) => p.y));
    if (w + 2 * pad <= width && h + 2 * pad <= maxHeight) break;
  }
  const xy = points.map((p) => project(p, z));
  const [minX, maxX] = [Math.min(...xy.map((p) => p.x)), Math.max(...xy.map((p) => p.x))];
  const [minY, maxY] = [Math.min(...xy.map((p) => p.y)), Math.max(...xy.map((p) => p.y))];
  const height = Math.min(maxHeight, Math.max(maxY - minY + 2 * pad, width * 0.5));
  return { z, left: (minX + maxX) / 2 - width / 2, top: (minY + maxY) / 2 - height / 2, width, height };
}

export interface Tile { url: string; x: number; y: number; key: string }

/** The tiles covering the view, from a template such as `https://…/{z}/{x}/{y}.png`. */
export function tiles(view: View, template: string): Tile[] {
  const count = 2 ** view.z;
  const out: Tile[] = [];
  const [x0, x1] = [Math.floor(view.left / TILE), Math.floor((view.left + view.width) / TILE)];
  const [y0, y1] = [Math.floor(view.top / TILE), Math.floor((view.top + view.height) / TILE)];
  for (let ty = Math.max(0, y0); ty <= Math.min(count - 1, y1); ty++) {
    for (let tx = x0; tx <= x1; tx++) {
      const wrapped = ((tx % count) + count) % count;
      const url = template.replace("{z}", String(view.z)).replace("{x}", String(wrapped)).replace("{y}", String(ty));
      out.push({ url, x: tx * TILE - view.left, y: ty * TILE - view.top, key: `${view.z}/${tx}/${ty}` });
    }
  }
  return out;
}

/** Whether a tile URL template names all three of zoom, column and row. */
export function isTileTemplate(template: string): boolean {
  return /^https?:\/\//.test(template) && ["{z}", "{x}", "{y}"].every((p) => template.includes(p));
}
