import { LRUCache } from 'lru-cache';
import type { z } from 'zod';
import type { Cache } from '../cache/cache.js';
import { cacheKey } from '../cache/cache.js';
import type { Prediction } from '../contracts/prediction.js';
import type { AnyPredictor, PredictorQuery } from '../contracts/predictor.js';
import type { PredictionStore } from './prediction-store.js';
import type { Availability } from '../storage/availability.js';
import { isDependencyUnavailable } from '../storage/availability.js';
import type { Clock } from '../time/clock.js';
import type { CoreMetrics } from '../observability/metrics.js';
import { markStale } from '../cache/staleness.js';
import { parseOrThrow } from '../contracts/validation.js';

/** A predictor's answer: the predictions, the model version, and whether and how old a cached copy it is. */
export interface PredictionAnswer {
  /**
   * The predictions. Every hit of one cache entry gives the same array (in this process), so a caller may keep
   * what it derives from them in a `WeakMap` (see `SerializedAnswers`) for as long as the cache keeps the entry.
   */
  predictions: Prediction[];
  modelVersion: string;
  /** True when the answer came from the cache (and so was not recorded again). */
  cached: boolean;
  /** True when it came from the cache while the database could not be reached, so it could not be refreshed. */
  stale?: boolean;
  /** Seconds since a stale answer was computed. */
  staleSeconds?: number;
  /** Seconds since the answer was computed (0 for one computed now). */
  ageSeconds: number;
}

/** What the cache holds for a prediction: the predictions and when they were made (epoch ms, runtime clock). */
interface CachedPredictions {
  at: number;
  predictions: Prediction[];
}

/**
 * Runs predictors the same way for every caller: validate the query, look in the cache under the
 * active model version, and on a miss predict and record each produced prediction.
 */
export class PredictionService {
  private readonly predictors = new Map<string, { predictor: AnyPredictor; pluginId: string }>();
  /**
   * The last answer to each question (a predictor's `staleFallbackKey`), kept in this process: what to serve,
   * flagged stale, when the database is away and the current key has no answer yet (new scans bumped a data
   * version just before the outage) or was dropped from the cache.
   */
  private readonly lastAnswers = new LRUCache<string, { cached: CachedPredictions; modelVersion: string }>({
    max: 2_000,
    // One answer per question, mostly the same objects the cache holds; bounded by predictions held as well.
    maxSize: 200_000,
    sizeCalculation: (v) => v.cached.predictions.length + 1,
  });
  /** Answers already kept in `lastAnswers`: a repeated cache hit does not hash its question again. */
  private readonly kept = new WeakSet<CachedPredictions>();

  constructor(
    private readonly deps: {
      cache: Cache;
      store: PredictionStore;
      metrics: CoreMetrics;
      clock: Clock;
      defaultTtlSeconds: number;
      /** The database's availability: a cache hit while it is down is served as stale. */
      availability?: Availability;
    },
  ) {}

  /** Adds a predictor (its id must be unique across plugins). */
  register(predictor: AnyPredictor, pluginId: string): void {
    const existing = this.predictors.get(predictor.id);
    if (existing) throw new Error(`predictor '${predictor.id}' is registered twice (plugins '${existing.pluginId}' and '${pluginId}')`);
    this.predictors.set(predictor.id, { predictor, pluginId });
  }

  /** Every registered predictor, with the plugin that added it. */
  list(): { id: string; description: string; pluginId: string }[] {
    return [...this.predictors.values()].map(({ predictor, pluginId }) => ({ id: predictor.id, description: predictor.description, pluginId }));
  }

  /** Whether a predictor with this id is registered. */
  has(id: string): boolean {
    return this.predictors.has(id);
  }

  /**
   * Answers a query (typed by the predictor's id when its plugin declares it in `PredictorQueries`); a query its
   * schema refuses throws a `ValidationError` naming the field.
   */
  async predict<Id extends string>(id: Id, rawQuery: PredictorQuery<Id>): Promise<PredictionAnswer> {
    const entry = this.predictors.get(id);
    if (!entry) throw new Error(`no predictor '${id}' (registered: ${[...this.predictors.keys()].join(', ') || 'none'})`);
    const { predictor } = entry;
    const query = parseOrThrow(predictor.querySchema as z.ZodType, rawQuery, 'query');
    let modelVersion = await predictor.modelVersion(query);
    // `v: 2`: entries carry when they were made; an older host's entries (plain arrays) are not read.
    const key = cacheKey(`pred:${id}`, modelVersion, { v: 2, query });
    const question = () => cacheKey(`pred:${id}`, '', predictor.staleFallbackKey ? predictor.staleFallbackKey(query) : query);
    let cached: CachedPredictions;
    let hit: boolean;
    let stale = false;
    try {
      ({ value: cached, hit } = await this.deps.cache.wrap<CachedPredictions>(key, predictor.cacheTtlSeconds ?? this.deps.defaultTtlSeconds, async () => {
        const produced = await predictor.predict(query, { now: this.deps.clock.now() });
        this.deps.store.record(produced);
        this.deps.metrics.predictionsProduced.inc({ predictor: id }, produced.length);
        return { at: this.deps.clock.now().getTime(), predictions: produced };
      }));
      stale = hit && this.deps.availability?.available === false;
      if (!this.kept.has(cached)) {
        this.lastAnswers.set(question(), { cached, modelVersion });
        this.kept.add(cached);
      }
    } catch (err) {
      // The database is away and the answer has expired (or its data version moved on): the last one this
      // process made beats a 503.
      const same = isDependencyUnavailable(err) ? this.deps.cache.getStale?.<CachedPredictions>(key) : undefined;
      const last = same ? { cached: same, modelVersion } : isDependencyUnavailable(err) ? this.lastAnswers.get(question()) : undefined;
      if (!last) throw err;
      ({ cached, modelVersion } = last);
      hit = true;
      stale = true;
    }
    const value = cached.predictions;
    for (const [source, n] of countBySource(value)) this.deps.metrics.predictionsServed.inc({ predictor: id, source }, n);
    const ageSeconds = Math.max(0, Math.round((this.deps.clock.now().getTime() - cached.at) / 1000));
    if (!stale) return { predictions: value, modelVersion, cached: hit, ageSeconds };
    markStale(ageSeconds);
    return { predictions: value, modelVersion, cached: true, stale: true, staleSeconds: ageSeconds, ageSeconds };
  }

  /** Drops cached answers of one predictor (or all), e.g. when new scans change its inputs. */
  invalidate(id?: string): Promise<number> {
    return this.deps.cache.deletePrefix(id ? `pred:${id}:` : 'pred:');
  }
}

/** Predictions per source of an answer, counted once per cached answer (every hit of an entry is the same array). */
const sourceCounts = new WeakMap<Prediction[], Map<string, number>>();
function countBySource(predictions: Prediction[]): Map<string, number> {
  let counts = sourceCounts.get(predictions);
  if (!counts) {
    counts = new Map();
    for (const p of predictions) counts.set(p.source, (counts.get(p.source) ?? 0) + 1);
    sourceCounts.set(predictions, counts);
  }
  return counts;
}
