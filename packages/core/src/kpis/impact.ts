import type { DecisionLedger } from '../decisions/decision-ledger.js';
import { systemActor } from '../decisions/decision-ledger.js';
import type { Logger } from '../observability/logger.js';

/** The job that fills the actual impact of executed decisions once their horizon has passed. */
export const MATCH_IMPACT_JOB = 'kpis.match-impact';

/** What one round of impact matching did. */
export interface ImpactMatchResult {
  /** Executed decisions whose actual impact was recorded now. */
  matched: number;
  /** Executed decisions whose horizon the data has not reached yet. */
  waiting: number;
  /** Executed decisions no registered measure can measure (no measure for the type, or it could not tell). */
  unmeasured: number;
  dataThrough: string | null;
}

/**
 * Measures every executed decision that has no actual impact yet and whose horizon ends on or before
 * `dataThrough` (the last day the data covers), with its type's `ImpactMeasure`, and records the result in the
 * ledger (`recordActualImpact`, one logged transition each).
 */
export async function matchDecisionImpacts(ledger: DecisionLedger, dataThrough: string | null, logger?: Logger): Promise<ImpactMatchResult> {
  const result: ImpactMatchResult = { matched: 0, waiting: 0, unmeasured: 0, dataThrough };
  for (let offset = 0; ; offset += 500) {
    const page = await ledger.list({ status: 'executed', limit: 500, offset });
    for (const d of page) {
      if (d.actualImpact !== null) continue;
      const measure = ledger.impactMeasure(d.decisionType);
      const end = measure?.horizonEnd(d) ?? null;
      if (!measure || end === null) {
        result.unmeasured++;
        continue;
      }
      if (dataThrough === null || end > dataThrough) {
        result.waiting++;
        continue;
      }
      let value: number | null = null;
      try {
        value = await measure.measure(d);
      } catch (err) {
        logger?.warn({ err, decision: d.id }, 'could not measure the impact of a decision');
      }
      if (value === null || !Number.isFinite(value)) {
        result.unmeasured++;
        continue;
      }
      await ledger.recordActualImpact(d.id, Math.round(value * 100) / 100, systemActor(MATCH_IMPACT_JOB));
      result.matched++;
    }
    if (page.length < 500) return result;
  }
}
