import { normalQuantile } from '@rfid3/core';
import { describe, expect, it } from 'vitest';
import { leadTimeDemand, onRentDistribution, reorderLevels, simulateFleet, velocityClasses } from '../src/index.js';
import type { FleetClass } from '../src/index.js';

describe('reorder levels', () => {
  it('ROP = μ_L + z·σ_L and S = ROP + review demand (textbook: μ 100, σ 20, 95 % → 132.9 → 133)', () => {
    const l = reorderLevels({ mean: 100, variance: 400 }, 50, 0.95);
    expect(l.reorderPoint).toBe(Math.ceil(100 + normalQuantile(0.95) * 20));
    expect(l.reorderPoint).toBe(133);
    expect(l.orderUpTo).toBe(183);
    expect(l.safetyStock).toBe(33);
    expect(reorderLevels({ mean: 100, variance: 400 }, 50, 0.5).reorderPoint).toBe(100);
  });

  it('sums daily forecasts with intervals into lead-time demand (σ from each 80 % interval)', () => {
    const z80 = normalQuantile(0.9);
    const d = leadTimeDemand([
      { value: 10, lower: 10 - 2 * z80, upper: 10 + 2 * z80, level: 0.8 },
      { value: 20, lower: 20 - 3 * z80, upper: 20 + 3 * z80, level: 0.8 },
    ]);
    expect(d.mean).toBe(30);
    expect(d.variance).toBeCloseTo(4 + 9, 10);
  });

  it('on rent at once: units already out plus future rentals that will not be back', () => {
    // Rentals of exactly 2 days: of the 3 days to come, only the last two days' rentals are still out on day 3.
    const stillOut = (k: number) => (k < 2 ? 1 : 0);
    const d = onRentDistribution(5, [4, 4, 4], stillOut, 1);
    expect(d.mean).toBe(5 + 8);
    expect(d.variance).toBe(8);
  });
});

describe('velocity classes', () => {
  it('ABC by cumulative revenue, XYZ by coefficient of variation, fast and slow movers', () => {
    const v = velocityClasses([
      { id: 'chairs', revenue: 700, demand: [10, 11, 9, 10] },
      { id: 'tables', revenue: 200, demand: [5, 1, 9, 5] },
      { id: 'tents', revenue: 80, demand: [0, 0, 8, 0] },
      { id: 'linen', revenue: 20, demand: [0, 0, 0, 0] },
      { id: 'napkin', revenue: 0, demand: [1, 1, 1, 1] },
    ]);
    const by = Object.fromEntries(v.map((x) => [x.id, x]));
    expect([by.chairs!.abc, by.tables!.abc, by.tents!.abc, by.linen!.abc]).toEqual(['A', 'A', 'B', 'C']);
    expect(by.chairs!.xyz).toBe('X');
    expect(by.tables!.xyz).toBe('Y');
    expect(by.tents!.xyz).toBe('Z');
    expect(by.chairs!.mover).toBe('fast');
    expect(by.linen!.mover).toBe('slow');
    expect(by.tents!.cumulativeShare).toBeCloseTo(0.98, 12);
  });
});

describe('fleet simulation', () => {
  // Two seasonal classes over two years: a small lumpy one and a large one.
  const days = 730;
  const season = (d: number) => 1 + 0.6 * Math.cos((2 * Math.PI * (d - 180)) / 365);
  const classes: FleetClass[] = [
    { id: 'a', category: 'tables', units: 30, reorderMin: 3, reorderMax: 9, meanQty: 3, rentalDays: [1, 3], expected: Array.from({ length: days }, (_, d) => 6 * season(d)) },
    { id: 'b', category: 'tables', units: 6, reorderMin: 1, reorderMax: 2, meanQty: 1, rentalDays: [2, 4], expected: Array.from({ length: days }, (_, d) => 0.8 * season(d)) },
  ];

  it('replays the same requests for both policies; a higher service level buys more and stocks out less', () => {
    const low = simulateFleet(classes, { evalFrom: 365, serviceLevel: 0.8, seed: 3 });
    const high = simulateFleet(classes, { evalFrom: 365, serviceLevel: 0.99, seed: 3 });
    // Same draws, same baseline.
    expect(high.baseline).toEqual(low.baseline);
    expect(high.policy.unitsPurchased).toBeGreaterThan(low.policy.unitsPurchased);
    expect(high.policy.stockoutDays).toBeLessThanOrEqual(low.policy.stockoutDays);
    expect(high.policy.avgInventory).toBeGreaterThan(low.policy.avgInventory);
    // The bound is calibrated: its coverage is near the level asked for.
    expect(high.boundCoverage).toBeGreaterThan(0.95);
    expect(low.boundCoverage).toBeLessThan(0.95);
    expect(low.boundCoverage).toBeGreaterThan(0.7);
  });
});
