import type { AnyEndpoint, Clock, JobRunner, Prediction, PredictionService, PredictionStore } from '@rfid3/core';
import { HttpProblem, accuracyRowSchema, defineEndpoint, jobAcceptedSchema, isDependencyUnavailable, jobAccepted, markStale, sqlDateTime, SerializedAnswers } from '@rfid3/core';
import { z } from 'zod';
import { byHorizonWeek } from './accuracy.js';
import { DEMAND_PREDICTION_TYPE, ON_RENT_PREDICTION_TYPE, seriesId } from './forecaster.js';
import type { DemandForecaster, ForecastRequest } from './forecaster.js';
import { demandForecastResponseSchema } from './forecast-schema.js';

const storeParam = z
  .string()
  .regex(/^(all|[A-Za-z0-9-]{1,10})$/, "a store code such as 8101, or 'all'")
  .default('all');

/** One day of a series in `GET demand/forecast`: the value with its 80 % (lower/upper) and 95 % ranges. */
export interface ForecastPointBody {
  date: string;
  horizon: number;
  value: number;
  lower: number | null;
  upper: number | null;
  lower95?: number;
  upper95?: number;
  /** Why the stores are closed that day (the forecast is then zero with a zero range). */
  closed?: string;
  drivers: Prediction['drivers'];
}

/** One series in `GET demand/forecast`. */
export interface ForecastSeriesBody {
  level: string;
  key: string;
  store: string | null;
  /** Which layer answered: `model`, `ensemble`, `historical_average`, or `none` (no forecast, with `reason`). */
  source: string;
  modelVersion: string;
  reason?: string;
  points: ForecastPointBody[];
  /** What actually happened on the last `recent_days` days through `dataThrough`, oldest first. */
  recent?: { date: string; value: number }[];
}

function toSeries(predictions: Prediction[]): ForecastSeriesBody[] {
  const series = new Map<string, ForecastSeriesBody>();
  for (const p of predictions) {
    const id = `${p.target.type}\u0000${p.target.id}\u0000${p.target.store ?? ''}`;
    let s = series.get(id);
    if (!s) {
      s = { level: p.target.type, key: p.target.id, store: p.target.store ?? null, source: p.source, modelVersion: p.model.version, points: [] };
      series.set(id, s);
    }
    const i80 = p.intervals?.find((i) => i.level === 0.8) ?? p.intervals?.[0];
    const i95 = p.intervals?.find((i) => i.level === 0.95);
    s.points.push({
      date: p.targetDate!,
      horizon: p.horizon!,
      value: round(p.value),
      lower: i80 ? round(i80.lower) : null,
      upper: i80 ? round(i80.upper) : null,
      ...(i95 ? { lower95: round(i95.lower), upper95: round(i95.upper) } : {}),
      ...(typeof p.inputFeatures?.closed === 'string' ? { closed: p.inputFeatures.closed } : {}),
      drivers: p.drivers,
    });
  }
  return [...series.values()];
}

const round = (x: number) => Math.round(x * 100) / 100;

export interface DemandRouteContext {
  deps: { clock: Clock; predictions: PredictionService; store: PredictionStore; jobs: JobRunner };
  forecaster: DemandForecaster;
  /** Matches stored forecasts of units going out, and of units on rent, with what happened. */
  match: () => Promise<unknown>;
  matchOnRent: () => Promise<unknown>;
}

const accuracyReport = z.object({
  predictionType: z.string(),
  matched: z.number().int(),
  byModel: z.array(accuracyRowSchema),
  byHorizon: z.array(accuracyRowSchema),
  byHorizonWeek: z.array(
    accuracyRowSchema
      .pick({ modelVersion: true, n: true, mae: true, coverage: true, intervalLevel: true, meanWidth: true, intervalScore: true })
      .extend({ week: z.number().int() }),
  ),
  note: z.string().optional(),
});

/** The demand plugin's HTTP endpoints. */
export function demandRoutes({ deps, forecaster, match, matchOnRent }: DemandRouteContext): AnyEndpoint[] {
  // Forecast answers kept serialised beside the cached predictions they were made from (see the forecast endpoint).
  const answers = new SerializedAnswers();
  return [
    defineEndpoint({
      method: 'GET',
      path: '/demand/forecast',
      summary:
        'Daily units going out (or on rent), with 80 % (lower/upper) and 95 % ranges, for 1–8 weeks; zero on closed days (with why); beside each series the actual last `recent_days` days (default 28)',
      role: 'read',
      input: {
        query: z.object({
          weeks: z.coerce.number().int().min(1).max(8).default(4),
          category: z.string().min(1).max(100).optional(),
          rental_class: z.string().min(1).max(255).optional(),
          store: storeParam,
          measure: z.enum(['units_out', 'on_rent']).default('units_out'),
          by_store: z.enum(['true', 'false', '1', '0']).default('false'),
          by_class: z.enum(['true', 'false', '1', '0']).default('false'),
          recent_days: z.coerce.number().int().min(0).max(365).default(28),
        }),
      },
      output: demandForecastResponseSchema,
      async handler({ query }) {
        const byClass = query.by_class === 'true' || query.by_class === '1';
        if (byClass && !query.category) {
          throw HttpProblem.badRequest('query.by_class: needs a category (its rental classes are reconciled to it)', [
            { field: 'query.by_class', message: 'needs a category (its rental classes are reconciled to it)' },
          ]);
        }
        const asOf = forecaster.dataThrough();
        const request: ForecastRequest = {
          weeks: query.weeks,
          category: query.category,
          rentalClass: query.rental_class,
          store: query.store === 'all' ? undefined : query.store,
          measure: query.measure,
          byStore: query.by_store === 'true' || query.by_store === '1',
          byClass,
        };
        const answer = await deps.predictions.predict('demand.daily', { ...request, asOf });
        const generatedAt: [string, string] = ['generatedAt', sqlDateTime(deps.clock.now())];
        // A cache hit asked before: the answer derived from it, kept with it, touches nothing but memory. What the
        // answer adds to the forecasts (the series named without one, the recent actuals) is read from the data the
        // forecasts' cache key versions, so it holds as long as the entry does.
        // The parsed query's fields come in the schema's order, so equal queries give equal keys.
        const memoKey = JSON.stringify(query);
        const reusable = answer.cached && !answer.stale;
        const kept = reusable ? answers.get(answer.predictions, memoKey, generatedAt) : undefined;
        if (kept) return kept;
        const series = toSeries(answer.predictions);
        // Everything read below was read: an answer missing a part because the database was away is not kept.
        let complete = true;
        // A series asked for that nothing could forecast (no history at all) is named, with the reason, not dropped.
        // That needs the database; with it away, the cached forecasts are served as they are, flagged stale.
        let target: Awaited<ReturnType<typeof forecaster.resolve>> | null = null;
        try {
          target = await forecaster.resolve(request);
        } catch (err) {
          if (!answer.cached || !isDependencyUnavailable(err)) throw err;
          markStale(answer.ageSeconds);
          complete = false;
        }
        const store = request.store ?? null;
        const level = target?.level;
        for (const key of target?.keys ?? []) {
          if (series.some((s) => s.level === level && s.key === key && s.store === store)) continue;
          const scope = { level: level!, key, store };
          series.push({ ...scope, source: 'none', modelVersion: answer.modelVersion, reason: await forecaster.noForecastReason(scope, query.measure, asOf), points: [] });
        }
        // The actual recent days beside the forecast (read from the scans, never cached, never written); with the
        // database away (a stale cached answer), none: the forecast is still served.
        if (target && query.recent_days > 0) {
          try {
            const recent = await forecaster.recentActuals(request, asOf, query.recent_days);
            for (const s of series) s.recent = recent.get(seriesId(s.level, s.key, s.store)) ?? [];
          } catch (err) {
            if (!isDependencyUnavailable(err)) throw err;
            complete = false;
          }
        }
        const rest = {
          dataThrough: asOf,
          weeks: query.weeks,
          store: query.store,
          measure: query.measure,
          modelVersion: answer.modelVersion,
          cached: answer.cached,
          intervalLevel: 0.8,
          recentDays: query.recent_days,
          series,
          ...(target?.keys.length === 0 ? { reason: 'no rental class has tagged items in id_item_master yet: nothing to forecast' } : {}),
        };
        if (reusable && complete) return answers.set(answer.predictions, memoKey, generatedAt, rest);
        return { [generatedAt[0]]: generatedAt[1], ...rest };
      },
    }),
    defineEndpoint({
      method: 'GET',
      path: '/demand/accuracy',
      summary:
        'MAE, sMAPE, interval coverage, mean interval width and interval score per model version and horizon (day and week ahead), from forecasts matched with actual demand: units going out (top level) and units on rent at the end of each day (`onRent`)',
      role: 'read',
      output: accuracyReport.extend({ onRent: accuracyReport }),
      input: { query: z.object({ since: z.iso.date().optional() }) },
      async handler({ query }) {
        await deps.store.flush();
        await match();
        await matchOnRent();
        const report = async (predictionType: string, what: string) => {
          const byHorizon = await deps.store.accuracy({ predictionType, byHorizon: true, since: query.since });
          const byModel = await deps.store.accuracy({ predictionType, byHorizon: false, since: query.since });
          return {
            predictionType,
            matched: byModel.reduce((s, r) => s + r.n, 0),
            byModel,
            byHorizon,
            byHorizonWeek: byHorizonWeek(byHorizon),
            ...(byModel.length === 0 ? { note: `no forecast has been matched with ${what} yet` } : {}),
          };
        };
        return { ...(await report(DEMAND_PREDICTION_TYPE, 'actual demand')), onRent: await report(ON_RENT_PREDICTION_TYPE, 'actual units on rent') };
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/demand/retrain',
      summary: 'Queues retraining: the candidate is validated by rolling-origin backtest and activated only if it beats the active model',
      role: 'operate',
      output: jobAcceptedSchema,
      successStatus: 202,
      handler: () => jobAccepted(deps.jobs.enqueue('demand.retrain', {})),
    }),
  ];
}
