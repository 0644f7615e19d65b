/**
 * Quantiles of count distributions. Units out per day are counts, often of a few units: a normal or an
 * empirical band over so few values misstates the chance of 0, 1 or 2. Written here because the negative
 * binomial quantile by summing its mass is a dozen lines and no maintained npm package does just this.
 */

/**
 * The p-quantile (smallest k with P(X ≤ k) ≥ p) of the negative binomial with this mean and variance; a
 * variance at or below the mean gives the Poisson. Summed in log space, so large means do not underflow.
 */
export function countQuantile(mean: number, variance: number, p: number): number {
  if (!(mean > 0)) return 0;
  if (!(p > 0)) return 0;
  const poisson = !(variance > mean * (1 + 1e-9));
  // P(X = k + 1) / P(X = k): m/(k+1) for the Poisson, (k + r)/(k + 1) · m/(r + m) for the NB with size r.
  const r = poisson ? Infinity : (mean * mean) / (variance - mean);
  let logP = poisson ? -mean : r * Math.log(r / (r + mean));
  const logRatio = poisson ? Math.log(mean) : Math.log(mean / (r + mean));
  let cdf = 0;
  const target = Math.min(p, 1 - 1e-12);
  // Far past the mean by many standard deviations is reached only through rounding: stop there.
  const cap = Math.ceil(mean + 40 * Math.sqrt(Math.max(variance, mean)) + 50);
  for (let k = 0; k < cap; k++) {
    cdf += Math.exp(logP);
    if (cdf >= target) return k;
    logP += (poisson ? 0 : Math.log(k + r)) - Math.log(k + 1) + logRatio;
  }
  return cap;
}

/** A central interval of a count distribution: the (1 − level)/2 and (1 + level)/2 quantiles. */
export function countInterval(mean: number, variance: number, level: number): { lower: number; upper: number } {
  return { lower: countQuantile(mean, variance, (1 - level) / 2), upper: countQuantile(mean, variance, (1 + level) / 2) };
}
