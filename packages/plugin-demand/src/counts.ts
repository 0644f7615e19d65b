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
  const target = Math.min(p, 1 - 1e-12);
  // Far past the mean by many standard deviations is reached only through rounding: stop there.
  const cap = Math.ceil(mean + 40 * Math.sqrt(Math.max(variance, mean)) + 50);
  let cdf = 0;
  let k = 0;
  for (const mass of countMasses(mean, variance)) {
    if (k >= cap) break;
    cdf += mass;
    if (cdf >= target) return k;
    k++;
  }
  return cap;
}

/**
 * P(X = 0), P(X = 1), … of the negative binomial with this mean (> 0) and variance, or the Poisson when the
 * variance is at or below the mean. Stepped in log space: P(X = k + 1) / P(X = k) is m/(k+1) for the Poisson,
 * (k + r)/(k + 1) · m/(r + m) for the NB with size r.
 */
function* countMasses(mean: number, variance: number): Generator<number> {
  const poisson = !(variance > mean * (1 + 1e-9));
  const r = poisson ? Infinity : (mean * mean) / (variance - mean);
  let logP = poisson ? -mean : r * Math.log(r / (r + mean));
  const logRatio = poisson ? Math.log(mean) : Math.log(mean / (r + mean));
  for (let k = 0; ; k++) {
    yield Math.exp(logP);
    logP += (poisson ? 0 : Math.log(k + r)) - Math.log(k + 1) + logRatio;
  }
}

/** A central interval of a count distribution: the (1 − level)/2 and (1 + level)/2 quantiles. */
export function countInterval(mean: number, variance: number, level: number): { lower: number; upper: number } {
  return { lower: countQuantile(mean, variance, (1 - level) / 2), upper: countQuantile(mean, variance, (1 + level) / 2) };
}

/**
 * Log-likelihood, up to a term free of the size, of counts `y` under negative binomials with means `mu` and a
 * shared size r (variance μ + μ²/r). lgamma(y + r) − lgamma(r) is Σ log(r + j) for counts; past 20 units, lgamma's difference.
 */
function nbLogLik(y: number[], mu: number[], r: number, w?: number[]): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const k = y[i]!;
    const m = mu[i]!;
    let t = 0;
    if (k <= 20) for (let j = 0; j < k; j++) t += Math.log(r + j);
    else t = logGamma(k + r) - logGamma(r);
    t += r * Math.log(r / (r + m)) + k * Math.log(m / (r + m));
    s += (w?.[i] ?? 1) * t;
  }
  return s;
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; relative error about 1e-15): Σ log(r + j) over many units in one step. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Largest size tried: beyond it the negative binomial is the Poisson for any mean a rental series has. */
export const MAX_NB_SIZE = 1e4;

/**
 * The maximum-likelihood size r of a negative binomial with known means (the forecasts) for observed counts
 * (what happened), each pair weighted by `weights` if given: golden-section search on log r over [0.01, MAX_NB_SIZE]. The means are floored at `minMean`,
 * so a forecast of zero before a day with units does not make the likelihood −∞.
 */
export function fitNegativeBinomialSize(actual: number[], mean: number[], minMean = 0.05, weights?: number[]): number {
  if (actual.length === 0) return MAX_NB_SIZE;
  const y = actual.map((v) => Math.max(0, Math.round(v)));
  const mu = mean.map((m) => Math.max(minMean, m));
  const f = (logR: number) => nbLogLik(y, mu, Math.exp(logR), weights);
  let a = Math.log(0.01);
  let b = Math.log(MAX_NB_SIZE);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let it = 0; it < 60 && b - a > 1e-3; it++) {
    if (fc > fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return Math.exp((a + b) / 2);
}

/** P(X ≤ k) of the negative binomial (or Poisson) with this mean and variance, as `countQuantile` reads it. */
export function countCdf(mean: number, variance: number, k: number): number {
  if (k < 0) return 0;
  if (!(mean > 0)) return 1;
  let cdf = 0;
  let j = 0;
  for (const mass of countMasses(mean, variance)) {
    if (j++ > k) break;
    cdf += mass;
  }
  return Math.min(1, cdf);
}

/**
 * The range of whole units whose probability is nearest `level`: the central interval, or it with one unit off
 * either end. On counts of a few units the central interval's probability jumps by a unit's mass (of a mean of 3,
 * it holds 87 % when 80 % is asked): taking the nearest keeps ranges as narrow as the stated level allows, and
 * over many days their coverage near it. The range always holds `keep` (the point forecast).
 */
export function nearestCountInterval(mean: number, variance: number, level: number, keep = mean): { lower: number; upper: number } {
  const c = countInterval(mean, variance, level);
  const mass = (l: number, u: number) => countCdf(mean, variance, u) - countCdf(mean, variance, l - 1);
  let best = { ...c, gap: Math.abs(mass(c.lower, c.upper) - level) };
  for (const [l, u] of [
    [c.lower + 1, c.upper],
    [c.lower, c.upper - 1],
  ] as const) {
    if (l > u || l > keep || u < keep) continue;
    const gap = Math.abs(mass(l, u) - level);
    if (gap < best.gap - 1e-12) best = { lower: l, upper: u, gap };
  }
  return { lower: Math.min(best.lower, keep), upper: Math.max(best.upper, keep) };
}
