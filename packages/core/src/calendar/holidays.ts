/** A public holiday: its ISO day and name. */
export interface Holiday {
  date: string;
  name: string;
}

/** The US federal (public) holidays as rules on the calendar: a fixed day, or the nth (or last) weekday of a month. */
type Rule = { name: string; since?: number } & ({ month: number; day: number } | { month: number; weekday: number; nth: number });

// Weekdays 0 = Sunday … 6 = Saturday; nth -1 = the last one of the month.
const US_FEDERAL: readonly Rule[] = [
  { name: "New Year's Day", month: 1, day: 1 },
  { name: 'Martin Luther King Jr. Day', month: 1, weekday: 1, nth: 3 },
  { name: "Washington's Birthday", month: 2, weekday: 1, nth: 3 },
  { name: 'Memorial Day', month: 5, weekday: 1, nth: -1 },
  { name: 'Juneteenth', month: 6, day: 19, since: 2021 },
  { name: 'Independence Day', month: 7, day: 4 },
  { name: 'Labor Day', month: 9, weekday: 1, nth: 1 },
  { name: 'Columbus Day', month: 10, weekday: 1, nth: 2 },
  { name: 'Veterans Day', month: 11, day: 11 },
  { name: 'Thanksgiving Day', month: 11, weekday: 4, nth: 4 },
  { name: 'Christmas Day', month: 12, day: 25 },
];

const pad = (n: number) => String(n).padStart(2, '0');

function dayOf(rule: Rule, year: number): string {
  if ('day' in rule) return `${year}-${pad(rule.month)}-${pad(rule.day)}`;
  const daysInMonth = new Date(Date.UTC(year, rule.month, 0)).getUTCDate();
  let day: number;
  if (rule.nth > 0) {
    const firstWeekday = new Date(Date.UTC(year, rule.month - 1, 1)).getUTCDay();
    day = 1 + ((rule.weekday - firstWeekday + 7) % 7) + 7 * (rule.nth - 1);
  } else {
    const lastWeekday = new Date(Date.UTC(year, rule.month - 1, daysInMonth)).getUTCDay();
    day = daysInMonth - ((lastWeekday - rule.weekday + 7) % 7);
  }
  return `${year}-${pad(rule.month)}-${pad(day)}`;
}

/**
 * US federal public holidays between two days (YYYY-MM-DD, both included), on their actual dates: observed
 * substitute days (a Friday before a Saturday holiday) are left out, and Juneteenth counts from 2021. The eleven
 * rules are the same calendar as the `date-holidays` package's US public holidays (a test compares them over
 * 1990–2060), without its 12 MB of data. Only `country` `US` is known.
 */
export function publicHolidays(from: string, to: string, country = 'US'): Holiday[] {
  if (country.toUpperCase() !== 'US') {
    throw new RangeError(`public holidays are known for the US only, not '${country}': give other holidays as calendar events (parseEvents)`);
  }
  const out: Holiday[] = [];
  for (let year = Number(from.slice(0, 4)); year <= Number(to.slice(0, 4)); year++) {
    for (const rule of US_FEDERAL) {
      if (rule.since !== undefined && year < rule.since) continue;
      const date = dayOf(rule, year);
      if (date >= from && date <= to) out.push({ date, name: rule.name });
    }
  }
  return out.sort((a, b) => a.date.localeCompare(b.date));
}
