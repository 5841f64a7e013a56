// The lägesrapport's periods, as the buttons name them. Unit-tested. The report itself
// is rendered by the core.

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
