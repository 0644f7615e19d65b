import type { CalendarEvent, Clock, DataChangedEvent, DatabaseHandle, DemandLevel, Driver, InventoryData, ModelRegistry, Prediction, RegisteredModel } from '@rfid3/core';
import type { StoreClosures } from '@rfid3/core';
import { HttpProblem, addDays, closedDays, isoDay, matchCategory, maseScale, mae, rollingOriginBacktest, scoreBacktest } from '@rfid3/core';
import { historicalAverageForecast } from './fallback.js';
import { LRUCache } from 'lru-cache';
import { SeriesVersions } from './freshness.js';
import type { WeatherRegressors, WeatherSource } from './weather.js';
import type { DemandModelSpec } from './model.js';
import { SERVING_DEMAND_SPEC, createDemandModel } from './model.js';
import type { EnsembleState } from './models/ensemble.js';
import type { RegressionState } from './models/regression.js';
import { regressionComponents } from './models/regression.js';
import type { DemandMeasure, DemandSeries } from './series.js';
import { loadDemandSeries, loadOnRentSeries } from './series.js';

/** Registry name of the demand model. */
export const DEMAND_MODEL_NAME = 'demand.daily';
/** Prediction type of units going out per day. */
export const DEMAND_PREDICTION_TYPE = 'demand.units_out';
/** Prediction type of units on rent at the end of each day. */
export const ON_RENT_PREDICTION_TYPE = 'demand.on_rent';
export const predictionTypeOf = (measure: DemandMeasure) => (measure === 'on_rent' ? ON_RENT_PREDICTION_TYPE : DEMAND_PREDICTION_TYPE);

/**
 * Lets the event loop run between series: a validation or a forecast of every category is seconds of
 * arithmetic, and meanwhile the process must still answer requests and renew its job locks (a BullMQ worker
 * that cannot renew one for its lock duration has its job taken away as stalled).
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The label of forecasts the historical average made because the model could not (no model validated yet,
 * too little history, or a series the model could not fit): their accuracy is reported apart from the model's.
 */
export const FALLBACK_MODEL_VERSION = `${DEMAND_MODEL_NAME}@historical-average`;
const FALLBACK_MODEL_REF = { name: DEMAND_MODEL_NAME, version: FALLBACK_MODEL_VERSION, type: 'historical_average' };

/** A demand forecast asked for: weeks ahead and the series (category, rental class, store, measure). */
export interface ForecastRequest {
  weeks: number;
  category?: string;
  rentalClass?: string;
  /** A store code; absent for all stores together. */
  store?: string;
  /** Units going out per day (default) or units on rent at the end of each day. */
  measure?: DemandMeasure;
  /** With all stores: also one series per store, reconciled so the stores add up to the total. */
  byStore?: boolean;
  /** For a category: also one series per rental class of it, reconciled so the classes add up to the category. */
  byClass?: boolean;
}

/**
 * The horizon every series is fitted for (the endpoint's longest, 8 weeks): inner backtests and interval
 * calibration cover it, so one fitted state answers any horizon up to it and is cached for all of them.
 */
export const FIT_HORIZON = 56;

export interface DemandForecasterOptions {
  /** Days of history each forecast is fitted on. */
  historyDays: number;
  /** Fewer days of history than this, and the historical average answers instead of the model. */
  minHistoryDays: number;
  /** Local events (graduations, fairs) the regression models beside US holidays. */
  events?: CalendarEvent[];
  /** Fitted series states kept in memory for reuse (least recently used go first); 0 turns the cache off. */
  fitCacheEntries?: number;
  /** A configured weather provider: its factors become regressors when it forecasts every day asked for. */
  weather?: WeatherSource;
  /** When the stores are closed (default: none here; the plugin's config closes on Thanksgiving, Christmas and New Year's Day). */
  closures?: StoreClosures;
  /** How the served model's ranges are made (default `counts`: negative binomial; `conformal`: empirical error quantiles). */
  intervals?: 'counts' | 'conformal';
  /**
   * With no active model: true when another process trains the first one (an API host queues the retrain for a
   * BullMQ worker), so this one answers from the historical average meanwhile instead of validating a model on
   * its own event loop. Called at most once per data cut-off and data change. Absent: train here.
   */
  trainElsewhere?: () => boolean;
}

/** How a demand model version scored when validated by rolling-origin backtests (MASE, with MAE, sMAPE and interval coverage beside it). */
export interface ValidationResult {
  metric: 'mase';
  value: number;
  series: number;
  points: number;
  mae: number;
  smape: number;
  coverage80: number | null;
  coverage95: number | null;
}

/** Turns demand history into forecasts with intervals; the demand plugin's service for other plugins. */
export class DemandForecaster {
  private ensuring: Promise<RegisteredModel | null> | null = null;
  /** The attempt (cut-off and changes) whose first model another process was asked to train. */
  private delegated: string | null = null;
  /** Data versions per series, bumped by `dataChanged`: part of every fitted state's key (and the predictor's cache key). */
  readonly versions = new SeriesVersions();
  /** Fitted ensemble states (plain data) by series, measure, data cut-off, model version and data version. */
  private readonly fits: LRUCache<string, { state: unknown }> | null;
  /** Fits reused from the cache and fits computed, since start. */
  readonly fitStats = { reused: 0, fitted: 0 };
  /** Why no model could be validated, for the data cut-off and change count it was tried at (not retried before either moves). */
  private unvalidated: { attempt: string; reason: string } | null = null;
  /** Why a series got no forecast at all, by series and cut-off, for the answer that says so. */
  private readonly noForecast = new LRUCache<string, string>({ max: 1000 });
  /** The first day with any scan, once there is one (it only moves earlier, by imports of old data). */
  private firstScanDay: string | null = null;

  constructor(private readonly deps: { inventory: InventoryData; registry: ModelRegistry; clock: Clock; options: DemandForecasterOptions; database?: DatabaseHandle }) {
    // lru-cache needs a bound of at least 1: `fitCacheEntries: 0` turns the cache off.
    const entries = deps.options.fitCacheEntries ?? 2000;
    this.fits = entries > 0 ? new LRUCache({ max: entries }) : null;
  }

  /**
   * Marks the series a data change touches as changed (their fitted states and cached forecasts go stale):
   * the rental classes it names, their categories, at the stores it names (or every store); everything
   * when it names no rental class, names one not in the item master, or changes the class-to-category mappings.
   * Returns what was bumped.
   */
  async dataChanged(e: DataChangedEvent): Promise<{ all: true } | { all: false; rentalClasses: string[]; categories: string[]; stores: string[] | null }> {
    const mappings = e.tables.some((t) => t === 'rental_class_mappings' || t === 'user_rental_class_mappings');
    if (mappings || !e.rentalClasses?.length) {
      this.versions.bumpAll();
      return { all: true };
    }
    const categoryOf = new Map((await this.deps.inventory.rentalClasses()).map((c) => [c.rentalClass, c.category]));
    if (e.rentalClasses.some((rc) => !categoryOf.has(rc))) {
      this.versions.bumpAll();
      return { all: true };
    }
    const stores = e.stores?.length ? e.stores : undefined;
    const categories = [...new Set(e.rentalClasses.map((rc) => categoryOf.get(rc)!))].sort();
    for (const rc of e.rentalClasses) this.versions.bump('rental_class', rc, stores);
    for (const c of categories) this.versions.bump('category', c, stores);
    return { all: false, rentalClasses: [...e.rentalClasses], categories, stores: stores ? [...stores] : null };
  }

  /** The last day with complete data: yesterday, by the runtime's clock. */
  dataThrough(): string {
    return addDays(isoDay(this.deps.clock.now()), -1);
  }

  /**
   * The active model; on first use with none registered, validates the default one and registers it. Null when
   * none can be validated (too little history): the historical average answers then, under its own label. A
   * failed validation is not tried again until the data cut-off moves or the data changes.
   */
  async activeModel(): Promise<RegisteredModel | null> {
    const active = await this.deps.registry.getActive(DEMAND_MODEL_NAME);
    if (active) return active;
    const cutoff = this.dataThrough();
    const attempt = `${cutoff}\u0000${this.versions.changes}`;
    if (this.unvalidated?.attempt === attempt || this.delegated === attempt) return null;
    if (!this.ensuring && this.deps.options.trainElsewhere?.()) {
      this.delegated = attempt;
      return null;
    }
    this.ensuring ??= (async () => {
      const result = await this.retrain(this.servingSpec());
      const registered = await this.deps.registry.getActive(DEMAND_MODEL_NAME);
      if (!registered) this.unvalidated = { attempt, reason: result ? result.reason : this.validationGap(cutoff) };
      return registered;
    })().finally(() => {
      this.ensuring = null;
    });
    return this.ensuring;
  }

  /** The spec a retrain validates: the serving one, with the configured kind of ranges. */
  servingSpec(): DemandModelSpec {
    return { ...SERVING_DEMAND_SPEC, intervals: this.deps.options.intervals ?? SERVING_DEMAND_SPEC.intervals };
  }

  /** The version that answers now: the active model's, or the fallback's label when there is none. */
  async servingVersion(): Promise<string> {
    return (await this.activeModel())?.versionTag ?? FALLBACK_MODEL_VERSION;
  }

  private validationGap(through: string): string {
    return `no category series through ${through} has the history a rolling-origin validation needs (${VALIDATION_HORIZON} days ahead from 4 origins, with non-zero demand before them)`;
  }

  /** Which series a request means; unknown categories and classes are a 404 that lists what exists. */
  async resolve(req: ForecastRequest): Promise<{ level: DemandLevel; rentalClass?: string; category?: string; keys: string[] }> {
    const classes = await this.deps.inventory.rentalClasses();
    if (req.rentalClass) {
      const found = classes.find((c) => c.rentalClass === req.rentalClass);
      if (!found) throw HttpProblem.notFound(`rental class '${req.rentalClass}' has no tagged items`);
      return { level: 'rental_class', rentalClass: found.rentalClass, keys: [found.rentalClass] };
    }
    const categories = [...new Set(classes.map((c) => c.category))].sort();
    if (req.category) {
      const category = matchCategory(categories, req.category);
      return { level: 'category', category, keys: [category] };
    }
    return { level: 'category', keys: categories };
  }

  private async load(measure: DemandMeasure, q: Parameters<typeof loadDemandSeries>[1]): Promise<DemandSeries[]> {
    if (measure === 'on_rent') {
      if (!this.deps.database) throw new Error('units on rent need the database service');
      return loadOnRentSeries(this.deps.database, this.deps.inventory, q);
    }
    return loadDemandSeries(this.deps.inventory, q);
  }

  /**
   * Forecasts `weeks` × 7 days from the data cut-off, one prediction per series and day. With `byStore`
   * (all stores), each store's series is forecast too and reconciled to the total: store forecasts and
   * intervals are scaled by one factor per day so that they add up to the total's forecast. With `byClass`
   * (a category), each rental class of the category is forecast too and reconciled to the category the same way.
   * Each series' fitted state is cached (see `forecastSeries`), so another horizon, or a forecast after a
   * change to other series, reuses it.
   */
  async forecast(req: ForecastRequest, asOf?: string): Promise<Prediction[]> {
    const model = await this.activeModel();
    const through = asOf ?? this.dataThrough();
    const measure = req.measure ?? 'units_out';
    const target = await this.resolve(req);
    const from = addDays(through, -(this.deps.options.historyDays - 1));
    const query = { level: target.level, rentalClass: target.rentalClass, category: target.category, store: req.store, from, to: through };
    // Changes seen before the data is read: a fit of data read before a later change is not cached.
    const changes = this.versions.changes;
    const loaded = await this.load(measure, query);
    const byKey = new Map(loaded.map((s) => [s.key, s]));
    const horizon = req.weeks * 7;
    // Weather only when the provider forecasts every day asked for (only forecastable inputs drive a forecast).
    const fit = {
      changes,
      weather: this.deps.options.weather ? await this.deps.options.weather.regressors(from, through, horizon) : null,
      dataFrom: await this.dataFrom(from),
      closed: this.closedBetween(from, addDays(through, horizon)),
    };
    const out: Prediction[] = [];
    const perStore = req.byStore && !req.store ? await this.load(measure, { ...query, byStore: true }) : [];
    const classesOf = req.byClass && target.level === 'category' ? await this.classesByCategory() : null;
    for (const key of target.keys) {
      await yieldToEventLoop();
      const series = byKey.get(key) ?? zeroSeries(target.level, key, req.store ?? null, from, through);
      const total = this.forecastSeries(series, model, horizon, through, measure, fit);
      // No forecast for the total (no history at all): none for its parts either.
      if (total.length === 0) continue;
      out.push(...total);
      const parts = perStore.filter((s) => s.key === key).map((s) => this.forecastSeries(s, model, horizon, through, measure, fit));
      if (parts.length && parts.every((p) => p.length === total.length)) out.push(...reconcileToTotal(total, parts));
      if (classesOf) {
        // Every rental class of the category (those with no units in the window forecast zero), reconciled to it.
        const loadedClasses = new Map((await this.load(measure, { level: 'rental_class', category: key, store: req.store, from, to: through })).map((s) => [s.key, s]));
        const classes = [...new Set([...(classesOf.get(key) ?? []), ...loadedClasses.keys()])].sort();
        const classParts = classes.map((rc) =>
          this.forecastSeries(loadedClasses.get(rc) ?? zeroSeries('rental_class', rc, req.store ?? null, from, through), model, horizon, through, measure, fit),
        );
        if (classParts.length && classParts.every((p) => p.length === total.length)) out.push(...reconcileToTotal(total, classParts));
      }
    }
    return out;
  }

  /**
   * What actually went out (or was on rent) on each of the last `days` days through `through`, for every series
   * `forecast` answers for the same request (the totals, and the stores or classes asked for), by
   * `seriesId(level, key, store)`. Read-only: a day with nothing is a zero.
   */
  async recentActuals(req: ForecastRequest, through: string, days: number): Promise<Map<string, { date: string; value: number }[]>> {
    const out = new Map<string, { date: string; value: number }[]>();
    if (days <= 0) return out;
    const measure = req.measure ?? 'units_out';
    const target = await this.resolve(req);
    const from = addDays(through, -(days - 1));
    const query = { level: target.level, rentalClass: target.rentalClass, category: target.category, store: req.store, from, to: through };
    const put = (s: DemandSeries) =>
      out.set(
        seriesId(s.level, s.key, s.store),
        s.days.map((date, i) => ({ date, value: s.values[i]! })),
      );
    const zeros = (level: DemandLevel, key: string, store: string | null) => put(zeroSeries(level, key, store, from, through));
    const loaded = await this.load(measure, query);
    for (const key of target.keys) zeros(target.level, key, req.store ?? null);
    loaded.forEach(put);
    if (req.byStore && !req.store) (await this.load(measure, { ...query, byStore: true })).forEach(put);
    if (req.byClass && target.level === 'category') {
      const classesOf = await this.classesByCategory();
      for (const key of target.keys) {
        for (const rc of classesOf.get(key) ?? []) zeros('rental_class', rc, req.store ?? null);
        (await this.load(measure, { level: 'rental_class', category: key, store: req.store, from, to: through })).forEach(put);
      }
    }
    return out;
  }

  /** The closed days (with why) between two days, by the configured store calendar. */
  closedBetween(from: string, to: string): Map<string, string> {
    return closedDays(from, to, this.deps.options.closures ?? {});
  }

  private async classesByCategory(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const c of await this.deps.inventory.rentalClasses()) out.set(c.category, [...(out.get(c.category) ?? []), c.rentalClass]);
    return out;
  }

  /** The first day the forecasts' window has data for: the later of its start and the first scan; null with no scan by then. */
  private async dataFrom(from: string): Promise<string | null> {
    this.firstScanDay ??= (await this.deps.inventory.scanRange()).first?.slice(0, 10) ?? null;
    return this.firstScanDay === null ? null : this.firstScanDay > from ? this.firstScanDay : from;
  }

  /**
   * Why a series has no forecast in an answer (`forecast` leaves out the series it cannot answer at all):
   * the reason recorded when it was left out, or, for an answer served from the cache, what the data shows.
   */
  async noForecastReason(scope: { level: DemandLevel; key: string; store: string | null }, measure: DemandMeasure, through: string): Promise<string> {
    const recorded = this.noForecast.get(noForecastKey(scope, measure, through));
    if (recorded) return recorded;
    const range = await this.deps.inventory.scanRange();
    if (!range.first) return 'no scans recorded in id_transactions yet: there is no history to forecast from, not even an average';
    return `no scans through ${through} (the first is on ${range.first.slice(0, 10)}): there is no history to forecast from, not even an average`;
  }

  /**
   * One series' forecast: by the model when there is one, the series has enough history and the model fits it;
   * otherwise by the historical average (source \`historical_average\`, with why in its drivers); none at all
   * (an empty array, the reason kept for \`noForecastReason\`) when not one day of data precedes the cut-off.
   */
  private forecastSeries(
    series: DemandSeries,
    model: RegisteredModel | null,
    horizon: number,
    through: string,
    measure: DemandMeasure = 'units_out',
    fit: FitContext = {},
  ): Prediction[] {
    // Closed stores send nothing out, but what is on rent stays on rent: closures are about units going out.
    const closed = measure === 'units_out' ? (fit.closed ?? new Map<string, string>()) : new Map<string, string>();
    return closeDays(this.openDaysForecast(closed.size ? imputeClosedDays(series, closed) : series, model, horizon, through, measure, fit), closed);
  }

  /** One series' forecast as if every day were open (closed days of its history already stand in for open ones). */
  private openDaysForecast(series: DemandSeries, model: RegisteredModel | null, horizon: number, through: string, measure: DemandMeasure, fit: FitContext): Prediction[] {
    // Units out start at the first day with any; units on rent can legitimately be zero for a while.
    const first = series.values.findIndex((v) => v > 0);
    const history = first < 0 ? [] : series.values.slice(first);
    const base = { predictionType: predictionTypeOf(measure), target: { type: series.level, id: series.key, store: series.store } };
    const average = (why: string): Prediction[] => {
      // A series with no units at all averages the zeros of the days there is data for.
      const start = fit.dataFrom === null ? -1 : series.days.findIndex((d) => d >= (fit.dataFrom ?? series.days[0]!));
      const observed = history.length ? history : start < 0 ? [] : series.values.slice(start);
      if (observed.length === 0) {
        this.noForecast.set(noForecastKey(series, measure, through), `no scans recorded through ${through}: there is no history to forecast from, not even an average`);
        return [];
      }
      const avg = historicalAverageForecast(observed, LEVELS);
      const detail = `mean of the last ${avg.days} day(s) of ${observed.length}${history.length ? '' : ' (no units in any of them)'}; ${why}`;
      return Array.from({ length: horizon }, (_, k) => ({
        ...base,
        model: FALLBACK_MODEL_REF,
        confidence: LEVELS[0]!,
        targetDate: addDays(through, k + 1),
        horizon: k + 1,
        value: avg.mean,
        intervals: avg.intervals,
        source: 'historical_average' as const,
        drivers: [{ name: 'historical average', effect: avg.mean, detail }],
        inputFeatures: { dataThrough: through, historyDays: observed.length, averageDays: avg.days, fallbackReason: why },
      }));
    };
    if (!model) return average(`the model did not answer: ${this.unvalidated?.reason ?? 'no demand model is registered'}`);
    if (history.length < this.deps.options.minHistoryDays) {
      return average(`${history.length} day(s) since the first unit went out, fewer than the ${this.deps.options.minHistoryDays} the model needs`);
    }
    try {
      return this.modelForecast(series, model, first, horizon, through, measure, fit);
    } catch (err) {
      return average(`the model could not fit this series (${(err as Error).message})`);
    }
  }

  /**
   * The model's forecast of one series. Its ensemble is fitted for `FIT_HORIZON` days (or the horizon asked, if
   * longer) and the fitted state is cached under the series, measure, data cut-off, model version and the series'
   * data version, so it is reused until one of them changes; `changes` (the change count when the data was read)
   * keeps a fit of data that changed meanwhile out of the cache. Throws when it cannot fit or forecasts a
   * number that is not one.
   */
  private modelForecast(series: DemandSeries, model: RegisteredModel, first: number, horizon: number, through: string, measure: DemandMeasure, fit: FitContext): Prediction[] {
    const spec = model.artifact as unknown as DemandModelSpec;
    const history = series.values.slice(first);
    const fitHorizon = Math.max(FIT_HORIZON, horizon);
    // Weather regressors over the same window as the series (cut where its history starts).
    const w = fit.weather && fit.weather.history[fit.weather.names[0]!]!.length === series.values.length ? fit.weather : null;
    const fitKey = [
      measure,
      series.level,
      series.key,
      series.store ?? '*',
      through,
      model.versionTag,
      fitHorizon,
      this.versions.of(series),
      history.length,
      w?.signature ?? '-',
    ].join('\u0000');
    return modelPredictions({
      spec,
      history,
      days: series.days.slice(first),
      horizon,
      fitHorizon,
      through,
      events: this.deps.options.events,
      weather: w ? { names: w.names, history: Object.fromEntries(w.names.map((n) => [n, w.history[n]!.slice(first)])), future: w.future } : undefined,
      base: {
        predictionType: predictionTypeOf(measure),
        target: { type: series.level, id: series.key, store: series.store },
        model: { name: DEMAND_MODEL_NAME, version: model.versionTag, type: model.modelType },
      },
      fitted: {
        get: () => {
          const state = this.fits?.get(fitKey)?.state;
          if (state !== undefined) this.fitStats.reused++;
          return state;
        },
        set: (state) => {
          this.fitStats.fitted++;
          if (fit.changes === undefined || fit.changes === this.versions.changes) this.fits?.set(fitKey, { state });
        },
      },
    });
  }

  /**
   * Scores a model spec by rolling-origin backtest on every category's daily series (4 origins two
   * weeks apart, 28 days ahead): MASE per series, averaged. Never shuffled; fitted only on rows before each origin.
   */
  async validate(spec: DemandModelSpec, through = this.dataThrough()): Promise<ValidationResult | null> {
    const from = addDays(through, -(Math.max(this.deps.options.historyDays, 200) - 1));
    const all = await loadDemandSeries(this.deps.inventory, { level: 'category', from, to: through });
    const horizon = VALIDATION_HORIZON;
    const mases: number[] = [];
    const actual: number[] = [];
    const predicted: number[] = [];
    const points: ReturnType<typeof rollingOriginBacktest>['points'] = [];
    for (const s of all) {
      await yieldToEventLoop();
      const n = s.values.length;
      const initial = Math.max(56, n - horizon - 14 * 3);
      if (initial + horizon > n) continue;
      const scale = maseScale(s.values, initial, spec.season);
      if (!(scale > 0)) continue;
      let run: ReturnType<typeof rollingOriginBacktest>;
      try {
        run = rollingOriginBacktest({ values: s.values, dates: s.days }, createDemandModel(spec, horizon), { initial, step: 14, horizon, levels: spec.levels });
      } catch {
        // A series the candidate cannot fit at some origin is left out of its score; serving falls back on it.
        continue;
      }
      const scores = scoreBacktest(run.points, scale);
      if (!Number.isFinite(scores.mase)) continue;
      mases.push(scores.mase);
      for (const p of run.points) {
        actual.push(p.actual);
        predicted.push(p.mean);
      }
      points.push(...run.points);
    }
    if (mases.length === 0) return null;
    const pooled = scoreBacktest(points, 1);
    return {
      metric: 'mase',
      value: mases.reduce((a, b) => a + b, 0) / mases.length,
      series: mases.length,
      points: points.length,
      mae: mae(actual, predicted),
      smape: pooled.smape,
      coverage80: pooled.coverage80,
      coverage95: pooled.coverage95,
    };
  }

  /**
   * Validates a candidate spec and registers it; it becomes active only if it beats the active
   * model rescored on the same data.
   */
  async retrain(spec: DemandModelSpec = this.servingSpec()) {
    const through = this.dataThrough();
    const score = await this.validate(spec, through);
    if (!score) return null;
    const active = await this.deps.registry.getActive(DEMAND_MODEL_NAME);
    const activeScore = active ? await this.validate(active.artifact as unknown as DemandModelSpec, through) : null;
    const result = await this.deps.registry.register(
      {
        modelName: DEMAND_MODEL_NAME,
        modelType: spec.kind,
        artifact: spec as unknown as Record<string, number | string | number[]>,
        config: { dataThrough: through },
        validation: { metric: score.metric, value: score.value, lowerIsBetter: true },
        metrics: {
          mae: score.mae,
          smape: score.smape,
          ...(score.coverage80 !== null ? { coverage80: score.coverage80 } : {}),
          ...(score.coverage95 !== null ? { coverage95: score.coverage95 } : {}),
        },
        trainingRows: score.points,
        notes: `rolling-origin backtest on ${score.series} category series through ${through} (4 origins two weeks apart, 28 days ahead)`,
      },
      activeScore ? { compareWith: activeScore.value } : {},
    );
    return { ...result, validation: score };
  }
}

/** What `modelPredictions` forecasts from: one series' history (from its first unit) and the model spec. */
export interface ModelPredictionsInput {
  spec: DemandModelSpec;
  /** Units per day, oldest first, on `days`. */
  history: number[];
  days: string[];
  /** Days to forecast after `through` (the last day of the history). */
  horizon: number;
  /** Days the model is fitted for (≥ horizon; a longer fit serves every shorter horizon from one state). */
  fitHorizon?: number;
  through: string;
  events?: CalendarEvent[];
  /** Regressors over the history's days and the forecast's days (weather). */
  weather?: { names: string[]; history: Record<string, number[]>; future: Record<string, number[]> };
  /** What every prediction says it is about and which model made it. */
  base: Pick<Prediction, 'predictionType' | 'target' | 'model'>;
  /** A fitted state kept from an earlier call (`get`), and where to keep a new one (`set`). */
  fitted?: {
    /** The state kept from an earlier call, if any. */
    get(): unknown;
    /** Keeps a newly fitted state for later calls. */
    set(state: unknown): void;
  };
}

/**
 * The model's forecast of one history, day by day with its ranges and drivers. Throws when it cannot fit or
 * forecasts a number that is not one. Used by the forecaster for every served series and by `forecastDaily`.
 */
export function modelPredictions(input: ModelPredictionsInput): Prediction[] {
  const { spec, history, days, horizon, through, weather: w } = input;
  const m = createDemandModel(spec, input.fitHorizon ?? horizon, { events: input.events });
  let state = input.fitted?.get();
  if (state === undefined) {
    state = m.fit({ values: history, dates: days, ...(w ? { regressors: w.history } : {}) });
    input.fitted?.set(state);
  }
  const futureDates = Array.from({ length: horizon }, (_, k) => addDays(through, k + 1));
  const fc = m.predict(state, { horizon, levels: spec.levels, futureDates, ...(w ? { futureRegressors: w.future } : {}) });
  const numbers = [...fc.mean, ...fc.intervals.flatMap((iv) => [...iv.lower, ...iv.upper])];
  if (!numbers.every(Number.isFinite)) throw new RangeError('the model forecast a value that is not a finite number');
  const drivers = explain(spec, state, history, days, horizon, futureDates, w?.future);
  const ensemble = spec.kind === 'ensemble' ? (state as EnsembleState) : null;
  return fc.mean.map((value, k) => ({
    ...input.base,
    confidence: spec.levels[0]!,
    targetDate: futureDates[k]!,
    horizon: k + 1,
    value,
    intervals: fc.intervals.map((iv) => ({ level: iv.level, lower: iv.lower[k]!, upper: iv.upper[k]! })),
    source: ensemble && ensemble.members.length > 1 ? ('ensemble' as const) : ('model' as const),
    drivers: drivers(k),
    inputFeatures: { dataThrough: through, historyDays: history.length, ...(ensemble ? { weighting: ensemble.weighting } : {}), ...(w ? { regressors: w.names } : {}) },
  }));
}

/** What moves a forecast: the ensemble's weights, and the regression member's parts on that day. */
function explain(
  spec: DemandModelSpec,
  state: unknown,
  history: number[],
  days: string[],
  horizon: number,
  futureDates: string[],
  futureRegressors?: Record<string, number[]>,
): (k: number) => Driver[] {
  if (spec.kind !== 'ensemble') {
    return (k) => {
      const sameDay = history.length - spec.season + (k % spec.season);
      return [{ name: 'same weekday, last observed week', effect: history[sameDay]!, detail: `units out on ${days[sameDay]}` }];
    };
  }
  const ens = state as EnsembleState;
  const weights: Driver[] = ens.members.map((m) => ({ name: `weight of ${m.name}`, effect: round3(m.weight), detail: `chosen by rolling-origin backtest (${ens.weighting})` }));
  // An additive regression's parts are in units; the log regression's (what the plugin serves) on its log scale.
  const reg = ens.members.find((m) => m.name === 'regression' || m.name === 'regression-local') ?? ens.members.find((m) => m.name === 'regression-log');
  if (!reg) return () => weights;
  const parts = regressionComponents(reg.state as RegressionState, { horizon, futureDates, futureRegressors }).parts;
  const scale = reg.name === 'regression-log' ? ' (on the log(1 + units) scale)' : '';
  return (k) => [
    ...weights,
    { name: 'trend level', effect: round3(parts.trend![k]!), detail: `${reg.name}: underlying level on ${futureDates[k]}${scale}` },
    { name: 'weekday', effect: round3(parts.weekly![k]!), detail: `${reg.name}: effect of the weekday${scale}` },
    { name: 'time of year', effect: round3(parts.yearly![k]!), detail: `${reg.name}: yearly seasonality${scale}` },
    { name: 'holidays and events', effect: round3(parts.calendar![k]!), detail: `${reg.name}: holidays and local events around the day${scale}` },
    ...(futureRegressors ? [{ name: 'weather', effect: round3(parts.regressors![k]!), detail: `${reg.name}: forecast ${Object.keys(futureRegressors).join(', ')}${scale}` }] : []),
  ];
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Scales each day's store forecasts (value and intervals) by one factor so they add up to the total's value. */
export function reconcileToTotal(total: Prediction[], parts: Prediction[][]): Prediction[] {
  const out: Prediction[] = [];
  for (let k = 0; k < total.length; k++) {
    const sum = parts.reduce((s, p) => s + p[k]!.value, 0);
    const f = sum > 0 ? total[k]!.value / sum : 0;
    for (const p of parts) {
      const q = p[k]!;
      out.push({
        ...q,
        value: sum > 0 ? q.value * f : total[k]!.value / parts.length,
        intervals: q.intervals?.map((iv) => ({
          level: iv.level,
          lower: iv.lower * (sum > 0 ? f : 1),
          upper: Math.max(iv.upper * (sum > 0 ? f : 1), sum > 0 ? q.value * f : total[k]!.value / parts.length),
        })),
        inputFeatures: { ...q.inputFeatures, reconciledFactor: round3(f) },
      });
    }
  }
  return out;
}

/** What one forecast call shares between its series. */
interface FitContext {
  /** The change count when the data was read. */
  changes?: number;
  weather?: WeatherRegressors | null;
  dataFrom?: string | null;
  /** Closed days of the history and the horizon, with why. */
  closed?: Map<string, string>;
}

/**
 * A series with each closed day's value replaced by the same weekday's nearest open day (a week earlier, else a
 * week later): a closed day says nothing about demand, and a zero in the history would teach the weekly and
 * seasonal members that a week after Christmas is quiet too. Closed days ahead are set to zero afterwards.
 */
export function imputeClosedDays(series: DemandSeries, closed: Map<string, string>): DemandSeries {
  if (!series.days.some((d) => closed.has(d))) return series;
  const values = series.values.slice();
  series.days.forEach((d, i) => {
    if (!closed.has(d)) return;
    for (let w = 1; w <= 4; w++) {
      for (const j of [i - 7 * w, i + 7 * w]) {
        if (j >= 0 && j < values.length && !closed.has(series.days[j]!)) {
          values[i] = series.values[j]!;
          return;
        }
      }
    }
  });
  return { ...series, values };
}

/** Closed days ahead: no units go out, so the forecast is zero with a zero range, and the driver says why. */
export function closeDays(predictions: Prediction[], closed: Map<string, string>): Prediction[] {
  if (closed.size === 0) return predictions;
  return predictions.map((p) => {
    const why = closed.get(p.targetDate!);
    if (!why) return p;
    return {
      ...p,
      value: 0,
      intervals: p.intervals?.map((iv) => ({ level: iv.level, lower: 0, upper: 0 })),
      drivers: [{ name: 'store closed', effect: 0, detail: `${why}: no units go out` }],
      inputFeatures: { ...p.inputFeatures, closed: why },
    };
  });
}

const LEVELS = [0.8, 0.95];
/** Days ahead the rolling-origin validation of a candidate forecasts. */
const VALIDATION_HORIZON = 28;
/** One series' identity in answers: level, key and store (empty for all stores). */
export const seriesId = (level: string, key: string, store: string | null) => `${level}\u0000${key}\u0000${store ?? ''}`;
const noForecastKey = (scope: { level: DemandLevel; key: string; store: string | null }, measure: DemandMeasure, through: string) =>
  [scope.level, scope.key, scope.store ?? '*', measure, through].join('\u0000');

function zeroSeries(level: DemandLevel, key: string, store: string | null, from: string, to: string): DemandSeries {
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
  return { level, key, store, days, values: new Array(days.length).fill(0) };
}
