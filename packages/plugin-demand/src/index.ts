import { readFileSync } from 'node:fs';
import {
  DEFAULT_CLOSED_HOLIDAYS,
  HttpProblem,
  WEEKDAY_NAMES,
  addDays,
  knownHolidayNames,
  coreServices,
  createServiceRef,
  defineEndpoint,
  definePlugin,
  definePredictor,
  isDependencyUnavailable,
  jobAccepted,
  markStale,
  openMeteoProvider,
  parseEvents,
  sqlDateTime,
  SerializedAnswers,
} from '@rfid3/core';
import type { CalendarEvent, DataChangedEvent, Prediction } from '@rfid3/core';
import { sql } from 'kysely';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };
import { byHorizonWeek } from './accuracy.js';
import { matchDemandActuals, matchOnRentActuals } from './actuals.js';
import { DEMAND_MODEL_NAME, DEMAND_PREDICTION_TYPE, DemandForecaster, ON_RENT_PREDICTION_TYPE, seriesId } from './forecaster.js';
import { demandForecastResponseSchema } from './forecast-schema.js';
import type { ForecastRequest } from './forecaster.js';
import { WeatherSource } from './weather.js';

export { demandForecastResponseSchema } from './forecast-schema.js';
export { imputeClosedDays, seriesId } from './forecaster.js';
export { DemandForecaster, DEMAND_MODEL_NAME, DEMAND_PREDICTION_TYPE, FALLBACK_MODEL_VERSION, FIT_HORIZON, ON_RENT_PREDICTION_TYPE, reconcileToTotal } from './forecaster.js';
export { AVERAGE_WINDOW_DAYS, historicalAverageForecast } from './fallback.js';
export type { AverageForecast } from './fallback.js';
export { countInterval, countQuantile } from './counts.js';
export { SeriesVersions } from './freshness.js';
export type { SeriesScope } from './freshness.js';
export { WEATHER_FORECAST_DAYS, WeatherSource } from './weather.js';
export type { WeatherInputs, WeatherRegressors } from './weather.js';
export type { ForecastRequest, ValidationResult } from './forecaster.js';
export { backtestDemand, calibrationStep, createDemandModel, createMember, DEFAULT_DEMAND_SPEC, SERVING_DEMAND_SPEC, BULK_DEMAND_SPEC } from './model.js';
export type { DemandBacktestResult, DemandMember, DemandModelOptions, DemandModelSpec, BacktestOptions, ScoredModel } from './model.js';
export { loadDemandSeries, loadOnRentSeries, ON_RENT_LOOKBACK_DAYS } from './series.js';
export type { DemandMeasure, DemandSeries, DemandSeriesQuery } from './series.js';
export * from './models/index.js';
export { matchDemandActuals, matchOnRentActuals } from './actuals.js';
export { byHorizonWeek } from './accuracy.js';
export type { HorizonWeekAccuracy } from './accuracy.js';

/** Services the demand plugin provides to other plugins (restock reads the forecast distribution). */
export const demandServices = {
  forecaster: createServiceRef<DemandForecaster>('demand.forecaster'),
};

const configSchema = z.object({
  /** Days of history each forecast is fitted on. */
  historyDays: z.number().int().min(28).max(3650).default(730),
  /** Below this many days of history a series is forecast by its historical average. */
  minHistoryDays: z.number().int().min(7).max(365).default(28),
  /** Weeks of past forecasts the backfill job replays (each from data before its origin). */
  backfillWeeks: z.number().int().min(1).max(52).default(8),
  /** How often stored predictions are matched with actuals (a fraction of a minute is allowed); 0 turns the schedule off. */
  matchActualsEveryMinutes: z.number().min(0).default(60),
  /** Local events (graduations, wedding fairs, the county fair) with the days around them that move demand. */
  events: z
    .array(
      z.object({
        date: z.iso.date(),
        name: z.string().min(1).max(100),
        lowerWindow: z.number().int().min(-60).max(0).default(0),
        upperWindow: z.number().int().min(0).max(60).default(0),
      }),
    )
    .default([]),
  /** A CSV (date,name,lower_window,upper_window) or iCalendar (.ics) file of local events, read at start. */
  eventsFile: z.string().min(1).optional(),
  /**
   * When the stores are closed: no units go out on such a day, so its forecast is zero with a zero range (and
   * says why), and its history stands aside from the model. Default: closed on Thanksgiving, Christmas Day and
   * New Year's Day. `hours` per weekday (`08:00-17:00`, or `closed` for a weekday the stores never open).
   */
  closures: z
    .object({
      holidays: z
        .array(
          z.string().refine((h) => knownHolidayNames().includes(h), {
            error: (iss) => `'${String(iss.input)}' is not a US public holiday name; known: ${knownHolidayNames().join(', ')}`,
          }),
        )
        .default([...DEFAULT_CLOSED_HOLIDAYS]),
      dates: z.array(z.iso.date()).default([]),
      hours: z.partialRecord(z.enum(WEEKDAY_NAMES), z.string().regex(/^(closed|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d)$/, "'HH:MM-HH:MM' or 'closed'")).default({}),
    })
    .prefault({}),
  /**
   * How the 80 % and 95 % ranges are made: `counts` (default), a negative binomial around each forecast fitted on
   * the series' own rolling-origin errors, right for daily counts of a few units; `conformal`, the empirical
   * quantiles of those errors (wider on such counts: eval demand-counts).
   */
  intervals: z.enum(['counts', 'conformal']).default('counts'),
  /** Fitted series states kept in memory for reuse by later forecasts; 0 turns the cache off. */
  fitCacheEntries: z.number().int().min(0).max(100_000).default(2000),
  /**
   * A weather provider (Open-Meteo style API): its daily factors become regressors of the forecasts whose every
   * day it forecasts (up to 16 days ahead); longer forecasts, or any when it fails with nothing stored, go without.
   */
  weather: z
    .object({
      latitude: z.number().min(-90).max(90),
      longitude: z.number().min(-180).max(180),
      /** The API's base URL (default https://api.open-meteo.com). */
      baseUrl: z.url().optional(),
      /** The location the factors are stored under in external_data_factors. */
      location: z.string().min(1).max(50).default('all'),
      factors: z.array(z.enum(['temp_max_c', 'temp_min_c', 'precip_mm', 'wind_max_kmh'])).min(1).default(['temp_max_c', 'precip_mm']),
      timeoutMs: z.number().int().min(100).max(120_000).default(30_000),
      retries: z.number().int().min(0).max(5).default(2),
    })
    .optional(),
});

const storeParam = z
  .string()
  .regex(/^(all|[A-Za-z0-9-]{1,10})$/, "a store code such as 8101, or 'all'")
  .default('all');

/**
 * The predictor's query; `asOf` (the data cut-off, default yesterday) is part of the cache key, so yesterday's
 * answers are not served today, and so is `dataVersion` (set here, never by the caller): the data version of the
 * series the query reads, so a data change drops only the cached answers about the series it touched.
 */
const predictorQuery = (defaultAsOf: () => string, dataVersion: (q: { category?: string; rentalClass?: string; store?: string }) => string) =>
  z
    .object({
      weeks: z.number().int().min(1).max(8).default(4),
      category: z.string().min(1).max(100).optional(),
      rentalClass: z.string().min(1).max(255).optional(),
      store: z.string().min(1).max(10).optional(),
      measure: z.enum(['units_out', 'on_rent']).default('units_out'),
      byStore: z.boolean().default(false),
      byClass: z.boolean().default(false),
      asOf: z.iso.date().default(defaultAsOf),
    })
    .transform((q) => ({ ...q, dataVersion: dataVersion(q) }));

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

/** The demand plugin: daily units out and units on rent per category, rental class and store, with its endpoints and predictors. */
export const demandPlugin = definePlugin({
  id: 'demand',
  version: pkg.version,
  coreRange: pkg.peerDependencies['@rfid3/core'],
  description: 'Daily demand per rental class, category and store, with calibrated intervals',
  configSchema,
  requires: {
    inventory: coreServices.inventory,
    registry: coreServices.modelRegistry,
    clock: coreServices.clock,
    predictions: coreServices.predictions,
    store: coreServices.predictionStore,
    jobs: coreServices.jobs,
    database: coreServices.database,
    events: coreServices.events,
    externalFactors: coreServices.externalFactors,
  },
  provides: [demandServices.forecaster],
  register({ config, deps, provide, endpoint, predictor, job, onStart, onStop, logger }) {
    const events: CalendarEvent[] = [...config.events];
    const weatherSource = (w: NonNullable<typeof config.weather>): WeatherSource =>
      new WeatherSource(
        {
          // Days after the data cut-off (yesterday) are forecasts: today's values too are forecast, not observed.
          provider: openMeteoProvider({ latitude: w.latitude, longitude: w.longitude, baseUrl: w.baseUrl, today: (): string => forecaster.dataThrough() }),
          store: deps.externalFactors,
          location: w.location,
          factors: w.factors,
          fetch: { timeoutMs: w.timeoutMs, retries: w.retries },
        },
        { clock: deps.clock, logger },
      );
    if (config.eventsFile) events.push(...parseEvents(readFileSync(config.eventsFile, 'utf8'), config.eventsFile));
    const forecaster: DemandForecaster = new DemandForecaster({
      inventory: deps.inventory,
      registry: deps.registry,
      clock: deps.clock,
      database: deps.database,
      options: {
        historyDays: config.historyDays,
        minHistoryDays: config.minHistoryDays,
        events,
        fitCacheEntries: config.fitCacheEntries,
        intervals: config.intervals,
        closures: config.closures,
        ...(config.weather ? { weather: weatherSource(config.weather) } : {}),
      },
    });
    provide(demandServices.forecaster, forecaster);
    // Forecast answers kept serialised beside the cached predictions they were made from (see the forecast endpoint).
    const answers = new SerializedAnswers();
    const match = () => matchDemandActuals({ inventory: deps.inventory, store: deps.store }, forecaster.dataThrough());
    const matchOnRent = () => matchOnRentActuals({ inventory: deps.inventory, store: deps.store, database: deps.database }, forecaster.dataThrough());

    predictor(
      definePredictor({
        id: 'demand.daily',
        description: 'Units going out per day, per category or rental class, optionally per store',
        querySchema: predictorQuery(
          () => forecaster.dataThrough(),
          (q) => forecaster.versions.requestToken(q),
        ),
        modelVersion: () => forecaster.servingVersion(),
        predict: (q) =>
          forecaster.forecast(
            { weeks: q.weeks, category: q.category, rentalClass: q.rentalClass, store: q.store, measure: q.measure, byStore: q.byStore, byClass: q.byClass },
            q.asOf,
          ),
        cacheTtlSeconds: 3600,
        // With the database away right after new scans bumped a series' data version, its last forecast is served stale.
        staleFallbackKey: ({ dataVersion: _, ...q }) => q,
      }),
    );

    job('retrain', async (_payload, ctx) => {
      ctx.progress(0.1, 'validating the candidate by rolling-origin backtest');
      const result = await forecaster.retrain();
      if (!result) return { trained: false, reason: 'no category series has the history a rolling-origin validation needs yet' };
      await deps.predictions.invalidate('demand.daily');
      return {
        trained: true,
        version: result.versionTag,
        activated: result.activated,
        reason: result.reason,
        validation: { ...result.validation },
      };
    });

    job('backfill', async (payload: { force?: boolean }, ctx) => {
      const through = forecaster.dataThrough();
      const existing = await deps.database.db
        .selectFrom('analytics_predictions')
        .select(sql<number>`count(*)`.as('n'))
        .where('prediction_type', '=', DEMAND_PREDICTION_TYPE)
        .where('prediction_date', '<', `${through} 00:00:00`)
        .executeTakeFirst();
      if (Number(existing?.n ?? 0) > 0 && !payload?.force) return { skipped: true, reason: 'past forecasts already stored' };
      let recorded = 0;
      for (let k = config.backfillWeeks; k >= 1; k--) {
        const origin = addDays(through, -7 * k);
        // Forecasts as they would have been made that day: fitted only on data up to the origin.
        const preds = (await forecaster.forecast({ weeks: 4 }, origin)).filter((p) => p.targetDate! <= through);
        deps.store.record(preds, new Date(`${addDays(origin, 1)}T06:00:00Z`));
        recorded += preds.length;
        ctx.progress((config.backfillWeeks - k + 1) / (config.backfillWeeks + 1), `replayed origin ${origin}`);
      }
      await deps.store.flush();
      const matched = await match();
      return { recorded, matched, origins: config.backfillWeeks, through };
    });

    job('match-actuals', async () => ({ matched: await match(), matchedOnRent: await matchOnRent() }));

    endpoint(
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
        successStatus: 202,
        handler: () => jobAccepted(deps.jobs.enqueue('demand.retrain', {})),
      }),
    );

    // Freshness: scans that change days the forecasts were fitted on make the forecasts (and fitted states) of
    // the series they touch stale. Forecasts are fitted on data through yesterday, so scans of today alone touch
    // none of them. The touched series' data versions are bumped; they are part of the fitted states' keys and
    // of the cached answers' (the query's `dataVersion`), so answers about other series stay cached. A change
    // that does not say which rental classes it touched makes everything stale, and drops every cached answer.
    const touchesForecasts = (e: DataChangedEvent) =>
      e.tables.some((t) => t === 'id_transactions' || t === 'id_item_master' || t === 'rental_class_mappings' || t === 'user_rental_class_mappings') &&
      (e.from === undefined || e.from <= forecaster.dataThrough());
    const unsubscribe = deps.events.on('data-changed', async (e) => {
      if (!touchesForecasts(e)) return;
      const touched = await forecaster.dataChanged(e);
      const dropped = touched.all ? await deps.predictions.invalidate('demand.daily') : 0;
      logger.debug({ source: e.source, touched, dropped }, 'new scans: cached demand forecasts of the series they touch are stale');
    });

    // Through the job runner: a timer in this process in-process, a BullMQ job scheduler (one run per period
    // whatever the number of hosts and workers) in BullMQ mode. Not awaited: a slow Redis must not hold the start.
    onStart(() => {
      if (config.matchActualsEveryMinutes > 0) {
        deps.jobs
          .schedule('demand.match-actuals', Math.max(1000, Math.round(config.matchActualsEveryMinutes * 60_000)))
          .catch((err: unknown) => logger.warn({ err }, 'could not schedule demand.match-actuals'));
      }
    });
    onStop(() => unsubscribe());
  },
});

export default demandPlugin;
export { DEMAND_MODEL_NAME as demandModelName };
