import type { DecisionSafeguard, ProposedDecision, SafeguardOutcome, Verdict } from '../contracts/decision.js';
import { applySafeguards } from '../contracts/decision.js';
import type { JsonObject } from '../contracts/json.js';
import { HttpProblem } from '../contracts/problem.js';
import type { Clock } from '../runtime/clock.js';
import { sqlDateTime } from '../runtime/dates.js';
import type { DatabaseHandle } from '../storage/database.js';
import { parseJsonColumn } from '../storage/database.js';

export const DECISION_STATUSES = ['pending', 'approved', 'rejected', 'executed', 'failed'] as const;
export type DecisionStatus = (typeof DECISION_STATUSES)[number];

/** pending → approved / rejected → executed / failed (only approved decisions execute). */
const TRANSITIONS: Record<DecisionStatus, DecisionStatus[]> = {
  pending: ['approved', 'rejected'],
  approved: ['executed', 'failed'],
  rejected: [],
  executed: [],
  failed: [],
};

/** Which decisions `proposeCurrent` treats as one target's: its type, target id and (when given) model version. */
export interface CurrentDecisionKey {
  type: string;
  targetId: string;
  /** Only decisions of this model version are the target's current ones (e.g. to leave price tests alone). */
  modelVersion?: string | null;
  /** Who closes a superseded pending decision (its `decidedBy`); default `superseded`. */
  supersededBy?: string;
}

/** True for a decision `proposeCurrent` closed because another replaced it. */
export const isSuperseded = (r: DecisionRecord): boolean =>
  (r.status === 'rejected' && (r.overrideReason ?? '').startsWith('superseded')) || (r.status === 'failed' && (r.failureReason ?? '').startsWith('superseded'));

export interface DecisionRecord {
  id: number;
  decisionType: string;
  target: { type: string; id: string };
  confidence: number;
  amountUsd: number | null;
  predictedImpact: number | null;
  actualImpact: number | null;
  action: JsonObject;
  /** The action as the model proposed it, when a safeguard capped it. */
  originalAction: JsonObject | null;
  verdict: Verdict;
  safeguards: SafeguardOutcome[];
  requiresApproval: boolean;
  autoApproved: boolean;
  status: DecisionStatus;
  decidedBy: string | null;
  decidedAt: string | null;
  humanOverride: JsonObject | null;
  overrideReason: string | null;
  executedAt: string | null;
  failureReason: string | null;
  modelVersion: string | null;
  rationale: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * Every automated decision passes the safeguards and is recorded in `automated_decisions` with its
 * status workflow, the human who decided (or `auto`), any override, and later its actual impact.
 */
export class DecisionLedger {
  constructor(private readonly deps: { database: DatabaseHandle; clock: Clock; safeguards: DecisionSafeguard[] }) {}

  async propose(decision: ProposedDecision): Promise<DecisionRecord> {
    const result = applySafeguards(decision, this.deps.safeguards);
    const now = sqlDateTime(this.deps.clock.now());
    const auto = result.verdict === 'auto_approve';
    const capped = JSON.stringify(result.decision.action) !== JSON.stringify(decision.action);
    const status: DecisionStatus = result.verdict === 'reject' ? 'rejected' : auto ? 'approved' : 'pending';
    const inserted = await this.deps.database.db
      .insertInto('automated_decisions')
      .values({
        decision_type: decision.type,
        target_type: decision.target.type,
        target_id: decision.target.id,
        confidence: decision.confidence,
        amount_usd: result.decision.amountUsd ?? null,
        predicted_impact: decision.predictedImpact ?? null,
        actual_impact: null,
        proposed_action: JSON.stringify(result.decision.action),
        original_action: capped ? JSON.stringify(decision.action) : null,
        safeguard_verdict: result.verdict,
        safeguard_reasons: JSON.stringify(result.outcomes),
        requires_approval: auto ? 0 : 1,
        auto_approved: auto ? 1 : 0,
        status,
        decided_by: auto ? 'auto' : result.verdict === 'reject' ? 'safeguard' : null,
        decided_at: auto || result.verdict === 'reject' ? now : null,
        human_override: null,
        override_reason: null,
        executed_at: null,
        failure_reason: null,
        model_version: decision.modelVersion ?? null,
        rationale: decision.rationale ?? null,
        created_at: now,
        updated_at: now,
      })
      .executeTakeFirstOrThrow();
    const id = Number(inserted.insertId);
    return (await this.get(id))!;
  }

  /**
   * Keeps one current decision per target, so that reading recommendations again records nothing new. The same
   * proposal (same action as the model proposed it) as the target's latest decision returns that record, whatever
   * its status: a human's rejection stands while the proposal is the same. A changed proposal — or none, `d` null
   * with the target's key — closes the open decisions it replaces, naming the new one: pending → rejected,
   * auto-approved but not yet executed → failed, with the reason "superseded by decision N". An approval a human
   * gave is left for the human to undo, and so is a decision someone else moved on meanwhile (the 409 of the status
   * guard is swallowed). Decisions of another model version than `d.modelVersion` (or `key.modelVersion`) are not
   * the target's current ones and are left alone.
   */
  proposeCurrent(d: ProposedDecision, key?: Partial<CurrentDecisionKey>): Promise<DecisionRecord>;
  proposeCurrent(d: null, key: CurrentDecisionKey): Promise<null>;
  proposeCurrent(d: ProposedDecision | null, key?: Partial<CurrentDecisionKey>): Promise<DecisionRecord | null>;
  async proposeCurrent(d: ProposedDecision | null, key: Partial<CurrentDecisionKey> = {}): Promise<DecisionRecord | null> {
    const type = key.type ?? d?.type;
    const targetId = key.targetId ?? d?.target.id;
    if (!type || !targetId) throw new TypeError('proposeCurrent needs a decision or the type and target id of one');
    const version = key.modelVersion !== undefined ? key.modelVersion : (d?.modelVersion ?? null);
    const mine = (await this.list({ type, targetId, limit: 50 })).filter((r) => version === null || r.modelVersion === version);
    const latest = mine[0];
    if (d && latest && !isSuperseded(latest) && JSON.stringify(latest.originalAction ?? latest.action) === JSON.stringify(d.action)) return latest;
    const open = mine.filter((r) => r.status === 'pending' || (r.status === 'approved' && r.decidedBy === 'auto'));
    if (!d && open.length === 0) return null;
    const next = d ? await this.propose(d) : null;
    const why = next ? `superseded by decision ${next.id}` : 'superseded: the model no longer proposes it';
    for (const r of open) {
      await (r.status === 'pending' ? this.reject(r.id, key.supersededBy ?? 'superseded', why) : this.markFailed(r.id, why)).catch((e: unknown) => {
        if (!(e instanceof HttpProblem && e.status === 409)) throw e;
      });
    }
    return next;
  }

  async get(id: number): Promise<DecisionRecord | null> {
    const row = await this.deps.database.db.selectFrom('automated_decisions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async list(filter: { status?: DecisionStatus; type?: string; targetId?: string; limit?: number } = {}): Promise<DecisionRecord[]> {
    let q = this.deps.database.db.selectFrom('automated_decisions').selectAll();
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.type) q = q.where('decision_type', '=', filter.type);
    if (filter.targetId) q = q.where('target_id', '=', filter.targetId);
    const rows = await q.orderBy('id', 'desc').limit(filter.limit ?? 100).execute();
    return rows.map(toRecord);
  }

  /** A human approves, optionally overriding the action (the override is kept beside the original). */
  approve(id: number, by: string, override?: { action: JsonObject; reason: string }): Promise<DecisionRecord> {
    return this.transition(id, 'approved', {
      decided_by: by,
      decided_at: this.now(),
      ...(override
        ? { human_override: JSON.stringify(override.action), override_reason: override.reason }
        : {}),
    });
  }

  reject(id: number, by: string, reason: string): Promise<DecisionRecord> {
    return this.transition(id, 'rejected', { decided_by: by, decided_at: this.now(), override_reason: reason });
  }

  markExecuted(id: number): Promise<DecisionRecord> {
    return this.transition(id, 'executed', { executed_at: this.now() });
  }

  markFailed(id: number, reason: string): Promise<DecisionRecord> {
    return this.transition(id, 'failed', { failure_reason: reason });
  }

  async recordActualImpact(id: number, value: number): Promise<DecisionRecord> {
    const res = await this.deps.database.db
      .updateTable('automated_decisions')
      .set({ actual_impact: value, updated_at: this.now() })
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw HttpProblem.notFound(`decision ${id} does not exist`);
    return (await this.get(id))!;
  }

  private now(): string {
    return sqlDateTime(this.deps.clock.now());
  }

  private async transition(id: number, to: DecisionStatus, set: Record<string, unknown>): Promise<DecisionRecord> {
    const current = await this.get(id);
    if (!current) throw HttpProblem.notFound(`decision ${id} does not exist`);
    if (!TRANSITIONS[current.status].includes(to)) {
      throw HttpProblem.conflict(`decision ${id} is ${current.status}; it cannot become ${to}`);
    }
    // The status guard in WHERE makes a concurrent second transition lose instead of overwrite.
    const res = await this.deps.database.db
      .updateTable('automated_decisions')
      .set({ ...set, status: to, updated_at: this.now() } as never)
      .where('id', '=', id)
      .where('status', '=', current.status)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw HttpProblem.conflict(`decision ${id} changed while being updated; retry`);
    return (await this.get(id))!;
  }
}

function toRecord(r: Record<string, any>): DecisionRecord {
  return {
    id: Number(r.id),
    decisionType: r.decision_type,
    target: { type: r.target_type, id: r.target_id },
    confidence: Number(r.confidence),
    amountUsd: r.amount_usd === null ? null : Number(r.amount_usd),
    predictedImpact: r.predicted_impact === null ? null : Number(r.predicted_impact),
    actualImpact: r.actual_impact === null ? null : Number(r.actual_impact),
    action: parseJsonColumn<JsonObject>(r.proposed_action) ?? {},
    originalAction: parseJsonColumn<JsonObject>(r.original_action),
    verdict: r.safeguard_verdict as Verdict,
    safeguards: parseJsonColumn<SafeguardOutcome[]>(r.safeguard_reasons) ?? [],
    requiresApproval: Boolean(Number(r.requires_approval)),
    autoApproved: Boolean(Number(r.auto_approved)),
    status: r.status as DecisionStatus,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    humanOverride: parseJsonColumn<JsonObject>(r.human_override),
    overrideReason: r.override_reason,
    executedAt: r.executed_at,
    failureReason: r.failure_reason,
    modelVersion: r.model_version,
    rationale: r.rationale,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
