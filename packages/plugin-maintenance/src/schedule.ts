import type { FailureRisk } from './failure-model.js';
import { failureWithinDays } from './failure-model.js';

/** Costs the plan weighs, as multiples of a class's mean repair cost. */
export interface ScheduleCosts {
  /** Cost of a planned service, as a multiple of the class's mean repair cost. */
  preventiveFactor: number;
  /** Cost of a failure in the field (repair, rush, lost rental), as a multiple of the mean repair cost. */
  emergencyFactor: number;
}

export interface ScheduleCandidate {
  risk: FailureRisk;
  repairCost: number;
}

/** A planned service of one item, with the failure probability it removes and the expected saving. */
export interface WorkOrder {
  day: string;
  tagId: string;
  /** P(failure within the horizon) if nothing is done. */
  probability: number;
  /** P(failure within the horizon) after the service (baseline hazard from zero rentals). */
  probabilityAfterService: number;
  preventiveCost: number;
  expectedEmergencyCost: number;
  expectedSaving: number;
  /** P(failure within 7 days): orders are dated by this urgency. */
  urgency: number;
}

/** A workshop plan: the work orders and the expected costs with and without it. */
export interface Schedule {
  orders: WorkOrder[];
  expectedSaving: number;
  expectedCostWithoutPlan: number;
  expectedCostWithPlan: number;
  /** Items where service would pay but no slot was left. */
  unscheduledPositive: number;
  slots: number;
}

/**
 * Chooses the services that minimise expected cost within the workshop's slots. Servicing item i costs
 * C_i and replaces its failure risk p_i by the fresh-item risk p0_i, so it saves s_i = (p_i − p0_i)·E_i − C_i.
 * Every order takes one slot, so the cost-minimising set is the (capacity × days) largest positive s_i: a
 * sort is exact here (an LP/MIP solver is only needed once jobs take different workshop time).
 */
export function planMaintenance(candidates: ScheduleCandidate[], options: { days: number; capacityPerDay: number; startDay: string; costs: ScheduleCosts }): Schedule {
  const { days, capacityPerDay, startDay, costs } = options;
  const scored = candidates.map((c) => {
    const p = failureWithinDays(c.risk, days).probability;
    const fresh = failureWithinDays({ ...c.risk, since: 0, relativeRisk: 1 }, days).probability;
    const E = costs.emergencyFactor * c.repairCost;
    const C = costs.preventiveFactor * c.repairCost;
    return {
      c,
      p,
      fresh,
      E,
      C,
      saving: (p - fresh) * E - C,
      urgency: failureWithinDays(c.risk, 7).probability,
    };
  });
  const expectedCostWithoutPlan = scored.reduce((a, s) => a + s.p * s.E, 0);
  const positive = scored.filter((s) => s.saving > 0).sort((a, b) => b.saving - a.saving);
  const slots = days * capacityPerDay;
  const chosen = positive.slice(0, slots).sort((a, b) => b.urgency - a.urgency);
  const orders: WorkOrder[] = chosen.map((s, k) => ({
    day: new Date(Date.parse(`${startDay}T00:00:00Z`) + Math.floor(k / capacityPerDay) * 86_400_000).toISOString().slice(0, 10),
    tagId: s.c.risk.tagId,
    probability: s.p,
    probabilityAfterService: s.fresh,
    preventiveCost: s.C,
    expectedEmergencyCost: s.p * s.E,
    expectedSaving: s.saving,
    urgency: s.urgency,
  }));
  const expectedSaving = orders.reduce((a, o) => a + o.expectedSaving, 0);
  return {
    orders,
    expectedSaving,
    expectedCostWithoutPlan,
    expectedCostWithPlan: expectedCostWithoutPlan - expectedSaving,
    unscheduledPositive: Math.max(0, positive.length - slots),
    slots,
  };
}
