import Holidays from 'date-holidays';
import { describe, expect, it } from 'vitest';
import { knownHolidayNames, publicHolidays } from '../src/index.js';

describe('US public holidays (rule-based)', () => {
  it('are the same days and names as the date-holidays US calendar (public, not substitutes), 1990–2060', () => {
    const hd = new Holidays('US');
    const theirs: string[] = [];
    for (let year = 1990; year <= 2060; year++) {
      for (const h of hd.getHolidays(year)) {
        if (h.type === 'public' && !(h as { substitute?: boolean }).substitute) theirs.push(`${h.date.slice(0, 10)} ${h.name}`);
      }
    }
    const ours = publicHolidays('1990-01-01', '2060-12-31').map((h) => `${h.date} ${h.name}`);
    expect(ours).toEqual(theirs.sort());
    expect(ours.length).toBe(71 * 10 + 40);
  });

  it('keep to the days asked for, across a year end, and know every name closures accept', () => {
    expect(publicHolidays('2026-12-25', '2027-01-18')).toEqual([
      { date: '2026-12-25', name: 'Christmas Day' },
      { date: '2027-01-01', name: "New Year's Day" },
      { date: '2027-01-18', name: 'Martin Luther King Jr. Day' },
    ]);
    expect(publicHolidays('2026-05-26', '2026-06-30').map((h) => h.name)).toEqual(['Juneteenth']);
    expect(publicHolidays('2020-05-25', '2020-06-30').map((h) => h.date)).toEqual(['2020-05-25']);
    expect(knownHolidayNames()).toHaveLength(11);
    expect(() => publicHolidays('2026-01-01', '2026-12-31', 'DE')).toThrow(/US only, not 'DE'/);
  });
});
