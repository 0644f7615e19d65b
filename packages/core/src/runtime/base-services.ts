import type { DecisionLedgerOptions } from '../contracts/decision.js';
import { createServiceRef } from '../contracts/service-ref.js';
import type { DatabaseHandle } from '../storage/database.js';
import type { Clock } from '../time/clock.js';
import type { CoreConfig } from './config.js';

/**
 * The references of the services core's injectable classes are built from (`@inject(baseServices.database.token)`).
 * `coreServices` holds these same references; they live apart so that those classes need not import the module
 * that names them.
 */
export const baseServices = {
  config: createServiceRef<CoreConfig>('core.config'),
  clock: createServiceRef<Clock>('core.clock'),
  database: createServiceRef<DatabaseHandle>('core.database'),
  /** The decision ledger's safeguards and settings, from the runtime's options and config (not one of `coreServices`). */
  decisionLedgerOptions: createServiceRef<DecisionLedgerOptions>('core.decisionLedgerOptions'),
} as const;
