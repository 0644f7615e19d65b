import { coreServices, definePlugin, matchCategory, plainDay, systemActor } from '@rfid3/core';
import type { DecisionActor, DecisionLedger, ProposedDecision } from '@rfid3/core';
import { restockImpactMeasure } from './alerts/impact.js';
import { demandServices } from '@rfid3/plugin-demand';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };
import { RESTOCK_MODEL_VERSION } from './model-version.js';
import { analyseRestock } from './restock-analyzer.js';
import { r2, restockRoutes } from './routes.js';
import type { ClassRestock } from './restock-analyzer.js';

export * from './alerts/index.js';
export * from './policy/index.js';
export * from './simulation/index.js';
export * from './velocity/index.js';
export { analyseRestock } from './restock-analyzer.js';
export type { ClassRestock, RestockSettings } from './restock-analyzer.js';

export { RESTOCK_MODEL_VERSION } from './model-version.js';

const configSchema = z.object({
  /** Days from a purchase order to rentable units. */
  leadTimeDays: z.number().int().min(1).max(120).default(14),
  /** Days after the lead time whose peak the purchase must cover. */
  horizonDays: z.number().int().min(0).max(42).default(14),
  /** Service level of the reorder point, order-up-to level and the bound of units on rent. */
  serviceLevel: z.number().min(0.5).max(0.999).default(0.95),
  /**
   * A unit is recommended when it avoids at least this many expected stockout days from its arrival (after the lead
   * time) to the end of the horizon (15 days by default): 0.05, i.e. 0.0033 per unit-day, about 8 × the shadow price
   * (median 0.0004 per unit-day) at which the inventory-neutral allocation of `pnpm eval restock` settles — more
   * cautious than the simulation, since a live reading sees only the window and not the rest of a unit's life.
   */
  minStockoutDaysAvoided: z.number().min(0.0001).max(100).default(0.05),
  /** At most this many units bought per reading, the ones avoiding the most stockout days (default: no unit budget). */
  budgetUnits: z.number().int().min(0).max(1_000_000).optional(),
  /** At most this many dollars per reading, best stockout days avoided per dollar first (default: no dollar budget). */
  budgetUsd: z.number().min(0).max(100_000_000).optional(),
  expectedLifeYears: z.number().min(0.5).max(30).default(5),
  marginalRevenueShare: z.number().min(0).max(1).default(0.5),
  subRentCostShare: z.number().min(0).max(2).default(0.6),
});

/**
 * Velocity classes, reorder decisions, restock alerts and approvals.
 */
export const restockPlugin = definePlugin({
  id: 'restock',
  version: pkg.version,
  coreRange: pkg.peerDependencies['@rfid3/core'],
  description: 'Velocity classes, reorder decisions, restock alerts and approvals',
  configSchema,
  aliasPrefixes: ['/inventory'],
  requires: {
    database: coreServices.database,
    inventory: coreServices.inventory,
    decisions: coreServices.decisions,
    forecaster: demandServices.forecaster,
  },
  register({ config, deps, endpoint, job }) {
    const ledger: DecisionLedger = deps.decisions;
    ledger.addImpactMeasure(restockImpactMeasure(deps.database));
    let cached: { asOf: string; at: number; result: Awaited<ReturnType<typeof analyseRestock>> } | null = null;
    const analysis = async () => {
      const asOf = deps.forecaster.dataThrough();
      // The analysis reads live on-rent counts too, so it is kept for a minute at most.
      if (cached && cached.asOf === asOf && Date.now() - cached.at < 60_000) return cached.result;
      const result = await analyseRestock({ database: deps.database, inventory: deps.inventory, forecaster: deps.forecaster }, config);
      cached = { asOf, at: Date.now(), result };
      return result;
    };
    /** The classes of a category as core's `matchCategory` reads the term (exact, else the one containing it; 404 otherwise). */
    const inCategory = (classes: ClassRestock[], term?: string) => {
      if (!term) return classes;
      const name = matchCategory(
        classes.map((c) => c.category),
        term,
      );
      return classes.filter((c) => c.category === name);
    };
    /** The purchase a class's recommendation stands for, as a decision to propose (none: nothing to buy, or no unit cost to price it). */
    const proposalFor = (c: ClassRestock): ProposedDecision | null => {
      const rec = c.recommendation;
      if (rec.action !== 'buy' || !(c.unitCost > 0) || !rec.impact) return null;
      const impact = rec.impact;
      return {
        type: 'restock',
        target: { type: 'rental_class', id: c.rentalClass },
        // The peak day's stockout probability: how sure the model is that the class runs short without the units.
        confidence: r2(c.shortfallProbability),
        quantity: rec.quantity,
        unitCostUsd: c.unitCost,
        amountUsd: r2(rec.quantity * c.unitCost),
        // Measurable once the window has passed: the rent the units earn in it (kpis.match-impact measures the same).
        predictedImpact: r2(impact.revenue),
        action: {
          rentalClass: c.rentalClass,
          quantity: rec.quantity,
          needBy: c.peakDay,
          impact: { from: impact.from, to: impact.to, baseUnits: impact.baseUnits, dailyRate: impact.dailyRate, unitDays: r2(impact.unitDays) },
        },
        modelVersion: RESTOCK_MODEL_VERSION,
        rationale: `${rec.reason}. Expected: the new units on rent ${impact.unitDays.toFixed(1)} days in all from ${plainDay(impact.from)} to ${plainDay(impact.to)}, at $${impact.dailyRate.toFixed(2)} a day`,
      };
    };

    // Proposals are made here, by the scheduled job or `POST /decisions/propose`, never by a read.
    job('propose', async (payload: { actor?: DecisionActor } = {}) => {
      const a = await analysis();
      const proposals = a.classes.map(proposalFor).filter((p): p is ProposedDecision => p !== null);
      const { proposed, superseded } = await ledger.proposeAll('restock', proposals, {
        targets: a.classes.map((c) => c.rentalClass),
        actor: payload.actor ?? systemActor('restock'),
      });
      return { proposed: proposed.length, pending: proposed.filter((d) => d.status === 'pending').length, superseded };
    });

    endpoint(...restockRoutes({ config, ledger, analysis, inCategory }));
  },
});

export default restockPlugin;
