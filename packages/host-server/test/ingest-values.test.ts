import { illFormedTextErrors } from '@rfid3/core';
import { describe, expect, it } from 'vitest';
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
});
