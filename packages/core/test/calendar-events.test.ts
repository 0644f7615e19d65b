import { describe, expect, it } from 'vitest';
import { CalendarImportError, eventsKnownAt, parseEvents, parseEventsCsv, parseEventsIcal, usHolidayEvents } from '../src/index.js';

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

  it('reads the day an event became known (known_from) and keeps only the events known at a cutoff', () => {
    const events = parseEventsCsv('date,name,known_from\n2014-01-12,playoff,2014-01-05\n2014-02-02,superbowl,2014-01-19\n2014-07-04,fair,\n');
    expect(events[0]).toEqual({ date: '2014-01-12', name: 'playoff', lowerWindow: 0, upperWindow: 0, knownFrom: '2014-01-05' });
    expect(events[2]).not.toHaveProperty('knownFrom');
    expect(eventsKnownAt(events, '2014-01-04').map((e) => e.name)).toEqual(['fair']);
    expect(eventsKnownAt(events, '2014-01-05').map((e) => e.name)).toEqual(['playoff', 'fair']);
    expect(eventsKnownAt(events, '2014-01-19')).toHaveLength(3);
    expect(() => parseEventsCsv('date,name,known_from\n2014-01-12,x,2014-01-13\n')).toThrow(/row 2: known_from 2014-01-13 is after the event/);
    expect(() => parseEventsCsv('date,name,known_from\n2014-01-12,x,Jan 5\n')).toThrow(/row 2: known_from 'Jan 5'/);
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
