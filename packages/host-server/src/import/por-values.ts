/** Parsing of Point of Rental export cells: money with `$` and thousands separators, US dates, TRUE/FALSE. */

export type CellType = 'text' | 'money' | 'int' | 'date' | 'datetime' | 'bool';

export class CellError extends Error {}

/** POR writes this for "no date". */
const NULL_DATES = /^12\/30\/1899\b|^1899-12-30\b|^0000-00-00\b/;

const pad = (n: number) => String(n).padStart(2, '0');

function validDate(y: number, m: number, d: number): boolean {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d && y >= 1900 && y <= 2200;
}

/** `8/26/2025`, `8/26/2025 2:05 PM`, `8/26/25 14:05`, `2025-08-26`, `2025-08-26 14:05:00` → `YYYY-MM-DD HH:MM:SS`. */
export function parsePorDateTime(raw: string): string | null {
  const s = raw.trim();
  if (s === '' || NULL_DATES.test(s) || /^(null|n\/a|-)$/i.test(s)) return null;
  let y: number, mo: number, d: number;
  let rest: string;
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](.*))?$/.exec(s);
  if (m) {
    [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    rest = m[4] ?? '';
  } else {
    m = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})(?:\s+(.*))?$/.exec(s);
    if (!m) throw new CellError(`'${s.slice(0, 40)}' is not a date`);
    [mo, d, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (m[3]!.length === 2) y += y < 70 ? 2000 : 1900;
    rest = m[4] ?? '';
  }
  if (!validDate(y, mo, d)) throw new CellError(`'${s.slice(0, 40)}' is not a date`);
  let h = 0;
  let mi = 0;
  let sec = 0;
  if (rest.trim()) {
    const t = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(AM|PM)?(?:Z)?$/i.exec(rest.trim());
    if (!t) throw new CellError(`'${s.slice(0, 40)}' has a time that is not H:MM[:SS] [AM|PM]`);
    [h, mi, sec] = [Number(t[1]), Number(t[2]), Number(t[3] ?? 0)];
    const ampm = t[4]?.toUpperCase();
    if (ampm) {
      if (h < 1 || h > 12) throw new CellError(`'${s}' has an hour outside 1–12 with ${ampm}`);
      if (ampm === 'AM' && h === 12) h = 0;
      if (ampm === 'PM' && h !== 12) h += 12;
    }
    if (h > 23 || mi > 59 || sec > 59) throw new CellError(`'${s}' has an impossible time`);
  }
  return `${y}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}:${pad(sec)}`;
}

/** `$1,234.50`, `(12.00)` (negative), `-3` → number; empty → null. */
export function parseMoney(raw: string): number | null {
  let s = raw.trim();
  if (s === '' || /^(null|n\/a|-)$/i.test(s)) return null;
  let negative = false;
  if (/^\(.*\)$/.test(s)) {
    negative = true;
    s = s.slice(1, -1);
  }
  s = s.replace(/[$,\s]/g, '');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)) throw new CellError(`'${raw.trim().slice(0, 40)}' is not a number`);
  const n = Number(s);
  if (!Number.isFinite(n) || Math.abs(n) > 1e10) throw new CellError(`'${raw.trim().slice(0, 40)}' is out of range`);
  return negative ? -n : n;
}

export function parseCell(raw: string | undefined, type: CellType, max = 255): string | number | null {
  if (raw === undefined) return null;
  switch (type) {
    case 'text': {
      const s = raw.trim();
      if (s === '') return null;
      if (s.length > max) throw new CellError(`is longer than ${max} characters`);
      return s;
    }
    case 'money':
      return parseMoney(raw);
    case 'int': {
      const n = parseMoney(raw);
      if (n === null) return null;
      if (!Number.isInteger(n)) throw new CellError(`'${raw.trim()}' is not a whole number`);
      return n;
    }
    case 'date': {
      const d = parsePorDateTime(raw);
      return d === null ? null : d.slice(0, 10);
    }
    case 'datetime':
      return parsePorDateTime(raw);
    case 'bool': {
      const s = raw.trim().toUpperCase();
      if (s === '') return null;
      if (['TRUE', 'T', '1', 'Y', 'YES'].includes(s)) return 1;
      if (['FALSE', 'F', '0', 'N', 'NO'].includes(s)) return 0;
      throw new CellError(`'${raw.trim()}' is not TRUE/FALSE`);
    }
  }
}
