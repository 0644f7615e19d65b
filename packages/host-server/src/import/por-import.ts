import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Clock, DatabaseHandle, EventBus } from '@rfid3/core';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { ensureHostTables, hostDb } from '../host-tables.js';
import { tableColumns } from '../ingest/columns.js';
import type { PorFileSpec } from './por-files.js';
import { POR_FILES } from './por-files.js';
import { CellError, parseCell } from './por-values.js';

/** What the import did with one Point of Rental file. */
export interface FileReport {
  file: string;
  kind: PorFileSpec['kind'];
  table: string;
  rows: number;
  imported: number;
  updated: number;
  skipped: number;
  /** Why rows were skipped, with how many each. */
  reasons: Record<string, number>;
  /** The first skipped rows, by line number (the header is line 1). */
  examples: { line: number; reason: string }[];
  /** Columns of the table that this file did not carry (left as they were). */
  missingColumns: string[];
}

/** What an import of a folder of Point of Rental exports did, file by file. */
export interface PorImportReport {
  dir: string;
  files: FileReport[];
  /** Export files in the folder that are not one of the four kinds. */
  ignored: string[];
}

type Row = Record<string, string | number | null>;

const normHeader = (h: string) => h.trim().replace(/\s+/g, ' ').toLowerCase();
/** The same value as the database gives it back: numbers to 4 places, date-times to the second. */
const norm = (v: unknown) => (v === null || v === undefined || v === '' ? null : typeof v === 'number' ? Math.round(v * 1e4) / 1e4 : String(v).slice(0, 19));
const keyOf = (row: Record<string, unknown>, key: string[]) => key.map((k) => String(row[k])).join('\u0000');

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Reads one export file into table rows, naming the reason for every row it cannot use. */
export function readPorFile(
  path: string,
  spec: PorFileSpec,
): { rows: { line: number; row: Row }[]; skipped: { line: number; reason: string }[]; present: string[]; rowCount: number } {
  const text = readFileSync(path, 'utf8');
  const records = parse(text, { bom: true, columns: false, skip_empty_lines: true, relax_column_count: true, relax_quotes: true }) as string[][];
  if (records.length === 0) return { rows: [], skipped: [], present: [], rowCount: 0 };
  const header = records[0]!.map(normHeader);
  const index = new Map<string, number>();
  for (const c of spec.columns) {
    const i = c.headers
      .map(normHeader)
      .map((h) => header.indexOf(h))
      .find((i) => i >= 0);
    if (i !== undefined) index.set(c.column, i);
  }
  const missingKey = spec.key.filter((k) => !index.has(k) && !(spec.kind === 'transaction_items' && k === 'line_number'));
  if (missingKey.length) {
    const wanted = missingKey.map((k) => spec.columns.find((c) => c.column === k)!.headers.join(' or ')).join('; ');
    throw new Error(`${basename(path)}: no ${wanted} column in the header, so its rows cannot be matched`);
  }
  const rows: { line: number; row: Row }[] = [];
  const skipped: { line: number; reason: string }[] = [];
  const linesPerContract = new Map<string, number>();
  for (let r = 1; r < records.length; r++) {
    const cells = records[r]!;
    const line = r + 1;
    const row: Row = {};
    let problem: string | null = null;
    for (const c of spec.columns) {
      const i = index.get(c.column);
      if (i === undefined) continue;
      try {
        row[c.column] = parseCell(cells[i], c.type, c.max);
      } catch (err) {
        if (!(err instanceof CellError)) throw err;
        problem = `column '${records[0]![i]!.trim()}': ${err.message}`;
        break;
      }
    }
    if (!problem && spec.kind === 'transaction_items' && row.line_number == null && row.contract_no != null) {
      // Without a line number the line's place in its contract (in file order) identifies it.
      const n = (linesPerContract.get(String(row.contract_no)) ?? 0) + 1;
      linesPerContract.set(String(row.contract_no), n);
      row.line_number = n;
    }
    if (!problem) {
      const empty = spec.key.filter((k) => row[k] == null);
      if (empty.length) problem = `no ${empty.join(', ')}`;
    }
    if (!problem && spec.exclude) problem = spec.exclude(row);
    if (problem) skipped.push({ line, reason: problem });
    else rows.push({ line, row });
  }
  const present = [...index.keys()];
  if (spec.kind === 'transaction_items' && !present.includes('line_number')) present.push('line_number');
  return { rows, skipped, present, rowCount: records.length - 1 };
}

/** Groups a skip reason for the report: the column and kind of fault, without the cell's own value. */
function reasonKey(reason: string): string {
  return reason.replace(/'[^']*' (is|has)/, '$1').replace(/ \(line \d+\)/, '');
}

/**
 * Imports the Point of Rental weekly exports in `dir` into RFID3's `pos_*` tables: rows are matched on
 * their natural keys (item number; contract and store; contract and line; customer key), new ones
 * inserted, changed ones updated, unchanged ones skipped, so a re-run on the same files changes nothing.
 * Each file is one transaction. Only columns the file carries are written.
 */
export async function importPorDirectory(database: DatabaseHandle, clock: Clock, dir: string, options: { events?: EventBus } = {}): Promise<PorImportReport> {
  await ensureHostTables(database);
  const names = readdirSync(dir)
    .filter((n) => n.toLowerCase().endsWith('.csv'))
    .sort();
  const used = new Set<string>();
  const files: FileReport[] = [];
  const touched = { itemNums: new Set<string>(), stores: new Set<string>(), days: [] as string[], tables: new Set<string>() };
  for (const spec of POR_FILES) {
    for (const name of names.filter((n) => spec.match.test(n) && !used.has(n))) {
      used.add(name);
      files.push(await importFile(database, clock, join(dir, name), spec, touched));
    }
  }
  if (options.events && touched.tables.size) {
    const days = touched.days.sort();
    const rentalClasses = new Set<string>();
    for (const part of chunks([...touched.itemNums], 1000)) {
      for (const r of await database.db.selectFrom('pos_equipment').select('rfid_rental_class_num').where('item_num', 'in', part).execute()) {
        if (r.rfid_rental_class_num) rentalClasses.add(r.rfid_rental_class_num);
      }
    }
    await options.events.emit('data-changed', {
      source: 'import.por',
      tables: [...touched.tables].sort(),
      ...(rentalClasses.size ? { rentalClasses: [...rentalClasses].sort() } : {}),
      ...(touched.stores.size ? { stores: [...touched.stores].sort() } : {}),
      ...(days.length ? { from: days[0]!.slice(0, 10), to: days[days.length - 1]!.slice(0, 10) } : {}),
    });
  }
  return { dir, files, ignored: names.filter((n) => !used.has(n)) };
}

async function importFile(
  database: DatabaseHandle,
  clock: Clock,
  path: string,
  spec: PorFileSpec,
  touched: { itemNums: Set<string>; stores: Set<string>; days: string[]; tables: Set<string> },
): Promise<FileReport> {
  const tableCols = await tableColumns(database, spec.table);
  const { rows, skipped, present, rowCount } = readPorFile(path, spec);
  const writable = present.filter((c) => tableCols.has(c));
  const report: FileReport = {
    file: basename(path),
    kind: spec.kind,
    table: spec.table,
    rows: rowCount,
    imported: 0,
    updated: 0,
    skipped: 0,
    reasons: {},
    examples: [],
    missingColumns: spec.columns.map((c) => c.column).filter((c) => !writable.includes(c)),
  };
  const skip = (line: number, reason: string) => {
    report.skipped++;
    const k = reasonKey(reason);
    report.reasons[k] = (report.reasons[k] ?? 0) + 1;
    if (report.examples.length < 20) report.examples.push({ line, reason });
  };
  for (const s of skipped) skip(s.line, s.reason);

  // A key repeated in the file: its last row wins, as a later export line would.
  const last = new Map<string, { line: number; row: Row }>();
  for (const r of rows) {
    const k = keyOf(r.row, spec.key);
    const prev = last.get(k);
    if (prev) skip(prev.line, `same ${spec.key.join(' + ')} again on line ${r.line}`);
    last.set(k, r);
  }
  const now = clock.now().toISOString().slice(0, 19).replace('T', ' ');
  const stamps = Object.fromEntries(spec.stamps.filter((s) => tableCols.has(s)).map((s) => [s, now]));
  const db = hostDb(database);
  await db.transaction().execute(async (trx) => {
    const existing = new Map<string, Record<string, unknown>>();
    const first = spec.key[0]!;
    for (const part of chunks([...new Set([...last.values()].map((r) => String(r.row[first])))], 1000)) {
      // The columns are the file's, known only at run time: named with `sql.ref`, which quotes them per dialect.
      const columns = ['id', ...new Set([...spec.key, ...writable])].map((c) => sql.ref(c));
      const found = await sql<Record<string, unknown>>`select ${sql.join(columns)} from ${sql.table(spec.table)} where ${sql.ref(first)} in (${sql.join(part)})`.execute(trx);
      for (const f of found.rows) existing.set(keyOf(f, spec.key), f);
    }
    const inserts: Record<string, unknown>[] = [];
    for (const [k, { line, row }] of last) {
      const values = Object.fromEntries(writable.map((c) => [c, row[c] ?? null]));
      const old = existing.get(k);
      if (!old) inserts.push({ ...values, ...stamps });
      else if (writable.every((c) => norm(old[c]) === norm(values[c]))) {
        skip(line, 'unchanged since the last import');
        continue;
      } else {
        const { created_at: _c, ...updateStamps } = stamps;
        const set = Object.entries({ ...values, ...updateStamps }).map(([c, v]) => sql`${sql.ref(c)} = ${v}`);
        await sql`update ${sql.table(spec.table)} set ${sql.join(set)} where ${sql.ref('id')} = ${old.id}`.execute(trx);
        report.updated++;
      }
      if (row.item_num) touched.itemNums.add(String(row.item_num));
      if (row.store_no) touched.stores.add(String(row.store_no));
      for (const d of [row.contract_date, row.close_date, row.due_date]) if (typeof d === 'string') touched.days.push(d);
      touched.tables.add(spec.table);
    }
    const perChunk = Math.max(1, Math.floor(database.maxBoundValues / (writable.length + Object.keys(stamps).length + 1)));
    // Every row names the same columns: the writable ones and the stamps.
    const insertColumns = [...new Set([...writable, ...Object.keys(stamps)])];
    for (const part of chunks(inserts, perChunk)) {
      const rows = part.map((r) => sql`(${sql.join(insertColumns.map((c) => r[c]))})`);
      await sql`insert into ${sql.table(spec.table)} (${sql.join(insertColumns.map((c) => sql.ref(c)))}) values ${sql.join(rows)}`.execute(trx);
    }
    report.imported = inserts.length;
  });
  return report;
}
