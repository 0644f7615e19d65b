import type { CreateTableBuilder, Kysely } from 'kysely';
import type { MigrationContext, PortableMigration } from '../migration.js';

/** Creates a table and its indexes only when it is missing; an existing table is left exactly as it is. */
export async function createIfMissing<DB>(
  db: Kysely<DB>,
  ctx: MigrationContext,
  name: string,
  build: (table: CreateTableBuilder<string, never>) => { execute(): Promise<void> },
  indexes: { name: string; columns: string[]; unique?: boolean }[] = [],
): Promise<boolean> {
  if (await ctx.tableExists(name)) return false;
  await build(db.schema.createTable(name)).execute();
  for (const ix of indexes) {
    let q = db.schema.createIndex(ix.name).on(name).columns(ix.columns);
    if (ix.unique) q = q.unique();
    await q.execute();
  }
  return true;
}

/** The five tables of the architecture design, plus the registry's artifacts and the host's API keys. */
export const designTables: PortableMigration = {
  async up(db, ctx) {
    const t = ctx.types;
    await createIfMissing(
      db,
      ctx,
      'analytics_predictions',
      (tb) =>
        tb
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('prediction_type', 'varchar(64)', (c) => c.notNull())
          .addColumn('target_type', 'varchar(32)', (c) => c.notNull())
          .addColumn('target_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('store', 'varchar(10)')
          .addColumn('prediction_date', t.dateTime, (c) => c.notNull())
          .addColumn('target_date', t.date)
          .addColumn('horizon_days', 'integer')
          .addColumn('predicted_value', t.double, (c) => c.notNull())
          .addColumn('confidence', t.double, (c) => c.notNull())
          .addColumn('interval_level', t.double)
          .addColumn('lower_bound', t.double)
          .addColumn('upper_bound', t.double)
          .addColumn('probability', t.double)
          .addColumn('model_name', 'varchar(100)', (c) => c.notNull())
          .addColumn('model_version', 'varchar(120)', (c) => c.notNull())
          .addColumn('model_type', 'varchar(50)', (c) => c.notNull())
          .addColumn('source', 'varchar(32)', (c) => c.notNull())
          .addColumn('input_features', t.json)
          .addColumn('drivers', t.json)
          .addColumn('actual_value', t.double)
          .addColumn('absolute_error', t.double)
          .addColumn('within_interval', 'integer')
          .addColumn('actual_recorded_at', t.dateTime)
          .addColumn('feedback', t.text)
          .addColumn('created_at', t.dateTime, (c) => c.notNull()),
      [
        { name: 'ix_pred_match', columns: ['prediction_type', 'target_type', 'target_id', 'target_date'] },
        { name: 'ix_pred_model', columns: ['model_name', 'model_version'] },
        { name: 'ix_pred_open', columns: ['prediction_type', 'actual_value', 'target_date'] },
      ],
    );
    await createIfMissing(
      db,
      ctx,
      'ml_model_performance',
      (tb) =>
        tb
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('model_name', 'varchar(100)', (c) => c.notNull())
          .addColumn('model_version', 'varchar(120)', (c) => c.notNull())
          .addColumn('model_type', 'varchar(50)', (c) => c.notNull())
          .addColumn('metric_name', 'varchar(50)', (c) => c.notNull())
          .addColumn('metric_value', t.double, (c) => c.notNull())
          .addColumn('evaluation', 'varchar(32)', (c) => c.notNull())
          .addColumn('sample_size', 'integer')
          .addColumn('details', t.json)
          .addColumn('evaluated_at', t.dateTime, (c) => c.notNull()),
      [{ name: 'ix_perf_model', columns: ['model_name', 'model_version', 'metric_name'] }],
    );
    await createIfMissing(
      db,
      ctx,
      'ml_feature_store',
      (tb) =>
        tb
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('entity_type', 'varchar(32)', (c) => c.notNull())
          .addColumn('entity_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('feature_name', 'varchar(100)', (c) => c.notNull())
          .addColumn('as_of', t.date, (c) => c.notNull())
          .addColumn('feature_value', t.double)
          .addColumn('feature_json', t.json)
          .addColumn('computed_at', t.dateTime, (c) => c.notNull()),
      [{ name: 'ux_feature', columns: ['entity_type', 'entity_id', 'feature_name', 'as_of'], unique: true }],
    );
    await createIfMissing(
      db,
      ctx,
      'external_data_factors',
      (tb) =>
        tb
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('factor_type', 'varchar(32)', (c) => c.notNull())
          .addColumn('factor_name', 'varchar(100)', (c) => c.notNull())
          .addColumn('factor_date', t.date, (c) => c.notNull())
          .addColumn('location', 'varchar(64)', (c) => c.notNull())
          .addColumn('value', t.double)
          .addColumn('value_json', t.json)
          .addColumn('source', 'varchar(100)', (c) => c.notNull())
          .addColumn('is_forecast', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('fetched_at', t.dateTime, (c) => c.notNull()),
      [{ name: 'ux_factor', columns: ['factor_type', 'factor_name', 'factor_date', 'location'], unique: true }],
    );
    await createIfMissing(
      db,
      ctx,
      'automated_decisions',
      (tb) =>
        tb
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('decision_type', 'varchar(32)', (c) => c.notNull())
          .addColumn('target_type', 'varchar(32)', (c) => c.notNull())
          .addColumn('target_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('confidence', t.double, (c) => c.notNull())
          .addColumn('amount_usd', t.double)
          .addColumn('predicted_impact', t.double)
          .addColumn('actual_impact', t.double)
          .addColumn('proposed_action', t.json, (c) => c.notNull())
          .addColumn('original_action', t.json)
          .addColumn('safeguard_verdict', 'varchar(16)', (c) => c.notNull())
          .addColumn('safeguard_reasons', t.json, (c) => c.notNull())
          .addColumn('requires_approval', 'integer', (c) => c.notNull())
          .addColumn('auto_approved', 'integer', (c) => c.notNull())
          .addColumn('status', 'varchar(16)', (c) => c.notNull())
          .addColumn('decided_by', 'varchar(100)')
          .addColumn('decided_at', t.dateTime)
          .addColumn('human_override', t.json)
          .addColumn('override_reason', t.text)
          .addColumn('executed_at', t.dateTime)
          .addColumn('failure_reason', t.text)
          .addColumn('model_version', 'varchar(120)')
          .addColumn('rationale', t.text)
          .addColumn('created_at', t.dateTime, (c) => c.notNull())
          .addColumn('updated_at', t.dateTime, (c) => c.notNull()),
      [{ name: 'ix_decision_status', columns: ['status', 'decision_type'] }],
    );
    await createIfMissing(
      db,
      ctx,
      'rfid3_model_registry',
      (tb) =>
        tb
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('model_name', 'varchar(100)', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('model_type', 'varchar(50)', (c) => c.notNull())
          .addColumn('status', 'varchar(16)', (c) => c.notNull())
          .addColumn('artifact', t.longText, (c) => c.notNull())
          .addColumn('config', t.json)
          .addColumn('validation_metric', 'varchar(50)', (c) => c.notNull())
          .addColumn('validation_value', t.double, (c) => c.notNull())
          .addColumn('lower_is_better', 'integer', (c) => c.notNull())
          .addColumn('training_rows', 'integer')
          .addColumn('notes', t.text)
          .addColumn('created_at', t.dateTime, (c) => c.notNull())
          .addColumn('activated_at', t.dateTime),
      [{ name: 'ux_registry_version', columns: ['model_name', 'version'], unique: true }],
    );
    await createIfMissing(
      db,
      ctx,
      'rfid3_api_keys',
      (tb) =>
        tb
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('name', 'varchar(100)', (c) => c.notNull())
          .addColumn('role', 'varchar(16)', (c) => c.notNull())
          .addColumn('key_prefix', 'varchar(16)', (c) => c.notNull())
          .addColumn('key_hash', 'varchar(64)', (c) => c.notNull())
          .addColumn('created_at', t.dateTime, (c) => c.notNull())
          .addColumn('last_used_at', t.dateTime)
          .addColumn('revoked_at', t.dateTime),
      [{ name: 'ux_api_key_hash', columns: ['key_hash'], unique: true }],
    );
  },
};
