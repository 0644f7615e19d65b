// Association rules on the Groceries baskets beside arules' published counts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mineRules, parseBaskets } from '@rfid3/plugin-pack';

export const suite = {
  name: 'packs',
  async run({ dataDir, progress }) {
    const file = join(dataDir, 'groceries.csv');
    if (!existsSync(file)) throw new Error(`missing data file ${file}`);
    const baskets = parseBaskets(readFileSync(file, 'utf8'));
    const run = (minSupport, minConfidence) => {
      progress(`packs: groceries at support ${minSupport}, confidence ${minConfidence}`);
      const t = performance.now();
      const r = mineRules(baskets, { minSupport, minConfidence, minLen: 2 });
      const top = r.rules[0];
      return {
        count: r.rules.length,
        ms: performance.now() - t,
        top: `{${top.antecedent.join(', ')}} ⇒ {${top.consequent.join(', ')}}`,
        topLift: top.lift,
        topSupport: top.support,
        topConfidence: top.confidence,
      };
    };
    const wholeMilk = baskets.filter((b) => b.includes('whole milk')).length / baskets.length;
    return { baskets: baskets.length, wholeMilkSupport: wholeMilk, s006c25: run(0.006, 0.25), s001c50: run(0.001, 0.5) };
  },
  references: [
    ['baskets', 'Groceries baskets', '9,835'],
    ['wholeMilkSupport', 'support of whole milk', '0.2555'],
    ['s006c25.count', 'rules at support 0.006, confidence 0.25, minlen 2', 'arules 463'],
    ['s006c25.top', 'top rule by lift', '{herbs} ⇒ {root vegetables}'],
    ['s006c25.topLift', 'its lift', '3.956'],
    ['s001c50.count', 'rules at support 0.001, confidence 0.5', 'arules 5,668'],
    ['s001c50.topLift', 'top lift', '18.996 ({Instant food products, soda} ⇒ {hamburger meat})'],
  ],
  notes: ['Mining time is measured by `pnpm bench packs` (bench/suites/packs.mjs), not here.'],
};
