import { createHash } from 'node:crypto';
import type { Clock, DatabaseHandle, NewRow } from '@rfid3/core';
import { stableStringify, validateRows } from '@rfid3/core';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import type { HostDatabase } from '../host-tables.js';
import { ensureHostTables, hostDb } from '../host-tables.js';
import { onlyColumns, tableColumns } from './columns.js';
import type { IngestResult } from './scans.js';
import { retryOnDuplicateKey } from './scans.js';
import { count, dateTimeField, eventDateErrors, money, text } from './values.js';

const optionalDateTime = dateTimeField.nullish();

/** One contract line, shaped like a `pos_transaction_items` row (without its contract number). */
export const posLineSchema = z.strictObject({
  line_number: z.number().int().min(0).max(1_000_000),
  item_num: z.string().trim().min(1).max(50),
  qty: count,
  due_date: optionalDateTime,
  line_status: text(10),
  price: money,
  desc: text(500),
  daily_amt: money,
  weekly_amt: money,
  monthly_amt: money,
  kit_field: text(255),
  meter_out: money,
  meter_in: money,
  downtime_hrs: money,
});

type PosLine = z.output<typeof posLineSchema>;

/** Every column of a line, absent ones as null: the lines of one contract then name the same columns, for one multi-row INSERT. */
function lineColumns(l: PosLine): { [K in keyof PosLine]-?: Exclude<PosLine[K], undefined> | null } {
  return {
    line_number: l.line_number,
    item_num: l.item_num,
    qty: l.qty ?? null,
    due_date: l.due_date ?? null,
    line_status: l.line_status ?? null,
    price: l.price ?? null,
    desc: l.desc ?? null,
    daily_amt: l.daily_amt ?? null,
    weekly_amt: l.weekly_amt ?? null,
    monthly_amt: l.monthly_amt ?? null,
    kit_field: l.kit_field ?? null,
    meter_out: l.meter_out ?? null,
    meter_in: l.meter_in ?? null,
    downtime_hrs: l.downtime_hrs ?? null,
  };
}

/** One POS contract, shaped like a `pos_transactions` row, with its lines. */
export const posContractSchema = z
  .strictObject({
    event_id: z.string().min(1).max(128).optional(),
    contract_no: z.string().trim().min(1).max(50),
    store_no: z.string().trim().min(1).max(10),
    customer_no: text(50),
    status: text(50),
    contract_date: optionalDateTime,
    close_date: optionalDateTime,
    rent_amt: money,
    sale_amt: money,
    total: money,
    promised_delivery_date: optionalDateTime,
    actual_delivery_date: optionalDateTime,
    promised_pickup_date: optionalDateTime,
    actual_pickup_date: optionalDateTime,
    lines: z.array(posLineSchema).max(2000).default([]),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<number>();
    c.lines.forEach((l, i) => {
      if (seen.has(l.line_number)) ctx.addIssue({ code: 'custom', path: ['lines', i, 'line_number'], message: `line_number ${l.line_number} appears twice in this contract` });
      seen.add(l.line_number);
    });
  });
export type PosContract = z.output<typeof posContractSchema>;

export interface PosIngestResult extends IngestResult {
  /** Contracts already stored whose content changed (status, close date, lines…), updated in place. */
  updated: number;
  lines: number;
  itemNums: string[];
  stores: string[];
  from?: string;
  to?: string;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
export const contractKey = (c: Pick<PosContract, 'event_id' | 'contract_no' | 'store_no'>) =>
  c.event_id ? `pos-e:${sha(c.event_id)}` : `pos-n:${sha(`${c.store_no}\u0000${c.contract_no}`)}`;

const nowText = (clock: Clock) => clock.now().toISOString().slice(0, 19).replace('T', ' ');

export type PosTrx = Transaction<HostDatabase>;

/**
 * Writes one contract and replaces its lines (the posted contract is the whole truth about it).
 * Returns whether it was inserted or updated.
 */
export async function writeContract(
  trx: PosTrx,
  contract: Omit<PosContract, 'event_id'>,
  cols: { tx: Set<string>; items: Set<string> },
  now: string,
): Promise<'inserted' | 'updated'> {
  const { lines, ...head } = contract;
  const existing = await trx.selectFrom('pos_transactions').select('id').where('contract_no', '=', head.contract_no).where('store_no', '=', head.store_no).executeTakeFirst();
  // The contract number and store are NOT NULL in every RFID3; the other columns are written where the table has them.
  const row: NewRow<'pos_transactions'> = { ...onlyColumns({ ...head, import_date: now }, cols.tx), contract_no: head.contract_no, store_no: head.store_no };
  if (existing) await trx.updateTable('pos_transactions').set(row).where('id', '=', existing.id).execute();
  else await trx.insertInto('pos_transactions').values(row).execute();
  await trx.deleteFrom('pos_transaction_items').where('contract_no', '=', head.contract_no).execute();
  if (lines.length) {
    await trx
      .insertInto('pos_transaction_items')
      .values(
        lines.map(
          (l): NewRow<'pos_transaction_items'> => ({ ...onlyColumns({ ...lineColumns(l), import_date: now }, cols.items), contract_no: head.contract_no, item_num: l.item_num }),
        ),
      )
      .execute();
  }
  return existing ? 'updated' : 'inserted';
}

/** Dates before 2000 anywhere, and written, closed, delivered or picked up more than a day ahead of the clock. */
function contractDateErrors(c: PosContract, now: Date) {
  const dates: Record<string, string | null | undefined> = {
    contract_date: c.contract_date,
    close_date: c.close_date,
    promised_delivery_date: c.promised_delivery_date,
    actual_delivery_date: c.actual_delivery_date,
    promised_pickup_date: c.promised_pickup_date,
    actual_pickup_date: c.actual_pickup_date,
  };
  c.lines.forEach((l, i) => {
    dates[`lines.${i}.due_date`] = l.due_date;
  });
  return eventDateErrors(dates, now, ['contract_date', 'close_date', 'actual_delivery_date', 'actual_pickup_date']);
}

/**
 * Stores POS contracts with their lines once each: a retried contract is a duplicate; the same contract
 * with changed content updates the stored one. One transaction, committed before this resolves.
 */
export function ingestPos(database: DatabaseHandle, clock: Clock, rows: unknown[]): Promise<PosIngestResult> {
  return retryOnDuplicateKey(() => ingestPosOnce(database, clock, rows));
}

async function ingestPosOnce(database: DatabaseHandle, clock: Clock, rows: unknown[]): Promise<PosIngestResult> {
  await ensureHostTables(database);
  const { valid, rejected } = validateRows(posContractSchema, rows, { check: (c) => contractDateErrors(c, clock.now()) });
  const cols = { tx: await tableColumns(database, 'pos_transactions'), items: await tableColumns(database, 'pos_transaction_items') };
  const now = nowText(clock);
  return hostDb(database)
    .transaction()
    .execute(async (trx) => {
      let accepted = 0;
      let updated = 0;
      let duplicates = 0;
      let lineCount = 0;
      const itemNums = new Set<string>();
      const stores = new Set<string>();
      const dates: string[] = [];
      // Within a batch the last version of a contract wins; earlier copies count as duplicates.
      const byKey = new Map<string, PosContract>();
      for (const { row } of valid) {
        const key = contractKey(row);
        if (byKey.has(key)) duplicates++;
        byKey.set(key, row);
      }
      for (const [key, contract] of byKey) {
        const { event_id: _e, ...content } = contract;
        const hash = sha(stableStringify(content));
        const stored = await trx.selectFrom('rfid3_ingest_keys').select('content_hash').where('idempotency_key', '=', key).executeTakeFirst();
        if (stored?.content_hash === hash) {
          duplicates++;
          continue;
        }
        const outcome = await writeContract(trx, content, cols, now);
        if (stored) await trx.updateTable('rfid3_ingest_keys').set({ content_hash: hash, received_at: now }).where('idempotency_key', '=', key).execute();
        else await trx.insertInto('rfid3_ingest_keys').values({ idempotency_key: key, kind: 'pos', content_hash: hash, received_at: now }).execute();
        if (outcome === 'updated') updated++;
        else accepted++;
        lineCount += content.lines.length;
        for (const l of content.lines) itemNums.add(l.item_num);
        stores.add(content.store_no);
        if (content.contract_date) dates.push(content.contract_date.slice(0, 10));
        if (content.close_date) dates.push(content.close_date.slice(0, 10));
      }
      dates.sort();
      return {
        accepted,
        updated,
        duplicates,
        rejected,
        lines: lineCount,
        itemNums: [...itemNums].sort(),
        stores: [...stores].sort(),
        ...(dates.length ? { from: dates[0], to: dates[dates.length - 1] } : {}),
      };
    });
}
