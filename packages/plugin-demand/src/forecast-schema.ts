import { z } from 'zod';

const driver = z.object({ name: z.string(), effect: z.number(), detail: z.string().optional() });

const point = z.object({
  date: z.iso.date(),
  horizon: z.number().int().describe('days after dataThrough'),
  value: z.number().describe('the forecast (units)'),
  lower: z.number().nullable().describe('80 % range, lower end'),
  upper: z.number().nullable().describe('80 % range, upper end'),
  lower95: z.number().optional(),
  upper95: z.number().optional(),
  closed: z.string().optional().describe('why the stores are closed that day; the forecast and its ranges are then 0'),
  drivers: z.array(driver),
});

const series = z.object({
  level: z.string().describe('category, rental_class or total'),
  key: z.string(),
  store: z.string().nullable(),
  source: z.string().describe('model, ensemble, historical_average, or none (with reason)'),
  modelVersion: z.string(),
  reason: z.string().optional(),
  points: z.array(point),
  recent: z
    .array(z.object({ date: z.iso.date(), value: z.number().describe('what actually went out (or was on rent) that day') }))
    .optional()
    .describe('the actual last recentDays days through dataThrough, oldest first, to draw beside the forecast'),
});

/** The body of `GET /demand/forecast`, for the OpenAPI document. */
export const demandForecastResponseSchema = z.object({
  generatedAt: z.string(),
  dataThrough: z.iso.date().describe('the last day of data the forecasts are fitted on'),
  weeks: z.number().int(),
  store: z.string(),
  measure: z.enum(['units_out', 'on_rent']),
  modelVersion: z.string(),
  cached: z.boolean(),
  intervalLevel: z.number(),
  recentDays: z.number().int().describe('days of actual recent demand given with each series (query recent_days)'),
  series: z.array(series),
  reason: z.string().optional(),
});
