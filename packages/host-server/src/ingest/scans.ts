import { createHash } from 'node:crypto';
import type { Clock, DatabaseHandle, InspectionFlagColumn, NewRow, RejectedRow, Row, RowUpdate } from '@rfid3/core';
import { INSPECTION_FLAG_COLUMNS, validateRows } from '@rfid3/core';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { z } from 'zod';
import type { HostDatabase } from '../host-tables.js';
import { ensureHostTables, hostDb } from '../host-tables.js';
import { onlyColumns, tableColumns } from './columns.js';
import { QUALITY_GRADES, dateTimeField, eventDateCheck, flagField, text } from './values.js';

/** Most rows one ingest request may carry. */
export const MAX_BATCH = 5000;

const flagShape = Object.fromEntries(INSPECTION_FLAG_COLUMNS.map((f) => [f, flagField])) as Record<InspectionFlagColumn, typeof flagField>;

/** One RFID scan, shaped like an `id_transactions` row; `event_id` (optional) is the sender's idempotency key. */
export const scanEventSchema = z.strictObject({
  event_id: z.string().min(1).max(128).optional(),
  tag_id: z.string().trim().min(1).max(255),
  scan_type: z.string().trim().min(1).max(50),
  scan_date: dateTimeField,
  contract_number: text(255),
  client_name: text(255),
  common_name: text(255),
  bin_location: text(255),
  status: text(50),
  scan_by: text(255),
  location_of_repair: text(255),
  quality: z.enum(QUALITY_GRADES, { error: `expected one of ${QUALITY_GRADES.join(', ')}` }).nullish(),
  ...flagShape,
  other: text(5000),
  serial_number: text(255),
  rental_class_num: text(255),
  longitude: z.number().min(-180).max(180).nullish(),
  latitude: z.number().min(-90).max(90).nullish(),
  notes: text(5000),
});
export type ScanEvent = z.output<typeof scanEventSchema>;
const SCAN_COLUMNS = Object.keys(scanEventSchema.shape).filter((k) => k !== 'event_id');

export type { RejectedRow };

/** What one ingest batch did: rows accepted, duplicates skipped and rows rejected with their reasons. */
export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: RejectedRow[];
}

/** What a scan batch did, with the item-master rows it created or updated. */
export interface ScanIngestResult extends IngestResult {
  /** id_item_master rows whose status, grade or last-scan columns moved. */
  itemsUpdated: number;
  /** Tags seen for the first time, added to id_item_master. */
  itemsCreated: number;
  tagIds: string[];
  rentalClasses: string[];
  stores: string[];
  from?: string;
  to?: string;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The idempotency key: the sender's event id (hashed, as stored in `rfid3_ingest_keys`), or the natural key
 * tag_id + scan_date + scan_type (never stored: `id_transactions` answers it, so it is not hashed).
 */
export function scanKey(e: Pick<ScanEvent, 'event_id' | 'tag_id' | 'scan_date' | 'scan_type'>): string {
  return e.event_id ? `scan-e:${sha(e.event_id)}` : `scan-n:${naturalKey(e)}`;
}
const isEventKey = (key: string) => key.startsWith('scan-e:');
const naturalKey = (e: Pick<ScanEvent, 'tag_id' | 'scan_date' | 'scan_type'>) => `${e.tag_id}\u0000${e.scan_date}\u0000${e.scan_type}`;

/** Runs writes one at a time in this process, so that two overlapping batches cannot both store a key. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const nowText = (clock: Clock) => clock.now().toISOString().slice(0, 19).replace('T', ' ');

/**
 * Stores a batch of scans in `id_transactions` once each, and moves each scanned item's status, grade
 * and last-scan columns forward (never backward: an out-of-order older scan leaves the item alone).
 * Everything is written in one transaction, committed before this resolves.
 */
export function ingestScans(database: DatabaseHandle, clock: Clock, rows: unknown[]): Promise<ScanIngestResult> {
  return retryOnDuplicateKey(() => ingestScansOnce(database, clock, rows));
}

/**
 * Serialises scan ingest between hosts (in one process the endpoint's {@link SerialQueue} already does): the
 * update holds the lock row until the transaction ends, so that two hosts cannot both find a scan's natural key
 * absent and both store it. The row is created if a database lost it.
 */
async function takeIngestLock(trx: Kysely<HostDatabase>, now: string): Promise<void> {
  const taken = await trx.updateTable('rfid3_ingest_locks').set({ taken_at: now }).where('name', '=', 'scans').executeTakeFirst();
  if (Number(taken.numUpdatedRows) === 0) await trx.insertInto('rfid3_ingest_locks').values({ name: 'scans', taken_at: now }).execute();
}

/** A unique-key violation: another host stored one of these keys between our check and our insert. */
export function isDuplicateKeyError(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown } | null;
  return (
    !!e &&
    (e.code === 'ER_DUP_ENTRY' || e.errno === 1062 || (typeof e.code === 'string' && e.code.startsWith('SQLITE_CONSTRAINT_PRIMARYKEY')) || e.code === 'SQLITE_CONSTRAINT_UNIQUE')
  );
}

/**
 * Writes in one process are serialised; between hosts the idempotency key's primary key is the guard.
 * The batch that loses that race is rolled back whole and run again, and then sees the keys as duplicates.
 */
export async function retryOnDuplicateKey<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (err) {
      if (i >= attempts || !isDuplicateKeyError(err)) throw err;
    }
  }
}

async function ingestScansOnce(database: DatabaseHandle, clock: Clock, rows: unknown[]): Promise<ScanIngestResult> {
  await ensureHostTables(database);
  const now = nowText(clock);
  const dateErrors = eventDateCheck(clock.now(), ['scan_date']);
  const { valid, rejected } = validateRows(scanEventSchema, rows, { check: (s) => dateErrors({ scan_date: s.scan_date }) });
  const txCols = await tableColumns(database, 'id_transactions');
  const itemCols = await tableColumns(database, 'id_item_master');
  const db = hostDb(database);

  return db.transaction().execute(async (trx) => {
    await takeIngestLock(trx, now);
    let duplicates = 0;
    // Duplicates inside the batch itself: the first occurrence wins.
    const byKey = new Map<string, { index: number; row: ScanEvent }>();
    for (const v of valid) {
      const key = scanKey(v.row);
      if (byKey.has(key)) duplicates++;
      else byKey.set(key, v);
    }
    // Sender event ids stored by an earlier batch. A scan without one is known by its natural key, which
    // id_transactions itself answers below: storing a hash of it as well would write every scan twice.
    const eventKeys = [...byKey.keys()].filter(isEventKey);
    for (const part of chunks(eventKeys, 1000)) {
      const seen = await trx.selectFrom('rfid3_ingest_keys').select('idempotency_key').where('idempotency_key', 'in', part).execute();
      for (const s of seen) {
        byKey.delete(s.idempotency_key);
        duplicates++;
      }
    }
    // Scans RFID3 already has from its own poller (no key of ours): same tag, time and type.
    const fresh = [...byKey.values()];
    if (fresh.length) {
      const tags = [...new Set(fresh.map((f) => f.row.tag_id))];
      // Only the exact moments of this batch, never "everything since its oldest scan": one old date in a
      // batch must not read years of a tag's history.
      const moments = [...new Set(fresh.map((f) => f.row.scan_date))];
      const existing = new Set<string>();
      // Chunked by moment, with every tag in each statement: each moment is looked up once per batch (by tag
      // chunks, a batch of 5,000 tags looked up every moment five times).
      const perChunk = Math.max(1, database.maxBoundValues - tags.length);
      for (const part of chunks(moments, Math.min(1000, perChunk))) {
        const found = await trx.selectFrom('id_transactions').select(['tag_id', 'scan_date', 'scan_type']).where('tag_id', 'in', tags).where('scan_date', 'in', part).execute();
        for (const f of found) existing.add(naturalKey({ tag_id: f.tag_id, scan_date: String(f.scan_date).slice(0, 19), scan_type: f.scan_type }));
      }
      for (const [key, f] of [...byKey]) {
        if (existing.has(naturalKey(f.row))) {
          byKey.delete(key);
          duplicates++;
        }
      }
    }
    const accepted = [...byKey.entries()].sort((a, b) => a[1].index - b[1].index);
    if (accepted.length === 0) return { accepted: 0, duplicates, rejected, itemsUpdated: 0, itemsCreated: 0, tagIds: [], rentalClasses: [], stores: [] };

    const keyRows = accepted.filter(([key]) => isEventKey(key)).map(([key]) => ({ idempotency_key: key, kind: 'scan', content_hash: null, received_at: now }));
    for (const part of chunks(keyRows, Math.floor(database.maxBoundValues / 4))) await trx.insertInto('rfid3_ingest_keys').values(part).execute();

    // What RFID3 knows of each tag fills what a scan leaves out (RFID3's id_transactions.common_name is NOT NULL),
    // and names the classes and stores this batch touched. An older RFID3 has no store columns: read where present.
    const storeCols = (['home_store', 'current_store'] as const).filter((c) => itemCols.has(c));
    const known = new Map<string, KnownItem>();
    const allTags = [...new Set(accepted.map(([, v]) => v.row.tag_id))];
    for (const part of chunks(allTags, 1000)) {
      for (const r of await trx
        .selectFrom('id_item_master')
        .select(['tag_id', 'common_name', 'rental_class_num', ...storeCols])
        .where('tag_id', 'in', part)
        .execute()) {
        known.set(r.tag_id, r);
      }
    }
    // Every row names the same columns (absent ones as null), so one multi-row INSERT fits them all: the scan's
    // columns this RFID3 has, always those every RFID3 has (NOT NULL), and the row's own dates. Made with one object
    // per row, as a batch of 5,000 is made 5,000 times.
    const always = new Set(['tag_id', 'scan_type', 'scan_date']);
    const columns = SCAN_COLUMNS.filter((c) => txCols.has(c) || always.has(c));
    const stamped = ['date_created', 'date_updated'].filter((c) => txCols.has(c));
    const txRows = accepted.map(([, { row }]) => {
      const given = row as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const c of columns) out[c] = given[c] ?? null;
      const item = known.get(row.tag_id);
      if (txCols.has('common_name')) out.common_name = row.common_name ?? item?.common_name ?? '';
      if (txCols.has('rental_class_num')) out.rental_class_num = row.rental_class_num ?? item?.rental_class_num ?? null;
      for (const c of stamped) out[c] = now;
      return out as NewRow<'id_transactions'>;
    });
    const perChunk = Math.max(1, Math.floor(database.maxBoundValues / (Object.keys(txRows[0]!).length + 1)));
    for (const part of chunks(txRows, perChunk)) await trx.insertInto('id_transactions').values(part).execute();

    // The latest scan of each tag in this batch moves its item forward.
    const latest = new Map<string, ScanEvent>();
    for (const [, { row }] of accepted) {
      const prev = latest.get(row.tag_id);
      if (!prev || row.scan_date >= prev.scan_date) latest.set(row.tag_id, row);
    }
    const tagIds = [...latest.keys()];
    const moves: ItemMove[] = [];
    const created: NewRow<'id_item_master'>[] = [];
    for (const [tag, s] of latest) {
      if (known.has(tag)) {
        moves.push({
          tag_id: tag,
          scan_date: s.scan_date,
          status: s.status || null,
          quality: s.quality || null,
          last_scanned_by: s.scan_by || null,
          last_contract_num: s.contract_number || null,
          bin_location: s.bin_location || null,
          longitude: s.longitude != null && s.latitude != null ? s.longitude : null,
          latitude: s.longitude != null && s.latitude != null ? s.latitude : null,
        });
        continue;
      }
      const moved: RowUpdate<'id_item_master'> = { date_last_scanned: s.scan_date, date_updated: now };
      if (s.status) moved.status = s.status;
      if (s.quality) moved.quality = s.quality;
      if (s.scan_by) moved.last_scanned_by = s.scan_by;
      if (s.contract_number) moved.last_contract_num = s.contract_number;
      if (s.bin_location) moved.bin_location = s.bin_location;
      if (s.longitude != null && s.latitude != null) Object.assign(moved, { longitude: s.longitude, latitude: s.latitude });
      created.push({
        ...onlyColumns(
          {
            serial_number: s.serial_number ?? null,
            client_name: s.client_name ?? null,
            rental_class_num: s.rental_class_num ?? null,
            common_name: s.common_name ?? null,
            date_created: now,
            ...moved,
          },
          itemCols,
        ),
        tag_id: tag,
      });
    }
    const itemsUpdated = await moveItems(trx, database, itemCols, moves, now);
    // Rows built from different scans may name different columns: one multi-row INSERT per column set.
    const bySet = new Map<string, NewRow<'id_item_master'>[]>();
    for (const row of created) {
      const set = Object.keys(row).join(',');
      const same = bySet.get(set);
      if (same) same.push(row);
      else bySet.set(set, [row]);
    }
    for (const rows of bySet.values()) {
      const per = Math.max(1, Math.floor(database.maxBoundValues / Object.keys(rows[0]!).length));
      for (const part of chunks(rows, per)) await trx.insertInto('id_item_master').values(part).execute();
    }

    // Neither an item's class nor its stores move with a scan: the items read above (and the new ones) tell them.
    const rentalClasses = new Set<string>(accepted.map(([, v]) => v.row.rental_class_num).filter((v): v is string => !!v));
    const stores = new Set<string>();
    for (const tag of tagIds) {
      const t = known.get(tag);
      if (t?.rental_class_num) rentalClasses.add(t.rental_class_num);
      if (t?.home_store) stores.add(t.home_store);
      if (t?.current_store) stores.add(t.current_store);
    }
    for (const c of created) if (c.rental_class_num) rentalClasses.add(c.rental_class_num);
    let from = accepted[0]![1].row.scan_date;
    let to = from;
    for (const [, v] of accepted) {
      if (v.row.scan_date < from) from = v.row.scan_date;
      if (v.row.scan_date > to) to = v.row.scan_date;
    }
    return {
      accepted: accepted.length,
      duplicates,
      rejected,
      itemsUpdated,
      itemsCreated: created.length,
      tagIds,
      rentalClasses: [...rentalClasses].sort(),
      stores: [...stores].sort(),
      from: from.slice(0, 10),
      to: to.slice(0, 10),
    };
  });
}

/** What an ingest batch reads of an item RFID3 already has. */
type KnownItem = Pick<Row<'id_item_master'>, 'common_name' | 'rental_class_num'> & Partial<Pick<Row<'id_item_master'>, 'home_store' | 'current_store'>>;

/** The latest scan of a known item in a batch: what moves the item forward (null leaves that column as it is). */
interface ItemMove {
  tag_id: string;
  scan_date: string;
  status: string | null;
  quality: string | null;
  last_scanned_by: string | null;
  last_contract_num: string | null;
  bin_location: string | null;
  longitude: number | null;
  latitude: number | null;
}

const MOVES_TABLE = 'rfid3_ingest_item_moves';
const MOVED_COLUMNS = ['status', 'quality', 'last_scanned_by', 'last_contract_num', 'bin_location', 'longitude', 'latitude'] as const;

/**
 * Moves every known item of a batch forward in one statement: the batch's latest scan of each tag goes into a
 * temporary table (this transaction's connection only), then one UPDATE … JOIN (MariaDB) / UPDATE … FROM
 * (SQLite) applies those that are not older than the item's last scan. Returns how many items it matched.
 */
async function moveItems(trx: Kysely<HostDatabase>, database: DatabaseHandle, itemCols: Set<string>, moves: ItemMove[], now: string): Promise<number> {
  if (!moves.length) return 0;
  const mysql = database.dialect === 'mysql';
  const moved = MOVED_COLUMNS.filter((c) => itemCols.has(c));
  const cols = ['tag_id', 'date_last_scanned', ...moved];
  if (mysql) {
    // Copied from id_item_master itself, so that types, character sets and collations match RFID3's table.
    await sql.raw(`drop temporary table if exists ${MOVES_TABLE}`).execute(trx);
    await sql.raw(`create temporary table ${MOVES_TABLE} (primary key (tag_id)) select ${cols.join(', ')} from id_item_master where 1 = 0`).execute(trx);
  } else {
    await sql.raw(`drop table if exists temp.${MOVES_TABLE}`).execute(trx);
    await sql
      .raw(
        `create temp table ${MOVES_TABLE} (tag_id text primary key, date_last_scanned text not null, ${moved.map((c) => `${c} ${c === 'longitude' || c === 'latitude' ? 'real' : 'text'}`).join(', ')})`,
      )
      .execute(trx);
  }
  // A temporary table is not in the schema's types: written with plain SQL, each value bound.
  const values = (m: ItemMove) => sql`(${sql.join(cols.map((c) => (c === 'date_last_scanned' ? m.scan_date : m[c as keyof ItemMove])))})`;
  for (const part of chunks(moves, Math.max(1, Math.floor(database.maxBoundValues / cols.length)))) {
    await sql`insert into ${sql.raw(MOVES_TABLE)} (${sql.join(cols.map((c) => sql.ref(c)))}) values ${sql.join(part.map(values))}`.execute(trx);
  }

  // MariaDB names the updated table m; SQLite's SET names bare columns of id_item_master.
  const target = mysql ? 'm.' : '';
  const self = mysql ? 'm' : 'id_item_master';
  const sets = [...moved.map((c) => `${target}${c} = coalesce(t.${c}, ${self}.${c})`), `${target}date_last_scanned = t.date_last_scanned`];
  const stamp = itemCols.has('date_updated') ? sql`, ${sql.raw(`${target}date_updated`)} = ${now}` : sql``;
  const result = mysql
    ? await sql`update id_item_master m join ${sql.raw(MOVES_TABLE)} t on m.tag_id = t.tag_id set ${sql.raw(sets.join(', '))}${stamp} where m.date_last_scanned is null or m.date_last_scanned <= t.date_last_scanned`.execute(
        trx,
      )
    : await sql`update id_item_master set ${sql.raw(sets.join(', '))}${stamp} from temp.${sql.raw(MOVES_TABLE)} as t where id_item_master.tag_id = t.tag_id and (id_item_master.date_last_scanned is null or id_item_master.date_last_scanned <= t.date_last_scanned)`.execute(
        trx,
      );
  await sql.raw(mysql ? `drop temporary table if exists ${MOVES_TABLE}` : `drop table if exists temp.${MOVES_TABLE}`).execute(trx);
  return Number(result.numAffectedRows ?? 0);
}
