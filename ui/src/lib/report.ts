// The lägesrapport's numbers as they are shown, and the file the coordinator sends.
// Unit-tested.

/**
 * A count as the report shows it. In the version for politicians a count of 1 or 2 is
 * shown as "<3", so that no one can be picked out of small numbers; 0 stays 0 (nothing
 * happened, and no one can be identified by it).
 */
export function shown(n: number, politician: boolean): string {
  return politician && n > 0 && n < 3 ? "<3" : String(n);
}

/** The change against the period before, as "+25 %", "−40 %", "ny" (none before) or "±0 %". */
export function change(now: number, before: number, lang: "sv" | "en" = "sv"): string {
  if (before === 0) return now === 0 ? "±0 %" : lang === "sv" ? "ny" : "new";
  const pct = Math.round(((now - before) / before) * 100);
  if (pct === 0) return "±0 %";
  return `${pct > 0 ? "+" : "−"}${Math.abs(pct)} %`;
}

/** The first day of the month `offset` months from `today`'s, and the first of the next. */
export function monthPeriod(today: Date, offset = 0): [string, string] {
  const start = new Date(Date.UTC(today.getFullYear(), today.getMonth() + offset, 1));
  const end = new Date(Date.UTC(today.getFullYear(), today.getMonth() + offset + 1, 1));
  return [start.toISOString().slice(0, 10), end.toISOString().slice(0, 10)];
}

/** The quarter `offset` quarters from `today`'s. */
export function quarterPeriod(today: Date, offset = 0): [string, string] {
  const q = Math.floor(today.getMonth() / 3) + offset;
  const start = new Date(Date.UTC(today.getFullYear(), q * 3, 1));
  const end = new Date(Date.UTC(today.getFullYear(), q * 3 + 3, 1));
  return [start.toISOString().slice(0, 10), end.toISOString().slice(0, 10)];
}

/** Styles of the saved file: plain, printable, readable without the app. */
export const REPORT_CSS = `
body { font: 15px/1.45 system-ui, sans-serif; color: #111; max-width: 900px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 24px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border-bottom: 1px solid #ccc; padding: 4px 6px; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: #555; }
button, input, select, .no-print { display: none; }
`;

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);
}

/** A whole HTML page holding the rendered report. */
export function reportFile(title: string, body: string, lang: string): string {
  return `<!doctype html>\n<html lang="${escape(lang)}"><head><meta charset="utf-8"><title>${escape(title)}</title>` +
    `<style>${REPORT_CSS}</style></head><body>${body}</body></html>\n`;
}
