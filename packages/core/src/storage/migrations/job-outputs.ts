import type { PortableMigration } from '../migration.js';

/**
 * Outputs keyed by the job that wrote them, so a job run again after its worker died (BullMQ picks a stalled
 * job up on another worker) writes one model version and no duplicate prediction rows.
 */
export const jobOutputs: PortableMigration = {
  async up(db) {
    await db.schema.alterTable('rfid3_model_registry').addColumn('job_id', 'varchar(160)').execute();
    // NULLs do not collide, so versions registered outside a job are unaffected.
    await db.schema.createIndex('ux_model_registry_job').on('rfid3_model_registry').columns(['model_name', 'job_id']).unique().execute();
    await db.schema.alterTable('analytics_predictions').addColumn('job_id', 'varchar(160)').execute();
    await db.schema.createIndex('ix_predictions_job').on('analytics_predictions').column('job_id').execute();
  },
};
