import { describe, expect, it } from 'vitest';
import { marginalUnitRevenue } from '../src/restock-analyzer.js';
import type { StockoutTable } from '../src/policy/allocation.js';

/** Ten days on which units on rent are 0, 1, … 9 with certainty: P(more than u on rent) is 1 where the day's count exceeds u. */
function certainTable(): StockoutTable {
  const days = 10;
  const width = 12;
  const p = new Float64Array(days * width);
  for (let i = 0; i < days; i++) for (let u = 0; u < width; u++) p[i * width + u] = i > u ? 1 : 0;
  return { days, from: 0, width, p };
}
const settings = { expectedLifeYears: 5, marginalRevenueShare: 0.5 };

describe('what one more unit earns', () => {
  it('rents only on the days demand exceeds the fleet: its share of an average unit’s days, times revenue per unit', () => {
    const table = certainTable();
    // 5 units owned; on day i, min(i, 5) are on rent: an average unit is out (0+1+2+3+4+5·5)/5 = 7 days.
    // The 6th unit is out on days 6…9 (4 days), the 7th on 7…9 (3), the 8th 2, the 9th 1, the 10th none.
    const out = marginalUnitRevenue({ table, u0: 5, arrival: 0, units: 5, revenueLastYear: 5 * 700, price: 10, onRentMean: (i) => i }, 6, settings);
    const perUnitMargin = 700 * 0.5 * 5;
    expect(out).toHaveLength(6);
    [4, 3, 2, 1, 0, 0].forEach((days, k) => expect(out[k]).toBeCloseTo((perUnitMargin * days) / 7, 9));
  });

  it('never earns more than the average unit, and counts only days after it arrives', () => {
    const table = certainTable();
    // The average unit is out half of each day (5 days) while the table has the 2nd unit out 8: capped at 1×.
    const cap = marginalUnitRevenue({ table, u0: 1, arrival: 0, units: 1, revenueLastYear: 100, price: 10, onRentMean: () => 0.5 }, 1, settings);
    expect(cap[0]).toBeCloseTo(100 * 0.5 * 5, 9);
    // Arriving on day 8, the 6th unit is out on days 8 and 9 only; an average unit min(i, 5)/5 = 1 on both.
    const late = marginalUnitRevenue({ table, u0: 5, arrival: 8, units: 5, revenueLastYear: 5 * 700, price: 10, onRentMean: (i) => i }, 1, settings);
    expect(late[0]).toBeCloseTo((700 * 0.5 * 5 * 2) / 2, 9);
  });

  it('with no unit owned, prices its rented days at the daily rate over a year', () => {
    const table = certainTable();
    // The first unit is out on days 1…9: 9 of 10 days, so 0.9 × 365 days a year at $10.
    const out = marginalUnitRevenue({ table, u0: 0, arrival: 0, units: 0, revenueLastYear: 0, price: 10, onRentMean: (i) => i }, 1, settings);
    expect(out[0]).toBeCloseTo(0.9 * 365 * 10 * 0.5 * 5, 6);
  });
});
