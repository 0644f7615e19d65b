// Association-rule mining speed on Groceries: the 5,668 rules at support 0.001 / confidence 0.5 (target < 2 s).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mineRules, parseBaskets } from '@rfid3/plugin-pack';
import { quantile } from './util.mjs';

export const bench = {
  name: 'packs',
  async run({ dataDir, log }) {
    const file = join(dataDir, 'groceries.csv');
    if (!existsSync(file)) return { results: { skipped: `missing ${file}` }, rows: [['groceries rules', 'skipped: no data']] };
    const baskets = parseBaskets(readFileSync(file, 'utf8'));
    const results = {};
    const rows = [];
    for (const [s, c] of [
      [0.006, 0.25],
      [0.001, 0.5],
    ]) {
      log(`groceries: support ${s}, confidence ${c}, 5 runs`);
      const times = [];
      let count = 0;
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        count = mineRules(baskets, { minSupport: s, minConfidence: c }).rules.length;
        times.push(performance.now() - t);
      }
      const key = `s${s}c${c}`;
      results[key] = { rules: count, msMedian: quantile(times, 0.5), msMax: Math.max(...times) };
      rows.push([`groceries rules at support ${s} / confidence ${c} (${count} rules), median of 5`, `${results[key].msMedian.toFixed(0)} ms`]);
    }
    return { results, rows };
  },
};
