import { z } from 'zod';

const day = z.string().describe('YYYY-MM-DD');
const rate = z.number().nullable();
const change = z.number().nullable().describe('current ÷ previous − 1; null without a previous period or when it was 0');
const soldOutWeek = z.object({ from: day, to: day, soldOutClassDays: z.number().int(), classes: z.number().int() });

const turns = z.object({ perYear: rate, unitsRented: z.number().int(), averageUnitsOwned: z.number(), days: z.number().int() });
const revenue = z.object({ perContract: rate, perUnit: rate, revenue: z.number(), contracts: z.number().int(), unitsRented: z.number() });
const repairs = z.object({
  costShare: rate,
  unplannedCost: z.number(),
  plannedCost: z.number(),
  unplannedRepairs: z.number().int(),
  plannedRepairs: z.number().int(),
  withoutEstimate: z.number().int(),
});
const replacements = z.object({ count: z.number().int(), retired: z.number().int(), share: rate });
const acceptanceCounts = z.object({ accepted: z.number().int(), rejected: z.number().int(), autoApproved: z.number().int(), pending: z.number().int(), rate });
const accuracy = z.object({ matched: z.number().int(), predicted: z.number(), actual: z.number(), accuracy: rate });

/** The answer of `GET /kpis`, for the OpenAPI document. */
export const kpiReportSchema = z.object({
  asOf: day,
  dataFrom: day.nullable(),
  dataThrough: day.nullable(),
  period: z.object({ from: day, to: day, days: z.number().int() }),
  previousPeriod: z.object({ from: day, to: day, covered: z.boolean() }),
  stockouts: z.object({
    measure: z.string(),
    weeks: z.array(soldOutWeek.extend({ yearEarlier: soldOutWeek.nullable(), change })),
    total: z.object({ current: z.number().int(), previous: z.number().int().nullable(), change }),
  }),
  inventoryTurns: turns.extend({ measure: z.string(), previous: turns.nullable(), change }),
  revenuePerRental: revenue.extend({ measure: z.string(), previous: revenue.nullable(), change }),
  recommendationAcceptance: acceptanceCounts.extend({ measure: z.string(), from: day, to: day, byType: z.record(z.string(), acceptanceCounts) }),
  decisionAccuracy: accuracy.extend({
    measure: z.string(),
    awaitingMeasurement: z.number().int(),
    byType: z.record(z.string(), accuracy),
    decisions: z.array(
      z.object({
        id: z.number().int(),
        decisionType: z.string(),
        target: z.object({ type: z.string(), id: z.string() }),
        executedAt: z.string().nullable(),
        predictedImpact: z.number(),
        actualImpact: z.number(),
      }),
    ),
  }),
  unplannedRepairs: repairs.extend({ measure: z.string(), previous: repairs.nullable(), change }),
  prematureReplacements: replacements.extend({ measure: z.string(), minRentableGrade: z.string(), previous: replacements.nullable(), change }),
});
