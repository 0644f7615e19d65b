import { addDays, coreServices, definePlugin, HttpProblem, matchCategory, systemActor } from '@rfid3/core';
import type { DatabaseHandle, DecisionActor, InventoryData, ProposedDecision } from '@rfid3/core';
import { sql } from 'kysely';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };
import type { ElasticityEstimate } from './elasticity/index.js';
import { categoryElasticities, loadPriceHistory, pooledElasticity } from './elasticity/index.js';
import { pricingMigrations } from './migrations.js';
import type { VariantOutcome } from './price-test.js';
import { explainCapacityPrice, explainPeakPrices, priceText, recommendCapacityPrice, recommendPeakPrices, WEEKDAY_NAMES } from './capacity.js';
import type { CapacityPriceInput, CapacityPriceRecommendation, PeakPriceRecommendation } from './capacity.js';
import type { ClassDemandModel, ClassElasticity } from './capacity-history.js';
import { classElasticities, fitDemandModels, forecastCapacityDays, loadCapacityHistory } from './capacity-history.js';
import { PRICING_MODEL_VERSION } from './model-version.js';
import { pricingRoutes, round } from './routes.js';
import type { RecommendQuery } from './routes.js';
import { pricingGainRangeSafeguard } from './safeguards.js';
import type { PricingDb, PricingTables } from './tables.js';

export * from './elasticity/index.js';
export { recommendPrice, DEFAULT_GRADE_FACTORS } from './recommendations.js';
export {
  recommendCapacityPrice,
  explainCapacityPrice,
  recommendPeakPrices,
  explainPeakPrices,
  WEEKDAY_NAMES,
  expectedMinPoisson,
  expectedMinUnits,
  expectedMinTable,
  probabilityAbove,
  priceGrid,
} from './capacity.js';
export type {
  CapacityDay,
  CapacityPriceInput,
  CapacityPriceRecommendation,
  CandidateOutcome,
  PeakPriceInput,
  PeakPriceRecommendation,
  SellOutRecord,
} from './capacity.js';
export {
  loadCapacityHistory,
  fitDemandModels,
  forecastCapacityDays,
  classElasticities,
  shrinkCategories,
  betweenVariance,
  censoredElasticities,
  dailyDemandSeries,
} from './capacity-history.js';
export type { CapacityHistory, ClassCapacityHistory, CapacityClassInput, ClassDemandModel, ClassElasticity } from './capacity-history.js';
export type { PriceRecommendation, PriceRecommendationInput } from './recommendations.js';
export { seasonalIndex, seasonFactor } from './season.js';
export { pricingGainRangeSafeguard } from './safeguards.js';
export type { SeasonIndex } from './season.js';
export { evaluatePriceTest, mixtureLikelihoodRatio, DEFAULT_STOPPING_RULE } from './price-test.js';
export type { StoppingRule, TestVerdict, VariantOutcome } from './price-test.js';
export { pricingMigrations } from './migrations.js';

export { PRICING_MODEL_VERSION } from './model-version.js';

const configSchema = z.object({
  /** Days per period of the price history the elasticities are estimated on. */
  periodDays: z.number().int().min(7).max(91).default(28),
  /** Largest price move recommended (the safeguard caps at its own setting too). */
  maxChange: z.number().min(0.01).max(0.5).default(0.2),
  /** Variable cost of one rental as a share of its price (cleaning, handling), for the margin objective. */
  variableCostShare: z.number().min(0).max(0.9).default(0.15),
  /** Recommendations stay within this share above the median competitor price. */
  competitorCeiling: z.number().min(0).max(1).default(0.1),
  /** Days ahead a recommended price is for (its expected revenue is summed over them). */
  horizonDays: z.number().int().min(7).max(91).default(28),
  /** A price moves only when P(the change increases expected revenue) is at least this … */
  minProbability: z.number().min(0.5).max(0.999).default(0.8),
  /** … its gain's 80 % range is above zero, and the expected gain is at least this share of today's revenue. */
  minGainShare: z.number().min(0).max(0.2).default(0.005),
  /** … and a change may add at most this many expected stockout days (demand above the units available) over the horizon. */
  maxAddedStockoutDays: z.number().min(0).max(91).default(0.5),
  /**
   * Whether a price moves only when its gain's 80 % range is above zero (default). Off, a move needs only
   * minProbability; the `pricing-gain-range` safeguard then leaves each such move to a person.
   */
  requirePositiveGainRange: z.boolean().default(true),
  /**
   * With or without the range rule: a move is taken only when the low end of its gain's 80 % range loses at most
   * this share of today's revenue over the horizon (unset: no such bound).
   */
  maxLossShare: z.number().min(0).max(1).optional(),
  /** … and its expected gain over the horizon is at least this much money. */
  minGain: z.number().min(0).default(0),
  /** Draws of the elasticity and demand level from their sampling distributions (fixed seed). */
  draws: z.number().int().min(20).max(2000).default(200),
  /**
   * Where the business allows peak and off-peak prices: the weekdays (by the day a rental starts) that take the
   * peak price. Set, each recommendation also carries a peak and an off-peak price (`peak`), and the proposed
   * decision is for both. Unset (the default), one price per class.
   */
  peakPricing: z.object({ weekdays: z.array(z.enum(WEEKDAY_NAMES)).min(1).max(6) }).optional(),
});

interface Analysis {
  through: string;
  categories: ElasticityEstimate[];
  pooled: ElasticityEstimate;
  /** Class elasticities partially pooled towards their category. */
  classes: Map<string, ClassElasticity>;
  /** Each class's demand model (units on rent wanted per day, weekday and month indices, fleet). */
  demand: Map<string, ClassDemandModel>;
  /** The day the demand models' year ends (last contract day). */
  dataThrough: string | null;
  scanThrough: string | null;
  /** Recommendations already worked out on this analysis, by class, price, ceiling and objective (a read repeats them). */
  memo: Map<string, { single: CapacityPriceRecommendation; tiered: PeakPriceRecommendation | null }>;
}

/**
 * Price elasticity, capacity-aware revenue- or margin-optimal prices within safeguards, and price tests.
 */
export const pricingPlugin = definePlugin({
  id: 'pricing',
  version: pkg.version,
  coreRange: pkg.peerDependencies['@rfid3/core'],
  description: 'Price elasticity, capacity-aware revenue-optimal prices within safeguards, and price tests',
  configSchema,
  migrations: pricingMigrations,
  requires: {
    database: coreServices.database,
    inventory: coreServices.inventory,
    decisions: coreServices.decisions,
    clock: coreServices.clock,
  },
  register({ config, deps, endpoint, job, safeguard }) {
    safeguard(pricingGainRangeSafeguard);
    const database: DatabaseHandle = deps.database;
    const inventory: InventoryData = deps.inventory;
    let cached: Analysis | null = null;
    const db: PricingDb = database.db.withTables<PricingTables>();

    /** Estimated lazily on first use and again when new contract lines arrive. */
    async function analysis(): Promise<Analysis> {
      const last = await database.db.selectFrom('pos_transactions').select(sql<string | null>`max(contract_date)`.as('d')).executeTakeFirst();
      const through = String(last?.d ?? '');
      const scans = await database.db.selectFrom('id_transactions').select(sql<string | null>`max(scan_date)`.as('last')).executeTakeFirst();
      const scanThrough = scans?.last ? String(scans.last) : null;
      if (cached && cached.through === through && cached.scanThrough === scanThrough) return cached;
      const classes = await inventory.rentalClasses();
      const history = await loadPriceHistory(database, new Map(classes.map((c) => [c.rentalClass, c.category])), { periodDays: config.periodDays });
      const categories = categoryElasticities(history);
      const pooledByClass = classElasticities(history, categories);
      const dataThrough = through ? through.slice(0, 10) : null;
      let demand = new Map<string, ClassDemandModel>();
      if (dataThrough) {
        const prices = await database.db.selectFrom('pos_equipment').select(['item_num', 'rate_1']).execute();
        const priceOf = new Map(prices.map((p) => [String(p.item_num), Number(p.rate_1)]));
        const repairs = await database.db
          .selectFrom('id_item_master')
          .select(['rental_class_num', sql<number>`count(*)`.as('n')])
          .where('status', '=', 'Repair')
          .groupBy('rental_class_num')
          .execute();
        const inRepair = new Map(repairs.map((r) => [String(r.rental_class_num), Number(r.n)]));
        const inputs = classes
          .filter((c) => (priceOf.get(c.rentalClass) ?? 0) > 0)
          .map((c) => ({ rentalClass: c.rentalClass, category: c.category, units: c.units, inRepair: inRepair.get(c.rentalClass) ?? 0, price: priceOf.get(c.rentalClass)! }));
        demand = fitDemandModels(await loadCapacityHistory(database, inputs, { through: dataThrough, days: 365 }), pooledByClass);
      }
      cached = { through, categories, pooled: pooledElasticity(categories), classes: pooledByClass, demand, dataThrough, scanThrough, memo: new Map() };
      return cached;
    }

    /** The price recommendations, and the decisions they stand for; the GET shows them, the propose job records them. */
    async function recommend(
      query: RecommendQuery,
    ): Promise<{ body: { recommendations: Record<string, unknown>[] } & Record<string, unknown>; proposals: ProposedDecision[]; considered: string[] }> {
      const a = await analysis();
      const proposals: ProposedDecision[] = [];
      const considered: string[] = [];
      const byCategory = new Map(a.categories.map((c) => [c.group, c]));
      const all = await inventory.rentalClasses();
      const category = query.category
        ? matchCategory(
            all.map((c) => c.category),
            query.category,
          )
        : null;
      const classes = all.filter((c) => !category || c.category === category);
      const ids = classes.map((c) => c.rentalClass);
      if (ids.length === 0) return { body: { modelVersion: PRICING_MODEL_VERSION, objective: query.objective, recommendations: [] }, proposals, considered };
      const prices = await database.db.selectFrom('pos_equipment').select(['item_num', 'rate_1']).where('item_num', 'in', ids).execute();
      const priceOf = new Map(prices.map((p) => [String(p.item_num), Number(p.rate_1)]));
      const competitors = await db.selectFrom('pricing_competitor_prices').select(['rental_class', 'price']).where('rental_class', 'in', ids).execute();
      const compBy = new Map<string, number[]>();
      for (const c of competitors) (compBy.get(c.rental_class) ?? compBy.set(c.rental_class, []).get(c.rental_class)!).push(Number(c.price));
      const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)]!;

      const out: Record<string, unknown>[] = [];
      const from = a.dataThrough ? addDays(a.dataThrough, 1) : null;
      const peakWeekdays = config.peakPricing ? config.peakPricing.weekdays.map((d) => WEEKDAY_NAMES.indexOf(d)) : null;
      const tierView = (r: CapacityPriceRecommendation) => ({
        currentPrice: r.currentPrice,
        recommendedPrice: r.recommendedPrice,
        direction: r.direction,
        expectedChangePerPeriod: round(r.expectedChange, 2),
        expectedStockoutDays: { current: round(r.current.stockoutDays, 1), recommended: round(r.recommended.stockoutDays, 1) },
      });
      const peakView = (t: PeakPriceRecommendation, sellOuts: ClassDemandModel['sellOuts']) => ({
        weekdays: config.peakPricing!.weekdays,
        peak: tierView(t.peak),
        offPeak: tierView(t.offPeak),
        expectedChangePerPeriod: round(t.expectedChange, 2),
        gainRange80: t.gainRange80.map((v) => round(v, 2)),
        confidence: round(t.confidence, 3),
        why: explainPeakPrices(t, sellOuts, config.horizonDays),
      });
      for (const c of classes.slice(0, query.limit)) {
        const price = priceOf.get(c.rentalClass);
        const est = byCategory.get(c.category);
        const el = a.classes.get(c.rentalClass);
        const model = a.demand.get(c.rentalClass);
        if (!price || !(price > 0)) continue;
        if (!est || !el || !Number.isFinite(el.elasticity) || el.elasticity >= 0) {
          out.push({
            rentalClass: c.rentalClass,
            category: c.category,
            currentPrice: price,
            recommendedPrice: null,
            reason: est?.warnings.join('; ') || 'no identified elasticity for this category',
          });
          continue;
        }
        if (!model || !from || !(model.level > 0) || !(model.capacity > 0)) {
          out.push({
            rentalClass: c.rentalClass,
            category: c.category,
            currentPrice: price,
            recommendedPrice: null,
            reason: !model || !(model.level > 0) ? 'not rented in the last year: no demand to price' : 'no units available to rent',
          });
          continue;
        }
        const ceiling = compBy.has(c.rentalClass) ? median(compBy.get(c.rentalClass)!) * (1 + config.competitorCeiling) : undefined;
        const days = forecastCapacityDays(model, from, config.horizonDays);
        const memoKey = `${c.rentalClass}|${price}|${ceiling ?? ''}|${query.objective}`;
        const input: CapacityPriceInput = {
          price,
          ceiling,
          days,
          unitsPerRental: model.unitsPerRental,
          daysPerRental: model.daysPerRental,
          elasticity: el.elasticity,
          elasticitySe: el.se,
          levelSe: model.levelSe,
          maxChange: config.maxChange,
          draws: config.draws,
          minProbability: config.minProbability,
          minGainShare: config.minGainShare,
          maxAddedStockoutDays: config.maxAddedStockoutDays,
          requirePositiveRange: config.requirePositiveGainRange,
          maxLossShare: config.maxLossShare,
          minGain: config.minGain,
          unitCost: query.objective === 'margin' ? price * config.variableCostShare : 0,
        };
        const memo = a.memo.get(memoKey) ?? {
          single: recommendCapacityPrice(input),
          tiered: peakWeekdays ? recommendPeakPrices({ ...input, peakWeekdays }) : null,
        };
        a.memo.set(memoKey, memo);
        const rec = memo.single;
        const tiered = memo.tiered;
        const recommended = rec.recommendedPrice;
        const moved = recommended !== price;
        const why = explainCapacityPrice(rec, model.sellOuts, config.horizonDays);
        const season = days.reduce((sum, d) => sum + model.monthIndex[Number(d.date.slice(5, 7)) - 1]!, 0) / days.length;
        const gainRange80 = moved ? rec.gainRange80.map((v) => round(v, 2)) : [0, 0];
        const drivers = [
          {
            name: 'elasticity',
            value: round(el.elasticity, 3),
            note: `±${round(1.96 * el.se, 2)} (95 %); ${el.own ? `own estimate ${round(el.own.elasticity, 2)} weighted ${round(el.weight, 2)}, the rest ` : ''}${c.category} ${round(est.elasticity, 2)}`,
          },
          {
            name: 'sold_out_days',
            value: model.sellOuts.total,
            note: `of the last ${model.sellOuts.days} days (units on rent ≥ ${model.units} owned); ${model.sellOuts.soldOut} of ${model.sellOuts.of} ${model.sellOuts.weekday}s`,
          },
          { name: 'season', value: round(season, 3), note: `${c.category} units on rent in ${days[0]!.date} … ${days.at(-1)!.date} by last year's months ÷ its yearly mean` },
          ...(ceiling !== undefined
            ? [{ name: 'competitor_median', value: round(ceiling / (1 + config.competitorCeiling), 2), note: `no raise above ${priceText(ceiling)}` }]
            : []),
          { name: 'utilisation', value: round(rec.utilisation, 3), note: `expected units on rent ÷ ${model.capacity} available over the next ${config.horizonDays} days` },
          {
            name: 'binding_days',
            value: round(rec.bindingDays, 3),
            note: "share of the coming days on which demand at today's price more likely than not exceeds the units available",
          },
        ];
        considered.push(c.rentalClass);
        const tieredMoved = tiered !== null && (tiered.peak.direction !== 'keep' || tiered.offPeak.direction !== 'keep');
        if (tiered) {
          if (tieredMoved) {
            const tieredRange = tiered.gainRange80.map((v) => round(v, 2));
            proposals.push({
              type: 'price_change',
              target: { type: 'rental_class', id: c.rentalClass },
              confidence: Math.round(tiered.confidence * 1000) / 1000,
              baselinePrice: price,
              proposedPrice: tiered.offPeak.recommendedPrice,
              predictedImpact: Math.round(tiered.expectedChange * 100) / 100,
              action: {
                rentalClass: c.rentalClass,
                price: tiered.offPeak.recommendedPrice,
                peakPrice: tiered.peak.recommendedPrice,
                peakWeekdays: config.peakPricing!.weekdays,
                horizonDays: config.horizonDays,
                expectedGain: round(tiered.expectedChange, 2),
                gainRange80: tieredRange,
              },
              modelVersion: PRICING_MODEL_VERSION,
              rationale: explainPeakPrices(tiered, model.sellOuts, config.horizonDays),
            });
          }
        } else if (moved) {
          proposals.push({
            type: 'price_change',
            target: { type: 'rental_class', id: c.rentalClass },
            confidence: Math.round(rec.confidence * 1000) / 1000,
            baselinePrice: price,
            proposedPrice: recommended,
            predictedImpact: Math.round(rec.expectedChange * 100) / 100,
            action: { rentalClass: c.rentalClass, price: recommended, horizonDays: config.horizonDays, expectedGain: round(rec.expectedChange, 2), gainRange80 },
            modelVersion: PRICING_MODEL_VERSION,
            rationale: why,
          });
        }
        out.push({
          rentalClass: c.rentalClass,
          commonName: c.commonName,
          category: c.category,
          currentPrice: price,
          recommendedPrice: recommended,
          direction: moved ? (recommended > price ? 'raise' : 'cut') : 'keep',
          expectedRevenue: round(moved ? rec.recommended.expected : rec.current.expected, 2),
          expectedChangePerPeriod: round(moved ? rec.expectedChange : 0, 2),
          gainRange80,
          confidence: round(moved ? rec.confidence : 0, 3),
          expectedRentals: { current: round(rec.current.rentals, 1), recommended: round(moved ? rec.recommended.rentals : rec.current.rentals, 1) },
          expectedStockoutDays: { current: round(rec.current.stockoutDays, 1), recommended: round(moved ? rec.recommended.stockoutDays : rec.current.stockoutDays, 1) },
          why,
          drivers,
          ...(tiered ? { peak: peakView(tiered, model.sellOuts) } : {}),
        });
      }
      return { body: { modelVersion: PRICING_MODEL_VERSION, objective: query.objective, periodDays: config.horizonDays, from, recommendations: out }, proposals, considered };
    }

    // Proposals are made here, by the scheduled job or `POST /decisions/propose`, never by a read.
    job('propose', async (payload: { actor?: DecisionActor } = {}) => {
      const { proposals, considered } = await recommend({ objective: 'revenue', limit: 100_000 });
      const { proposed, superseded } = await deps.decisions.proposeAll('price_change', proposals, { targets: considered, actor: payload.actor ?? systemActor('pricing') });
      return { proposed: proposed.length, pending: proposed.filter((d) => d.status === 'pending').length, superseded };
    });

    endpoint(...pricingRoutes({ config, deps, inventory, db, analysis, recommend, currentPrice, loadTest }));

    /** Today's price of a rental class: 404 for a class the business does not have, 422 when it has no price. */
    async function currentPrice(rentalClass: string): Promise<number> {
      const row = await database.db.selectFrom('pos_equipment').select('rate_1').where('item_num', '=', rentalClass).executeTakeFirst();
      if (!row) {
        const known = await database.db.selectFrom('id_item_master').select('tag_id').where('rental_class_num', '=', rentalClass).limit(1).executeTakeFirst();
        if (!known) throw HttpProblem.notFound(`no rental class '${rentalClass}' (it is neither in pos_equipment nor in id_item_master)`);
      }
      const price = Number(row?.rate_1);
      if (!(price > 0)) {
        throw new HttpProblem({
          status: 422,
          title: 'Unprocessable Content',
          detail: `rental class '${rentalClass}' has no current price (pos_equipment.rate_1): import the POS equipment export first`,
        });
      }
      return price;
    }

    async function loadTest(id: number): Promise<{ rentalClass: string; status: string; variants: (VariantOutcome & { allocation: number })[] }> {
      const row = await db.selectFrom('pricing_tests').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw HttpProblem.notFound(`price test ${id} does not exist`);
      const variants = typeof row.variants === 'string' ? JSON.parse(row.variants) : row.variants;
      return { rentalClass: row.rental_class, status: row.status, variants };
    }
  },
});

export default pricingPlugin;
