import type { z } from 'zod';
import type { Prediction } from './prediction.js';

/** What a predictor gets besides its query. */
export interface PredictorContext {
  /** The clock's now, so a fake clock in tests governs what is "today". */
  now: Date;
}

/**
 * Answers a validated query with predictions. The runtime around it validates the query, looks in the
 * cache under the active model version, records every produced prediction and counts what was served;
 * the predictor itself only predicts.
 */
export interface Predictor<Q extends z.ZodType = z.ZodType> {
  /** `<pluginId>.<name>`, e.g. `demand.daily`. */
  id: string;
  description: string;
  querySchema: Q;
  /** The version of the model that would answer this query now; it is part of every cache key. */
  modelVersion(query: z.output<Q>): Promise<string>;
  /** Answers a validated query with predictions. */
  predict(query: z.output<Q>, ctx: PredictorContext): Promise<Prediction[]>;
  /** Cache lifetime of an answer; the runtime's default when absent. */
  cacheTtlSeconds?: number;
  /**
   * The question a query asks, without what only marks how fresh its data is (a data version that new scans
   * bump). While the database is away and nothing is cached under the query's current key, the last answer this
   * process gave to the same question is served, flagged stale with its age, instead of a 503. Default: the whole
   * query (only the same key's last answer is served).
   */
  staleFallbackKey?(query: z.output<Q>): unknown;
}

/** A predictor with any query schema, as the host holds them. */
export type AnyPredictor = Predictor<any>;

/**
 * The query each predictor id takes, for `runtime.predict(id, query)`: a plugin declares its predictors here by
 * declaration merging, so a call with a wrong query fails to typecheck.
 *
 * ```ts
 * declare module '@rfid3/core' {
 *   interface PredictorQueries {
 *     'demand.daily': DemandQuery;
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface PredictorQueries {}

/** The ids with a declared query type (`keyof PredictorQueries`). */
export type KnownPredictorId = keyof PredictorQueries & string;

/** What `predict(id, …)` accepts: the declared query of a known id (`PredictorQueries`); anything for others. */
export type PredictorQuery<Id extends string> = Id extends KnownPredictorId ? PredictorQueries[Id] : unknown;

/** Declares a predictor (identity; it checks the shape at compile time). */
export function definePredictor<Q extends z.ZodType>(predictor: Predictor<Q>): Predictor<Q> {
  return predictor;
}
