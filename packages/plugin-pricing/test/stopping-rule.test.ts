import { Rng } from '@rfid3/core/simulator';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STOPPING_RULE, evaluatePriceTest, mixtureLikelihoodRatio } from '../src/index.js';

const binomial = (rng: Rng, n: number, p: number) => {
  let k = 0;
  for (let i = 0; i < n; i++) if (rng.next() < p) k++;
  return k;
};

/** One simulated test, looked at after every batch of quotes per variant, until it stops or reaches `max` quotes per variant. */
function simulateTest(seed: number, prices: [number, number], conversion: [number, number], batch = 50, max = 4000) {
  const rng = new Rng(seed);
  const variants = prices.map((price, k) => ({ name: k === 0 ? 'a' : 'b', price, exposures: 0, conversions: 0 }));
  while (variants[0]!.exposures < max) {
    variants.forEach((v, k) => {
      v.exposures += batch;
      v.conversions += binomial(rng, batch, conversion[k]!);
    });
    const verdict = evaluatePriceTest(variants, DEFAULT_STOPPING_RULE, 400, seed);
    if (verdict.stop) return { stopped: true, leader: verdict.leader, quotes: variants[0]!.exposures };
  }
  return { stopped: false, leader: null, quotes: max };
}

describe('the price-test stopping rule under repeated looks', () => {
  it('the mixture likelihood ratio is 1 at no difference and grows with the evidence', () => {
    expect(mixtureLikelihoodRatio(0, 0.01, 0.04)).toBeCloseTo(Math.sqrt(0.01 / 0.05), 12);
    // z = d/√V = 3, r = τ²/V = 4: Λ = (1 + r)^−½ · exp(z² r / (2 (1 + r))) = exp(3.6)/√5.
    expect(mixtureLikelihoodRatio(0.3, 0.01, 0.04)).toBeCloseTo(Math.exp(3.6) / Math.sqrt(5), 9);
    expect(mixtureLikelihoodRatio(0.4, 0.01, 0.04)).toBeGreaterThan(mixtureLikelihoodRatio(0.3, 0.01, 0.04));
  });

  it('equal variants, looked at every 50 quotes up to 4,000, stop in no more than α of 200 seeded tests', () => {
    // Same revenue per quote at different prices (10 × 0.48 = 12 × 0.40), and the very same price and conversion.
    const equalRevenue = Array.from({ length: 200 }, (_, i) => simulateTest(1 + i, [10, 12], [0.48, 0.4])).filter((r) => r.stopped).length;
    const identical = Array.from({ length: 200 }, (_, i) => simulateTest(501 + i, [10, 10], [0.4, 0.4])).filter((r) => r.stopped).length;
    expect(equalRevenue).toBeLessThanOrEqual(200 * DEFAULT_STOPPING_RULE.alpha);
    expect(identical).toBeLessThanOrEqual(200 * DEFAULT_STOPPING_RULE.alpha);
  }, 120_000);

  it('a clear winner (20 % more revenue per quote) stops, and picks the winner', () => {
    const runs = Array.from({ length: 50 }, (_, i) => simulateTest(2001 + i, [10, 12], [0.4, 0.4]));
    const stopped = runs.filter((r) => r.stopped);
    expect(stopped.length).toBeGreaterThanOrEqual(45);
    expect(stopped.every((r) => r.leader === 'b')).toBe(true);
  }, 60_000);
});
