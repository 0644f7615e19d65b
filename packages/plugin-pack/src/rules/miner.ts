/**
 * Co-rental association rules with the textbook definitions (Agrawal et al. 1993, as R's arules computes
 * them): support(X ⇒ Y) = P(X ∪ Y), confidence = support(X ∪ Y) / support(X), lift = confidence / support(Y).
 *
 * Frequent itemsets are mined depth-first over vertical bit vectors (Eclat, Zaki 2000): it finds exactly the
 * itemsets apriori and FP-growth find, and intersecting 32-bit words is the fastest exact method in plain
 * JavaScript (the npm apriori/FP-growth packages build string-keyed trees and are orders of magnitude slower).
 * Rules have one item in the consequent, as arules' apriori generates them, so counts compare directly.
 */

export interface RuleMiningOptions {
  /** Minimum support, a fraction of baskets: an itemset is frequent when count / baskets ≥ minSupport. */
  minSupport: number;
  /** Minimum confidence of a rule. */
  minConfidence: number;
  /** Minimum items in a rule, antecedent plus consequent (default 2: no rules with an empty antecedent). */
  minLen?: number;
  /** Maximum items in a rule (default 10, arules' default). */
  maxLen?: number;
}

/** An association rule antecedent → consequent with its support, confidence and lift. */
export interface AssociationRule {
  antecedent: string[];
  consequent: string[];
  support: number;
  confidence: number;
  lift: number;
  /** Baskets containing every item of the rule. */
  count: number;
}

/** A set of items found together in at least the minimum share (support) of baskets. */
export interface FrequentItemset {
  items: string[];
  count: number;
  support: number;
}

/** What `mineRules` finds: the counts it worked on and the rules that pass the thresholds. */
export interface RuleMiningResult {
  baskets: number;
  items: number;
  frequentItemsets: number;
  /** Sorted by lift, highest first (ties: support, then the rule's text). */
  rules: AssociationRule[];
}

/** Reads baskets, one per line, items separated by commas and kept exactly as written (no trimming). */
export function parseBaskets(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.length > 0)
    .map((line) => line.split(','));
}

const popcount = (x: number) => {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
};

function count(bits: Uint32Array): number {
  let c = 0;
  for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) c += popcount(bits[i]!);
  return c;
}

/** All itemsets whose support is at least `minSupport`, up to `maxLen` items. */
export function frequentItemsets(
  baskets: readonly (readonly string[])[],
  minSupport: number,
  maxLen = 10,
): { itemsets: FrequentItemset[]; counts: Map<string, number>; names: string[]; n: number } {
  if (!(minSupport > 0 && minSupport <= 1)) throw new RangeError(`minSupport must be in (0, 1], got ${minSupport}`);
  const n = baskets.length;
  // Count threshold: support ≥ s ⇔ count ≥ s·n (a small tolerance keeps 0.006·9835 = 59.01 from rounding up wrongly).
  const minCount = Math.max(1, Math.ceil(minSupport * n - 1e-9));
  const words = Math.ceil(n / 32);
  const vectors = new Map<string, Uint32Array>();
  baskets.forEach((basket, t) => {
    for (const item of basket) {
      let v = vectors.get(item);
      if (!v) vectors.set(item, (v = new Uint32Array(words)));
      v[t >>> 5]! |= 1 << (t & 31);
    }
  });
  // Frequent single items, in ascending support (smaller tid-lists first keeps intersections small).
  const singles = [...vectors.entries()]
    .map(([name, bits]) => ({ name, bits, count: count(bits) }))
    .filter((s) => s.count >= minCount)
    .sort((a, b) => a.count - b.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names = singles.map((s) => s.name);
  const itemsets: FrequentItemset[] = [];
  const counts = new Map<string, number>();
  const record = (ids: number[], c: number) => {
    const sorted = [...ids].sort((a, b) => a - b);
    counts.set(sorted.join(','), c);
    itemsets.push({ items: sorted.map((i) => names[i]!), count: c, support: c / n });
  };
  const extend = (prefix: number[], prefixBits: Uint32Array, candidates: { id: number; bits: Uint32Array }[]) => {
    for (let a = 0; a < candidates.length; a++) {
      const ca = candidates[a]!;
      const ids = [...prefix, ca.id];
      const next: { id: number; bits: Uint32Array }[] = [];
      if (ids.length < maxLen) {
        for (let b = a + 1; b < candidates.length; b++) {
          const cb = candidates[b]!;
          const bits = new Uint32Array(words);
          let c = 0;
          for (let w = 0; w < words; w++) {
            const x = ca.bits[w]! & cb.bits[w]!;
            bits[w] = x;
            if (x !== 0) c += popcount(x);
          }
          if (c >= minCount) {
            next.push({ id: cb.id, bits });
            record([...ids, cb.id], c);
          }
        }
      }
      if (next.length > 0) extend(ids, ca.bits, next);
    }
    void prefixBits;
  };
  singles.forEach((s, i) => record([i], s.count));
  extend(
    [],
    new Uint32Array(words),
    singles.map((s, i) => ({ id: i, bits: s.bits })),
  );
  return { itemsets, counts, names, n };
}

/** Association rules X ⇒ {y} over the baskets, exact to the textbook definitions. */
export function mineRules(baskets: readonly (readonly string[])[], options: RuleMiningOptions): RuleMiningResult {
  const minLen = options.minLen ?? 2;
  const maxLen = options.maxLen ?? 10;
  if (!(options.minConfidence >= 0 && options.minConfidence <= 1)) throw new RangeError(`minConfidence must be in [0, 1], got ${options.minConfidence}`);
  // A basket lists an item once however often it is written.
  const sets = baskets.map((b) => [...new Set(b)]);
  const { itemsets, counts, names, n } = frequentItemsets(sets, options.minSupport, maxLen);
  const index = new Map(names.map((name, i) => [name, i]));
  const rules: AssociationRule[] = [];
  for (const set of itemsets) {
    const k = set.items.length;
    if (k < Math.max(2, minLen) || k > maxLen) continue;
    const ids = set.items.map((x) => index.get(x)!).sort((a, b) => a - b);
    for (let j = 0; j < k; j++) {
      const ante = ids.filter((_, i) => i !== j);
      const anteCount = counts.get(ante.join(','))!;
      const confidence = set.count / anteCount;
      if (confidence < options.minConfidence) continue;
      const consCount = counts.get(String(ids[j]))!;
      rules.push({
        antecedent: ante.map((i) => names[i]!).sort(),
        consequent: [names[ids[j]!]!],
        support: set.count / n,
        confidence,
        lift: confidence / (consCount / n),
        count: set.count,
      });
    }
  }
  // arules' minlen counts lhs + rhs; rules with an empty antecedent (minLen 1) are the frequent single items.
  if (minLen <= 1) {
    for (const set of itemsets) {
      if (set.items.length !== 1 || set.support < options.minConfidence) continue;
      rules.push({ antecedent: [], consequent: set.items, support: set.support, confidence: set.support, lift: 1, count: set.count });
    }
  }
  const text = (r: AssociationRule) => `${r.antecedent.join(',')}=>${r.consequent.join(',')}`;
  rules.sort((a, b) => b.lift - a.lift || b.support - a.support || (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0));
  return { baskets: n, items: new Set(sets.flat()).size, frequentItemsets: itemsets.length, rules };
}
