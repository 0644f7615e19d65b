import type { DecisionSafeguard } from '@rfid3/core';

/**
 * A price change the model proposed goes to a person when the 80 % range of its expected gain (recorded in the
 * decision's action as `gainRange80`) includes zero: the change may as well lose money. Fails closed: a model
 * recommendation (scope unset) without a readable range needs a manual decision. A price test's conclusion
 * (scope `price-test`) is judged by its own stopping rule and is left to the other safeguards.
 */
export const pricingGainRangeSafeguard: DecisionSafeguard = {
  id: 'pricing-gain-range',
  appliesTo: ['price_change'],
  check(decision) {
    if (decision.scope) return null;
    const range = (decision.action as Record<string, unknown>).gainRange80;
    if (!Array.isArray(range) || range.length !== 2 || !range.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      return { verdict: 'manual', reason: 'no 80 % range of the expected gain recorded: needs a manual decision' };
    }
    const [lo, hi] = range as [number, number];
    if (lo <= 0 && hi >= 0) return { verdict: 'review', reason: `the expected gain's 80 % range (${lo} to ${hi}) includes zero: a person decides` };
    if (hi < 0) return { verdict: 'manual', reason: `the expected gain's 80 % range (${lo} to ${hi}) is below zero: needs a manual decision` };
    return { verdict: 'auto_approve', reason: `the expected gain's 80 % range (${lo} to ${hi}) is above zero` };
  },
};
