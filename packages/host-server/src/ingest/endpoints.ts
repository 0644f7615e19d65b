import type { AnyEndpoint, FieldError, Runtime } from '@rfid3/core';
import { HttpProblem, defineEndpoint, primaryOnly } from '@rfid3/core';
import { z } from 'zod';
import type { RejectedRow } from './scans.js';
import { MAX_BATCH, SerialQueue, ingestScans } from './scans.js';
import { ingestPos } from './pos.js';

/** Where the host's own endpoints (ingestion) are mounted, beside `/api/predictive`. */
export const HOST_API_PREFIX = '/api';

const rejectedSchema = z.array(z.object({ index: z.number().int(), errors: z.array(z.object({ field: z.string(), message: z.string() })) }));

const batch = (name: string) =>
  z.object({
    [name]: z.array(z.unknown()).min(1, `send at least one row in '${name}'`).max(MAX_BATCH, `at most ${MAX_BATCH} rows per batch; split larger ones`),
  });

/** A batch whose every row is bad is refused as a whole (400), naming each bad field by row. */
function refuseIfAllRejected(name: string, total: number, rejected: RejectedRow[]): void {
  if (total === 0 || rejected.length < total) return;
  const errors: FieldError[] = rejected.flatMap((r) => r.errors.map((e) => ({ field: `body.${name}.${r.index}${e.field ? `.${e.field}` : ''}`, message: e.message })));
  throw new HttpProblem({
    status: 400,
    title: 'Bad Request',
    detail: `every row of '${name}' is invalid; nothing was stored (first: ${errors[0]?.field}: ${errors[0]?.message})`,
    errors: errors.slice(0, 500),
    extensions: { accepted: 0, duplicates: 0, rejected: rejected.slice(0, 500) },
  });
}

/**
 * `POST /api/ingest/scans` and `POST /api/ingest/pos`: idempotent batch ingestion. Writes are
 * serialised in this process and committed before the answer; then `data-changed` is emitted (and
 * awaited) so that caches are invalidated before the caller sees the answer.
 */
export function ingestEndpoints(runtime: Runtime): AnyEndpoint[] {
  const queue = new SerialQueue();
  const scans = defineEndpoint({
    method: 'POST',
    path: '/ingest/scans',
    summary: `Ingest up to ${MAX_BATCH} RFID scan events shaped like id_transactions rows (idempotent by event_id, else tag_id + scan_date + scan_type)`,
    description:
      "Valid rows are stored once each and committed before the answer; invalid rows are listed in `rejected` with the field and reason. Each scanned item's status, grade and last-scan columns in id_item_master move forward. A batch whose every row is invalid gets 400.",
    role: 'ingest',
    input: { body: batch('scans') },
    output: z.object({ accepted: z.number().int(), duplicates: z.number().int(), rejected: rejectedSchema, itemsUpdated: z.number().int(), itemsCreated: z.number().int() }),
    async handler({ body }, ctx) {
      const rows = body.scans as unknown[];
      const result = await queue.run(() => ingestScans(primaryOnly(runtime.database), runtime.clock, rows));
      refuseIfAllRejected('scans', rows.length, result.rejected);
      if (result.accepted > 0) {
        await runtime.events.emit('data-changed', {
          source: 'ingest.scans',
          tables: ['id_transactions', 'id_item_master'],
          itemIds: result.tagIds,
          rentalClasses: result.rentalClasses,
          stores: result.stores,
          from: result.from,
          to: result.to,
        });
      }
      ctx.logger.info({ accepted: result.accepted, duplicates: result.duplicates, rejected: result.rejected.length }, 'scans ingested');
      return {
        accepted: result.accepted,
        duplicates: result.duplicates,
        rejected: result.rejected,
        itemsUpdated: result.itemsUpdated,
        itemsCreated: result.itemsCreated,
      };
    },
  });
  const pos = defineEndpoint({
    method: 'POST',
    path: '/ingest/pos',
    summary: `Ingest up to ${MAX_BATCH} POS contracts with their lines (pos_transactions, pos_transaction_items); idempotent by event_id, else store_no + contract_no`,
    description:
      'A contract posted again unchanged is a duplicate; posted with changed content (status, close date, lines) it updates the stored contract and replaces its lines. Invalid contracts are listed in `rejected`.',
    role: 'ingest',
    input: { body: batch('contracts') },
    output: z.object({ accepted: z.number().int(), updated: z.number().int(), duplicates: z.number().int(), rejected: rejectedSchema, lines: z.number().int() }),
    async handler({ body }, ctx) {
      const rows = body.contracts as unknown[];
      const result = await queue.run(() => ingestPos(primaryOnly(runtime.database), runtime.clock, rows));
      refuseIfAllRejected('contracts', rows.length, result.rejected);
      if (result.accepted + result.updated > 0) {
        await runtime.events.emit('data-changed', {
          source: 'ingest.pos',
          tables: ['pos_transactions', 'pos_transaction_items'],
          stores: result.stores,
          ...(await rentalClassesOf(runtime, result.itemNums)),
          from: result.from,
          to: result.to,
        });
      }
      ctx.logger.info({ accepted: result.accepted, updated: result.updated, duplicates: result.duplicates, rejected: result.rejected.length }, 'POS contracts ingested');
      return { accepted: result.accepted, updated: result.updated, duplicates: result.duplicates, rejected: result.rejected, lines: result.lines };
    },
  });
  return [scans, pos];
}

/** POS item numbers → RFID rental classes (pos_equipment.rfid_rental_class_num), for the event. */
export async function rentalClassesOf(runtime: Runtime, itemNums: string[]): Promise<{ rentalClasses?: string[] }> {
  if (itemNums.length === 0) return {};
  const classes = new Set<string>();
  for (let i = 0; i < itemNums.length; i += 1000) {
    const rows = await primaryOnly(runtime.database)
      .db.selectFrom('pos_equipment')
      .select('rfid_rental_class_num')
      .where('item_num', 'in', itemNums.slice(i, i + 1000))
      .execute()
      .catch(() => []);
    for (const r of rows) if (r.rfid_rental_class_num) classes.add(r.rfid_rental_class_num);
  }
  return classes.size ? { rentalClasses: [...classes].sort() } : {};
}
