import { addDays, dayRange, weekday } from '../time/dates.js';
import { publicHolidays } from './holidays.js';

/** The holidays the stores are closed on unless a deployment says otherwise. */
export const DEFAULT_CLOSED_HOLIDAYS: readonly string[] = ['Thanksgiving Day', 'Christmas Day', "New Year's Day"];

/** Weekday names as a closure rule writes them, Sunday first. */
export const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
/** A weekday name (`sun` … `sat`). */
export type WeekdayName = (typeof WEEKDAY_NAMES)[number];

/** When the stores are closed: no units go out on such a day. */
export interface StoreClosures {
  /** US public holidays (by their calendar name, e.g. `Christmas Day`) the stores are closed on. */
  holidays?: readonly string[];
  /** Other days closed (YYYY-MM-DD): stocktaking, a move. */
  dates?: readonly string[];
  /** Opening hours per weekday (`08:00-17:00`), or `closed`; a weekday not named is open. */
  hours?: Partial<Record<WeekdayName, string>>;
}

/** The closed days between two days (both included), each with why: `closed: Christmas Day`. */
export function closedDays(from: string, to: string, closures: StoreClosures): Map<string, string> {
  const out = new Map<string, string>();
  if (from > to) return out;
  const closedWeekdays = new Set(WEEKDAY_NAMES.flatMap((w, i) => (closures.hours?.[w]?.trim().toLowerCase() === 'closed' ? [i] : [])));
  if (closedWeekdays.size) for (const d of dayRange(from, to)) if (closedWeekdays.has(weekday(d))) out.set(d, `closed: the stores do not open on ${WEEKDAY_NAMES[weekday(d)]}`);
  const names = new Set(closures.holidays ?? []);
  if (names.size) for (const h of publicHolidays(from, to)) if (names.has(h.name)) out.set(h.date, `closed: ${h.name}`);
  for (const d of closures.dates ?? []) if (d >= from && d <= to) out.set(d, 'closed: a closure day in the store calendar');
  return out;
}

/** The holiday names `closedDays` knows, for checking a configuration against (any year's calendar has them all). */
export function knownHolidayNames(year = 2026): string[] {
  return [...new Set(publicHolidays(`${year}-01-01`, addDays(`${year}-12-31`, 0)).map((h) => h.name))].sort();
}
