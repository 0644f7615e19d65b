import Holidays from 'date-holidays';

/** A public holiday: its ISO day and name. */
export interface Holiday {
  date: string;
  name: string;
}

const cache = new Map<string, Holidays>();

/**
 * Public holidays of a country (and optionally a state) between two days, both included, on their
 * actual dates (observed substitute days are left out). Backed by the `date-holidays` calendars.
 */
export function publicHolidays(from: string, to: string, country = 'US', state?: string): Holiday[] {
  const key = `${country}/${state ?? ''}`;
  let hd = cache.get(key);
  if (!hd) {
    hd = state ? new Holidays(country, state) : new Holidays(country);
    cache.set(key, hd);
  }
  const out: Holiday[] = [];
  for (let year = Number(from.slice(0, 4)); year <= Number(to.slice(0, 4)); year++) {
    for (const h of hd.getHolidays(year)) {
      if (h.type !== 'public' || (h as { substitute?: boolean }).substitute) continue;
      const date = h.date.slice(0, 10);
      if (date >= from && date <= to) out.push({ date, name: h.name });
    }
  }
  return out.sort((a, b) => a.date.localeCompare(b.date));
}
