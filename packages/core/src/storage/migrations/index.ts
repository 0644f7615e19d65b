import type { PortableMigration } from '../migration.js';
import { decisionLedger } from './decision-ledger.js';
import { designTables } from './design-tables.js';
import { jobOutputs } from './job-outputs.js';
import { rfid3Tables } from './rfid3-tables.js';

/** Core's migrations, in the order they run. Never rename or edit one that has shipped; add a new one. */
export const coreMigrations: Record<string, PortableMigration> = {
  '0001_design_tables': designTables,
  '0002_rfid3_tables': rfid3Tables,
  '0003_decision_ledger': decisionLedger,
  '0004_job_outputs': jobOutputs,
};
