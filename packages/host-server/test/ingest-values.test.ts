import { illFormedTextErrors } from '@rfid3/core';
import { describe, expect, it } from 'vitest';
import { plainScan, scanEventSchema } from '../src/ingest/scans.js';
import { normalizeDateTime } from '../src/ingest/values.js';

describe('ingest values', () => {
  it('takes a date-time already as RFID3 stores it exactly as the general parse would (real days and times only, 1970–2200)', () => {
    const cases = [
      '2026-12-08 07:05:09',
      '2024-02-29 12:00:00',
      '2023-02-29 12:00:00',
      '2000-02-29 00:00:00',
      '2100-02-29 00:00:00',
      '2026-04-31 10:00:00',
      '2026-04-30 23:59:59',
      '2026-12-31 24:00:00',
      '2026-12-31 23:60:00',
      '2026-12-31 23:59:60',
      '2026-00-10 10:00:00',
      '2026-13-01 10:00:00',
      '2026-01-00 10:00:00',
      '1969-12-31 23:59:59',
      '1970-01-01 00:00:00',
      '2200-12-31 23:59:59',
      '2201-01-01 00:00:00',
    ];
    const answers = cases.map((c) => normalizeDateTime(c));
    // The same moments written with a T go the general way, through Date.
    expect(answers).toEqual(cases.map((c) => normalizeDateTime(c.replace(' ', 'T'))));
    expect(answers.filter((a) => a !== null)).toEqual([
      '2026-12-08 07:05:09',
      '2024-02-29 12:00:00',
      '2000-02-29 00:00:00',
      '2026-04-30 23:59:59',
      '1970-01-01 00:00:00',
      '2200-12-31 23:59:59',
    ]);
    expect(normalizeDateTime('2026-12-08T07:05:09+02:00')).toBe('2026-12-08 05:05:09');
  });

  it('names every string that is not valid UTF-8 text by its path, nested ones too, and leaves the path given alone', () => {
    const path = ['body'];
    const errors = illFormedTextErrors({ a: ['ok', 'lone \uD800'], b: { c: 'bad \uFFFD', d: 'fine' }, e: 3 }, path);
    expect(errors.map((e) => e.field)).toEqual(['body.a.1', 'body.b.c']);
    expect(path).toEqual(['body']);
    expect(illFormedTextErrors({ a: 'fine', b: ['x'] })).toEqual([]);
  });
  it('reads a plain scan exactly as the schema does, and leaves every other input to the schema', () => {
    // Values around each field's rules: right and wrong types, widths at and past 50, 255 and 5,000, dates in
    // RFID3's form and in others, flags in every spelling, coordinates at and past their bounds.
    const long = (n: number) => 'x'.repeat(n);
    const pool: unknown[] = [
      undefined,
      null,
      '',
      ' ',
      '  T-1 ',
      'T-1',
      'Touch Scan',
      'A',
      'A+',
      'C-',
      'D',
      'a',
      long(50),
      long(51),
      ` ${long(50)} `,
      long(128),
      long(129),
      long(255),
      long(256),
      long(5000),
      long(5001),
      '2026-12-08 07:05:09',
      '2026-12-08T07:05:09',
      '2026-02-30 10:00:00',
      '1969-12-31 23:59:59',
      '2026-12-08',
      0,
      1,
      -0,
      2,
      0.5,
      '0',
      '1',
      'true',
      true,
      false,
      -180,
      180,
      180.1,
      -90,
      90,
      -90.5,
      45.25,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      [],
      {},
      'bad \uD800',
    ];
    const fields = Object.keys(scanEventSchema.shape);
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const base = { tag_id: 'T-1', scan_type: 'Touch Scan', scan_date: '2026-12-08 07:05:09' };
    let quick = 0;
    for (let i = 0; i < 20_000; i++) {
      const row: Record<string, unknown> = random() < 0.5 ? { ...base } : {};
      const changes = 1 + Math.floor(random() * 4);
      for (let c = 0; c < changes; c++) {
        const field = random() < 0.02 ? 'not_a_field' : fields[Math.floor(random() * fields.length)]!;
        const value = pool[Math.floor(random() * pool.length)];
        if (value === undefined && random() < 0.5) delete row[field];
        else row[field] = value;
      }
      const plain = plainScan(row);
      if (plain === undefined) continue;
      quick++;
      const parsed = scanEventSchema.safeParse(row);
      expect(parsed.success, JSON.stringify(row)).toBe(true);
      // The same values under the same keys in the same order.
      expect(Object.entries(plain), JSON.stringify(row)).toEqual(Object.entries(parsed.data!));
    }
    // Most inputs here are odd; the plain ones are still read the quick way.
    expect(quick).toBeGreaterThan(1_000);
    expect(plainScan({ ...base, status: 'On Rent', quality: 'B+', wet: 0, oil: '1', longitude: -95.5, latitude: 29.7, notes: null })).toBeDefined();
    // The schema's own walk for a row that is not plain: a class instance, an array, a date-time with a T.
    expect(plainScan(Object.assign(Object.create({ inherited: 1 }), base))).toBeUndefined();
    expect(plainScan([base])).toBeUndefined();
    expect(plainScan({ ...base, scan_date: '2026-12-08T07:05:09' })).toBeUndefined();
  });
});
