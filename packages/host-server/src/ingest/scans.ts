import { createHash } from 'node:crypto';
import type { Clock, DatabaseHandle, InspectionFlagColumn, NewRow, RejectedRow, Row, RowUpdate } from '@rfid3/core';
import { INSPECTION_FLAG_COLUMNS, insertValueRows, validateRows } from '@rfid3/core';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { z } from 'zod';
import type { HostDatabase } from '../host-tables.js';
import { ensureHostTables, hostDb } from '../host-tables.js';
import { onlyColumns, tableColumns } from './columns.js';
import { QUALITY_GRADES, dateTimeField, eventDateCheck, flagField, isCanonicalDateTime, text } from './values.js';

/** Most rows one ingest request may carry. */
export const MAX_BATCH = 5000;

const flagShape = Object.fromEntries(INSPECTION_FLAG_COLUMNS.map((f) => [f, flagField])) as Record<InspectionFlagColumn, typeof flagField>;

/** The longest text each free-text column of a scan takes (RFID3's VARCHAR widths). */
const TEXT_MAX = {
  contract_number: 255,
  client_name: 255,
  common_name: 255,
  bin_location: 255,
  status: 50,
  scan_by: 255,
  location_of_repair: 255,
  other: 5000,
  serial_number: 255,
  rental_class_num: 255,
  notes: 5000,
} as const;
const KEY_MAX = { tag_id: 255, scan_type: 50 } as const;

/** One RFID scan, shaped like an `id_transactions` row; `event_id` (optional) is the sender's idempotency key. */
export const scanEventSchema = z.strictObject({
  event_id: z.string().min(1).max(128).optional(),
  tag_id: z.string().trim().min(1).max(KEY_MAX.tag_id),
  scan_type: z.string().trim().min(1).max(KEY_MAX.scan_type),
  scan_date: dateTimeField,
  contract_number: text(TEXT_MAX.contract_number),
  client_name: text(TEXT_MAX.client_name),
  common_name: text(TEXT_MAX.common_name),
  bin_location: text(TEXT_MAX.bin_location),
  status: text(TEXT_MAX.status),
  scan_by: text(TEXT_MAX.scan_by),
  location_of_repair: text(TEXT_MAX.location_of_repair),
  quality: z.enum(QUALITY_GRADES, { error: `expected one of ${QUALITY_GRADES.join(', ')}` }).nullish(),
  ...flagShape,
  other: text(TEXT_MAX.other),
  serial_number: text(TEXT_MAX.serial_number),
  rental_class_num: text(TEXT_MAX.rental_class_num),
  longitude: z.number().min(-180).max(180).nullish(),
  latitude: z.number().min(-90).max(90).nullish(),
  notes: text(TEXT_MAX.notes),
});
export type ScanEvent = z.output<typeof scanEventSchema>;
const SCAN_COLUMNS = Object.keys(scanEventSchema.shape).filter((k) => k !== 'event_id');

type FieldKind = 'event' | 'key' | 'date' | 'grade' | 'flag' | 'longitude' | 'latitude' | 'text';
const FLAGS = new Set<string>(INSPECTION_FLAG_COLUMNS);
const GRADES = new Set<string>(QUALITY_GRADES);
/** The schema's fields in its order, what each takes, and where each is in that order. */
const FIELD_NAMES = Object.keys(scanEventSchema.shape);
const FIELD_KINDS: FieldKind[] = FIELD_NAMES.map((k) => {
  if (k === 'event_id') return 'event';
  if (k in KEY_MAX) return 'key';
  if (k === 'scan_date') return 'date';
  if (k === 'quality') return 'grade';
  if (k === 'longitude' || k === 'latitude') return k;
  return FLAGS.has(k) ? 'flag' : 'text';
});
const FIELD_INDEX = new Map(FIELD_NAMES.map((k, i) => [k, i]));
/** What {@link plainValue} gives for a value it cannot vouch for. */
const NOT_PLAIN = Symbol('not plain');

/** One value as the schema's field `k` (of kind `kind`) outputs it, or NOT_PLAIN. */
function plainValue(kind: FieldKind, k: string, v: unknown): unknown {
  if (v === null) return kind === 'event' || kind === 'key' || kind === 'date' ? NOT_PLAIN : null;
  switch (kind) {
    case 'event':
      return typeof v === 'string' && v.length >= 1 && v.length <= 128 ? v : NOT_PLAIN;
    case 'key': {
      const t = typeof v === 'string' ? v.trim() : '';
      return t.length >= 1 && t.length <= KEY_MAX[k as keyof typeof KEY_MAX] ? t : NOT_PLAIN;
    }
    case 'date':
      return typeof v === 'string' && isCanonicalDateTime(v) ? v : NOT_PLAIN;
    case 'grade':
      return typeof v === 'string' && GRADES.has(v) ? v : NOT_PLAIN;
    case 'flag':
      return v === true || v === 1 || v === '1' ? 1 : v === false || v === 0 || v === '0' ? 0 : NOT_PLAIN;
    case 'longitude':
    case 'latitude': {
      const bound = kind === 'longitude' ? 180 : 90;
      return typeof v === 'number' && v >= -bound && v <= bound ? v : NOT_PLAIN;
    }
    default:
      return typeof v === 'string' && v.length <= TEXT_MAX[k as keyof typeof TEXT_MAX] ? v : NOT_PLAIN;
  }
}

/**
 * `scanEventSchema`'s output for a scan as readers send it (plain values: a date-time as RFID3 stores it, flags as
 * 0/1 or true/false, text within its width), made without the schema's general walk; undefined for anything else,
 * which the schema then parses. A batch of 5,000 scans is 5,000 of these. A test holds it to the schema's output.
 */
export function plainScan(raw: unknown): ScanEvent | undefined {
  if (raw === null || typeof raw !== 'object' || Object.getPrototypeOf(raw) !== Object.prototype) return undefined;
  const given = raw as Record<string, unknown>;
  // The fields given, each read once (a field absent stays undefined here), then the output in the schema's order.
  const values: unknown[] = new Array(FIELD_NAMES.length);
  for (const k in given) {
    const i = FIELD_INDEX.get(k);
    const v = given[k];
    if (i === undefined || v === undefined) return undefined;
    const value = plainValue(FIELD_KINDS[i]!, k, v);
    if (value === NOT_PLAIN) return undefined;
    values[i] = value;
  }
  const out: Record<string, unknown> = {};
  for (let i = 0; i < FIELD_NAMES.length; i++) {
    const value = values[i];
    const kind = FIELD_KINDS[i]!;
    if (value !== undefined) out[FIELD_NAMES[i]!] = value;
    else if (kind === 'key' || kind === 'date') return undefined;
    else if (kind === 'flag') out[FIELD_NAMES[i]!] = null;
  }
  return out as ScanEvent;
}

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
  const { valid, rejected } = validateRows(scanEventSchema, rows, { check: (s) => dateErrors({ scan_date: s.scan_date }), quick: plainScan });
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
      // Only the exact moments of this batch, never "everything since its oldest scan": one old date in a
      // batch must not read years of a tag's history. And only those no later than the newest stored scan (one
      // read of the scan-date index): a scan after every stored one cannot be stored already, and scans that
      // stream in as they happen are all of that kind but perhaps the first few moments of a batch.
      const newest = await trx
        .selectFrom('id_transactions')
        .select((eb) => eb.fn.max('scan_date').as('newest'))
        .executeTakeFirst();
      const storedUntil = newest?.newest == null ? null : String(newest.newest).slice(0, 19);
      const old = storedUntil === null ? [] : fresh.filter((f) => f.row.scan_date <= storedUntil);
      const moments = [...new Set(old.map((f) => f.row.scan_date))];
      const existing = new Set<string>();
      // By moment alone, through the scan-date index: few scans share a second, and the keys below pick this
      // batch's. A tag list beside it lets MariaDB walk each listed tag's whole history instead (several hundred
      // tags: 180 ms a batch, against 3 ms for the moments alone).
      for (const part of chunks(moments, Math.min(1000, database.maxBoundValues))) {
        const found = await trx.selectFrom('id_transactions').select(['tag_id', 'scan_date', 'scan_type']).where('scan_date', 'in', part).execute();
        for (const f of found) existing.add(naturalKey({ tag_id: f.tag_id, scan_date: String(f.scan_date).slice(0, 19), scan_type: f.scan_type }));
      }
      for (const [key, f] of existing.size ? [...byKey] : []) {
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
    // One statement for a whole batch (MAX_BATCH tags at most).
    for (const part of chunks(allTags, Math.min(MAX_BATCH, database.maxBoundValues))) {
      for (const r of await trx
        .selectFrom('id_item_master')
        .select(['tag_id', 'common_name', 'rental_class_num', ...storeCols])
        .where('tag_id', 'in', part)
        .execute()) {
        known.set(r.tag_id, r);
      }
    }
    // Every row names the same columns (absent ones as null), so one multi-row INSERT fits them all: the scan's
    // columns this RFID3 has, always those every RFID3 has (NOT NULL), and the row's own dates. Each row is an
    // array of its values, written into the statement as they are (a batch of 5,000 is made 5,000 times).
    const always = new Set(['tag_id', 'scan_type', 'scan_date']);
    const columns = SCAN_COLUMNS.filter((c) => txCols.has(c) || always.has(c));
    const stamped = ['date_created', 'date_updated'].filter((c) => txCols.has(c));
    const txRows = accepted.map(([, { row }]) => {
      const given = row as Record<string, unknown>;
      const item = known.get(row.tag_id);
      const values: unknown[] = [];
      for (const c of columns) {
        if (c === 'common_name') values.push(row.common_name ?? item?.common_name ?? '');
        else if (c === 'rental_class_num') values.push(row.rental_class_num ?? item?.rental_class_num ?? null);
        else values.push(given[c] ?? null);
      }
      for (const _ of stamped) values.push(now);
      return values;
    });
    await insertValueRows(trx, database.maxBoundValues, 'id_transactions', [...columns, ...stamped], txRows);

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
  const moveKeys = cols.map((c) => (c === 'date_last_scanned' ? 'scan_date' : c) as keyof ItemMove);
  await insertValueRows(
    trx,
    database.maxBoundValues,
    MOVES_TABLE,
    cols,
    moves.map((m) => moveKeys.map((k) => m[k])),
  );

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
