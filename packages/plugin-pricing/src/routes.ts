import type { AnyEndpoint, Clock, DecisionLedger, DecisionRecord, InventoryData } from '@rfid3/core';
import { actorOf, defineEndpoint, HttpProblem, jsonObjectSchema, matchCategory, safeguardOutcomeSchema, rejectedFieldErrors, sqlDateTime, validateRows } from '@rfid3/core';
import { z } from 'zod';
import type { ElasticityEstimate } from './elasticity/index.js';
import { PRICING_MODEL_VERSION } from './model-version.js';
import { evaluatePriceTest } from './price-test.js';
import type { VariantOutcome } from './price-test.js';
import type { PricingDb } from './tables.js';

export const round = (x: number, d = 4) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
const view = (e: ElasticityEstimate) => ({
  group: e.group,
  elasticity: round(e.elasticity),
  se: round(e.se),
  ci95: e.ci95.map((v) => round(v)),
  n: e.n,
  r2: round(e.r2),
  warnings: e.warnings,
});

const decisionView = (r: DecisionRecord) => ({ id: r.id, status: r.status, verdict: r.verdict, safeguards: r.safeguards, action: r.action });

const estimateSchema = z.object({
  group: z.string(),
  elasticity: z.number().nullable(),
  se: z.number().nullable(),
  ci95: z.array(z.number().nullable()),
  n: z.number(),
  r2: z.number().nullable(),
  warnings: z.array(z.string()),
});
const decisionViewSchema = z.object({ id: z.number().int(), status: z.string(), verdict: z.string(), safeguards: z.array(safeguardOutcomeSchema), action: jsonObjectSchema });
const variantSchema = z.object({ name: z.string(), price: z.number(), allocation: z.number(), exposures: z.number(), conversions: z.number() });

const tierSchema = z.object({
  currentPrice: z.number(),
  recommendedPrice: z.number(),
  direction: z.enum(['raise', 'cut', 'keep']),
  expectedChangePerPeriod: z.number().nullable(),
  expectedStockoutDays: z.object({ current: z.number().nullable(), recommended: z.number().nullable() }),
});
const peakSchema = z.object({
  weekdays: z.array(z.string()),
  peak: tierSchema,
  offPeak: tierSchema,
  expectedChangePerPeriod: z.number().nullable(),
  gainRange80: z.array(z.number().nullable()),
  confidence: z.number().nullable(),
  why: z.string(),
});

export type RecommendQuery = { category?: string; objective: 'revenue' | 'margin'; limit: number };

export interface PricingRouteContext {
  config: { periodDays: number };
  deps: { decisions: DecisionLedger; clock: Clock };
  inventory: InventoryData;
  db: PricingDb;
  /** The elasticity analysis (estimated lazily, again when new contract lines arrive). */
  analysis: () => Promise<{ through: string; categories: ElasticityEstimate[]; pooled: ElasticityEstimate }>;
  /** The price recommendations (the GET shows them, the propose job records them). */
  recommend: (query: RecommendQuery) => Promise<{ body: { recommendations: Record<string, unknown>[] } & Record<string, unknown> }>;
  /** Today's price of a rental class: 404 for a class the business does not have, 422 when it has no price. */
  currentPrice: (rentalClass: string) => Promise<number>;
  loadTest: (id: number) => Promise<{ rentalClass: string; status: string; variants: (VariantOutcome & { allocation: number })[] }>;
}

/** The pricing plugin's HTTP endpoints. */
export function pricingRoutes({ config, deps, inventory, db, analysis, recommend, currentPrice, loadTest }: PricingRouteContext): AnyEndpoint[] {
  return [
    defineEndpoint({
      method: 'GET',
      path: '/pricing/elasticity-analysis',
      summary: 'Own-price elasticity per category (log-log OLS with class and period fixed effects), with standard error, 95 % interval and R²',
      role: 'read',
      output: z.object({
        modelVersion: z.string(),
        dataThrough: z.string(),
        periodDays: z.number().int(),
        method: z.string(),
        categories: z.array(estimateSchema),
        pooled: estimateSchema,
      }),
      input: { query: z.object({ category: z.string().min(1).max(100).optional() }) },
      async handler({ query }) {
        const a = await analysis();
        const category = query.category ? matchCategory(await inventory.categories(), query.category) : null;
        const cats = a.categories.filter((c) => !category || c.group === category);
        if (category && cats.length === 0) throw HttpProblem.notFound(`no price history for category '${category}'`);
        return {
          modelVersion: PRICING_MODEL_VERSION,
          dataThrough: a.through.slice(0, 10),
          periodDays: config.periodDays,
          method: 'log(units per period) ~ log(price) + rental class + period dummies, per category; pooled = inverse-variance mean',
          categories: cats.map(view),
          pooled: view(a.pooled),
        };
      },
    }),
    defineEndpoint({
      method: 'GET',
      path: '/pricing/recommendations',
      summary:
        "Capacity-aware price per rental class: the price within the price-change cap (and under the competitor ceiling) with the highest expected revenue (or margin) over the next horizonDays, from price × expected min(demand at that price, units owned minus out for repair) per day. Each row: direction (raise, cut or keep), expectedChangePerPeriod (over the next periodDays = horizonDays), gainRange80 (80 % range of the gain over the elasticity's and demand level's sampling uncertainty), confidence (P(the change increases expected revenue)), expected rentals and stockout days at both prices, a why in words and figures, drivers, and the class's open price decision (proposed by the scheduled job or POST /decisions/propose; this read records nothing). A price moves only when P(gain) ≥ minProbability, the gain range is above zero (requirePositiveGainRange, the default), its low end loses at most maxLossShare of today's revenue when that is set, and the expected gain is at least minGainShare of today's revenue and minGain dollars.",
      role: 'read',
      output: z.object({
        modelVersion: z.string(),
        objective: z.enum(['revenue', 'margin']),
        periodDays: z.number().int().optional(),
        from: z.string().nullable().optional(),
        recommendations: z.array(
          z.object({
            rentalClass: z.string(),
            commonName: z.string().nullable().optional(),
            category: z.string(),
            currentPrice: z.number(),
            recommendedPrice: z.number().nullable(),
            reason: z.string().optional().describe('why no price is recommended'),
            direction: z.enum(['raise', 'cut', 'keep']).optional(),
            expectedRevenue: z.number().nullable().optional(),
            expectedChangePerPeriod: z.number().nullable().optional(),
            gainRange80: z.array(z.number().nullable()).optional(),
            confidence: z.number().nullable().optional(),
            expectedRentals: z.object({ current: z.number().nullable(), recommended: z.number().nullable() }).optional(),
            expectedStockoutDays: z.object({ current: z.number().nullable(), recommended: z.number().nullable() }).optional(),
            why: z.string().optional(),
            drivers: z.array(z.object({ name: z.string(), value: z.number().nullable(), note: z.string() })).optional(),
            peak: peakSchema.optional().describe('with peakPricing set: a peak price for its weekdays and an off-peak price for the rest; the proposed decision is for both'),
            decision: decisionViewSchema.nullable(),
          }),
        ),
      }),
      input: {
        query: z.object({
          category: z.string().min(1).max(100).optional(),
          objective: z.enum(['revenue', 'margin']).default('revenue'),
          limit: z.coerce.number().int().min(1).max(500).default(50),
        }),
      },
      async handler({ query }) {
        const { body } = await recommend(query);
        // A read: each class's open price decision is looked up, nothing is recorded.
        const ids = body.recommendations.map((r) => String(r.rentalClass));
        const open = new Map((await deps.decisions.listOpen({ type: 'price_change', targetIds: ids, scope: null })).map((d) => [d.target.id, d]));
        return {
          ...body,
          recommendations: body.recommendations.map((r) => ({ ...r, decision: open.has(String(r.rentalClass)) ? decisionView(open.get(String(r.rentalClass))!) : null })),
        };
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/pricing/competitor-prices',
      summary: 'Imports competitor prices (rows of rental class, competitor, price, date); invalid rows are reported and the valid ones kept',
      role: 'ingest',
      output: z.object({ imported: z.number().int(), rejected: z.number().int(), errors: z.array(z.object({ field: z.string(), message: z.string() })) }),
      input: { body: z.object({ rows: z.array(z.unknown()).min(1).max(10_000) }) },
      async handler({ body }) {
        const row = z.object({ rental_class: z.string().min(1).max(255), competitor: z.string().min(1).max(255), price: z.number().positive(), observed_on: z.iso.date() });
        const checked = validateRows(row, body.rows);
        const valid = checked.valid.map((v) => v.row);
        const errors = rejectedFieldErrors(checked.rejected, 'body.rows');
        // Nothing usable is a bad request; otherwise the valid rows are kept and the rejected ones named.
        if (valid.length === 0) throw HttpProblem.badRequest('no valid competitor price rows', errors);
        await db.insertInto('pricing_competitor_prices').values(valid).execute();
        return { imported: valid.length, rejected: body.rows.length - valid.length, errors };
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/pricing/test-price',
      summary: 'Creates a price test (A/B) for a rental class: variants with prices and allocation shares',
      role: 'operate',
      output: z.object({ id: z.number().int(), rentalClass: z.string(), status: z.string(), variants: z.array(variantSchema) }),
      successStatus: 201,
      input: {
        body: z.object({
          rental_class: z.string().min(1).max(255),
          variants: z
            .array(z.object({ name: z.string().min(1).max(64), price: z.number().positive(), allocation: z.number().positive().max(1) }))
            .min(2)
            .max(6)
            .refine((vs) => Math.abs(vs.reduce((s, v) => s + v.allocation, 0) - 1) < 1e-6, 'allocations must add up to 1')
            .refine((vs) => new Set(vs.map((v) => v.name)).size === vs.length, 'variant names must differ'),
        }),
      },
      async handler({ body }, ctx) {
        // A test needs a class the business rents, at a known price: its winner is judged against that price.
        await currentPrice(body.rental_class);
        const now = sqlDateTime(deps.clock.now());
        const variants = body.variants.map((v) => ({ ...v, exposures: 0, conversions: 0 }));
        const res = await db
          .insertInto('pricing_tests')
          .values({
            rental_class: body.rental_class,
            variants: JSON.stringify(variants),
            status: 'running',
            created_by: ctx.principal?.name ?? null,
            created_at: now,
            updated_at: now,
          })
          .executeTakeFirstOrThrow();
        return { id: Number(res.insertId), rentalClass: body.rental_class, status: 'running', variants };
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/pricing/test-price/:test_id/outcomes',
      summary: 'Records quotes and rentals per variant and answers whether the stopping rule says to stop',
      role: 'ingest',
      output: z.object({ id: z.number().int(), variants: z.array(variantSchema), verdict: jsonObjectSchema.describe("the stopping rule's verdict") }),
      input: {
        params: z.object({ test_id: z.coerce.number().int().positive() }),
        body: z.object({ outcomes: z.array(z.object({ variant: z.string().min(1), exposures: z.number().int().min(0), conversions: z.number().int().min(0) })).min(1) }),
      },
      async handler({ params, body }) {
        const test = await loadTest(params.test_id);
        if (test.status !== 'running') throw HttpProblem.conflict(`test ${params.test_id} is ${test.status}`);
        const variants = test.variants;
        body.outcomes.forEach((o, i) => {
          const v = variants.find((x) => x.name === o.variant);
          if (!v) throw HttpProblem.badRequest(`no variant '${o.variant}'`, [{ field: `outcomes.${i}.variant`, message: 'unknown variant' }]);
          if (o.conversions > o.exposures) throw HttpProblem.badRequest('conversions exceed exposures', [{ field: `outcomes.${i}.conversions`, message: 'more than exposures' }]);
        });
        for (const o of body.outcomes) {
          const v = variants.find((x) => x.name === o.variant)!;
          v.exposures += o.exposures;
          v.conversions += o.conversions;
        }
        await db
          .updateTable('pricing_tests')
          .set({ variants: JSON.stringify(variants), updated_at: sqlDateTime(deps.clock.now()) })
          .where('id', '=', params.test_id)
          .execute();
        return { id: params.test_id, variants, verdict: evaluatePriceTest(variants) };
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/pricing/test-price/:test_id/conclude',
      summary: 'Concludes a price test: the winner becomes a proposed price change through the safeguards',
      role: 'operate',
      output: z.object({ id: z.number().int(), status: z.string(), winner: z.string(), verdict: jsonObjectSchema, decision: decisionViewSchema }),
      input: { params: z.object({ test_id: z.coerce.number().int().positive() }), body: z.object({ force: z.boolean().default(false) }).default({ force: false }) },
      async handler({ params, body }, ctx) {
        const test = await loadTest(params.test_id);
        if (test.status !== 'running') throw HttpProblem.conflict(`test ${params.test_id} is ${test.status}`);
        const verdict = evaluatePriceTest(test.variants);
        if (!verdict.stop && !body.force) throw HttpProblem.conflict(`the stopping rule says keep testing: ${verdict.reason}`);
        const winner = test.variants.find((v) => v.name === verdict.leader)!;
        // No fallback to the winner's own price: the price cap is judged against the price charged today.
        const baseline = await currentPrice(test.rentalClass);
        const decision = await deps.decisions.propose(
          {
            type: 'price_change',
            target: { type: 'rental_class', id: test.rentalClass },
            confidence: verdict.probabilityBest[winner.name]!,
            baselinePrice: baseline,
            proposedPrice: winner.price,
            action: { rentalClass: test.rentalClass, price: winner.price, priceTest: params.test_id },
            modelVersion: 'pricing.price-test@1',
            // A test's conclusion stands beside the model's recommendation for the class, not in place of it.
            scope: 'price-test',
            rationale: verdict.reason,
          },
          actorOf(ctx.principal),
        );
        await db
          .updateTable('pricing_tests')
          .set({ status: 'concluded', winner: winner.name, decision_id: decision.id, updated_at: sqlDateTime(deps.clock.now()) })
          .where('id', '=', params.test_id)
          .execute();
        return { id: params.test_id, status: 'concluded', winner: winner.name, verdict, decision: decisionView(decision) };
      },
    }),
  ];
}
