/** Formatting shared by the views; numbers are shown as the API gave them, only rounded for reading. */
export function num(x: unknown, digits = 2): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return x === null || x === undefined ? '—' : String(x);
  const abs = Math.abs(x);
  // Small shares (a rule's support of 0.004) keep two significant digits instead of rounding to 0.
  if (abs > 0 && abs < 10 ** -digits) return x.toPrecision(2);
  const d = abs >= 1000 ? 0 : abs >= 100 ? Math.min(digits, 1) : digits;
  return x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: 0 });
}

export const pct = (x: unknown, digits = 1): string =>
  typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : '—';

export const usd = (x: unknown): string =>
  typeof x === 'number' && Number.isFinite(x) ? `$${x.toLocaleString('en-US', { maximumFractionDigits: 2 })}` : '—';

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
      .map(([k, x]) => `${humanize(k)}: ${cell(x)}`)
      .join('; ');
  }
  return String(v);
}
