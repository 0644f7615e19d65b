import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hasSharedData } from '@rfid3/core/testing';
import { describe, expect, it } from 'vitest';
import { mineRules, parseBaskets } from '../src/index.js';

const GROCERIES = fileURLToPath(new URL('../../../../shared/data/groceries.csv', import.meta.url));

describe('association rules', () => {
  // A basket set small enough to check every figure by hand.
  const baskets = [
    ['chair', 'table', 'linen'],
    ['chair', 'table'],
    ['chair', 'linen'],
    ['tent', 'heater'],
    ['chair', 'table', 'linen', 'tent'],
  ];

  it('computes support, confidence and lift by their textbook definitions', () => {
    const { rules } = mineRules(baskets, { minSupport: 0.4, minConfidence: 0.5 });
    const find = (a: string[], c: string) => rules.find((r) => r.antecedent.join() === a.join() && r.consequent[0] === c);
    // {table} ⇒ {chair}: both in 3 of 5; table in 3; chair in 4 → confidence 1, lift 1 / 0.8.
    expect(find(['table'], 'chair')).toMatchObject({ support: 0.6, confidence: 1, lift: 1.25, count: 3 });
    // {chair} ⇒ {table}: 3/4, lift 0.75 / 0.6.
    const r = find(['chair'], 'table')!;
    expect(r.confidence).toBeCloseTo(0.75, 12);
    expect(r.lift).toBeCloseTo(1.25, 12);
    // {chair, linen} ⇒ {table}: 2 of 5 baskets; {chair, linen} in 3.
    expect(find(['chair', 'linen'], 'table')!.confidence).toBeCloseTo(2 / 3, 12);
    // Nothing under the support threshold ({tent, heater} is in 1 of 5).
    expect(rules.some((x) => [...x.antecedent, ...x.consequent].includes('heater'))).toBe(false);
    // Sorted by lift, highest first.
    for (let i = 1; i < rules.length; i++) expect(rules[i - 1]!.lift).toBeGreaterThanOrEqual(rules[i]!.lift);
  });

  it('keeps whitespace in item names and counts an item once per basket', () => {
    const parsed = parseBaskets('a ,b\na,b\na ,b,b\n');
    expect(parsed[0]).toEqual(['a ', 'b']);
    const { rules } = mineRules(parsed, { minSupport: 0.5, minConfidence: 0.5 });
    const aSpace = rules.find((r) => r.antecedent[0] === 'a ' && r.consequent[0] === 'b')!;
    expect(aSpace.support).toBeCloseTo(2 / 3, 12);
    expect(aSpace.confidence).toBe(1);
  });

  it('minLen 3 drops rules with a single-item antecedent', () => {
    const { rules } = mineRules(baskets, { minSupport: 0.4, minConfidence: 0.5, minLen: 3 });
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) expect(r.antecedent.length + r.consequent.length).toBeGreaterThanOrEqual(3);
  });
});

const hasGroceries = hasSharedData(GROCERIES);

describe.skipIf(!hasGroceries)('Groceries against arules (../shared/data; skipped when absent, fails when RFID3_REQUIRE_SERVICES=1)', () => {
  const baskets = hasGroceries ? parseBaskets(readFileSync(GROCERIES, 'utf8')) : [];

  it('support 0.006, confidence 0.25: exactly 463 rules, the top {herbs} ⇒ {root vegetables} at lift 3.956', () => {
    expect(baskets).toHaveLength(9835);
    const { rules, items } = mineRules(baskets, { minSupport: 0.006, minConfidence: 0.25 });
    expect(items).toBe(169);
    expect(rules).toHaveLength(463);
    expect(rules[0]).toMatchObject({ antecedent: ['herbs'], consequent: ['root vegetables'] });
    expect(rules[0]!.lift).toBeCloseTo(3.956, 3);
    expect(rules[0]!.support).toBeCloseTo(0.00702, 5);
    expect(rules[0]!.confidence).toBeCloseTo(0.431, 3);
  });

  it('support 0.001, confidence 0.5: exactly 5,668 rules, top lift 18.996', () => {
    const { rules } = mineRules(baskets, { minSupport: 0.001, minConfidence: 0.5 });
    expect(rules).toHaveLength(5668);
    expect(rules[0]).toMatchObject({ antecedent: ['Instant food products', 'soda'], consequent: ['hamburger meat'] });
    expect(rules[0]!.lift).toBeCloseTo(18.996, 3);
  });
});
