import { coreServices, definePlugin, isoDay, systemActor } from '@rfid3/core';
import type { DecisionActor, DecisionLedger } from '@rfid3/core';
import { sql } from 'kysely';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };
import { analysePacks } from './analysis/pack-analysis.js';
import type { PackAnalysis } from './analysis/pack-analysis.js';
import { recommendPacks } from './recommendations.js';
import { packRoutes } from './routes.js';

export * from './rules/index.js';
export { analysePacks } from './analysis/pack-analysis.js';
export type { ClassUsage, PackAnalysis, PackPerformance, PackSettings } from './analysis/pack-analysis.js';

export { PACK_MODEL_VERSION } from './model-version.js';

const configSchema = z.object({
  windowDays: z.number().int().min(28).max(1095).default(365),
  minSupport: z.number().min(0.0001).max(1).default(0.002),
  minConfidence: z.number().min(0).max(1).default(0.1),
  minLift: z.number().min(1).default(1.5),
  handlingSavingUsd: z.number().min(0).default(2),
  burstCostUsd: z.number().min(0).default(5),
  lowUtilisation: z.number().min(0).max(1).default(0.1),
});

/**
 * Pack performance, co-rental rules and create/dissolve recommendations.
 */
export const packPlugin = definePlugin({
  id: 'pack',
  version: pkg.version,
  coreRange: pkg.peerDependencies['@rfid3/core'],
  description: 'Pack performance, co-rental rules and create/dissolve recommendations',
  configSchema,
  aliasPrefixes: ['/packs'],
  requires: { database: coreServices.database, decisions: coreServices.decisions, clock: coreServices.clock },
  register({ config, deps, endpoint, job }) {
    const ledger: DecisionLedger = deps.decisions;
    let cached: { key: string; analysis: PackAnalysis } | null = null;
    const analysis = async (): Promise<PackAnalysis> => {
      const last = await deps.database.db.selectFrom('pos_transactions').select(sql<string | null>`max(contract_date)`.as('d')).executeTakeFirst();
      const asOf = last?.d ? String(last.d).slice(0, 10) : isoDay(deps.clock.now());
      if (cached?.key === asOf) return cached.analysis;
      cached = { key: asOf, analysis: await analysePacks(deps.database, asOf, config) };
      return cached.analysis;
    };
    const classExists = async (ids: string[]) => {
      const rows = await deps.database.db.selectFrom('id_item_master').select('rental_class_num').distinct().where('rental_class_num', 'in', ids).execute();
      return new Set(rows.map((r) => String(r.rental_class_num)));
    };

    const recommend = async (query: { limit: number }) => recommendPacks(await analysis(), config, query);

    // Proposals are made here, by the scheduled job or `POST /decisions/propose`, never by a read.
    job('propose', async (payload: { actor?: DecisionActor } = {}) => {
      const { a, create, dissolve } = await recommend({ limit: 100 });
      const actor = payload.actor ?? systemActor('pack');
      const made = await ledger.proposeAll(
        'pack_create',
        create.map((c) => c.proposal),
        { actor },
      );
      const dissolved = await ledger.proposeAll(
        'pack_dissolve',
        dissolve.map((d) => d.proposal),
        { targets: a.packs.map((p) => p.rentalClass), actor },
      );
      const proposed = [...made.proposed, ...dissolved.proposed];
      return { proposed: proposed.length, pending: proposed.filter((d) => d.status === 'pending').length, superseded: made.superseded + dissolved.superseded };
    });

    endpoint(...packRoutes({ config, ledger, analysis, recommend, classExists }));
  },
});

export default packPlugin;
