import type { DecisionRecord } from './decision-ledger.js';

/**
 * How the actual impact of one decision type is measured, in the unit of its predicted impact, once its horizon
 * has passed. A plugin that proposes decisions registers one with `DecisionLedger.addImpactMeasure`; the job
 * `kpis.match-impact` fills `actual_impact` of each executed decision whose horizon the data has reached.
 */
export interface ImpactMeasure {
  decisionType: string;
  /** Last day (YYYY-MM-DD) the effect is measured over; null when this decision cannot be measured. */
  horizonEnd(decision: DecisionRecord): string | null;
  /** The effect that happened (null: the data cannot tell). Called only once the data covers `horizonEnd`. */
  measure(decision: DecisionRecord): Promise<number | null>;
}
