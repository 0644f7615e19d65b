import { readFileSync } from 'node:fs';
import type { SeriesInput } from '@rfid3/core';
import { parse } from 'csv-parse/sync';

/** Which columns of a CSV file hold the dates, the values and the regressors. */
export interface SeriesCsvOptions {
  /** Column with the date of each row. */
  date: string;
  /** Column with the value to forecast. */
  value: string;
  /** Columns used as regressors. */
  regressors?: string[];
}

/**
 * Reads a time series from a CSV file with a header row. Rows must be in date order; every value
 * and regressor must be a number, and the error names the file, row and column when one is not.
 */
export function readSeriesCsv(file: string, options: SeriesCsvOptions): SeriesInput & { dates: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[];
  if (rows.length === 0) throw new Error(`${file} has no data rows`);
  const header = Object.keys(rows[0]!);
  const wanted = [options.date, options.value, ...(options.regressors ?? [])];
  const missing = wanted.filter((c) => !header.includes(c));
  if (missing.length) throw new Error(`${file} has no column ${missing.map((c) => `'${c}'`).join(', ')} (columns: ${header.join(', ')})`);
  const number = (row: Record<string, string>, col: string, i: number) => {
    const raw = row[col] ?? '';
    const v = Number(raw);
    if (raw === '' || !Number.isFinite(v)) throw new Error(`${file} row ${i + 2}, column '${col}': '${raw}' is not a number`);
    return v;
  };
  const dates = rows.map((r) => r[options.date]!);
  for (let i = 1; i < dates.length; i++) {
    if (dates[i]! < dates[i - 1]!) throw new Error(`${file} row ${i + 2}: date '${dates[i]}' comes before '${dates[i - 1]}'; sort the file by '${options.date}'`);
  }
  const regressors: Record<string, number[]> = {};
  for (const c of options.regressors ?? []) regressors[c] = rows.map((r, i) => number(r, c, i));
  return {
    dates,
    values: rows.map((r, i) => number(r, options.value, i)),
    ...(options.regressors?.length ? { regressors } : {}),
  };
}
