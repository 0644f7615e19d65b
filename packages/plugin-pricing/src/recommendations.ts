import { erfc } from '@rfid3/core';

/** Price multipliers by grade: a worn item rents for less. A default a deployment can replace in config. */
export const DEFAULT_GRADE_FACTORS: Record<string, number> = {
  'A+': 1.06,
  A: 1.04,
  'A-': 1.02,
  'B+': 1,
  B: 0.98,
  'B-': 0.96,
  'C+': 0.94,
  C: 0.92,
  'C-': 0.9,
};

/** Input of `recommendPrice`: today's price, the elasticity with its error, the objective and the limits on a move. */
export interface PriceRecommendationInput {
  price: number;
  elasticity: number;
  elasticitySe: number;
  /** Units rented per period at today's price (for the expected change). */
  quantity: number;
  objective: 'revenue' | 'margin';
  /** Variable cost of one rental (cleaning, handling); needed for the margin objective. */
  unitCost?: number;
  /** Largest move from today's price (0.2 = 20 %). */
  maxChange: number;
  /** Multipliers applied to the optimum (grade, season), each with the reason shown as a driver. */
  adjustments?: { name: string; factor: number; note?: string }[];
  /** Median competitor price; the recommendation stays within `competitorCeiling` of it. */
  competitorPrice?: number;
  competitorCeiling?: number;
}

/** A price recommendation from an elasticity: the recommended price, the optimum behind it and the expected change. */
export interface PriceRecommendation {
  currentPrice: number;
  recommendedPrice: number;
  /** The unconstrained optimum before adjustments and caps (Infinity/0 when the objective is monotone). */
  optimum: number;
  expectedQuantity: number;
  /** Revenue (or margin) change per period at the recommended price. */
  expectedChange: number;
  /** Probability the move is in the right direction, from the elasticity's standard error. */
  confidence: number;
  drivers: { name: string; value: number; note: string }[];
}

const phi = (x: number) => 0.5 * erfc(-x / Math.SQRT2);

/**
 * The revenue- or margin-optimal price under a constant elasticity ε, within ±maxChange of today's price.
 * Revenue p·q(p) rises with price when ε > −1 and falls when ε < −1, so the optimum is at a bound; margin
 * (p − c)·q(p) peaks at p* = c·ε/(1 + ε) when ε < −1. Confidence is P(the sign of 1 + ε is right) under the
 * estimate's normal sampling distribution.
 */
export function recommendPrice(input: PriceRecommendationInput): PriceRecommendation {
  const { price: p0, elasticity: e, elasticitySe: se, maxChange } = input;
  const lo = p0 * (1 - maxChange);
  const hi = p0 * (1 + maxChange);
  const cost = input.unitCost ?? 0;
  let optimum: number;
  if (input.objective === 'margin' && e < -1) optimum = (cost * e) / (1 + e);
  else if (e > -1) optimum = Number.POSITIVE_INFINITY;
  else optimum = input.objective === 'margin' ? (cost * e) / (1 + e) : 0;
  if (e === -1 && input.objective === 'revenue') optimum = p0;
  const drivers: PriceRecommendation['drivers'] = [{ name: 'elasticity', value: e, note: `±${(1.96 * se).toFixed(2)} (95 %)` }];
  let target = Math.min(hi, Math.max(lo, optimum));
  for (const a of input.adjustments ?? []) {
    target *= a.factor;
    drivers.push({ name: a.name, value: a.factor, note: a.note ?? 'multiplier' });
  }
  if (input.competitorPrice && input.competitorPrice > 0) {
    const ceiling = input.competitorPrice * (1 + (input.competitorCeiling ?? 0.1));
    drivers.push({ name: 'competitor_median', value: input.competitorPrice, note: `ceiling ${ceiling.toFixed(2)}` });
    target = Math.min(target, Math.max(lo, ceiling));
  }
  // Round to the quarter dollar towards today's price, so that rounding never crosses the cap.
  const rounded = target >= p0 ? Math.floor(Math.min(hi, target) * 4 + 1e-9) / 4 : Math.ceil(Math.max(lo, target) * 4 - 1e-9) / 4;
  const q1 = input.quantity * (rounded / p0) ** e;
  const value = (p: number, q: number) => (input.objective === 'margin' ? (p - cost) * q : p * q);
  const z = Number.isFinite(se) && se > 0 ? Math.abs(1 + e) / se : 0;
  return {
    currentPrice: p0,
    recommendedPrice: rounded,
    optimum,
    expectedQuantity: q1,
    expectedChange: value(rounded, q1) - value(p0, input.quantity),
    confidence: Number.isFinite(e) ? phi(z) : 0,
    drivers,
  };
}
