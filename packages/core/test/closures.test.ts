import { afterAll, describe, expect, it } from 'vitest';
import { closedDays, coreMigrations, createDatabase, DEFAULT_CLOSED_HOLIDAYS, knownHolidayNames, migrate, OUTBOUND_SCAN_TYPES, type DatabaseHandle } from '../src/index.js';
import { simulate } from '../src/simulator/index.js';

describe('store closures', () => {
  it('names the closed days of a range with why: default holidays, extra dates, closed weekdays', () => {
    const days = closedDays('2026-11-01', '2027-01-03', { holidays: DEFAULT_CLOSED_HOLIDAYS, dates: ['2026-12-31'], hours: { sun: 'closed', mon: '08:00-17:00' } });
    expect(days.get('2026-11-26')).toBe('closed: Thanksgiving Day');
    expect(days.get('2026-12-25')).toBe('closed: Christmas Day');
    expect(days.get('2027-01-01')).toBe("closed: New Year's Day");
    expect(days.get('2026-12-31')).toMatch(/closure day/);
    expect(days.get('2026-12-27')).toMatch(/sun/); // a Sunday
    expect(days.has('2026-12-24')).toBe(false);
    expect(days.has('2026-12-28')).toBe(false); // a Monday, open
    expect(closedDays('2026-12-01', '2026-12-31', {}).size).toBe(0);
    expect(knownHolidayNames()).toEqual(expect.arrayContaining([...DEFAULT_CLOSED_HOLIDAYS]));
  });

  describe('the simulator closed on holidays', () => {
    const dbs: DatabaseHandle[] = [];
    afterAll(async () => {
      for (const d of dbs) await d.close();
    });
    const unitsOutByDay = async (closedHolidays?: readonly string[]) => {
      const db = createDatabase('sqlite::memory:');
      dbs.push(db);
      await migrate(db, 'core', coreMigrations);
      await simulate(db, { seed: 3, items: 300, days: 70, end: '2027-01-05', ...(closedHolidays ? { closedHolidays } : {}) });
      const rows = await db.db
        .selectFrom('id_transactions')
        .select(['scan_date'])
        .where('scan_type', 'in', [...OUTBOUND_SCAN_TYPES])
        .execute();
      const out = new Map<string, number>();
      for (const r of rows) out.set(String(r.scan_date).slice(0, 10), (out.get(String(r.scan_date).slice(0, 10)) ?? 0) + 1);
      return out;
    };

    it('sends nothing out on the closed holidays, and does when open', async () => {
      const closed = await unitsOutByDay(DEFAULT_CLOSED_HOLIDAYS);
      for (const d of ['2026-11-26', '2026-12-25', '2027-01-01']) expect(closed.get(d) ?? 0, d).toBe(0);
      expect(closed.get('2026-12-24') ?? 0).toBeGreaterThan(0);
      const open = await unitsOutByDay();
      expect(['2026-11-26', '2026-12-25', '2027-01-01'].reduce((s, d) => s + (open.get(d) ?? 0), 0)).toBeGreaterThan(0);
    });
  });
});
