import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Rng } from '@rfid3/core/simulator';
import { hasSharedData } from '@rfid3/core/testing';
import { describe, expect, it } from 'vitest';
import { estimateElasticity } from '../src/index.js';
import type { PriceObservation } from '../src/index.js';

const DATA = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
const hasData = hasSharedData([`${DATA}cafe_transaction_store.csv`, `${DATA}avocado.csv`]);

/** The reference files have no quoted fields, so a split on commas reads them exactly. */
function readCsv(file: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  const cols = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

const relClose = (actual: number, expected: number, rel = 1e-6) => expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(rel);

describe('log-log elasticity by ordinary least squares', () => {
  it('recovers an exact constant elasticity and controls with zero residual', () => {
    const obs: PriceObservation[] = [];
    for (const store of ['a', 'b', 'c'])
      for (const price of [8, 9, 10, 11, 12.5]) obs.push({ price, quantity: Math.exp(3 + (store === 'b' ? 0.4 : store === 'c' ? -0.2 : 0)) * price ** -1.7, controls: { store } });
    const [e] = estimateElasticity(obs, { controls: ['store'] });
    expect(e!.elasticity).toBeCloseTo(-1.7, 10);
    expect(e!.r2).toBeCloseTo(1, 10);
    expect(e!.n).toBe(15);
    expect(e!.warnings).toEqual([]);
  });

  it('skips and counts non-positive prices and quantities; warns on a constant price and a positive slope', () => {
    const rng = new Rng(3);
    const obs: PriceObservation[] = [
      { price: 0, quantity: 3, group: 'x' },
      { price: 5, quantity: 0, group: 'x' },
    ];
    for (let i = 0; i < 60; i++) {
      const price = 5 * rng.uniform(0.8, 1.2);
      obs.push({ price, quantity: 20 * price ** 0.8 * Math.exp(rng.normal(0, 0.05)), group: 'x' });
      obs.push({ price: 5, quantity: 10 + i, group: 'flat' });
    }
    const [flat, x] = estimateElasticity(obs);
    expect(x!.skipped).toBe(2);
    expect(x!.n).toBe(60);
    expect(x!.warnings.join(' ')).toMatch(/positive elasticity/);
    expect(Number.isNaN(flat!.elasticity)).toBe(true);
    expect(flat!.warnings.join(' ')).toMatch(/price never changes/);
  });

  it('gives a 95 % interval that covers the true elasticity in about 95 % of simulated samples', () => {
    const rng = new Rng(11);
    let covered = 0;
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      const obs: PriceObservation[] = [];
      for (let i = 0; i < 40; i++) {
        const price = rng.uniform(5, 10);
        obs.push({ price, quantity: Math.exp(4 - 1.3 * Math.log(price) + rng.normal(0, 0.3)) });
      }
      const [e] = estimateElasticity(obs);
      if (e!.ci95[0] <= -1.3 && -1.3 <= e!.ci95[1]) covered++;
    }
    // Binomial(400, 0.95): sd 1.1 %; 91–99 % is more than 3.5 sd either side.
    expect(covered / trials).toBeGreaterThan(0.91);
    expect(covered / trials).toBeLessThan(0.99);
  });
});

describe.skipIf(!hasData)('reference elasticities (../shared/data; skipped when absent, fails when RFID3_REQUIRE_SERVICES=1)', () => {
  it('cafe, no controls: equals OLS (numpy.linalg.lstsq) to 1e-6 relative per SELL_ID', () => {
    const rows = readCsv(`${DATA}cafe_transaction_store.csv`);
    const est = estimateElasticity(rows.map((r) => ({ price: Number(r.PRICE), quantity: Number(r.QUANTITY), group: r.SELL_ID })));
    const byGroup = Object.fromEntries(est.map((e) => [e.group, e]));
    // numpy.linalg.lstsq on [1, log PRICE] → log QUANTITY, per SELL_ID (README: −1.22, −0.93, −1.25, −1.32).
    relClose(byGroup['1070']!.elasticity, -1.21915596);
    relClose(byGroup['2051']!.elasticity, -0.92917223);
    relClose(byGroup['2052']!.elasticity, -1.24707445);
    relClose(byGroup['2053']!.elasticity, -1.31906025);
    expect(byGroup['1070']!.n).toBe(1351);
  });

  it('avocado by type with region and year fixed effects: equals OLS to 1e-6 relative', () => {
    const rows = readCsv(`${DATA}avocado.csv`);
    const est = estimateElasticity(
      rows.map((r) => ({ price: Number(r.AveragePrice), quantity: Number(r.TotalVolume), group: r.type, controls: { region: r.region!, year: r.year! } })),
      { controls: ['region', 'year'] },
    );
    const byGroup = Object.fromEntries(est.map((e) => [e.group, e]));
    relClose(byGroup.conventional!.elasticity, -0.9443379304);
    relClose(byGroup.organic!.elasticity, -1.16411763856);
    expect(byGroup.conventional!.n).toBe(9126);
    expect(byGroup.organic!.ci95[0]).toBeLessThan(-1.16411763856);
    expect(byGroup.organic!.ci95[1]).toBeGreaterThan(-1.16411763856);
  });
});
