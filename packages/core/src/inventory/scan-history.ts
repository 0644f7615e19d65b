import type { DatabaseHandle } from '../storage/database.js';
import type { IdTransactionsTable } from '../storage/schema.js';
import { sql } from 'kysely';
import { dayRange, sqlDateTime } from '../time/dates.js';
import { scanIdSpan } from './row-ids.js';

/** MySQL returns DATETIME columns as Date, SQLite as text: either as `YYYY-MM-DD HH:MM:SS`. */
export const scanTimestamp = (v: unknown): string => (v instanceof Date ? sqlDateTime(v) : String(v).slice(0, 19));

/** A walk over each item's history scans: a state per item, and one step per scan in time order. */
export interface ScanFold<S> {
  /** A new state for the item's walk (called again, to start over, when its scans came out of time order), or `undefined` to skip the item. */
  start(tagId: string): S | undefined;
  /** The item's next scan, in time order (scan date, then row id). `at` is its `YYYY-MM-DD HH:MM:SS`. */
  step(state: S, row: Record<string, unknown>, at: string): void;
}

/** Which scans `foldScanHistory` reads, and how. */
export interface ScanHistoryOptions {
  /** Columns of `id_transactions` the walk needs besides `id`, `tag_id` and `scan_date`. */
  columns: readonly (keyof IdTransactionsTable)[];
  /** Only scans on or before this day (`YYYY-MM-DD`). */
  through?: string;
  /** Only these items (read by tag; otherwise every item, by row id). */
  tagIds?: readonly string[];
  /** Row ids per read when every item is read (default 5,000). */
  pageRows?: number;
}

/** Items per read by tag. */
const TAGS_PER_READ = 300;
/**
 * Rows per page of the scan walks. A page's rows must die young: at 20,000 rows they outlived V8's young generation
 * and piled up in the old one, so walking 1.1 M scans peaked at 360 MiB RSS and took 7.5 s on SQLite; at 5,000,
 * 146 MiB and 3.3 s.
 */
const PAGE_ROWS = 5_000;

/**
 * Walks the scans that make each item's history (returns, scans to Repair, and non-return scans to Ready to Rent)
 * item by item in time order, and resolves with each item's final state. Nothing but the states is kept: no row of
 * the driver outlives its page.
 *
 * Every item is read in pages of row ids, which follow the table's primary key and need no sort by the database:
 * at 11 M scans on MariaDB, one read sorted by item and date outlasted a 30 s query timeout and held every row at
 * once. Scans are stored as they arrive, so an item's come by row id in time order; an item with a scan older than
 * one already walked (a late upload) is walked again from the start, its scans read in time order by tag. The next
 * three pages are read while one is walked (one read ahead, each page asked after the last row of the one before,
 * left the walk waiting on the database). On SQLite, whose driver answers synchronously, the event loop gets a turn
 * between pages.
 */
export async function foldScanHistory<S>(database: DatabaseHandle, options: ScanHistoryOptions, fold: ScanFold<S>): Promise<Map<string, S>> {
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
  const states = new Map<string, S>();
  const skipped = new Set<string>();
  const turn = () => (database.dialect === 'sqlite' ? new Promise<void>((resolve) => setImmediate(resolve)) : Promise.resolve());
  const byTag = async (tags: readonly string[], walk: (rows: Record<string, unknown>[]) => void) => {
    for (let i = 0; i < tags.length; i += TAGS_PER_READ) {
      if (i > 0) await turn();
      walk(
        (await base()
          .where('tag_id', 'in', tags.slice(i, i + TAGS_PER_READ))
          .orderBy('tag_id')
          .orderBy('scan_date')
          .orderBy('id')
          .execute()) as Record<string, unknown>[],
      );
    }
  };
  const stateOf = (tagId: string) => {
    let state = states.get(tagId);
    if (state === undefined && !skipped.has(tagId)) {
      state = fold.start(tagId);
      if (state === undefined) skipped.add(tagId);
      else states.set(tagId, state);
    }
    return state;
  };
  if (options.tagIds) {
    await byTag(options.tagIds, (rows) => {
      for (const r of rows) {
        const tagId = String(r.tag_id);
        const state = stateOf(tagId);
        if (state !== undefined) fold.step(state, r, scanTimestamp(r.scan_date));
      }
    });
    return states;
  }
  // The last scan walked of each item, to see one that comes out of time order.
  const lastAt = new Map<string, string>();
  const lastId = new Map<string, number>();
  const again = new Set<string>();
  const pageRows = options.pageRows ?? PAGE_ROWS;
  const walkPage = (rows: Record<string, unknown>[]) => {
    for (const r of rows) {
      const tagId = String(r.tag_id);
      if (again.has(tagId)) continue;
      const state = stateOf(tagId);
      if (state === undefined) continue;
      const at = scanTimestamp(r.scan_date);
      const id = Number(r.id);
      const prev = lastAt.get(tagId);
      if (prev !== undefined && (at < prev || (at === prev && id < lastId.get(tagId)!))) {
        again.add(tagId);
        continue;
      }
      lastAt.set(tagId, at);
      lastId.set(tagId, id);
      fold.step(state, r, at);
    }
  };
  // Pages of `pageRows` row ids over the whole table (its first and last id from the primary key: asking the scan-date
  // index for the ids of every scan through a day read the whole index, 0.33 s per million scans on MariaDB); the next
  // three are read while one is walked.
  const ids = await db
    .selectFrom('id_transactions')
    .select([sql<number | null>`min(id)`.as('lo'), sql<number | null>`max(id)`.as('hi')])
    .executeTakeFirst();
  const pages: number[] = [];
  if (ids?.lo != null && ids.hi != null) for (let after = Number(ids.lo) - 1; after < Number(ids.hi); after += pageRows) pages.push(after);
  const page = (after: number) =>
    base()
      .where('id', '>', after)
      .where('id', '<=', after + pageRows)
      .orderBy('id')
      .execute() as Promise<Record<string, unknown>[]>;
  for await (const rows of readingAheadEach(pages, page, READS_AHEAD)) {
    walkPage(rows);
    await turn();
  }
  if (again.size) {
    const walking = new Map<string, S>();
    for (const tagId of again) walking.set(tagId, fold.start(tagId)!);
    await byTag([...again], (rows) => {
      for (const r of rows) fold.step(walking.get(String(r.tag_id))!, r, scanTimestamp(r.scan_date));
    });
    for (const [tagId, state] of walking) states.set(tagId, state);
  }
  return states;
}

/** Which scans `scansInTimeOrder` reads. */
export interface TimeOrderOptions<C extends keyof IdTransactionsTable> {
  /** `YYYY-MM-DD HH:MM:SS`, inclusive. */
  start: string;
  /** `YYYY-MM-DD HH:MM:SS`, inclusive. */
  end: string;
  /** Columns besides `id` and `scan_date`. */
  columns: readonly C[];
  /** Only scans with a status. */
  withStatus?: boolean;
  /** Only scans of these rental classes. */
  rentalClasses?: readonly string[] | null;
  /** Rows per read (default 5,000). */
  pageRows?: number;
  /** Distinct values of a column held once for the whole walk (default 65,536); past it, a day keeps its own. */
  internedPerColumn?: number;
}

/** Distinct values per column the walk holds once for all its days; a column with more keeps the rest per day. */
const INTERNED_PER_COLUMN = 65_536;

/** A column's values as small codes: each distinct value kept once for the whole walk (up to a limit). */
class Interned {
  constructor(private readonly limit: number) {}
  private readonly codes = new Map<unknown, number>();
  readonly values: unknown[] = [];
  /** The value's code: −1 for null, −2 when the walk holds its limit of values (the caller keeps the value itself). */
  code(v: unknown): number {
    if (v === null || v === undefined) return -1;
    const known = this.codes.get(v);
    if (known !== undefined) return known;
    if (this.values.length >= this.limit) return -2;
    this.codes.set(v, this.values.length);
    this.values.push(v);
    return this.values.length - 1;
  }
}

/** One day's scans as typed arrays of codes, built page by page: nothing of a page outlives it. */
class DayScans {
  n = 0;
  ids = new Float64Array(4096);
  seconds = new Int32Array(4096);
  codes: Int32Array[];
  /** Values past a column's interned limit, by row. */
  readonly rare: Map<number, unknown>[];
  constructor(
    readonly day: string,
    columns: number,
  ) {
    this.codes = Array.from({ length: columns }, () => new Int32Array(4096));
    this.rare = Array.from({ length: columns }, () => new Map());
  }
  push(id: number, second: number): number {
    if (this.n === this.ids.length) {
      const grow = <A extends Float64Array | Int32Array>(a: A): A => {
        const b = new (a.constructor as new (n: number) => A)(a.length * 2);
        b.set(a);
        return b;
      };
      this.ids = grow(this.ids);
      this.seconds = grow(this.seconds);
      this.codes = this.codes.map(grow);
    }
    this.ids[this.n] = id;
    this.seconds[this.n] = second;
    return this.n++;
  }
  /** Row indexes in time order (second of the day, then row id). */
  order(): Int32Array {
    const order = new Int32Array(this.n);
    for (let i = 0; i < this.n; i++) order[i] = i;
    const { seconds, ids } = this;
    return order.sort((i, j) => seconds[i]! - seconds[j]! || ids[i]! - ids[j]!);
  }
}

const digit = (s: string, i: number) => s.charCodeAt(i) - 48;
/** Seconds into the day of `YYYY-MM-DD HH:MM:SS`. */
const secondOfDay = (at: string) => (digit(at, 11) * 10 + digit(at, 12)) * 3600 + (digit(at, 14) * 10 + digit(at, 15)) * 60 + digit(at, 17) * 10 + digit(at, 18);
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * The scans in [start, end] in time order (scan date, then row id), one day at a time: the day's first and last row
 * ids come from the scan-date index alone, its rows are read along the primary key between them (in pages of
 * `pageRows`) and sorted here. Scans are stored about in the order they happen, so that read is nearly sequential;
 * a day with a late upload among its rows reads a wider id range, which the database may answer from the scan-date
 * index instead. Reading along the scan-date index itself looked up every row by its id, 6 s per million scans on
 * MariaDB; one read sorted by date held every row of two years at once and, at 50,000 items (11 M scans), outlasted
 * the 30 s query timeout. The next three days are read (on connections of their own) while the caller takes this
 * one's: the walk waits on the database, and one day read ahead left a core idle (/kpis on 5,000 items dense to
 * 15,000 scans a day on MariaDB: 6.5 s with one day ahead, 5 s with three, no faster with six).
 *
 * Yields each day (with scans) as an iterable of its scans: `for await (const day of …) for (const scan of day)`. A
 * promise per day, not per scan: at 11 M scans, one per scan cost more than the walks it fed. A day is held as typed
 * arrays of codes, each distinct value of a column kept once for the whole walk, so the driver's rows die with their
 * page. Held as the driver's rows, a day outlived V8's young generation and every scan was copied into the old one:
 * on a business with 15,000 scans a day, /kpis grew a process holding 330 MiB of other state by 300 MiB, against
 * 100 MiB held as codes. The scan given is **one object, refilled for each scan**: take what is needed from it
 * before taking the next.
 */
export async function* scansInTimeOrder<C extends keyof IdTransactionsTable>(database: DatabaseHandle, options: TimeOrderOptions<C>) {
  const { db } = database;
  const pageRows = options.pageRows ?? PAGE_ROWS;
  const only = options.rentalClasses && options.rentalClasses.length ? options.rentalClasses : null;
  const span = await db
    .selectFrom('id_transactions')
    .select([sql<string | null>`min(scan_date)`.as('first'), sql<string | null>`max(scan_date)`.as('last')])
    .where('scan_date', '>=', options.start)
    .where('scan_date', '<=', options.end)
    .executeTakeFirst();
  if (!span?.first || !span.last) return;
  const wanted = [...new Set(options.columns)].filter((c) => c !== 'id' && c !== 'scan_date');
  const columns = ['id', 'scan_date', ...wanted] as (keyof IdTransactionsTable)[];
  const interned = wanted.map(() => new Interned(options.internedPerColumn ?? INTERNED_PER_COLUMN));
  type Row = Pick<IdTransactionsTable, C> & { id: number; scan_date: string };
  /** One day's rows. */
  const readDay = async (day: string): Promise<DayScans> => {
    const from = `${day} 00:00:00` < options.start ? options.start : `${day} 00:00:00`;
    const to = `${day} 23:59:59` > options.end ? options.end : `${day} 23:59:59`;
    const scans = new DayScans(day, wanted.length);
    const ids = await scanIdSpan(database, from, to);
    if (!ids) return scans;
    for (let after = ids.lo - 1; ; ) {
      const page = (await db
        .selectFrom('id_transactions')
        .select(columns)
        .where('id', '>', after)
        .where('id', '<=', ids.hi)
        .where('scan_date', '>=', from)
        .where('scan_date', '<=', to)
        .$if(options.withStatus === true, (b) => b.where('status', 'is not', null))
        .$if(only !== null, (b) => b.where('rental_class_num', 'in', only!))
        .orderBy('id')
        .limit(pageRows)
        .execute()) as unknown as Record<string, unknown>[];
      for (const r of page) {
        const i = scans.push(Number(r.id), secondOfDay(scanTimestamp(r.scan_date)));
        for (let c = 0; c < wanted.length; c++) {
          const v = r[wanted[c]!];
          const code = interned[c]!.code(v);
          scans.codes[c]![i] = code;
          if (code === -2) scans.rare[c]!.set(i, v);
        }
      }
      if (page.length < pageRows) break;
      after = Number(page[page.length - 1]!.id);
    }
    return scans;
  };
  const days = dayRange(scanTimestamp(span.first).slice(0, 10), scanTimestamp(span.last).slice(0, 10));
  const row = {} as Record<string, unknown>;
  /** A day's scans one by one, in the one row object. */
  function* inOrder(scans: DayScans): Generator<Row> {
    const { day } = scans;
    for (const i of scans.order()) {
      const second = scans.seconds[i]!;
      row.id = scans.ids[i]!;
      row.scan_date = `${day} ${two(Math.floor(second / 3600))}:${two(Math.floor(second / 60) % 60)}:${two(second % 60)}`;
      for (let c = 0; c < wanted.length; c++) {
        const code = scans.codes[c]![i]!;
        row[wanted[c]!] = code >= 0 ? interned[c]!.values[code] : code === -1 ? null : scans.rare[c]!.get(i);
      }
      yield row as Row;
    }
  }
  for await (const scans of readingAheadEach(days, readDay, READS_AHEAD)) yield inOrder(scans);
}

/** Reads (days, pages) under way at once while the caller takes one. */
const READS_AHEAD = 3;

/**
 * `read` of each key in turn, the reads of the next `depth` keys already under way while the caller takes a result
 * (for reads that do not depend on each other). A caller that stops early leaves reads under way: their failures are
 * nobody's to report.
 */
async function* readingAheadEach<K, T>(keys: readonly K[], read: (key: K) => Promise<T>, depth: number): AsyncGenerator<T> {
  const pending: Promise<T>[] = [];
  let next = 0;
  const fill = () => {
    while (pending.length < depth && next < keys.length) pending.push(read(keys[next++]!));
  };
  try {
    fill();
    while (pending.length) {
      const result = await pending.shift()!;
      fill();
      yield result;
    }
  } finally {
    for (const p of pending) p.catch(() => {});
  }
}
