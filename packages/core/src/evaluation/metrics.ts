/**
 * Point and interval forecast error measures. sMAPE is in percent with 0/0 counted as 0 (a perfect
 * forecast of zero demand); MAPE skips zero actuals (it is undefined there) and says how many it used.
 */
export function mae(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  check(actual, predicted);
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += Math.abs(actual[i]! - predicted[i]!);
  return actual.length ? s / actual.length : Number.NaN;
}

/** Root mean squared error (NaN for no points). */
export function rmse(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  check(actual, predicted);
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += (actual[i]! - predicted[i]!) ** 2;
  return actual.length ? Math.sqrt(s / actual.length) : Number.NaN;
}

/** Symmetric MAPE in percent, 0/0 counted as 0 (NaN for no points). */
export function smape(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  check(actual, predicted);
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += smapeTerm(actual[i]!, predicted[i]!);
  return actual.length ? (100 * s) / actual.length : Number.NaN;
}

/** One point's sMAPE contribution (a fraction in [0, 2]). */
export function smapeTerm(a: number, p: number): number {
  const d = Math.abs(a) + Math.abs(p);
  return d === 0 ? 0 : (2 * Math.abs(a - p)) / d;
}

/** MAPE over the points whose actual is not zero, with how many points it used. */
export function mape(actual: ArrayLike<number>, predicted: ArrayLike<number>): { value: number; used: number } {
  check(actual, predicted);
  let s = 0;
  let n = 0;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] === 0) continue;
    s += Math.abs((actual[i]! - predicted[i]!) / actual[i]!);
    n++;
  }
  return { value: n ? (100 * s) / n : Number.NaN, used: n };
}

/** Mean absolute error of the seasonal naive forecast y(t − m) inside a series: MASE's denominator. */
export function seasonalNaiveInSampleMae(values: ArrayLike<number>, season: number): number {
  let s = 0;
  let n = 0;
  for (let t = season; t < values.length; t++) {
    s += Math.abs(values[t]! - values[t - season]!);
    n++;
  }
  return n ? s / n : Number.NaN;
}

/** Share of actuals inside [lower, upper]. */
export function coverage(actual: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>): number {
  check(actual, lower);
  check(actual, upper);
  let inside = 0;
  for (let i = 0; i < actual.length; i++) if (actual[i]! >= lower[i]! && actual[i]! <= upper[i]!) inside++;
  return actual.length ? inside / actual.length : Number.NaN;
}

function check(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} actuals vs ${b.length} values`);
}
