import type { Gauge } from 'prom-client';
import { z } from 'zod';
import type { AnyEndpoint } from '../contracts/endpoint.js';
import { defineEndpoint } from '../contracts/endpoint.js';
import { jobAcceptedSchema } from '../contracts/responses.js';
import { isoDay } from '../time/dates.js';
import { jobAccepted, keepSchedule } from '../jobs/jobs.js';
import type { Cache } from '../cache/cache.js';
import type { DecisionLedger } from '../decisions/decision-ledger.js';
import type { InventoryData } from '../inventory/inventory-data.js';
import type { JobRunner } from '../jobs/jobs.js';
import type { Logger } from '../observability/logger.js';
import type { CoreMetrics } from '../observability/metrics.js';
import type { DatabaseHandle } from '../storage/database.js';
import type { Clock } from '../time/clock.js';
import { GRADES } from '../simulator/catalog.js';
import { dataKpis, decisionKpis } from './business-kpis.js';
import type { BusinessKpis, KpiOptions } from './business-kpis.js';
import { MATCH_IMPACT_JOB, matchDecisionImpacts } from './impact.js';
import { kpiReportSchema } from './schema.js';

const CACHE_SECONDS = 600;

/** The services the KPI endpoints and the impact-matching job use (core's endpoint plugin requires them). */
export interface KpiServices {
  cache: Cache;
  clock: Clock;
  database: DatabaseHandle;
  decisions: DecisionLedger;
  inventory: InventoryData;
  jobs: JobRunner;
  logger: Logger;
  metrics: CoreMetrics;
}

/** The last day the scans cover (never after today), or null with no scan. */
async function dataThrough(core: KpiServices): Promise<string | null> {
  const range = await core.inventory.scanRange();
  if (!range.last) return null;
  const last = range.last.slice(0, 10);
  const today = isoDay(core.clock.now());
  return last < today ? last : today;
}

/** The Prometheus gauges of the KPIs, set from the last computed report (GET /kpis; the host's nightly precompute asks for it). */
function kpiGauges(core: KpiServices) {
  const gauge = (name: string, help: string, labelNames: string[] = []): Gauge => core.metrics.gauge({ name, help, labelNames });
  const g = {
    stockouts: gauge('rfid3_kpi_stockout_class_days', 'Class-days with every unit of a class out at once over the last weeks, and the same weeks a year earlier', ['period']),
    turns: gauge('rfid3_kpi_inventory_turns_per_year', 'Units sent out per unit owned, per 365 days', ['period']),
    revenue: gauge('rfid3_kpi_revenue_per_rental_usd', 'Rent amount per Point of Rental contract', ['period']),
    acceptance: gauge('rfid3_kpi_recommendation_acceptance_ratio', 'Decisions a person approved ÷ decisions a person approved or rejected'),
    accuracy: gauge('rfid3_kpi_decision_accuracy_ratio', '1 − Σ|actual − predicted| ÷ Σ|actual| over executed decisions with a measured impact'),
    repairs: gauge('rfid3_kpi_unplanned_repair_cost_share', 'Cost of repairs begun when an item came back broken ÷ cost of every repair begun', ['period']),
    premature: gauge('rfid3_kpi_premature_replacements', 'Items taken out of the fleet while still at a rentable grade', ['period']),
  };
  const set = (gauge: Gauge, value: number | null | undefined, labels: Record<string, string> = {}) => {
    if (value === null || value === undefined) gauge.remove(labels);
    else gauge.set(labels, value);
  };
  return (k: BusinessKpis) => {
    set(g.stockouts, k.stockouts.total.current, { period: 'current' });
    set(g.stockouts, k.stockouts.total.previous, { period: 'year_earlier' });
    set(g.turns, k.inventoryTurns.perYear, { period: 'current' });
    set(g.turns, k.inventoryTurns.previous?.perYear, { period: 'previous' });
    set(g.revenue, k.revenuePerRental.perContract, { period: 'current' });
    set(g.revenue, k.revenuePerRental.previous?.perContract, { period: 'previous' });
    set(g.acceptance, k.recommendationAcceptance.rate);
    set(g.accuracy, k.decisionAccuracy.accuracy);
    set(g.repairs, k.unplannedRepairs.costShare, { period: 'current' });
    set(g.repairs, k.unplannedRepairs.previous?.costShare, { period: 'previous' });
    set(g.premature, k.prematureReplacements.count, { period: 'current' });
    set(g.premature, k.prematureReplacements.previous?.count, { period: 'previous' });
  };
}

/** Registers the job that measures executed decisions' actual impact, and runs it every `everyMinutes` while the runtime runs. */
export function registerImpactMatching(core: KpiServices, everyMinutes: number, onStart: (hook: () => void) => void): void {
  core.jobs.register(MATCH_IMPACT_JOB, async () => matchDecisionImpacts(core.decisions, await dataThrough(core), core.logger));
  // A job scheduler in BullMQ mode: several hosts, one run per period (none, and an earlier one removed, at 0).
  // Not awaited: a Redis that is slow to answer must not hold the host's start.
  onStart(() => void keepSchedule(core.jobs, MATCH_IMPACT_JOB, everyMinutes * 60_000, core.logger));
}

/** `GET /kpis` and `POST /kpis/match-impact`, served by core. */
export function kpiEndpoints(core: KpiServices): AnyEndpoint[] {
  const publish = kpiGauges(core);
  return [
    defineEndpoint({
      method: 'GET',
      path: '/kpis',
      summary:
        'The business outcomes, from the data: stockout days per week against the same weeks a year earlier, inventory turns per year, revenue per rental, recommendation acceptance, decision accuracy (predicted beside actual impact), unplanned repair cost share and premature replacements',
      role: 'read',
      input: {
        query: z.object({
          weeks: z.coerce.number().int().min(1).max(52).default(8),
          days: z.coerce.number().int().min(28).max(730).default(365),
          asOf: z.iso.date().optional(),
          minRentableGrade: z.enum(GRADES).optional(),
        }),
      },
      output: kpiReportSchema,
      async handler({ query }) {
        const options: KpiOptions = { weeks: query.weeks, days: query.days, asOf: query.asOf, minRentableGrade: query.minRentableGrade };
        // The scans are read once per ten minutes; the ledger's figures are always current.
        const { value: data } = await core.cache.wrap(`kpis:${isoDay(core.clock.now())}:${JSON.stringify(options)}`, CACHE_SECONDS, () =>
          dataKpis({ database: core.database, inventory: core.inventory, today: isoDay(core.clock.now()) }, options),
        );
        const report: BusinessKpis = { ...data, ...(await decisionKpis(core.decisions, isoDay(core.clock.now()), query.days)) };
        if (!query.asOf && query.weeks === 8 && query.days === 365 && !query.minRentableGrade) publish(report);
        return report;
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/kpis/match-impact',
      summary:
        "Queues the job that records the actual impact of every executed decision whose horizon the data has passed (each decision type's own measure); it also runs every hour",
      role: 'operate',
      output: jobAcceptedSchema,
      successStatus: 202,
      handler() {
        return jobAccepted(core.jobs.enqueue(MATCH_IMPACT_JOB, {}));
      },
    }),
  ];
}
