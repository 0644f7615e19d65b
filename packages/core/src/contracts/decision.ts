import type { JsonObject } from './json.js';

/** The kind of a decision; the design's five, or a plugin's own. */
export type DecisionType = 'restock' | 'price_change' | 'pack_create' | 'pack_dissolve' | 'maintenance' | (string & {});

/** A change a model wants to make (an order, a price, a pack); it becomes real only through the ledger. */
export interface ProposedDecision {
  type: DecisionType;
  target: { type: string; id: string };
  /** The model's confidence in the decision, in [0, 1]. */
  confidence: number;
  /** Money the decision commits (e.g. order value), in dollars. */
  amountUsd?: number;
  quantity?: number;
  unitCostUsd?: number;
  /** Price changes: the price today and the one proposed. */
  baselinePrice?: number;
  proposedPrice?: number;
  /** Expected effect (e.g. added profit in dollars), recorded to compare with the actual impact later. */
  predictedImpact?: number;
  /**
   * What executing the decision does, as data. By convention its `quantity` and `price` fields are the
   * decision's `quantity` and `proposedPrice`: a cap or a human override changes both together.
   */
  action: JsonObject;
  /**
   * A second stream of decisions on the same target that must not replace the first (a price test's
   * conclusion beside the model's price recommendation). One decision per type, target and scope is open.
   */
  scope?: string;
  modelVersion?: string;
  rationale?: string;
}

/** Ordered from least to most restrictive; the combined verdict is the most restrictive one. */
export const VERDICTS = ['auto_approve', 'review', 'manual', 'reject'] as const;
/** A safeguard's verdict on a decision (one of `VERDICTS`). */
export type Verdict = (typeof VERDICTS)[number];

/** One safeguard's verdict on a decision, and why. */
export interface SafeguardOutcome {
  safeguard: string;
  verdict: Verdict;
  reason: string;
}

/** Every safeguard's verdict on a decision, the combined (most restrictive) one, and the decision after caps. */
export interface SafeguardResult {
  verdict: Verdict;
  /** The decision after any caps were applied. */
  decision: ProposedDecision;
  outcomes: SafeguardOutcome[];
}

/** A rule a proposed decision must pass. It may cap the decision (returning the capped copy) and give a verdict. */
export interface DecisionSafeguard {
  id: string;
  appliesTo?: DecisionType[];
  /** Checks a decision: a verdict with its reason (and a capped copy, if it caps it), or null when the rule has nothing to say. */
  check(decision: ProposedDecision): { verdict: Verdict; reason: string; decision?: ProposedDecision } | null;
}

/** Thresholds of the design's default safeguards. */
export interface SafeguardSettings {
  /** A restock decision is capped at this many dollars. */
  restockCapUsd: number;
  /** Above this many dollars a restock needs human approval. */
  restockApprovalAboveUsd: number;
  /** A price change may move at most this fraction from the baseline price. */
  maxPriceChange: number;
  /** Confidence strictly above this may auto-approve. */
  autoApproveAbove: number;
  /** Confidence at or above this (and not above `autoApproveAbove`) is flagged for review; below it needs a manual decision. */
  reviewAtOrAbove: number;
  /** From this amount up, a decision must be approved by a key other than the one that proposed or overrode it (four eyes). */
  secondApproverAtOrAboveUsd: number;
}

/** The design's default safeguard thresholds ($5,000 restock cap, approval above $1,000, ±20 % price moves, auto-approval above 0.8 confidence). */
export const DEFAULT_SAFEGUARD_SETTINGS: SafeguardSettings = Object.freeze({
  restockCapUsd: 5000,
  restockApprovalAboveUsd: 1000,
  maxPriceChange: 0.2,
  autoApproveAbove: 0.8,
  reviewAtOrAbove: 0.6,
  secondApproverAtOrAboveUsd: 1000,
});

/** An amount as the ledger's messages give it: "$512.82", "$5,000". */
export const usd = (n: number) => `$${n.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;

/** What the decision ledger is built from besides its database and clock: the safeguards and their settings. */
export interface DecisionLedgerOptions {
  /** The safeguards every transition runs (plugins add their own with `addSafeguards`). */
  safeguards: DecisionSafeguard[];
  /** The limits the ledger applies itself (approval amounts, ceilings); the design's defaults fill in the rest. */
  settings?: Partial<SafeguardSettings>;
}

/** The safeguards of the design (BRIEF §5), parameterised so a deployment can change the numbers. */
export function defaultSafeguards(settings: Partial<SafeguardSettings> = {}): DecisionSafeguard[] {
  const s = { ...DEFAULT_SAFEGUARD_SETTINGS, ...settings };
  return [
    {
      id: 'restock-cap',
      appliesTo: ['restock'],
      check(d) {
        if (d.amountUsd === undefined) return { verdict: 'manual', reason: 'restock decision states no amount' };
        if (d.amountUsd <= s.restockCapUsd) return null;
        // Capping the money must cap what is ordered: the unit cost is given, or implied by amount ÷ quantity.
        const unitCost = d.unitCostUsd && d.unitCostUsd > 0 ? d.unitCostUsd : d.quantity && d.quantity > 0 ? d.amountUsd / d.quantity : undefined;
        if (unitCost === undefined) {
          return { verdict: 'manual', reason: `order of ${usd(d.amountUsd)} is above the ${usd(s.restockCapUsd)} cap and states no quantity to cap` };
        }
        const quantity = Math.floor((s.restockCapUsd + 1e-9) / unitCost);
        const capped: ProposedDecision = {
          ...d,
          quantity,
          unitCostUsd: unitCost,
          amountUsd: Math.round(quantity * unitCost * 100) / 100,
          action: { ...d.action, quantity },
        };
        return {
          verdict: 'review',
          reason: `order of ${usd(d.amountUsd)} capped at ${usd(s.restockCapUsd)}`,
          decision: capped,
        };
      },
    },
    {
      id: 'restock-approval',
      appliesTo: ['restock'],
      check(d) {
        if (d.amountUsd !== undefined && d.amountUsd > s.restockApprovalAboveUsd) {
          return { verdict: 'review', reason: `order of ${usd(d.amountUsd)} is above ${usd(s.restockApprovalAboveUsd)}: needs human approval` };
        }
        return null;
      },
    },
    {
      id: 'second-approver',
      check(d) {
        if (d.amountUsd !== undefined && d.amountUsd >= s.secondApproverAtOrAboveUsd) {
          return {
            verdict: 'review',
            reason: `commits ${usd(d.amountUsd)}, at or above ${usd(s.secondApproverAtOrAboveUsd)}: needs approval by a key other than the one that proposed or changed it`,
          };
        }
        return null;
      },
    },
    {
      id: 'price-change-cap',
      appliesTo: ['price_change'],
      check(d) {
        if (d.baselinePrice === undefined || d.proposedPrice === undefined || !(d.baselinePrice > 0)) {
          return { verdict: 'manual', reason: 'price change states no positive baseline and proposed price' };
        }
        const lo = d.baselinePrice * (1 - s.maxPriceChange);
        const hi = d.baselinePrice * (1 + s.maxPriceChange);
        // A change of exactly the cap is allowed: compare with a tolerance, since 3 × 1.2 is 3.5999… in floating point.
        const eps = 1e-9 * Math.max(1, d.baselinePrice);
        if (d.proposedPrice >= lo - eps && d.proposedPrice <= hi + eps) return null;
        // Round to the cent towards the baseline, so that rounding never takes the price past the cap.
        const rounded = d.proposedPrice > hi ? Math.floor(hi * 100 + 1e-6) / 100 : Math.ceil(lo * 100 - 1e-6) / 100;
        return {
          verdict: 'review',
          reason: `price ${usd(d.proposedPrice)} is more than ${Math.round(s.maxPriceChange * 100)} % from ${usd(d.baselinePrice)}; capped at ${usd(rounded)}`,
          decision: { ...d, proposedPrice: rounded, action: { ...d.action, price: rounded } },
        };
      },
    },
    {
      id: 'confidence-gate',
      check(d) {
        if (!(d.confidence >= 0 && d.confidence <= 1)) return { verdict: 'manual', reason: `confidence ${d.confidence} is not in [0, 1]` };
        if (d.confidence > s.autoApproveAbove) return { verdict: 'auto_approve', reason: `confidence ${d.confidence.toFixed(2)} > ${s.autoApproveAbove}` };
        if (d.confidence >= s.reviewAtOrAbove) {
          return { verdict: 'review', reason: `confidence ${d.confidence.toFixed(2)} in [${s.reviewAtOrAbove}, ${s.autoApproveAbove}]: flagged for review` };
        }
        return { verdict: 'manual', reason: `confidence ${d.confidence.toFixed(2)} < ${s.reviewAtOrAbove}: needs a manual decision` };
      },
    },
  ];
}

/**
 * Runs every applicable safeguard in order, feeding each the decision as capped so far. Fails closed: a
 * safeguard that throws (cannot evaluate) sends the decision to a manual decision; it never approves.
 */
export function applySafeguards(decision: ProposedDecision, safeguards: DecisionSafeguard[]): SafeguardResult {
  let current = decision;
  let verdict: Verdict = 'auto_approve';
  const outcomes: SafeguardOutcome[] = [];
  for (const guard of safeguards) {
    if (guard.appliesTo && !guard.appliesTo.includes(current.type)) continue;
    let out: ReturnType<DecisionSafeguard['check']>;
    try {
      out = guard.check(current);
    } catch (err) {
      out = { verdict: 'manual', reason: `safeguard could not evaluate (${err instanceof Error ? err.message : String(err)}): needs a manual decision` };
    }
    if (!out) continue;
    const given = VERDICTS.includes(out.verdict) ? out.verdict : 'manual';
    if (out.decision) current = out.decision;
    outcomes.push({ safeguard: guard.id, verdict: given, reason: out.reason });
    if (VERDICTS.indexOf(given) > VERDICTS.indexOf(verdict)) verdict = given;
  }
  // No safeguard had a say (none applies to this type): nobody judged it, so a person must.
  if (outcomes.length === 0)
    return {
      verdict: 'manual',
      decision: current,
      outcomes: [{ safeguard: 'none', verdict: 'manual', reason: `no safeguard applies to '${decision.type}' decisions: needs a manual decision` }],
    };
  return { verdict, decision: current, outcomes };
}

const cents = (x: number) => Math.round(x * 100) / 100;

/**
 * The decision with its amount worked out from what it does: `quantity × unitCostUsd` when both are known
 * (so the amount recorded is what executing it spends), and `action.quantity` / `action.price` kept equal to
 * `quantity` / `proposedPrice`.
 */
export function priceDecision(d: ProposedDecision): ProposedDecision {
  const out: ProposedDecision = { ...d, action: { ...d.action } };
  if (out.quantity !== undefined && out.unitCostUsd !== undefined && Number.isFinite(out.quantity) && Number.isFinite(out.unitCostUsd)) {
    out.amountUsd = cents(out.quantity * out.unitCostUsd);
  }
  if (out.quantity !== undefined && 'quantity' in out.action) out.action.quantity = out.quantity;
  if (out.proposedPrice !== undefined && 'price' in out.action) out.action.price = out.proposedPrice;
  return out;
}
