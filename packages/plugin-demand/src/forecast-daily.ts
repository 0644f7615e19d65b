import type { CalendarEvent, Prediction, StoreClosures } from '@rfid3/core';
import { addDays, closedDays, parseOrThrow } from '@rfid3/core';
import { z } from 'zod';
import { DEMAND_MODEL_NAME, DEMAND_PREDICTION_TYPE, closeDays, imputeClosedDays, modelPredictions } from './forecaster.js';
import { SERVING_DEMAND_SPEC } from './model.js';
import type { DemandModelSpec } from './model.js';

/** The fewest days of history `forecastDaily` fits the model on (the plugin's `minHistoryDays` default). */
export const MIN_DAILY_HISTORY = 28;

const dailyInput = z.object({
  /** Units per day (or any daily count), oldest first, one a day with no gaps. */
  values: z.array(z.number().min(0)).min(MIN_DAILY_HISTORY, `needs at least ${MIN_DAILY_HISTORY} days of history`),
  /** The day of `values[0]` (YYYY-MM-DD); default: so that the last value is yesterday (UTC). */
  start: z.iso.date().optional(),
  weeks: z.number().int().min(1).max(8).default(4),
  /** What the series is, for the predictions' `target` (default `series`). */
  name: z.string().min(1).max(100).default('series'),
});

/** What `forecastDaily` takes: a daily series held in memory and what to forecast. */
export interface DailyForecastInput {
  /** Units per day, oldest first, one a day with no gaps; at least 28 days. */
  values: number[];
  /** The day of `values[0]` (YYYY-MM-DD); default: so that the last value is yesterday (UTC). */
  start?: string;
  /** Weeks to forecast after the last day, 1–8 (default 4). */
  weeks?: number;
  /** What the series is (`target.id` of each prediction; default `series`). */
  name?: string;
  /** Days no units go out (holidays by name, dates, weekdays): forecast 0 there, and left out of the fit. Default: none. */
  closures?: StoreClosures;
  /** Local events (a fair, graduations) the model gives their own effect, beside the US holidays. */
  events?: CalendarEvent[];
  /** The model (default: what the plugin serves, `SERVING_DEMAND_SPEC`). */
  spec?: DemandModelSpec;
}

/**
 * Forecasts a daily series held in memory with the plugin's model (the ensemble it serves), with no runtime and no
 * database: each day ahead with its value, 80 % and 95 % ranges, drivers and `source`, as `predict('demand.daily')`
 * gives them. Input it refuses throws core's `ValidationError` naming the field (`values.3`, `weeks`).
 *
 * ```ts
 * const predictions = forecastDaily({ values: unitsPerDay, start: '2026-01-01', weeks: 2 });
 * ```
 */
export function forecastDaily(input: DailyForecastInput): Prediction[] {
  const { values, start, weeks, name } = parseOrThrow(dailyInput, { values: input.values, start: input.start, weeks: input.weeks, name: input.name }, '');
  const spec = input.spec ?? SERVING_DEMAND_SPEC;
  const first = start ?? addDays(new Date().toISOString().slice(0, 10), -values.length);
  const days = values.map((_, i) => addDays(first, i));
  const through = days[days.length - 1]!;
  const horizon = weeks * 7;
  const closed = input.closures ? closedDays(first, addDays(through, horizon), input.closures) : new Map<string, string>();
  const series = imputeClosedDays({ level: 'total', key: name, store: null, days, values }, closed);
  const predictions = modelPredictions({
    spec,
    history: series.values,
    days,
    horizon,
    through,
    events: input.events,
    base: {
      predictionType: DEMAND_PREDICTION_TYPE,
      target: { type: 'series', id: name, store: null },
      model: { name: DEMAND_MODEL_NAME, version: `${DEMAND_MODEL_NAME}@${spec.kind}`, type: spec.kind },
    },
  });
  return closeDays(predictions, closed);
}
