import type { JsonValue } from './json.js';

/**
 * A named input computed for many entities at once, as of a point in time (never from data after it).
 * `forecastable` says whether its future values are known in advance (calendar, planned price, a weather
 * forecast): only forecastable features may drive a forecast beyond the data cut-off.
 */
export interface Feature<TEntity, TValue extends JsonValue = number> {
  name: string;
  description: string;
  /** The kind of entity it describes: `item`, `rental_class`, `store`, … */
  entityType: string;
  forecastable: boolean;
  /** Computes the feature for each entity as of `ctx.asOf`, one value per entity in order. */
  compute(entities: TEntity[], ctx: { asOf: string }): Promise<TValue[]> | TValue[];
}

/** Declares a feature (identity; it checks the shape at compile time). */
export function defineFeature<TEntity, TValue extends JsonValue = number>(feature: Feature<TEntity, TValue>): Feature<TEntity, TValue> {
  return feature;
}
