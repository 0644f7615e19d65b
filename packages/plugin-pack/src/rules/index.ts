export { frequentItemsets, mineRules, parseBaskets } from './miner.js';
export type { AssociationRule, FrequentItemset, RuleMiningOptions, RuleMiningResult } from './miner.js';
