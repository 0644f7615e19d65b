/** Calendar helpers on ISO day strings (YYYY-MM-DD, UTC); the data layer keeps dates as strings on every dialect. */
const DAY_MS = 86_400_000;

/** The ISO day (YYYY-MM-DD, UTC) of a time. */
export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** `YYYY-MM-DD HH:MM:SS`, the DATETIME text both MariaDB and SQLite sort correctly. */
export function sqlDateTime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** The ISO day `n` days after `day` (before it for negative `n`). */
export function addDays(day: string, n: number): string {
  return isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS));
}

/** Days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** Every day from `from` to `to`, both included. */
export function dayRange(from: string, to: string): string[] {
  const n = daysBetween(from, to);
  const out: string[] = new Array(Math.max(0, n + 1));
  for (let i = 0; i <= n; i++) out[i] = addDays(from, i);
  return out;
}

/** A day as a person reads it, e.g. `Mon, Dec 21` (with the year when it is not `inYear`, e.g. `Jan 4, 2027`). */
export function plainDay(day: string, inYear?: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  return inYear !== undefined && d.getUTCFullYear() !== inYear
    ? d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' })
    : d.toLocaleDateString('en-US', { weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(day: string): number {
  return new Date(`${day}T00:00:00Z`).getUTCDay();
}

/** Whether a string is a real calendar day written YYYY-MM-DD. */
export function isIsoDay(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && isoDay(new Date(`${s}T00:00:00Z`)) === s;
}
