import { coreMigrations, createDatabase, InventoryData, migrate } from '@rfid3/core';
import type { DatabaseHandle } from '@rfid3/core';
import { simulate } from '@rfid3/core/simulator';
import type { SimulationResult } from '@rfid3/core/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { categoryElasticities, loadPriceHistory, pooledElasticity } from '../src/index.js';
import type { PricePeriod } from '../src/index.js';

describe('elasticity recovered from a simulated business whose truth is known', () => {
  let database: DatabaseHandle;
  let sim: SimulationResult;
  let history: PricePeriod[];
  beforeAll(async () => {
    database = createDatabase('sqlite::memory:');
    await migrate(database, 'core', coreMigrations);
    sim = await simulate(database, { seed: 7, items: 1500, days: 730, end: '2026-05-31' });
    const classes = await new InventoryData(database).rentalClasses();
    history = await loadPriceHistory(database, new Map(classes.map((c) => [c.rentalClass, c.category])));
  });
  afterAll(() => database.close());

  // The truth of a category: the mean elasticity of its classes whose price changed (only they identify it).
  const truthOf = (category: string) => {
    const cs = sim.truth.classes.filter((c) => c.category === category && c.prices.length > 1);
    return cs.reduce((s, c) => s + c.elasticity, 0) / cs.length;
  };

  it('the pooled estimate (inverse-variance mean of the category fixed-effect estimates) covers the true mean elasticity in its 95 % interval', () => {
    const e = pooledElasticity(categoryElasticities(history));
    // The pooled truth is the category truths averaged with the same weights.
    const truth = Object.entries(e.weights).reduce((s, [category, w]) => s + w * truthOf(category), 0);
    expect(e.ci95[0]).toBeLessThanOrEqual(truth);
    expect(e.ci95[1]).toBeGreaterThanOrEqual(truth);
    // And the interval is informative: it excludes zero and is narrower than ±0.4.
    expect(e.ci95[1]).toBeLessThan(0);
    expect(e.ci95[1] - e.ci95[0]).toBeLessThan(0.8);
  });

  it('per category, the 95 % interval covers the truth in at least 11 of 13 categories (expected 12.35)', () => {
    const est = categoryElasticities(history).filter((e) => Number.isFinite(e.elasticity));
    expect(est.length).toBeGreaterThanOrEqual(12);
    const covered = est.filter((e) => e.ci95[0] <= truthOf(e.group) && truthOf(e.group) <= e.ci95[1]);
    expect(covered.length).toBeGreaterThanOrEqual(est.length - 2);
  });
});
