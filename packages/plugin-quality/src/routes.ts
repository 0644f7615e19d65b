import type { AnyEndpoint, Clock, PredictionService } from '@rfid3/core';
import { defineEndpoint, jsonObjectSchema, recordItemRows, sqlDateTime } from '@rfid3/core';
import { z } from 'zod';
import { gradeEconomics, replacementAdvice } from './economics.js';
import { G, GRADES, gradeIndex } from './grades.js';
import type { QualityService } from './service.js';
import { gradePath, matrixFor, rentalsUntilBelow } from './transitions.js';

export const tagId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._:-]+$/, 'a tag_id (letters, digits, . _ : -)');
export const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
export const finite = (x: number) => (Number.isFinite(x) ? x : null);

const inspectionRow = z.object({
  item_id: tagId,
  grade: z.string().transform((s, ctx) => {
    const i = gradeIndex(s);
    if (i < 0) {
      ctx.addIssue({ code: 'custom', message: `grade must be one of ${GRADES.join(', ')}` });
      return z.NEVER;
    }
    return GRADES[i]!;
  }),
  inspected_at: z.union([z.iso.datetime({ local: true }), z.iso.datetime(), z.iso.date()]).optional(),
  inspector: z.string().max(100).optional(),
  notes: z.string().max(1000).optional(),
  flags: z.record(z.string(), z.boolean()).optional(),
});

export interface QualityRouteContext {
  config: { leadRentals: number; resaleShare: number };
  deps: { clock: Clock; predictions: PredictionService };
  service: QualityService;
  /** Index of the worst grade that may still go out on rent. */
  minRentable: number;
}

/** The quality plugin's HTTP endpoints. */
export function qualityRoutes({ config, deps, service, minRentable }: QualityRouteContext): AnyEndpoint[] {
  return [
    defineEndpoint({
      method: 'GET',
      path: '/quality/degradation/:item_id',
      summary: "Distribution of an item's grade after k more rentals and the rentals until it falls below the rentable grade (80 % interval)",
      role: 'read',
      output: z.object({
        itemId: z.string(),
        rentalClass: z.string(),
        category: z.string(),
        commonName: z.string().nullable(),
        grade: z.enum(GRADES),
        lastObservation: jsonObjectSchema.nullable(),
        modelVersion: z.string(),
        matrix: z.enum(['rental class', 'category', 'overall']),
        source: z.string(),
        minRentableGrade: z.enum(GRADES),
        after: z.array(
          z.object({
            rentals: z.number().int(),
            distribution: z.record(z.string(), z.number()).describe('probability of each grade after that many rentals'),
            mostLikely: z.enum(GRADES),
            interval80: z.object({ best: z.enum(GRADES), worst: z.enum(GRADES) }),
            rentable: z.number(),
          }),
        ),
        rentalsUntilUnrentable: z.object({ median: z.number().nullable(), lower: z.number().nullable(), upper: z.number().nullable(), level: z.number(), mean: z.number() }),
        replacement: z.object({ decision: z.enum(['replace_now', 'replace_soon', 'keep']), reason: z.string(), remainingRevenue: z.number(), netReplacementCost: z.number() }),
        validation: jsonObjectSchema.nullable(),
      }),
      input: {
        params: z.object({ item_id: tagId }),
        query: z.object({ rentals: z.coerce.number().int().min(1).max(200).default(10) }),
      },
      async handler({ params, query }) {
        const { snap, item } = await service.item(params.item_id);
        const P = matrixFor(snap.state.table, item);
        const answer = await deps.predictions.predict('quality.degradation', { itemId: item.tagId, grade: item.grade });
        const pred = answer.predictions[0]!;
        const path = gradePath(P, item.grade, query.rentals);
        const steps = [...new Set([1, 5, 10, 20, query.rentals].filter((k) => k <= query.rentals))].sort((a, b) => a - b);
        const until = rentalsUntilBelow(P, item.grade, minRentable);
        const advice = replacementAdvice(item, P, {
          minRentable,
          leadRentals: config.leadRentals,
          resaleShare: config.resaleShare,
          revenuePerRental: service.revenuePerRental(snap, item),
        });
        return {
          itemId: item.tagId,
          rentalClass: item.rentalClass,
          category: item.category,
          commonName: item.commonName,
          grade: GRADES[item.grade],
          lastObservation: item.observations.at(-1) ?? null,
          modelVersion: answer.modelVersion,
          matrix: snap.state.table.byClass[item.rentalClass] ? 'rental class' : snap.state.table.byCategory[item.category] ? 'category' : 'overall',
          source: pred.source,
          minRentableGrade: GRADES[minRentable],
          after: steps.map((k) => {
            const dist = path[k - 1]!;
            let cdf = 0;
            let lo: number | null = null;
            let hi: number | null = null;
            dist.forEach((p, g) => {
              cdf += p;
              if (lo === null && cdf >= 0.1) lo = g;
              if (hi === null && cdf >= 0.9) hi = g;
            });
            return {
              rentals: k,
              distribution: Object.fromEntries(GRADES.map((g, i) => [g, round(dist[i]!)])),
              mostLikely: GRADES[dist.indexOf(Math.max(...dist))],
              interval80: { best: GRADES[lo ?? 0], worst: GRADES[hi ?? G - 1] },
              rentable: round(dist.reduce((a, p, i) => (i <= minRentable ? a + p : a), 0)),
            };
          }),
          rentalsUntilUnrentable: { median: finite(until.median), lower: finite(until.p10), upper: finite(until.p90), level: 0.8, mean: round(until.mean, 1) },
          replacement: {
            decision: advice.decision,
            reason: advice.reason,
            remainingRevenue: round(advice.remainingRevenue, 2),
            netReplacementCost: round(advice.netReplacementCost, 2),
          },
          validation: snap.state.validation,
        };
      },
    }),
    defineEndpoint({
      method: 'GET',
      path: '/quality/replacement-recommendations',
      summary:
        'Items to replace now or soon on economics (expected remaining rental revenue vs replacement cost less resale), items to inspect next and why, and how grade relates to price and revenue',
      role: 'read',
      output: z.object({
        generatedAt: z.string(),
        dataThrough: z.string().nullable(),
        modelVersion: z.string(),
        minRentableGrade: z.enum(GRADES),
        counts: z.object({ replace_now: z.number().int(), replace_soon: z.number().int(), items: z.number().int() }),
        recommendations: z.array(
          z.object({
            itemId: z.string(),
            rentalClass: z.string(),
            commonName: z.string().nullable(),
            category: z.string(),
            decision: z.enum(['replace_now', 'replace_soon', 'keep']),
            reason: z.string(),
            grade: z.string(),
            rentalsUntilUnrentable: jsonObjectSchema,
            revenuePerRental: z.number(),
            remainingRevenue: z.number(),
            replacementCost: z.number(),
            resaleNow: z.number(),
            netReplacementCost: z.number(),
          }),
        ),
        inspectNext: z.array(
          z.object({
            itemId: z.string(),
            commonName: z.string().nullable(),
            grade: z.enum(GRADES),
            probabilityBelowRentableNextRental: z.number(),
            probabilityGradeDropNextRental: z.number(),
            why: z.string(),
          }),
        ),
        gradeEconomics: z.array(jsonObjectSchema),
      }),
      input: {
        query: z.object({
          limit: z.coerce.number().int().min(1).max(1000).default(50),
          category: z.string().min(1).max(100).optional(),
        }),
      },
      async handler({ query }) {
        const snap = await service.current();
        const items = snap.items.filter((i) => i.status !== 'Sold' && i.grade >= 0 && (!query.category || i.category.toLowerCase().includes(query.category.toLowerCase())));
        const order = { replace_now: 0, replace_soon: 1, keep: 2 } as const;
        const advice = items.map((item) => ({
          item,
          a: replacementAdvice(item, matrixFor(snap.state.table, item), {
            minRentable,
            leadRentals: config.leadRentals,
            resaleShare: config.resaleShare,
            revenuePerRental: service.revenuePerRental(snap, item),
          }),
        }));
        advice.sort((x, y) => order[x.a.decision] - order[y.a.decision] || x.a.rentalsUntilUnrentable.mean - y.a.rentalsUntilUnrentable.mean);
        // Inspect next: the rentable items most likely to cross below the rentable grade on their next rental.
        const inspect = items
          .filter((i) => i.grade <= minRentable)
          .map((item) => {
            const P = matrixFor(snap.state.table, item);
            const pBelow = P[item.grade]!.reduce((a, p, j) => (j > minRentable ? a + p : a), 0);
            const pDrop = 1 - P[item.grade]![item.grade]!;
            const value = service.revenuePerRental(snap, item);
            return { item, pBelow, pDrop, score: pBelow * Math.max(1, value) + pDrop * 1e-3 };
          })
          .sort((a, b) => b.score - a.score)
          .slice(0, query.limit);
        return {
          generatedAt: sqlDateTime(deps.clock.now()),
          dataThrough: snap.state.dataThrough,
          modelVersion: snap.versionTag,
          minRentableGrade: GRADES[minRentable],
          counts: {
            replace_now: advice.filter((x) => x.a.decision === 'replace_now').length,
            replace_soon: advice.filter((x) => x.a.decision === 'replace_soon').length,
            items: advice.length,
          },
          recommendations: advice
            .filter((x) => x.a.decision !== 'keep')
            .slice(0, query.limit)
            .map(({ item, a }) => ({
              itemId: a.tagId,
              rentalClass: item.rentalClass,
              commonName: item.commonName,
              category: item.category,
              decision: a.decision,
              reason: a.reason,
              grade: a.grade,
              rentalsUntilUnrentable: { ...a.rentalsUntilUnrentable, mean: round(a.rentalsUntilUnrentable.mean, 1) },
              revenuePerRental: round(a.revenuePerRental, 2),
              remainingRevenue: round(a.remainingRevenue, 2),
              replacementCost: round(a.replacementCost, 2),
              resaleNow: round(a.resaleNow, 2),
              netReplacementCost: round(a.netReplacementCost, 2),
            })),
          inspectNext: inspect.map(({ item, pBelow, pDrop }) => ({
            itemId: item.tagId,
            commonName: item.commonName,
            grade: GRADES[item.grade],
            probabilityBelowRentableNextRental: round(pBelow),
            probabilityGradeDropNextRental: round(pDrop),
            why: `grade ${GRADES[item.grade]}: ${(100 * pBelow).toFixed(1)} % chance to be below ${GRADES[minRentable]} after its next rental (${(100 * pDrop).toFixed(1)} % chance of any drop); inspect before it goes out`,
          })),
          gradeEconomics: gradeEconomics(snap.items, snap.rates, snap.state.dataThrough).map((r) => ({
            ...r,
            rentalsPerItemYear: round(r.rentalsPerItemYear, 2),
            turnoverYtdPerItem: round(r.turnoverYtdPerItem, 2),
            revenuePerRental: r.revenuePerRental === null ? null : round(r.revenuePerRental, 2),
            relativePrice: r.relativePrice === null ? null : round(r.relativePrice, 3),
          })),
        };
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/quality/inspection-result',
      summary: 'Records inspection grades; the item’s current grade and the transition model’s inputs take them from now on. Valid rows are kept even when others are rejected.',
      role: 'ingest',
      output: z.object({ recorded: z.number().int() }),
      input: { body: z.object({ items: z.array(z.unknown()).min(1).max(5000) }) },
      async handler({ body }) {
        const recorded = await recordItemRows(
          body.items,
          inspectionRow,
          (rows) => service.recordInspections(rows),
          () => deps.predictions.invalidate('quality.degradation'),
        );
        return { recorded };
      },
    }),
  ];
}
