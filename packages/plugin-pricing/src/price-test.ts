import { Rng } from '@rfid3/core/simulator';

export interface VariantOutcome {
  name: string;
  price: number;
  /** Quotes offered at this price. */
  exposures: number;
  /** Quotes that became rentals. */
  conversions: number;
}

export interface TestVerdict {
  /** P(variant has the highest revenue per quote), by Monte Carlo over the Beta posteriors. */
  probabilityBest: Record<string, number>;
  /** Expected revenue per quote lost by choosing each variant instead of the best (posterior mean). */
  expectedLoss: Record<string, number>;
  leader: string;
  stop: boolean;
  reason: string;
}

export interface StoppingRule {
  /** Stop when the leader's probability of being best reaches this (default 0.95) … */
  probabilityBest: number;
  /** … and choosing it costs less than this share of its revenue per quote in expectation (default 0.01). */
  maxRelativeLoss: number;
  /** Never before every variant has this many quotes (default 100). */
  minExposures: number;
}

export const DEFAULT_STOPPING_RULE: StoppingRule = { probabilityBest: 0.95, maxRelativeLoss: 0.01, minExposures: 100 };

/**
 * Bayesian A/B(/n) price test: conversion of each price ~ Beta(1 + k, 1 + n − k), revenue per quote = price ×
 * conversion. The stopping rule is the expected-loss rule (a Bayesian decision rule that stays valid when checked
 * after every batch, unlike repeated fixed-sample significance tests).
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
  const stop = enough && pBest >= rule.probabilityBest && relLoss <= rule.maxRelativeLoss;
  const reason = !enough
    ? `every variant needs ${rule.minExposures} quotes first`
    : stop
      ? `${lead.name} is best with probability ${pBest.toFixed(3)} and expected loss ${(relLoss * 100).toFixed(2)} % of its revenue per quote`
      : `keep testing: ${lead.name} leads with probability ${pBest.toFixed(3)}, expected loss ${(relLoss * 100).toFixed(2)} %`;
  return { probabilityBest, expectedLoss, leader: lead.name, stop, reason };
}
