import { parse } from 'csv-parse/sync';

/**
 * A CSV table turned into numeric feature columns: numeric columns as they are (empty → NaN),
 * categorical columns (any non-numeric value) one-hot encoded with the levels seen in the training rows.
 */
export interface EncodedTable {
  featureNames: string[];
  x: Float64Array[];
  y: Float64Array;
  rows: number;
  /** Categorical source columns and their levels. */
  categorical: Record<string, string[]>;
}

/**
 * Parses CSV text with a header row (RFC 4180 quotes, CRLF or LF, blank lines skipped). Rows may have fewer or
 * more fields than the header: `encodeTable` reads columns by position.
 */
export function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const out = parse(text, { skip_empty_lines: true, relax_column_count: true }) as string[][];
  const header = out.shift() ?? [];
  return { header, rows: out };
}

const isNumeric = (s: string) => s.trim() !== '' && Number.isFinite(Number(s));

/**
 * Encodes `target` (0/1 or, for regression, any number) and every other column not in `drop`.
 * `levelsFrom` rows (default all) decide the one-hot levels, so a held-out tail cannot add levels.
 */
export function encodeTable(header: string[], rows: string[][], options: { target: string; drop?: string[]; levelsFrom?: number }): EncodedTable {
  const t = header.indexOf(options.target);
  if (t < 0) throw new Error(`no column '${options.target}' (columns: ${header.join(', ')})`);
  const drop = new Set(options.drop ?? []);
  for (const d of drop) if (!header.includes(d)) throw new Error(`--drop: no column '${d}' (columns: ${header.join(', ')})`);
  const n = rows.length;
  const levelsFrom = options.levelsFrom ?? n;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = Number(rows[i]![t]);
    if (!Number.isFinite(v)) throw new Error(`row ${i + 2}: target '${options.target}' is '${rows[i]![t]}', not a number`);
    y[i] = v;
  }
  const featureNames: string[] = [];
  const x: Float64Array[] = [];
  const categorical: Record<string, string[]> = {};
  header.forEach((name, c) => {
    if (c === t || drop.has(name)) return;
    let numeric = true;
    for (let i = 0; i < n && numeric; i++) {
      const s = rows[i]![c] ?? '';
      if (s.trim() !== '' && !isNumeric(s)) numeric = false;
    }
    if (numeric) {
      featureNames.push(name);
      x.push(Float64Array.from(rows, (r) => (r[c] === undefined || r[c]!.trim() === '' ? Number.NaN : Number(r[c]))));
      return;
    }
    const levels: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < levelsFrom; i++) {
      const s = rows[i]![c] ?? '';
      if (!seen.has(s)) {
        seen.add(s);
        levels.push(s);
      }
    }
    if (levels.length > 64) throw new Error(`column '${name}' has ${levels.length} distinct non-numeric values; drop it or encode it first`);
    categorical[name] = levels;
    for (const level of levels) {
      featureNames.push(`${name}=${level}`);
      x.push(Float64Array.from(rows, (r) => ((r[c] ?? '') === level ? 1 : 0)));
    }
  });
  return { featureNames, x, y, rows: n, categorical };
}

/** Rows [from, to) of every column. */
export function sliceColumns(x: ArrayLike<number>[], from: number, to: number): Float64Array[] {
  return x.map((c) => Float64Array.prototype.slice.call(c, from, to) as Float64Array);
}
