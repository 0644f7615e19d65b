import { publicHolidays } from '../calendar/holidays.js';
import { addDays, dayRange, weekday } from '../time/dates.js';
import type { Rng } from './rng.js';

/** A holiday or local event of the simulated business and the days whose demand it changes. */
export interface CalendarEffect {
  /** The holiday or event. */
  name: string;
  kind: 'holiday' | 'event';
  /** Its own date. */
  date: string;
  /** The days whose demand it changes (units go out before the party), and by what factor. */
  days: string[];
  multiplier: number;
}

/** How each US federal holiday moves rental demand: a factor on the days `offsets` from it. */
export const HOLIDAY_EFFECTS: Record<string, { multiplier: number; offsets: number[] }> = {
  'Independence Day': { multiplier: 1.6, offsets: [-3, -2, -1] },
  'Memorial Day': { multiplier: 1.45, offsets: [-4, -3, -2] },
  'Labor Day': { multiplier: 1.35, offsets: [-4, -3, -2] },
  'Thanksgiving Day': { multiplier: 0.45, offsets: [0] },
  'Christmas Day': { multiplier: 0.4, offsets: [-1, 0] },
  "New Year's Day": { multiplier: 0.5, offsets: [0] },
};
/** Every other federal holiday: a quieter day. */
export const OTHER_HOLIDAY_MULTIPLIER = 0.85;

/** Local events of the market (graduation parties, the county fair), on the days before them. */
export function localEvents(from: string, to: string): CalendarEffect[] {
  const out: CalendarEffect[] = [];
  for (let year = Number(from.slice(0, 4)); year <= Number(to.slice(0, 4)); year++) {
    // Graduation parties: every Saturday from 20 May to 20 June.
    for (const day of dayRange(`${year}-05-20`, `${year}-06-20`)) {
      if (weekday(day) === 6) out.push({ name: 'graduation', kind: 'event', date: day, days: [addDays(day, -2), addDays(day, -1)], multiplier: 1.35 });
    }
    // County fair: the Thursday to Sunday around 15 August.
    let fair = `${year}-08-12`;
    while (weekday(fair) !== 4) fair = addDays(fair, 1);
    out.push({ name: 'county_fair', kind: 'event', date: fair, days: [addDays(fair, -2), addDays(fair, -1)], multiplier: 1.3 });
  }
  return out.filter((e) => e.days.some((d) => d >= from && d <= to));
}

export function holidayEffects(from: string, to: string): CalendarEffect[] {
  return publicHolidays(addDays(from, -7), addDays(to, 7)).map((h) => {
    const rule = HOLIDAY_EFFECTS[h.name];
    const offsets = rule?.offsets ?? [0];
    return { name: h.name, kind: 'holiday' as const, date: h.date, days: offsets.map((o) => addDays(h.date, o)), multiplier: rule?.multiplier ?? OTHER_HOLIDAY_MULTIPLIER };
  });
}

/** The simulated weather of one day. */
export interface WeatherDay {
  date: string;
  tempC: number;
  /** Departure from the seasonal normal: what moves demand. */
  tempAnomalyC: number;
  precipMm: number;
}

/** Minnesota-like daily weather: seasonal normal plus autocorrelated anomaly, and showers. */
export function simulateWeather(days: string[], rng: Rng): WeatherDay[] {
  let anomaly = 0;
  return days.map((date) => {
    const doy = dayOfYear(date);
    const normal = 7 + 16 * Math.cos((2 * Math.PI * (doy - 200)) / 365.25);
    anomaly = 0.7 * anomaly + rng.normal(0, 3.5);
    const summer = doy > 150 && doy < 250;
    const precip = rng.bernoulli(summer ? 0.33 : 0.26) ? rng.gamma(0.8, 8) : 0;
    return { date, tempC: round1(normal + anomaly), tempAnomalyC: round1(anomaly), precipMm: round1(precip) };
  });
}

export function dayOfYear(day: string): number {
  const d = Date.parse(`${day}T00:00:00Z`);
  return Math.floor((d - Date.UTC(Number(day.slice(0, 4)), 0, 1)) / 86_400_000) + 1;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10 || 0; // never -0, so the truth survives a JSON round trip unchanged
}
