import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DataTypeExpression, PortableMigration } from '../migration.js';
import { createIfMissing } from './design-tables.js';

/** The statuses in which a decision is still open (it may yet be acted on). */
export const OPEN_DECISION_STATUSES = ['pending', 'approved'] as const;

/**
 * The key that is unique among open decisions: one open decision per type, target and scope. A digest, so
 * that a long target id still fits a unique index on MariaDB.
 */
export function openDecisionKey(type: string, targetType: string, targetId: string, scope: string | null | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify([type, targetType, targetId, scope ?? null]))
    .digest('hex');
}

/**
 * The decision ledger's invariants in the database: who proposed, overrode, approved and executed each
 * decision (name and key), the values a decision acts on (quantity, unit cost, prices) so every transition
 * can re-check them, one open decision per target as a unique key, an append-only log of transitions, and
 * a per-key approval ceiling.
 */
export const decisionLedger: PortableMigration = {
  async up(db, ctx) {
    const t = ctx.types;
    const columns: [string, DataTypeExpression][] = [
      ['scope', 'varchar(64)'],
      ['quantity', t.double],
      ['unit_cost_usd', t.double],
      ['baseline_price', t.double],
      ['proposed_price', t.double],
      ['proposed_by', 'varchar(100)'],
      ['proposed_by_key', 'varchar(120)'],
      ['overridden_by', 'varchar(100)'],
      ['overridden_by_key', 'varchar(120)'],
      ['decided_by_key', 'varchar(120)'],
      ['executed_by', 'varchar(100)'],
      ['executed_by_key', 'varchar(120)'],
      ['open_key', 'varchar(64)'],
    ];
    for (const [name, type] of columns) await db.schema.alterTable('automated_decisions').addColumn(name, type).execute();
    await backfillOpenKeys(db);
    await db.schema.createIndex('ux_decision_open').on('automated_decisions').column('open_key').unique().execute();
    await db.schema.createIndex('ix_decision_target').on('automated_decisions').columns(['decision_type', 'target_id']).execute();

    await createIfMissing(
      db,
      ctx,
      'rfid3_decision_transitions',
      (tb) =>
        tb
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('decision_id', 'integer', (c) => c.notNull())
          .addColumn('action', 'varchar(16)', (c) => c.notNull())
          .addColumn('from_status', 'varchar(16)')
          .addColumn('to_status', 'varchar(16)', (c) => c.notNull())
          .addColumn('actor', 'varchar(100)', (c) => c.notNull())
          .addColumn('actor_key', 'varchar(120)')
          .addColumn('actor_role', 'varchar(16)', (c) => c.notNull())
          .addColumn('amount_before', t.double)
          .addColumn('amount_after', t.double)
          .addColumn('changes', t.json)
          .addColumn('reason', t.text)
          .addColumn('at', t.dateTime, (c) => c.notNull()),
      [{ name: 'ix_transition_decision', columns: ['decision_id', 'id'] }],
    );

    await db.schema.alterTable('rfid3_api_keys').addColumn('approve_limit_usd', t.double).execute();
  },
};

/** The columns of `automated_decisions` this migration reads and writes, as they are once it has added `open_key`. */
interface DecisionsAt0003 {
  id: number;
  decision_type: string;
  target_type: string;
  target_id: string;
  status: string;
  decided_by: string | null;
  override_reason: string | null;
  failure_reason: string | null;
  open_key: string | null;
}

/**
 * Gives each open decision its key. Where a target has several open decisions (the ledger allowed it
 * before), the newest stays open and the older ones are closed as superseded, as the ledger does now.
 */
async function backfillOpenKeys(schemaless: Kysely<unknown>): Promise<void> {
  const db = schemaless.withTables<{ automated_decisions: DecisionsAt0003 }>();
  const rows = await db
    .selectFrom('automated_decisions')
    .select(['id', 'decision_type', 'target_type', 'target_id', 'status', 'decided_by'])
    .where('status', 'in', [...OPEN_DECISION_STATUSES])
    .orderBy('id', 'desc')
    .execute();
  const seen = new Set<string>();
  for (const r of rows) {
    const key = openDecisionKey(r.decision_type, r.target_type, r.target_id, null);
    if (!seen.has(key)) {
      seen.add(key);
      await db.updateTable('automated_decisions').set({ open_key: key }).where('id', '=', r.id).execute();
    } else if (r.status === 'pending') {
      await db
        .updateTable('automated_decisions')
        .set({ status: 'rejected', decided_by: 'superseded', override_reason: 'superseded: one open decision per target' })
        .where('id', '=', r.id)
        .execute();
    } else {
      await db.updateTable('automated_decisions').set({ status: 'failed', failure_reason: 'superseded: one open decision per target' }).where('id', '=', r.id).execute();
    }
  }
}
