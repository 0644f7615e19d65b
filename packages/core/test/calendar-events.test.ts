import { describe, expect, it } from 'vitest';
import { CalendarImportError, parseEvents, parseEventsCsv, parseEventsIcal, usHolidayEvents } from '../src/index.js';

describe('local event calendars', () => {
  it('reads a CSV with windows, defaulting them to 0, and names the row of a bad date or window', () => {
    const events = parseEventsCsv('date,name,lower_window,upper_window\n2026-06-13,graduation,-2,0\n2026-08-14,County Fair,,3\n');
    expect(events).toEqual([
      { date: '2026-06-13', name: 'graduation', lowerWindow: -2, upperWindow: 0 },
      { date: '2026-08-14', name: 'County Fair', lowerWindow: 0, upperWindow: 3 },
    ]);
    expect(() => parseEventsCsv('date,name\n2026-13-01,x\n')).toThrow(/row 2: date '2026-13-01'/);
    expect(() => parseEventsCsv('date,name\n06/13/2026,x\n')).toThrow(CalendarImportError);
    expect(() => parseEventsCsv('date,name,lower_window\n2026-06-13,x,2\n')).toThrow(/row 2: lower_window/);
    expect(() => parseEventsCsv('date,name\n2026-06-13,\n')).toThrow(/name is empty/);
  });

  it('reads iCalendar all-day events (folded lines, escapes, multi-day spans) and timed ones on their start day', () => {
    const ics = [
      'BEGIN:VCALENDAR',
      'BEGIN:VEVENT',
      'DTSTART;VALUE=DATE:20260523',
      'DTEND;VALUE=DATE:20260526',
      'SUMMARY:Wedding fair\\, spring',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'DTSTART:20260704T180000Z',
      'SUMMARY:Fire',
      ' works',
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\r\n');
    expect(parseEventsIcal(ics)).toEqual([
      { date: '2026-05-23', name: 'Wedding fair, spring', lowerWindow: 0, upperWindow: 2 },
      { date: '2026-07-04', name: 'Fireworks', lowerWindow: 0, upperWindow: 0 },
    ]);
    expect(parseEvents(ics, 'local.ics')).toHaveLength(2);
    expect(() => parseEventsIcal('BEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT')).toThrow(/without DTSTART/);
  });

  it('lists the US federal holidays of a range on their dates', () => {
    const h = usHolidayEvents('2026-01-01', '2026-12-31');
    const names = new Map(h.map((e) => [e.name, e.date]));
    expect(names.get('Independence Day')).toBe('2026-07-04');
    expect(names.get('Thanksgiving Day')).toBe('2026-11-26');
    expect(names.get('Labor Day')).toBe('2026-09-07');
    expect(h.length).toBeGreaterThanOrEqual(10);
  });
});
