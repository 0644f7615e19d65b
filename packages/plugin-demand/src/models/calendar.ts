import type { CalendarEvent } from '@rfid3/core';
import { usHolidayEvents } from '@rfid3/core';

const DAY = 86_400_000;

/** Days since 1970-01-01 of an ISO date. */
export const dayNumber = (iso: string): number => Math.round(Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / DAY);
/** ISO date (YYYY-MM-DD) of a day number (days since 1970-01-01). */
export const isoOfDay = (n: number): string => new Date(n * DAY).toISOString().slice(0, 10);
/** 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
export const weekdayOf = (n: number): number => (((n + 4) % 7) + 7) % 7;

/**
 * The day numbers of a series: from its dates when it has them, else consecutive days ending on an
 * arbitrary anchor (weekday effects then follow the row index, yearly ones are of little use).
 */
export function seriesDays(n: number, dates?: string[]): number[] {
  if (dates && dates.length === n) return dates.map(dayNumber);
  return Array.from({ length: n }, (_, i) => i);
}

const holidayYears = new Map<number, CalendarEvent[]>();

/** US holidays by year, computed once per process (the calendar library is slow next to a model fit). */
function usHolidaysCached(from: string, to: string): CalendarEvent[] {
  const out: CalendarEvent[] = [];
  for (let y = Number(from.slice(0, 4)); y <= Number(to.slice(0, 4)); y++) {
    let list = holidayYears.get(y);
    if (!list) holidayYears.set(y, (list = usHolidayEvents(`${y}-01-01`, `${y}-12-31`)));
    for (const h of list) if (h.date >= from && h.date <= to) out.push(h);
  }
  return out;
}

export interface CalendarSpec {
  /** US federal holidays, each with the same window. */
  holidays: 'us' | 'none';
  holidayWindow: [number, number];
  /** Local events with their own windows (from a CSV or iCalendar file). */
  events: CalendarEvent[];
}

/**
 * Indicator columns of a calendar: one per (event name, day offset) that the training days contain at
 * least `minCount` times. Returns the column names and a function that gives a day's row.
 */
export function calendarColumns(spec: CalendarSpec, trainDays: number[], minCount = 1) {
  if (trainDays.length === 0) return { names: [] as string[], row: (_d: number) => [] as number[], byDay: new Map<number, number[]>() };
  const lastDay = trainDays[trainDays.length - 1]!;
  const first = isoOfDay(trainDays[0]! - 70);
  const last = isoOfDay(lastDay + 800);
  const events: CalendarEvent[] = [...spec.events];
  const holidayNames = new Set<string>();
  if (spec.holidays === 'us') {
    for (const h of usHolidaysCached(first, last)) {
      events.push({ ...h, lowerWindow: spec.holidayWindow[0], upperWindow: spec.holidayWindow[1] });
      holidayNames.add(h.name);
    }
  }
  // (name, offset) → the days it marks.
  const marks = new Map<string, number[]>();
  for (const e of events) {
    const d0 = dayNumber(e.date);
    for (let o = e.lowerWindow; o <= e.upperWindow; o++) {
      // Each holiday has its own effects: on its day, on the eve (Christmas Eve is not Christmas Day), one over the
      // earlier days before and one over the days after (fewer columns, steadier estimates from a few years);
      // local events get one per day of their window.
      const grouped = holidayNames.has(e.name);
      const key = grouped ? `${e.name}${holidayOffsetLabel(o)}` : `${e.name}${o === 0 ? '' : o > 0 ? `+${o}` : `${o}`}`;
      let list = marks.get(key);
      if (!list) marks.set(key, (list = []));
      list.push(d0 + o);
    }
  }
  const trainSet = new Set(trainDays);
  const names = [...marks.keys()].filter((k) => marks.get(k)!.filter((d) => trainSet.has(d)).length >= minCount).sort();
  const byDay = new Map<number, number[]>();
  names.forEach((name, j) => {
    for (const d of marks.get(name)!) {
      let cols = byDay.get(d);
      if (!cols) byDay.set(d, (cols = []));
      if (!cols.includes(j)) cols.push(j);
    }
  });
  const row = (d: number) => {
    const r = new Array<number>(names.length).fill(0);
    for (const j of byDay.get(d) ?? []) r[j] = 1;
    return r;
  };
  return { names, row, byDay };
}

/** The column suffix of a day `o` days from a holiday: its own day, the eve, the days before, the days after. */
export function holidayOffsetLabel(o: number): string {
  return o === 0 ? '' : o === -1 ? ' (eve)' : o > 0 ? ' (after)' : ' (before)';
}
