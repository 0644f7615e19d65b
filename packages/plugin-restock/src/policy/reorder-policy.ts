import { normalQuantile } from '@rfid3/core';

/** A forecast distribution summarised by its mean and variance (normal approximation). */
export interface DemandDistribution {
  mean: number;
  variance: number;
}

/** An (s, S) reorder rule: reorder point, order-up-to level and the safety stock in them. */
export interface ReorderLevels {
  /** Order when the inventory position (available + on order) falls to this level or below. */
  reorderPoint: number;
  /** Order up to this level. */
  orderUpTo: number;
  /** Safety stock: reorder point less mean lead-time demand. */
  safetyStock: number;
  serviceLevel: number;
}

/**
 * Reorder point and order-up-to level from the lead-time demand distribution at a cycle service level:
 * ROP = μ_L + z·σ_L, S = ROP + mean demand over the review period (the textbook (s, S) policy with normal
 * lead-time demand). Rounded up to whole units.
 */
export function reorderLevels(leadTime: DemandDistribution, reviewPeriodMean: number, serviceLevel: number): ReorderLevels {
  if (!(serviceLevel > 0 && serviceLevel < 1)) throw new RangeError(`serviceLevel must be in (0, 1), got ${serviceLevel}`);
  const z = normalQuantile(serviceLevel);
  const sd = Math.sqrt(Math.max(0, leadTime.variance));
  const reorderPoint = Math.max(0, Math.ceil(leadTime.mean + z * sd));
  return {
    reorderPoint,
    orderUpTo: Math.max(reorderPoint, Math.ceil(leadTime.mean + z * sd + Math.max(0, reviewPeriodMean))),
    safetyStock: reorderPoint - leadTime.mean,
    serviceLevel,
  };
}

/** One day of a forecast with its central interval (as the demand plugin returns them). */
export interface ForecastDay {
  value: number;
  lower: number;
  upper: number;
  /** Central coverage of [lower, upper], e.g. 0.8. */
  level: number;
}

/**
 * The distribution of demand summed over the lead time from daily forecasts with intervals: the mean is the
 * sum of the daily means, each day's σ is its interval's half-width over z, and days are taken as independent
 * (which understates the variance when errors are correlated; the restock backtest measures the result).
 */
export function leadTimeDemand(days: readonly ForecastDay[]): DemandDistribution {
  let mean = 0;
  let variance = 0;
  for (const d of days) {
    const z = normalQuantile(0.5 + d.level / 2);
    mean += d.value;
    variance += ((d.upper - d.lower) / (2 * z)) ** 2;
  }
  return { mean, variance };
}

/**
 * Units needed on a future day of a rental fleet: the units out now that will still be out, plus the units
 * rented between now and then that will not be back yet. `expected[k]` is the expected units rented k + 1
 * days from now, `stillOut(k)` the probability that a unit rented k days before the target day is still out.
 * Rentals are compound Poisson, so the variance is Σ λ·p·E[q²]/E[q] with `dispersion` = E[q²]/E[q].
 */
export function onRentDistribution(outNowStillOut: number, expected: readonly number[], stillOut: (daysBefore: number) => number, dispersion: number): DemandDistribution {
  let mean = outNowStillOut;
  let variance = 0;
  const h = expected.length;
  for (let k = 0; k < h; k++) {
    const p = stillOut(h - 1 - k);
    mean += expected[k]! * p;
    variance += expected[k]! * p * dispersion;
  }
  return { mean, variance };
}
