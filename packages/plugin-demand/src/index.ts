import { readFileSync } from 'node:fs';
import {
  DEFAULT_CLOSED_HOLIDAYS,
  WEEKDAY_NAMES,
  addDays,
  knownHolidayNames,
  coreServices,
  createServiceRef,
  definePlugin,
  definePredictor,
  keepSchedule,
  openMeteoProvider,
  parseEvents,
} from '@rfid3/core';
import type { CalendarEvent, DataChangedEvent } from '@rfid3/core';
import { sql } from 'kysely';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };
import { matchDemandActuals, matchOnRentActuals } from './actuals.js';
import { DEMAND_MODEL_NAME, DEMAND_PREDICTION_TYPE, DemandForecaster } from './forecaster.js';
import { demandRoutes } from './routes.js';
import { WeatherSource } from './weather.js';

export { demandForecastResponseSchema } from './forecast-schema.js';
export { forecastDaily, MIN_DAILY_HISTORY } from './forecast-daily.js';
export type { DailyForecastInput } from './forecast-daily.js';
export type { ForecastPointBody, ForecastSeriesBody } from './routes.js';
export { imputeClosedDays, seriesId } from './forecaster.js';
export { DemandForecaster, DEMAND_MODEL_NAME, DEMAND_PREDICTION_TYPE, FALLBACK_MODEL_VERSION, FIT_HORIZON, ON_RENT_PREDICTION_TYPE, reconcileToTotal } from './forecaster.js';
export { AVERAGE_WINDOW_DAYS, historicalAverageForecast } from './fallback.js';
export type { AverageForecast } from './fallback.js';
export { countInterval, countQuantile } from './counts.js';
export { SeriesVersions } from './freshness.js';
export type { SeriesScope } from './freshness.js';
export { WEATHER_FORECAST_DAYS, WeatherSource } from './weather.js';
export type { WeatherInputs, WeatherRegressors } from './weather.js';
export type { ForecastRequest, ModelPredictionsInput, ValidationResult } from './forecaster.js';
export { modelPredictions } from './forecaster.js';
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
      factors: z
        .array(z.enum(['temp_max_c', 'temp_min_c', 'precip_mm', 'wind_max_kmh']))
        .min(1)
        .default(['temp_max_c', 'precip_mm']),
      timeoutMs: z.number().int().min(100).max(120_000).default(30_000),
      retries: z.number().int().min(0).max(5).default(2),
    })
    .optional(),
});

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

/**
 * What `predict('demand.daily', query)` takes; every field may be left out (4 weeks of units going out per day,
 * one series per category, all stores, data through yesterday). `weeks` 1–8; `measure` `units_out` or `on_rent`.
 */
export type DemandQuery = z.input<ReturnType<typeof predictorQuery>>;

declare module '@rfid3/core' {
  interface PredictorQueries {
    'demand.daily': DemandQuery;
  }
}

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
        // An API host (BullMQ, no workers here) asks a worker for the first model: one job per data version
        // whatever the number of hosts (its own payload, so a retrain asked for by hand is a job of its own).
        trainElsewhere: () => {
          if (deps.jobs.runsJobsHere || !deps.jobs.has('demand.retrain')) return false;
          deps.jobs.enqueue('demand.retrain', { reason: 'first model' });
          logger.info('no demand model yet: a worker trains the first one; the historical average answers meanwhile');
          return true;
        },
      },
    });
    provide(demandServices.forecaster, forecaster);
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

    endpoint(...demandRoutes({ deps, forecaster, match, matchOnRent }));

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
    // A period of 0 removes a scheduler an earlier run left in Redis.
    onStart(() => void keepSchedule(deps.jobs, 'demand.match-actuals', config.matchActualsEveryMinutes * 60_000, logger));
    onStop(() => unsubscribe());
  },
});

export default demandPlugin;
export { DEMAND_MODEL_NAME as demandModelName };
