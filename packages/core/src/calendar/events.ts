import type * as CsvParseSync from 'csv-parse/sync';
import { requirePeer } from '../optional-peers.js';
import { publicHolidays } from './holidays.js';

/**
 * A dated calendar effect a forecast can use: a holiday or a local event (graduation, wedding fair,
 * county fair). Demand may move on days around it: from `lowerWindow` days before (≤ 0) to
 * `upperWindow` days after (≥ 0), as Prophet's holiday windows do.
 */
export interface CalendarEvent {
  date: string;
  name: string;
  lowerWindow: number;
  upperWindow: number;
  /**
   * The day the event became known (YYYY-MM-DD): a playoff game is known once it is scheduled, a fair once it is
   * announced. Absent: known from the start (a holiday). A forecast made on a day must only see the events known then.
   */
  knownFrom?: string;
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const isIsoDay = (v: string) => ISO_DAY.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`));

/** A calendar file that cannot be read as events; the message says what is wrong. */
export class CalendarImportError extends Error {
  override name = 'CalendarImportError';
}

function checkWindow(v: number, sign: -1 | 1, where: string): number {
  if (!Number.isInteger(v) || v * sign < 0 || Math.abs(v) > 60) {
    throw new CalendarImportError(`${where}: ${sign < 0 ? 'lower_window must be an integer in [-60, 0]' : 'upper_window must be an integer in [0, 60]'}, got ${v}`);
  }
  return v;
}

/**
 * Reads a local event calendar from CSV with a header row: `date` (YYYY-MM-DD) and `name` are required,
 * `lower_window` and `upper_window` optional (default 0), `known_from` optional (the day it became known). Backed by
 * csv-parse.
 */
export function parseEventsCsv(text: string): CalendarEvent[] {
  const { parse } = requirePeer<typeof CsvParseSync>('csv-parse', 'reading events from CSV', '/sync');
  const records = parse(text, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true, trim: true }) as Record<string, string>[];
  return records.map((r, i) => {
    const where = `events CSV row ${i + 2}`;
    const date = r.date ?? r.ds ?? '';
    const name = r.name ?? r.holiday ?? r.event ?? '';
    if (!isIsoDay(date)) throw new CalendarImportError(`${where}: date '${date}' is not YYYY-MM-DD`);
    if (!name) throw new CalendarImportError(`${where}: name is empty`);
    const lower = r.lower_window ? checkWindow(Number(r.lower_window), -1, where) : 0;
    const upper = r.upper_window ? checkWindow(Number(r.upper_window), 1, where) : 0;
    const knownFrom = r.known_from ?? '';
    if (!knownFrom) return { date, name, lowerWindow: lower, upperWindow: upper };
    if (!isIsoDay(knownFrom)) throw new CalendarImportError(`${where}: known_from '${knownFrom}' is not YYYY-MM-DD`);
    if (knownFrom > date) throw new CalendarImportError(`${where}: known_from ${knownFrom} is after the event (${date})`);
    return { date, name, lowerWindow: lower, upperWindow: upper, knownFrom };
  });
}

/**
 * The events a forecast made at the end of `cutoff` (YYYY-MM-DD) may use: those known by then (no `knownFrom`, or
 * `knownFrom` ≤ cutoff). Past events the calendar learned of late are kept when their day is on or before the cutoff,
 * since by then they have happened.
 */
export function eventsKnownAt(events: readonly CalendarEvent[], cutoff: string): CalendarEvent[] {
  return events.filter((e) => e.knownFrom === undefined || e.knownFrom <= cutoff || e.date <= cutoff);
}

/**
 * Reads the all-day and timed VEVENTs of an iCalendar (RFC 5545) file as events on their start day; an
 * all-day event over several days gets an upper window to its last day. Recurrence rules are not expanded
 * (export the occurrences instead). Written here because a local event calendar needs only dates and
 * summaries; node-ical brings an HTTP client and time-zone database with it for that.
 */
export function parseEventsIcal(text: string): CalendarEvent[] {
  // Unfold continuation lines (CRLF or LF followed by a space or tab).
  const lines = text.replace(/\r?\n[ \t]/g, '').split(/\r?\n/);
  const out: CalendarEvent[] = [];
  let current: { start?: string; end?: string; endExclusive?: boolean; summary?: string } | null = null;
  const day = (v: string) => (/^\d{8}/.test(v) ? `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}` : undefined);
  lines.forEach((line, i) => {
    if (line === 'BEGIN:VEVENT') current = {};
    else if (line === 'END:VEVENT') {
      if (!current?.start) throw new CalendarImportError(`iCalendar line ${i + 1}: VEVENT without DTSTART`);
      const name = (current.summary ?? '').replace(/\\,/g, ',').replace(/\\;/g, ';').replace(/\\n/gi, ' ').trim() || 'event';
      let upper = 0;
      if (current.end) {
        const span = Math.round((Date.parse(`${current.end}T00:00:00Z`) - Date.parse(`${current.start}T00:00:00Z`)) / 86_400_000);
        upper = Math.max(0, Math.min(60, span - (current.endExclusive ? 1 : 0)));
      }
      out.push({ date: current.start, name, lowerWindow: 0, upperWindow: upper });
      current = null;
    } else if (current) {
      const colon = line.indexOf(':');
      if (colon < 0) return;
      const [prop, ...params] = line.slice(0, colon).split(';');
      const value = line.slice(colon + 1).trim();
      const allDay = params.some((p) => p.toUpperCase() === 'VALUE=DATE');
      if (prop === 'DTSTART') current.start = day(value);
      else if (prop === 'DTEND') {
        current.end = day(value);
        current.endExclusive = allDay || /^\d{8}$/.test(value);
      } else if (prop === 'SUMMARY') current.summary = value;
      if (prop === 'DTSTART' && !current.start) throw new CalendarImportError(`iCalendar line ${i + 1}: DTSTART '${value}' is not a date`);
    }
  });
  return out;
}

/** Events read from a file's text, by its name: `.ics` as iCalendar, anything else as CSV. */
export function parseEvents(text: string, fileName = 'events.csv'): CalendarEvent[] {
  return /\.ics$/i.test(fileName) ? parseEventsIcal(text) : parseEventsCsv(text);
}

/** US federal holidays between two days as calendar events (window 0). */
export function usHolidayEvents(from: string, to: string): CalendarEvent[] {
  return publicHolidays(from, to, 'US').map((h) => ({ date: h.date, name: h.name, lowerWindow: 0, upperWindow: 0 }));
}
