import type { JsonValue } from './json.js';

/** Which layer of the fallback chain answered. */
export const PREDICTION_SOURCES = ['model', 'ensemble', 'historical_average', 'manual'] as const;
/** Which layer of the fallback chain answered (one of `PREDICTION_SOURCES`). */
export type PredictionSource = (typeof PREDICTION_SOURCES)[number];

/** An interval around a predicted value at a nominal level. */
export interface PredictionInterval {
  /** Nominal coverage, e.g. 0.8 for an 80 % interval. */
  level: number;
  lower: number;
  upper: number;
}

/** One driver of a prediction and its effect on the value. */
export interface Driver {
  name: string;
  /** Signed contribution to the value, in the value's units (or a weight where stated). */
  effect: number;
  detail?: string;
}

/** What a prediction is about. */
export interface PredictionTarget {
  /** What kind of thing is predicted: `rental_class`, `category`, `item`, `store`, … */
  type: string;
  id: string;
  store?: string | null;
}

/** The model version that made a prediction. */
export interface ModelRef {
  name: string;
  /** `name@n`, as issued by the model registry. */
  version: string;
  type: string;
}

/** One prediction: a value with an honest interval or probability, who made it and why. */
export interface Prediction {
  /** e.g. `demand.units_out`, `maintenance.failure_probability`. */
  predictionType: string;
  target: PredictionTarget;
  /** The day the prediction is about (YYYY-MM-DD), when it is about a day. */
  targetDate?: string | null;
  /** Steps (days) between the data cut-off and `targetDate`. */
  horizon?: number | null;
  value: number;
  /** Intervals, narrowest level first. At least one for quantities; none for probabilities. */
  intervals?: PredictionInterval[];
  /** For binary events: the probability of the event. */
  probability?: number | null;
  /**
   * In [0, 1]. For an interval forecast it is the nominal level of the first interval;
   * for a classifier, its calibrated probability of the predicted class.
   */
  confidence: number;
  model: ModelRef;
  source: PredictionSource;
  drivers: Driver[];
  inputFeatures?: Record<string, JsonValue>;
}
