/** Formatting shared by the views; numbers are shown as the API gave them, only rounded for reading. */
export function num(x: unknown, digits = 2): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return x === null || x === undefined ? '—' : String(x);
  const abs = Math.abs(x);
  // Small shares (a rule's support of 0.004) keep two significant digits instead of rounding to 0.
  if (abs > 0 && abs < 10 ** -digits) return x.toPrecision(2);
  const d = abs >= 1000 ? 0 : abs >= 100 ? Math.min(digits, 1) : digits;
  return x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: 0 });
}

export const pct = (x: unknown, digits = 1): string => (typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : '—');

/** A share as a whole percentage for sentences: 0.939 → "94 %". */
export const pct0 = (x: unknown): string => pct(x, 0);

/** Dollars, cents only when there are any: 216.33 → "$216.33", 1500 → "$1,500", −12.5 → "−$12.50". */
export function usd(x: unknown): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '—';
  const abs = Math.abs(x);
  const cents = Math.round(abs * 100) % 100 !== 0 && abs < 10_000;
  const s = abs.toLocaleString('en-US', { minimumFractionDigits: cents ? 2 : 0, maximumFractionDigits: cents ? 2 : 0 });
  return `${x < 0 && abs >= 0.005 ? '−' : ''}$${s}`;
}

/** A signed dollar change: "+$21.14", "−$3". */
export const usdChange = (x: unknown): string => (typeof x === 'number' && x > 0 ? `+${usd(x)}` : usd(x));

/**
 * Keys that hold dollars, in any answer: prices, costs, revenue, profit, savings, amounts. Ratios and rates
 * that merely mention money (relative price, ROI, stockout days per thousand dollars) are not money.
 */
const MONEY_KEY = /(price|cost|revenue|profit|saving|amountusd|usd$|resale|turnover|budget|gain$)/i;
const NOT_MONEY_KEY =
  /(relative|factor|roi|elasticity|share|ratio|multiplier|per(thousand|hundred)?usd|days|units|probability|rentals$|pct|percent|count|basis|method|currency|date|period$|^n$)/i;
export const isMoneyKey = (key: string): boolean => {
  const last = key.split('.').pop() ?? key;
  return MONEY_KEY.test(last) && !NOT_MONEY_KEY.test(last);
};

/** About how many units: 4.93 → "5", 1.73 → "1.7", 0.46 → "0.5". */
export function about(x: number): string {
  if (!Number.isFinite(x)) return '—';
  return Math.abs(x) >= 3 ? Math.round(x).toLocaleString('en-US') : (Math.round(x * 10) / 10).toString();
}

/** "1 unit", "3 units". */
export const plural = (n: number, one: string, many = `${one}s`): string => `${num(n, 1)} ${n === 1 ? one : many}`;

/** `lastScanAgeHours` → "Last scan age hours"; `rental_class_num` → "Rental class num". */
export function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_.]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function ageText(hours: number | null | undefined): string {
  if (hours === null || hours === undefined || !Number.isFinite(hours)) return 'unknown';
  if (hours < 1) return `${Math.round(hours * 60)} min ago`;
  if (hours < 48) return `${num(hours, 1)} h ago`;
  return `${num(hours / 24, 1)} days ago`;
}

/** "2026-12-06" → "Sun Dec 6": a manager reads days, not ISO dates. */
export function day(iso: unknown, withYear = false): string {
  if (typeof iso !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(iso)) return iso === null || iso === undefined ? '—' : String(iso);
  const d = new Date(`${iso.slice(0, 10)}T12:00:00Z`);
  return withYear
    ? d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' })
    : d.toLocaleDateString('en-US', { weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/** Severity, worst first; anything unknown after the known levels, no severity last. */
const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low'];
export function severityRank(s: unknown): number {
  if (typeof s !== 'string') return SEVERITY_ORDER.length + 1;
  const i = SEVERITY_ORDER.indexOf(s.toLowerCase());
  return i < 0 ? SEVERITY_ORDER.length : i;
}
/** Stable: rows of equal severity keep the order the API gave them. */
export const bySeverity = <T extends Record<string, unknown>>(rows: T[]): T[] =>
  rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => severityRank(a.r.severity) - severityRank(b.r.severity) || a.i - b.i)
    .map((x) => x.r);

/** A cell's text: scalars as they are, short lists of scalars joined, anything bigger summarised. */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return num(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    if (v.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x))) {
      const shown = v.slice(0, 6).map(cell).join(', ');
      return v.length > 6 ? `${shown}, … (${v.length})` : shown;
    }
    return `${v.length} items`;
  }
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x === null || typeof x !== 'object');
    return entries
      .slice(0, 4)
      .map(([k, x]) => `${humanize(k)}: ${isMoneyKey(k) ? usd(x) : cell(x)}`)
      .join('; ');
  }
  return String(v);
}
