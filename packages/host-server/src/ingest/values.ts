import type { FieldError } from '@rfid3/core';
import { z } from 'zod';

/** RFID3's letter grades, best first (BRIEF §3: an ordinal grade, not a number). */
export const QUALITY_GRADES = ['A+', 'A', 'A-', 'B+', 'B', 'B-', 'C+', 'C', 'C-'] as const;

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A date or date-time as RFID3 stores it (`YYYY-MM-DD HH:MM:SS`, UTC, whole seconds). Accepts ISO 8601
 * with `T` or a space, an optional zone (converted to UTC) and fractions (dropped: DATETIME has none).
 */
export function normalizeDateTime(value: string): string | null {
  if (isCanonicalDateTime(value)) return value;
  const m = DATE_TIME.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', zone] = m;
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(base);
  // Reject 2026-02-30 and 25:00 rather than letting Date roll them over.
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  let ms = base;
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  const year = new Date(ms).getUTCFullYear();
  if (year < 1970 || year > 2200) return null;
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

const CANONICAL = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Whether `value` is already as RFID3 stores it (`YYYY-MM-DD HH:MM:SS`, a real day and time, 1970–2200): what
 * `normalizeDateTime` would give back unchanged, told without making a Date (every scan of a batch comes this way).
 */
export function isCanonicalDateTime(value: string): boolean {
  if (value.length !== 19 || !CANONICAL.test(value)) return false;
  const n = (from: number, to: number) => Number(value.slice(from, to));
  const [y, mo, d] = [n(0, 4), n(5, 7), n(8, 10)];
  if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!)) return false;
  return n(11, 13) <= 23 && n(14, 16) <= 59 && n(17, 19) <= 59;
}

export const dateTimeField = z
  .string()
  .max(40)
  .transform((v, ctx) => {
    const n = normalizeDateTime(v);
    if (n === null) {
      ctx.addIssue({ code: 'custom', message: `'${v.slice(0, 40)}' is not a date-time (YYYY-MM-DD HH:MM:SS or ISO 8601)` });
      return z.NEVER;
    }
    return n;
  });

export const dateField = dateTimeField.transform((v) => v.slice(0, 10));

export const text = (max: number) => z.string().max(max).nullish();

/** RFID3's BOOLEAN columns (TINYINT(1)): true/false, 0/1 or '0'/'1'. */
export const flagField = z
  .union([z.boolean(), z.literal(0), z.literal(1), z.literal('0'), z.literal('1')], { error: 'expected true/false or 0/1' })
  .nullish()
  .transform((v) => (v === null || v === undefined ? null : v === true || v === 1 || v === '1' ? 1 : 0));

export const money = z.number().finite().min(-1e9).max(1e9).nullish();
export const count = z.number().int().min(-1e9).max(1e9).nullish();

/** No RFID3 event is older than this; an earlier date is a clock or export fault. */
export const EARLIEST_EVENT = '2000-01-01 00:00:00';
/** How far ahead of our clock an event may claim to have happened (clock skew between reader, POS and host). */
export const MAX_AHEAD_MS = 86_400_000;

/**
 * Field errors for dates an event cannot have: any before 2000, and for the moments it says already
 * happened (`happened`), any more than a day ahead of the clock. Planned dates (due, promised) may be ahead.
 */
export function eventDateErrors(dates: Record<string, string | null | undefined>, now: Date, happened: readonly string[]): FieldError[] {
  return eventDateCheck(now, happened)(dates);
}

/** `eventDateErrors` against one clock reading, for every row of a batch. */
export function eventDateCheck(now: Date, happened: readonly string[]): (dates: Record<string, string | null | undefined>) => FieldError[] {
  const latest = new Date(now.getTime() + MAX_AHEAD_MS).toISOString().slice(0, 19).replace('T', ' ');
  return (dates) => {
    const errors: FieldError[] = [];
    for (const [field, value] of Object.entries(dates)) {
      if (!value) continue;
      if (value < EARLIEST_EVENT) errors.push({ field, message: `${value} is before 2000-01-01` });
      else if (happened.includes(field.split('.').pop()!) && value > latest)
        errors.push({ field, message: `${value} is more than a day ahead of the server's clock (${latest.slice(0, 16)} UTC at the latest)` });
    }
    return errors;
  };
}
