import type { DatabaseHandle } from '../storage/database.js';
import type { IdTransactionsTable } from '../storage/schema.js';
import { sqlDateTime } from '../time/dates.js';

/** MySQL returns DATETIME columns as Date, SQLite as text: either as `YYYY-MM-DD HH:MM:SS`. */
export const scanTimestamp = (v: unknown): string => (v instanceof Date ? sqlDateTime(v) : String(v).slice(0, 19));

/** One scan of an item's history as a reader keeps it: at least when it happened and its row id (the tie-break). */
export interface HistoryEntry {
  /** `YYYY-MM-DD HH:MM:SS` */
  at: string;
  /** The scan's `id_transactions.id`. */
  id: number;
}

/** Which scans `readScanHistory` reads, and how. */
export interface ScanHistoryOptions {
  /** Columns of `id_transactions` the reader needs besides `id`, `tag_id` and `scan_date`. */
  columns: readonly (keyof IdTransactionsTable)[];
  /** Only scans on or before this day (`YYYY-MM-DD`). */
  through?: string;
  /** Only these items (read by tag; otherwise every item, by row id). */
  tagIds?: readonly string[];
  /** Rows per read when every item is read (default 20,000). */
  pageRows?: number;
}

/** Items per read when `tagIds` is given. */
const TAGS_PER_READ = 300;

const byTime = (a: HistoryEntry, b: HistoryEntry) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id - b.id);

/**
 * The scans that make an item's history (returns, scans to Repair, and non-return scans to Ready to Rent), grouped by
 * item, each item's in time order (scan date, then row id). `entry` turns a row into what the caller keeps (return
 * `undefined` to skip the row, an item the caller does not know, say): only that is held, never the driver's rows.
 *
 * Every item is read in pages by row id, which walks the table in its primary key's order and needs no sort by the
 * database: at 11 M scans on MariaDB, one read sorted by item and date outlasted a 30 s query timeout and held every
 * row at once. Scans arrive by row id, so an item's entries are sorted here only if they came out of time order. On
 * SQLite, whose driver answers synchronously, the event loop gets a turn between pages.
 */
export async function readScanHistory<T extends HistoryEntry>(
  database: DatabaseHandle,
  options: ScanHistoryOptions,
  entry: (row: Record<string, unknown>, at: string, tagId: string) => T | undefined,
): Promise<Map<string, T[]>> {
  const { db } = database;
  const columns = [...new Set(['id', 'tag_id', 'scan_date', ...options.columns] as (keyof IdTransactionsTable)[])];
  const base = () => {
    let q = db
      .selectFrom('id_transactions')
      .select(columns)
      .where((eb) => eb.or([eb('scan_type', '=', 'Return'), eb('status', '=', 'Repair'), eb.and([eb('scan_type', '!=', 'Return'), eb('status', '=', 'Ready to Rent')])]));
    if (options.through) q = q.where('scan_date', '<=', `${options.through} 23:59:59`);
    return q;
  };
  const out = new Map<string, T[]>();
  const unsorted = new Set<string>();
  const keep = (rows: Record<string, unknown>[]) => {
    for (const r of rows) {
      const tagId = String(r.tag_id);
      const e = entry(r, scanTimestamp(r.scan_date), tagId);
      if (!e) continue;
      let list = out.get(tagId);
      if (!list) out.set(tagId, (list = []));
      const last = list[list.length - 1];
      if (last && byTime(last, e) > 0) unsorted.add(tagId);
      list.push(e);
    }
  };
  const turn = () => (database.dialect === 'sqlite' ? new Promise<void>((resolve) => setImmediate(resolve)) : Promise.resolve());
  if (options.tagIds) {
    for (let i = 0; i < options.tagIds.length; i += TAGS_PER_READ) {
      if (i > 0) await turn();
      keep(
        (await base()
          .where('tag_id', 'in', options.tagIds.slice(i, i + TAGS_PER_READ))
          .orderBy('id')
          .execute()) as Record<string, unknown>[],
      );
    }
  } else {
    const pageRows = options.pageRows ?? 20_000;
    let after = 0;
    for (let first = true; ; first = false) {
      if (!first) await turn();
      const rows = (await base().where('id', '>', after).orderBy('id').limit(pageRows).execute()) as Record<string, unknown>[];
      if (!rows.length) break;
      after = Number(rows[rows.length - 1]!.id);
      keep(rows);
      if (rows.length < pageRows) break;
    }
  }
  for (const tagId of unsorted) out.get(tagId)!.sort(byTime);
  return out;
}
