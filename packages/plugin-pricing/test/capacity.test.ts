import { describe, expect, it } from 'vitest';
import { applySafeguards } from '@rfid3/core';
import type { CapacityDay } from '../src/index.js';
import {
  betweenVariance,
  expectedMinPoisson,
  expectedMinTable,
  expectedMinUnits,
  explainCapacityPrice,
  priceGrid,
  pricingGainRangeSafeguard,
  probabilityAbove,
  recommendCapacityPrice,
  recommendPeakPrices,
  explainPeakPrices,
} from '../src/index.js';
import { weekday } from '@rfid3/core';

/** E[min(X, cap)] by brute force: the pmf summed term by term up to far past the mean. */
function bruteExpectedMin(mean: number, cap: number): number {
  let logP = -mean;
  let s = 0;
  for (let k = 0; k < mean + 40 * Math.sqrt(mean) + 60; k++) {
    s += Math.exp(logP) * Math.min(k, cap);
    logP += Math.log(mean / (k + 1));
  }
  return s;
}

const phi = (x: number) => {
  // Abramowitz–Stegun 7.1.26 through erf: enough for a check to 1e-4.
  const t = 1 / (1 + 0.3275911 * Math.abs(x / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
};

const days = (n: number, demand: (i: number) => number, capacity: number): CapacityDay[] =>
  Array.from({ length: n }, (_, i) => ({ date: `2026-06-${String(i + 1).padStart(2, '0')}`, demand: demand(i), capacity }));

describe('E[min(D, units available)]', () => {
  it('is exact against a brute-force sum, for whole and fractional capacities, small and large means', () => {
    for (const [mean, cap] of [
      [0.3, 1],
      [2, 1],
      [4.5, 3.5],
      [10, 10],
      [10, 7.25],
      [80, 70],
      [300, 320],
      [900, 850],
    ] as const) {
      expect(expectedMinPoisson(mean, cap)).toBeCloseTo(bruteExpectedMin(mean, cap), 9);
    }
    // Known values: min(X, 1) = 1 − P(X = 0); a capacity far above the demand serves it all; none serves nothing.
    expect(expectedMinPoisson(2, 1)).toBeCloseTo(1 - Math.exp(-2), 12);
    expect(expectedMinPoisson(5, 1e6)).toBeCloseTo(5, 12);
    expect(expectedMinPoisson(5, 0)).toBe(0);
    // Always below both the mean and the capacity.
    expect(expectedMinPoisson(10, 10)).toBeLessThan(10);
  });

  it('batches of q units: mean kept, lumpier (so less fits), and the table agrees with the exact value', () => {
    expect(expectedMinUnits(20, 1e6, 5)).toBeCloseTo(20, 9);
    expect(expectedMinUnits(20, 20, 5)).toBeLessThan(expectedMinUnits(20, 20, 1));
    const table = expectedMinTable(24, 3, 200);
    for (const m of [0.01, 0.7, 5, 17.3, 24, 60, 199]) expect(Math.abs(table(m) / expectedMinUnits(m, 24, 3) - 1)).toBeLessThan(1e-3);
    expect(probabilityAbove(10, 1e6)).toBe(0);
    expect(probabilityAbove(10, 9)).toBeCloseTo(
      1 - [...Array(10).keys()].reduce((s, k) => s + (Math.exp(-10) * 10 ** k) / [...Array(k).keys()].reduce((f, j) => f * (j + 1), 1), 0),
      9,
    );
  });

  it("the candidate grid stays inside ±maxChange on quarter dollars and holds today's price", () => {
    for (const p of [0.75, 9.5, 37.25, 412]) {
      const g = priceGrid(p, 0.2);
      expect(g).toContain(p);
      for (const x of g) {
        expect(Math.abs(x / p - 1)).toBeLessThanOrEqual(0.2 + 1e-9);
        expect(Math.round(x * 4)).toBeCloseTo(x * 4, 9);
      }
    }
  });
});

describe('capacity pricing', () => {
  const base = { price: 40, unitsPerRental: 1, daysPerRental: 2, maxChange: 0.2, levelSe: 0.05 };

  it('raises where the fleet sells out on peak days, although demand is elastic (ε = −1.3)', () => {
    // Saturdays and Sundays want twice the 10 units owned; weekdays fill 90 % of them.
    const rec = recommendCapacityPrice({ ...base, days: days(28, (i) => (i % 7 >= 5 ? 20 : 9), 10), elasticity: -1.3, elasticitySe: 0.1 });
    expect(rec.direction).toBe('raise');
    expect(rec.recommendedPrice).toBeGreaterThan(40);
    expect(rec.confidence).toBeGreaterThanOrEqual(0.8);
    expect(rec.gainRange80[0]).toBeGreaterThan(0);
    expect(rec.recommended.rentals).toBeLessThan(rec.current.rentals);
    expect(rec.recommended.stockoutDays).toBeLessThan(rec.current.stockoutDays);
    // The same class without a capacity limit is cut: the constant-elasticity answer is right only there.
    const free = recommendCapacityPrice({ ...base, days: days(28, (i) => (i % 7 >= 5 ? 20 : 9), 1000), elasticity: -1.3, elasticitySe: 0.1 });
    expect(free.direction).toBe('cut');
  });

  it('cuts where units sit idle and demand is elastic; keeps the price where demand is inelastic but the fleet idles', () => {
    const idle = days(28, () => 2, 12);
    const cut = recommendCapacityPrice({ ...base, days: idle, elasticity: -1.6, elasticitySe: 0.1 });
    expect(cut.direction).toBe('cut');
    expect(cut.recommendedPrice).toBeCloseTo(32, 9);
    expect(cut.recommended.rentals).toBeGreaterThan(cut.current.rentals);
    const raise = recommendCapacityPrice({ ...base, days: idle, elasticity: -0.5, elasticitySe: 0.1 });
    expect(raise.direction).toBe('raise');
  });

  it('a cut that would turn customers away on more days is held back by the stockout guard', () => {
    // Idle weekdays, weekends at the fleet's edge, very elastic demand: the cut earns more but adds sold-out days.
    const edge = days(28, (i) => (i % 7 >= 5 ? 9 : 2), 10);
    const free = recommendCapacityPrice({ ...base, days: edge, elasticity: -2.5, elasticitySe: 0.1, maxAddedStockoutDays: 100 });
    expect(free.direction).toBe('cut');
    expect(free.recommended.stockoutDays).toBeGreaterThan(free.current.stockoutDays + 1);
    const guarded = recommendCapacityPrice({ ...base, days: edge, elasticity: -2.5, elasticitySe: 0.1, maxAddedStockoutDays: 1 });
    expect(guarded.recommended.stockoutDays - guarded.current.stockoutDays).toBeLessThanOrEqual(1);
    expect(guarded.recommendedPrice).toBeGreaterThan(free.recommendedPrice);
  });

  it('P(gain) is the share of elasticity draws under which the change earns more: Φ((−1 − ε̂)/se) without capacity limits', () => {
    const rec = recommendCapacityPrice({ ...base, levelSe: 0, days: days(28, () => 3, 1e5), elasticity: -1.3, elasticitySe: 0.3, draws: 2000 });
    const cut = rec.candidates.find((c) => c.price === 32)!;
    expect(cut.probabilityGain).toBeCloseTo(phi(1), 1);
    expect(Math.abs(cut.probabilityGain - phi(1))).toBeLessThan(0.03);
    // The raise gains under the complementary draws.
    const up = rec.candidates.find((c) => c.price === 48)!;
    expect(up.probabilityGain + cut.probabilityGain).toBeCloseTo(1, 1);
    // With ε̂ = −1.05 ± 0.5 the best move is a coin flip: the price is kept and the reason says why.
    const unsure = recommendCapacityPrice({ ...base, days: days(28, () => 3, 1e5), elasticity: -1.05, elasticitySe: 0.5 });
    expect(unsure.direction).toBe('keep');
    expect(unsure.recommendedPrice).toBe(40);
    expect(unsure.confidence).toBe(0);
    expect(unsure.heldBack).toMatch(/probability 0\.[4-6]\d/);
    // Same input, same answer (fixed seed).
    expect(recommendCapacityPrice({ ...base, days: days(28, () => 3, 1e5), elasticity: -1.05, elasticitySe: 0.5 })).toEqual(unsure);
  });

  it('no candidate above a ceiling; the why states sell-outs and the trade in figures', () => {
    const peak = days(28, (i) => (i % 7 === 6 ? 25 : 8), 10);
    const capped = recommendCapacityPrice({ ...base, days: peak, elasticity: -1.2, elasticitySe: 0.1, ceiling: 44 });
    expect(capped.recommendedPrice).toBeLessThanOrEqual(44);
    const rec = recommendCapacityPrice({ ...base, days: peak, elasticity: -1.2, elasticitySe: 0.1 });
    expect(rec.direction).toBe('raise');
    const why = explainCapacityPrice(rec, { weekday: 'Saturday', soldOut: 6, of: 8, total: 9, days: 56 }, 28);
    expect(why).toContain('sold out on 6 of the last 8 Saturdays');
    expect(why).toMatch(/at \+\d+ % the expected lost rentals .* cost less than the higher price earns/);
    expect(why).toMatch(/\$\d/);
  });
});

describe('peak and off-peak prices', () => {
  const base = { price: 40, unitsPerRental: 1, daysPerRental: 2, maxChange: 0.2, levelSe: 0.05 };
  /** June 2026 by real weekday: Fridays and Saturdays want `peak` units, the other days `other`. */
  const june = (peak: number, other: number, capacity: number) => days(28, (i) => ([5, 6].includes(weekday(`2026-06-${String(i + 1).padStart(2, '0')}`)) ? peak : other), capacity);

  it('raises the peak price where the fleet sells out on Fridays and Saturdays and cuts the idle days, each move on its own days', () => {
    const input = { ...base, days: june(22, 3, 10), elasticity: -1.4, elasticitySe: 0.1, peakWeekdays: [5, 6] };
    const rec = recommendPeakPrices(input);
    expect(rec.peakWeekdays).toEqual([5, 6]);
    expect(rec.peak.direction).toBe('raise');
    expect(rec.offPeak.direction).toBe('cut');
    // Each tier is the single-price recommendation on its own days.
    const fri = input.days.filter((d) => [5, 6].includes(weekday(d.date)));
    expect(rec.peak.recommendedPrice).toBe(recommendCapacityPrice({ ...input, days: fri }).recommendedPrice);
    expect(rec.offPeak.current.expected + rec.peak.current.expected).toBeCloseTo(recommendCapacityPrice(input).current.expected, 6);
    // The two gains add up draw by draw: the mean of the sum is the sum of the means.
    expect(rec.expectedChange).toBeCloseTo(rec.peak.expectedChange + rec.offPeak.expectedChange, 9);
    expect(rec.gainRange80[0]).toBeGreaterThan(0);
    expect(rec.confidence).toBeGreaterThanOrEqual(0.8);
    // Two prices earn more than the best single price here: one price cannot both ration the weekend and fill the week.
    const single = recommendCapacityPrice(input);
    expect(rec.expectedChange).toBeGreaterThan(single.expectedChange);
    expect(explainPeakPrices(rec, { weekday: 'Saturday', soldOut: 4, of: 4, total: 8, days: 28 }, 28)).toMatch(
      /^peak \(Friday, Saturday\): raise \$40\.00 to \$\d+\.\d\d; other days: cut \$40\.00 to \$\d+\.\d\d: \$\d+ more expected revenue/,
    );
  });

  it('keeps both prices where neither tier clears the bar, and then claims no gain', () => {
    // Demand a little under the fleet every day with a wide elasticity: no move is likely enough to gain.
    const rec = recommendPeakPrices({ ...base, days: june(6, 6, 10), elasticity: -1, elasticitySe: 0.8, peakWeekdays: [6] });
    expect(rec.peak.direction).toBe('keep');
    expect(rec.offPeak.direction).toBe('keep');
    expect(rec.expectedChange).toBe(0);
    expect(rec.confidence).toBe(0);
    expect(rec.gainRange80).toEqual([0, 0]);
  });
});

describe('capacity pricing: loss bound and smallest gain', () => {
  const base = { price: 40, unitsPerRental: 1, daysPerRental: 2, maxChange: 0.2, levelSe: 0.05, requirePositiveRange: false, minProbability: 0.7 };
  // Idle fleet, ε̂ = −0.8 ± 0.3: a raise gains with P ≈ 0.75, but under the draws with ε < −1 it loses.
  const idle = days(28, () => 3, 1e5);

  it("maxLossShare holds back a move whose 80 % range loses more than that share of today's revenue", () => {
    const free = recommendCapacityPrice({ ...base, days: idle, elasticity: -0.8, elasticitySe: 0.3 });
    expect(free.direction).toBe('raise');
    expect(free.gainRange80[0]).toBeLessThan(0);
    const lowEnd = -free.gainRange80[0] / free.current.expected;
    const bounded = recommendCapacityPrice({ ...base, days: idle, elasticity: -0.8, elasticitySe: 0.3, maxLossShare: 0.002 });
    // Either kept, or moved less far, and never with a low end below the bound.
    expect(bounded.recommendedPrice).toBeLessThan(free.recommendedPrice);
    if (bounded.direction !== 'keep') expect(-bounded.gainRange80[0] / bounded.current.expected).toBeLessThanOrEqual(0.002);
    else expect(bounded.heldBack).toMatch(/low end of the gain's 80 % range loses/);
    // A bound wider than the loss changes nothing.
    expect(recommendCapacityPrice({ ...base, days: idle, elasticity: -0.8, elasticitySe: 0.3, maxLossShare: lowEnd * 1.01 }).recommendedPrice).toBe(free.recommendedPrice);
  });

  it('minGain keeps the price when the expected gain is worth less than that much money', () => {
    const rec = recommendCapacityPrice({ ...base, days: idle, elasticity: -0.5, elasticitySe: 0.1 });
    expect(rec.direction).toBe('raise');
    const kept = recommendCapacityPrice({ ...base, days: idle, elasticity: -0.5, elasticitySe: 0.1, minGain: rec.expectedChange * 1.5 });
    expect(kept.direction).toBe('keep');
    expect(kept.heldBack).toMatch(/expected gain at \$[\d.]+ is under \$/);
  });
});

describe('between-class spread (DerSimonian–Laird)', () => {
  it('is not inflated by a few wild estimates with large standard errors', () => {
    // Four precise estimates that agree, and two wild ones that their standard errors explain.
    const ests = [
      { elasticity: -0.8, se: 0.1 },
      { elasticity: -0.82, se: 0.1 },
      { elasticity: -0.78, se: 0.1 },
      { elasticity: -0.81, se: 0.1 },
      { elasticity: -5.7, se: 4 },
      { elasticity: 1.4, se: 4 },
    ];
    expect(betweenVariance(ests, 0.05 ** 2)).toBe(0.05 ** 2);
    // The unweighted spread less the mean sampling variance, as before, would have been several units².
    // Real spread among precise estimates is found.
    const spread = betweenVariance(
      [
        { elasticity: -0.3, se: 0.05 },
        { elasticity: -1.3, se: 0.05 },
        { elasticity: -0.8, se: 0.05 },
      ],
      0.05 ** 2,
    );
    expect(spread).toBeGreaterThan(0.2);
  });
});

describe('the pricing-gain-range safeguard', () => {
  const decision = (range: unknown, scope?: string) => ({
    type: 'price_change' as const,
    target: { type: 'rental_class', id: '60001' },
    confidence: 0.97,
    baselinePrice: 10,
    proposedPrice: 11,
    action: { rentalClass: '60001', price: 11, ...(range === undefined ? {} : { gainRange80: range }) } as never,
    ...(scope ? { scope } : {}),
  });
  it('sends a change whose gain range includes zero to a person, lets a clearly positive one through, and fails closed', () => {
    expect(pricingGainRangeSafeguard.check(decision([-3, 40]))!.verdict).toBe('review');
    expect(pricingGainRangeSafeguard.check(decision([0, 40]))!.verdict).toBe('review');
    expect(pricingGainRangeSafeguard.check(decision([3, 40]))!.verdict).toBe('auto_approve');
    expect(pricingGainRangeSafeguard.check(decision([-9, -1]))!.verdict).toBe('manual');
    expect(pricingGainRangeSafeguard.check(decision(undefined))!.verdict).toBe('manual');
    expect(pricingGainRangeSafeguard.check(decision(['a', 2]))!.verdict).toBe('manual');
    expect(pricingGainRangeSafeguard.check(decision(undefined, 'price-test'))).toBeNull();
    // Combined with another safeguard that would auto-approve, the most restrictive verdict wins.
    const pass = { id: 'pass', check: () => ({ verdict: 'auto_approve' as const, reason: 'ok' }) };
    expect(applySafeguards(decision([-3, 40]), [pass, pricingGainRangeSafeguard]).verdict).toBe('review');
  });
});
