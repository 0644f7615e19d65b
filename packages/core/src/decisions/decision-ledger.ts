import 'reflect-metadata';
import { inject, injectable } from 'inversify';
import type { Kysely, Transaction } from 'kysely';
import type { DecisionLedgerOptions, DecisionSafeguard, ProposedDecision, SafeguardOutcome, SafeguardResult, SafeguardSettings, Verdict } from '../contracts/decision.js';
import { applySafeguards, DEFAULT_SAFEGUARD_SETTINGS, priceDecision, usd } from '../contracts/decision.js';
import type { Principal, Role } from '../contracts/endpoint.js';
import { roleSatisfies } from '../contracts/endpoint.js';
import type { JsonObject } from '../contracts/json.js';
import { HttpProblem } from '../contracts/problem.js';
import type { Clock } from '../time/clock.js';
import { sqlDateTime } from '../time/dates.js';
import type { DatabaseHandle } from '../storage/database.js';
import { parseJsonColumn, primaryOnly } from '../storage/database.js';
import { OPEN_DECISION_STATUSES, openDecisionKey } from '../storage/migrations/decision-ledger.js';
import type { RFID3Database, Row, RowUpdate } from '../storage/schema.js';
import type { ImpactMeasure } from './impact-measure.js';
import { baseServices } from '../runtime/base-services.js';

/** The states a decision moves through. */
export const DECISION_STATUSES = ['pending', 'approved', 'rejected', 'executed', 'failed'] as const;
/** A decision's state (one of `DECISION_STATUSES`). */
export type DecisionStatus = (typeof DECISION_STATUSES)[number];

/** pending → approved / rejected → executed / failed (only approved decisions execute). */
const TRANSITIONS: Record<DecisionStatus, DecisionStatus[]> = {
  pending: ['approved', 'rejected'],
  approved: ['executed', 'failed'],
  rejected: [],
  executed: [],
  failed: [],
};

/**
 * Who moves a decision: a key (its name, id and role, and the key's approval ceiling) or the system itself
 * (a scheduled job, a model), which may propose, supersede and execute what the safeguards auto-approved,
 * but never approve.
 */
export interface DecisionActor {
  name: string;
  /** The API key's id; null for the system and for callers identified by name only. */
  keyId: string | null;
  role: Role | 'system';
  /** Largest amount this actor may approve or execute (dollars); null or absent: none of its own. */
  approveLimitUsd?: number | null;
}

/** The actor recorded for what the system does by itself (`role: 'system'`, no key). */
export const systemActor = (name: string): DecisionActor => ({ name, keyId: null, role: 'system' });

/** The actor behind an API request's key (the endpoint has already refused a request without one). */
export function actorOf(principal: Principal | null): DecisionActor {
  if (!principal) return { name: 'anonymous', keyId: null, role: 'read' };
  return { name: principal.name, keyId: principal.keyId, role: principal.role, approveLimitUsd: principal.approveLimitUsd ?? null };
}

/** What a person may change on a pending decision: how many, and at what price. */
export interface DecisionChange {
  quantity?: number;
  price?: number;
  reason?: string;
}

/** True for a decision the ledger closed because another replaced it. */
export const isSuperseded = (r: DecisionRecord): boolean =>
  (r.status === 'rejected' && (r.overrideReason ?? '').startsWith('superseded')) || (r.status === 'failed' && (r.failureReason ?? '').startsWith('superseded'));

/** A decision as the ledger keeps it: what it changes, its verdict and state, who moved it and the predicted and actual impact. */
export interface DecisionRecord {
  id: number;
  decisionType: string;
  target: { type: string; id: string };
  scope: string | null;
  confidence: number;
  /** What executing the decision spends (quantity × unit cost when both are known), after any cap or override. */
  amountUsd: number | null;
  quantity: number | null;
  unitCostUsd: number | null;
  baselinePrice: number | null;
  proposedPrice: number | null;
  predictedImpact: number | null;
  actualImpact: number | null;
  /** What executing the decision does: the human override when there is one, else the (capped) proposal. */
  action: JsonObject;
  /** The action as the model proposed it, when a safeguard capped it. */
  originalAction: JsonObject | null;
  verdict: Verdict;
  safeguards: SafeguardOutcome[];
  requiresApproval: boolean;
  autoApproved: boolean;
  status: DecisionStatus;
  /** Pending or approved: it may still be acted on. One per type, target and scope. */
  open: boolean;
  proposedBy: string | null;
  overriddenBy: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  humanOverride: JsonObject | null;
  overrideReason: string | null;
  executedBy: string | null;
  executedAt: string | null;
  failureReason: string | null;
  modelVersion: string | null;
  rationale: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One recorded transition of a decision: the action, the states before and after, and who took it. */
export interface DecisionTransition {
  id: number;
  decisionId: number;
  action: string;
  from: DecisionStatus | null;
  to: DecisionStatus;
  actor: string;
  actorKey: string | null;
  actorRole: string;
  amountBefore: number | null;
  amountAfter: number | null;
  changes: JsonObject | null;
  reason: string | null;
  at: string;
}

type Db = Kysely<RFID3Database> | Transaction<RFID3Database>;
type DecisionRow = Row<'automated_decisions'>;

const MYSQL_RETRYABLE = new Set(['ER_DUP_ENTRY', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);
const isRetryable = (err: unknown) => {
  const e = err as { code?: string } | null;
  return typeof e?.code === 'string' && (MYSQL_RETRYABLE.has(e.code) || e.code.startsWith('SQLITE_CONSTRAINT') || e.code === 'SQLITE_BUSY');
};

/** Who an actor is, for comparing the proposer, overrider and approver: the key id, else the name. */
const identity = (a: DecisionActor): string | null => (a.keyId ? a.keyId : a.role === 'system' ? null : `name:${a.name}`.slice(0, 120));
const forbidden = (detail: string, extensions: Record<string, unknown> = {}) => new HttpProblem({ status: 403, title: 'Forbidden', detail, extensions });
const unprocessable = (detail: string, extensions: Record<string, unknown> = {}) => new HttpProblem({ status: 422, title: 'Unprocessable Content', detail, extensions });

/**
 * The decision ledger: every automated decision, its safeguards and its status workflow, with the design's
 * safeguards as invariants of every transition rather than of each endpoint.
 *
 * - Proposing, overriding, approving and executing each re-evaluate all safeguards on the values that will be
 *   acted on; the amount recorded is what executing spends. A change a human makes that a safeguard would have
 *   to cap is refused (422 naming the safeguard), never silently capped or let through.
 * - Only a key whose role may approve approves or executes, within its own amount ceiling; from the four-eyes
 *   amount up, not the key that proposed or overrode the decision.
 * - One open decision per type, target and scope (a unique key in the database); a changed proposal closes the
 *   open one in the same transaction.
 * - Every transition is appended to `rfid3_decision_transitions`: who, when, from what to what.
 */
@injectable()
export class DecisionLedger {
  private readonly deps: { database: DatabaseHandle; clock: Clock };
  private readonly safeguards: DecisionSafeguard[];
  private readonly settings: SafeguardSettings;
  private readonly impactMeasures = new Map<string, ImpactMeasure>();

  /**
   * Core binds it as `coreServices.decisions`, built from its database, clock and the safeguards of the runtime's
   * options and config. It reads what it just wrote, so it always uses the primary database, never a replica.
   */
  constructor(
    @inject(baseServices.database.token) database: DatabaseHandle,
    @inject(baseServices.clock.token) clock: Clock,
    @inject(baseServices.decisionLedgerOptions.token) options: DecisionLedgerOptions,
  ) {
    this.deps = { database: primaryOnly(database), clock };
    this.safeguards = [...options.safeguards];
    this.settings = { ...DEFAULT_SAFEGUARD_SETTINGS, ...options.settings };
  }

  /** Adds safeguards (a plugin's own rules for its decision types); they apply to every later transition. */
  addSafeguards(...guards: DecisionSafeguard[]): void {
    for (const g of guards) {
      if (this.safeguards.some((s) => s.id === g.id)) throw new Error(`a safeguard '${g.id}' is already registered`);
      this.safeguards.push(g);
    }
  }

  /** Adds how a decision type's actual impact is measured (one per type). */
  addImpactMeasure(measure: ImpactMeasure): void {
    if (this.impactMeasures.has(measure.decisionType)) throw new Error(`an impact measure for '${measure.decisionType}' decisions is already registered`);
    this.impactMeasures.set(measure.decisionType, measure);
  }

  /** The impact measure of a decision type, if a plugin registered one. */
  impactMeasure(decisionType: string): ImpactMeasure | undefined {
    return this.impactMeasures.get(decisionType);
  }

  /** The safeguards every transition runs, in order. */
  listSafeguards(): readonly DecisionSafeguard[] {
    return this.safeguards;
  }

  /** Runs the safeguards on a decision as it would be acted on, without recording anything. */
  evaluate(decision: ProposedDecision): SafeguardResult {
    return applySafeguards(priceDecision(decision), this.safeguards);
  }

  /**
   * Records a proposal, keeping one open decision per type, target and scope. The same proposal (same action as
   * the model proposed it) as the target's latest decision returns that record, whatever its status: a human's
   * rejection stands while the proposal is the same. A changed proposal closes the open decision it replaces
   * (pending → rejected, auto-approved → failed, "superseded by decision N") in the same transaction; an approval
   * a human gave stands, and is returned, until it is executed or failed.
   */
  async propose(decision: ProposedDecision, actor: DecisionActor = systemActor('model')): Promise<DecisionRecord> {
    const priced = priceDecision(decision);
    const result = applySafeguards(priced, this.safeguards);
    const scope = decision.scope ?? null;
    const key = openDecisionKey(decision.type, decision.target.type, decision.target.id, scope);
    return this.inTransaction(async (trx) => {
      const latest = await this.latestFor(trx, decision.type, decision.target, scope);
      if (latest && !isSuperseded(toRecord(latest)) && sameAction(latest, priced.action)) return toRecord(latest);
      const open = await this.lockOpen(trx, key);
      if (open && open.status === 'approved' && open.decided_by !== 'auto') return toRecord(open);
      const now = this.now();
      const auto = result.verdict === 'auto_approve';
      const status: DecisionStatus = result.verdict === 'reject' ? 'rejected' : auto ? 'approved' : 'pending';
      if (open) await this.supersede(trx, open, actor, 'superseded by a new proposal');
      const capped = JSON.stringify(result.decision.action) !== JSON.stringify(priced.action);
      const d = result.decision;
      const inserted = await trx
        .insertInto('automated_decisions')
        .values({
          decision_type: decision.type,
          target_type: decision.target.type,
          target_id: decision.target.id,
          scope,
          confidence: decision.confidence,
          amount_usd: d.amountUsd ?? null,
          quantity: d.quantity ?? null,
          unit_cost_usd: d.unitCostUsd ?? null,
          baseline_price: d.baselinePrice ?? null,
          proposed_price: d.proposedPrice ?? null,
          predicted_impact: decision.predictedImpact ?? null,
          actual_impact: null,
          proposed_action: JSON.stringify(d.action),
          original_action: capped ? JSON.stringify(priced.action) : null,
          safeguard_verdict: result.verdict,
          safeguard_reasons: JSON.stringify(result.outcomes),
          requires_approval: auto ? 0 : 1,
          auto_approved: auto ? 1 : 0,
          status,
          proposed_by: actor.name,
          proposed_by_key: identity(actor),
          decided_by: auto ? 'auto' : result.verdict === 'reject' ? 'safeguard' : null,
          decided_at: auto || result.verdict === 'reject' ? now : null,
          human_override: null,
          override_reason: null,
          executed_at: null,
          failure_reason: null,
          model_version: decision.modelVersion ?? null,
          rationale: decision.rationale ?? null,
          open_key: status === 'rejected' ? null : key,
          created_at: now,
          updated_at: now,
        })
        .executeTakeFirstOrThrow();
      const id = Number(inserted.insertId);
      if (open) {
        // Name the replacement in the superseded decision's reason, now that its id is known.
        const why = `superseded by decision ${id}`;
        await trx
          .updateTable('automated_decisions')
          .set(open.status === 'pending' ? { override_reason: why } : { failure_reason: why })
          .where('id', '=', Number(open.id))
          .execute();
      }
      await this.log(trx, {
        id,
        action: 'propose',
        from: null,
        to: status,
        actor: auto ? { ...actor, name: `${actor.name} (auto-approved)` } : actor,
        before: null,
        after: d.amountUsd ?? null,
        changes: { verdict: result.verdict, safeguards: result.outcomes.map(({ safeguard, verdict, reason }) => ({ safeguard, verdict, reason })) },
        reason: decision.rationale ?? null,
      });
      return toRecord((await this.row(trx, id))!);
    });
  }

  /**
   * Proposes a model's whole current set for one decision type: each proposal through `propose`, and the open
   * decisions of `targets` (the targets the model looked at) that it no longer proposes closed as superseded.
   */
  async proposeAll(
    type: string,
    proposals: ProposedDecision[],
    options: { targets?: Iterable<string>; scope?: string | null; actor?: DecisionActor } = {},
  ): Promise<{ proposed: DecisionRecord[]; superseded: number }> {
    const actor = options.actor ?? systemActor('model');
    const proposed: DecisionRecord[] = [];
    for (const p of proposals) {
      if (p.type !== type) throw new TypeError(`proposeAll('${type}') was given a '${p.type}' proposal`);
      proposed.push(await this.propose(p, actor));
    }
    const wanted = new Set(proposals.map((p) => p.target.id));
    const looked = options.targets ? new Set(options.targets) : null;
    let superseded = 0;
    for (const r of await this.listOpen({ type, scope: options.scope ?? null })) {
      if (wanted.has(r.target.id) || (looked && !looked.has(r.target.id))) continue;
      if (r.status === 'approved' && r.decidedBy !== 'auto') continue; // a human's approval stands
      superseded += (await this.withdraw(r.id, actor, 'superseded: the model no longer proposes it')) ? 1 : 0;
    }
    return { proposed, superseded };
  }

  /** Closes an open decision that nobody acted on yet (pending, or auto-approved and not executed). False if it moved meanwhile. */
  async withdraw(id: number, actor: DecisionActor, reason: string): Promise<boolean> {
    return this.inTransaction(async (trx) => {
      const row = await this.lockRow(trx, id);
      if (!row || !(row.status === 'pending' || (row.status === 'approved' && row.decided_by === 'auto'))) return false;
      await this.supersede(trx, row, actor, reason);
      return true;
    });
  }

  /** One decision by id, or null. */
  async get(id: number): Promise<DecisionRecord | null> {
    const row = await this.row(this.deps.database.db, id);
    return row ? toRecord(row) : null;
  }

  /** Decisions matching a filter (state, type, target, scope), a page at a time. */
  async list(filter: { status?: DecisionStatus; type?: string; targetId?: string; scope?: string | null; limit?: number; offset?: number } = {}): Promise<DecisionRecord[]> {
    let q = this.deps.database.db.selectFrom('automated_decisions').selectAll();
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.type) q = q.where('decision_type', '=', filter.type);
    if (filter.targetId) q = q.where('target_id', '=', filter.targetId);
    if (filter.scope !== undefined) q = filter.scope === null ? q.where('scope', 'is', null) : q.where('scope', '=', filter.scope);
    const rows = await q
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .offset(filter.offset ?? 0)
      .execute();
    return rows.map(toRecord);
  }

  /** The open decisions (pending or approved, not yet executed), newest first; a read that writes nothing. */
  async listOpen(filter: { type?: string; targetIds?: string[]; scope?: string | null } = {}): Promise<DecisionRecord[]> {
    let q = this.deps.database.db.selectFrom('automated_decisions').selectAll().where('open_key', 'is not', null);
    if (filter.type) q = q.where('decision_type', '=', filter.type);
    if (filter.targetIds) {
      if (filter.targetIds.length === 0) return [];
      q = q.where('target_id', 'in', filter.targetIds);
    }
    if (filter.scope !== undefined) q = filter.scope === null ? q.where('scope', 'is', null) : q.where('scope', '=', filter.scope);
    return (await q.orderBy('id', 'desc').execute()).map(toRecord);
  }

  /** Every transition of a decision, oldest first. */
  async transitions(id: number): Promise<DecisionTransition[]> {
    const rows = await this.deps.database.db.selectFrom('rfid3_decision_transitions').selectAll().where('decision_id', '=', id).orderBy('id').execute();
    return rows.map((r) => ({
      id: Number(r.id),
      decisionId: Number(r.decision_id),
      action: r.action,
      from: (r.from_status as DecisionStatus | null) ?? null,
      to: r.to_status as DecisionStatus,
      actor: r.actor,
      actorKey: r.actor_key,
      actorRole: r.actor_role,
      amountBefore: r.amount_before === null ? null : Number(r.amount_before),
      amountAfter: r.amount_after === null ? null : Number(r.amount_after),
      changes: parseJsonColumn<JsonObject>(r.changes),
      reason: r.reason,
      at: r.at,
    }));
  }

  /**
   * Changes what a pending decision will do (quantity, price), re-priced and re-checked by every safeguard. A
   * change a safeguard would cap is refused (422). The decision stays pending; from the four-eyes amount up,
   * the key that overrode it cannot also approve it.
   */
  async override(id: number, actor: DecisionActor, change: DecisionChange): Promise<DecisionRecord> {
    this.requireGrant(actor, 'operate', `override decision ${id}`);
    return this.inTransaction(async (trx) => {
      const row = await this.pendingRow(trx, id, 'changed');
      const { effective, result } = this.recheck(row, change);
      const now = this.now();
      await this.update(trx, row, {
        ...valuesOf(effective),
        safeguard_verdict: result.verdict,
        safeguard_reasons: JSON.stringify(result.outcomes),
        requires_approval: 1,
        human_override: JSON.stringify(effective.action),
        override_reason: change.reason ?? 'changed by a person',
        overridden_by: actor.name,
        overridden_by_key: identity(actor),
        updated_at: now,
      });
      await this.log(trx, {
        id,
        action: 'override',
        from: 'pending',
        to: 'pending',
        actor,
        before: num(row.amount_usd),
        after: effective.amountUsd ?? null,
        changes: changeLog(row, effective),
        reason: change.reason ?? null,
      });
      return toRecord((await this.row(trx, id))!);
    });
  }

  /**
   * A person approves a pending decision, optionally changing its quantity or price on the way (re-priced and
   * re-checked by every safeguard). Refused: without the approve role (403); above the key's ceiling (403); from
   * the four-eyes amount up, by the key that proposed or overrode it, or that changes it now (403); when a
   * safeguard rejects it or would cap it (422, naming the safeguard).
   */
  async approve(id: number, actor: DecisionActor, change?: DecisionChange): Promise<DecisionRecord> {
    this.requireGrant(actor, 'approve', `approve decision ${id}`);
    return this.inTransaction(async (trx) => {
      const row = await this.pendingRow(trx, id, 'approved');
      const changed = change !== undefined && (change.quantity !== undefined || change.price !== undefined);
      const { effective, result } = this.recheck(row, changed ? change : undefined);
      const amount = effective.amountUsd ?? 0;
      this.checkCeiling(actor, amount, id);
      const me = identity(actor);
      if (amount >= this.settings.secondApproverAtOrAboveUsd) {
        const reason = changed ? 'changes it now' : me !== null && me === row.proposed_by_key ? 'proposed it' : me !== null && me === row.overridden_by_key ? 'overrode it' : null;
        if (reason) {
          throw forbidden(
            `decision ${id} commits ${usd(amount)}, at or above ${usd(this.settings.secondApproverAtOrAboveUsd)}: it needs a second key's approval, and key '${actor.name}' ${reason}` +
              (changed ? " (record the change with 'override', then another approve key approves it)" : ''),
            { rule: 'four-eyes', amountUsd: amount, thresholdUsd: this.settings.secondApproverAtOrAboveUsd },
          );
        }
      }
      const now = this.now();
      await this.update(trx, row, {
        ...valuesOf(effective),
        safeguard_verdict: result.verdict,
        safeguard_reasons: JSON.stringify(result.outcomes),
        status: 'approved',
        decided_by: actor.name,
        decided_by_key: me,
        decided_at: now,
        ...(changed
          ? { human_override: JSON.stringify(effective.action), override_reason: change!.reason ?? 'changed on approval', overridden_by: actor.name, overridden_by_key: me }
          : {}),
        updated_at: now,
      });
      await this.log(trx, {
        id,
        action: 'approve',
        from: 'pending',
        to: 'approved',
        actor,
        before: num(row.amount_usd),
        after: effective.amountUsd ?? null,
        changes: changed ? changeLog(row, effective) : null,
        reason: change?.reason ?? null,
      });
      return toRecord((await this.row(trx, id))!);
    });
  }

  /** A person (operate role or more) rejects a pending decision, with a reason. */
  async reject(id: number, actor: DecisionActor, reason: string): Promise<DecisionRecord> {
    if (actor.role !== 'system') this.requireGrant(actor, 'operate', `reject decision ${id}`);
    return this.inTransaction(async (trx) => {
      const row = await this.pendingRow(trx, id, 'rejected');
      const now = this.now();
      await this.update(trx, row, {
        status: 'rejected',
        decided_by: actor.name,
        decided_by_key: identity(actor),
        decided_at: now,
        override_reason: reason,
        open_key: null,
        updated_at: now,
      });
      await this.log(trx, { id, action: 'reject', from: 'pending', to: 'rejected', actor, before: num(row.amount_usd), after: num(row.amount_usd), changes: null, reason });
      return toRecord((await this.row(trx, id))!);
    });
  }

  /**
   * Records that an approved decision was carried out. The safeguards run once more on what is executed (a cap
   * lowered since the approval refuses it, 422); an approve key within its ceiling executes, and the system may
   * execute only what the safeguards auto-approved.
   */
  async execute(id: number, actor: DecisionActor): Promise<DecisionRecord> {
    return this.inTransaction(async (trx) => {
      const row = await this.lockRow(trx, id);
      if (!row) throw HttpProblem.notFound(`decision ${id} does not exist`);
      this.requireStatus(row, 'executed');
      if (actor.role === 'system') {
        if (row.decided_by !== 'auto') throw forbidden(`decision ${id} was approved by a person: a person executes it`);
      } else this.requireGrant(actor, 'approve', `execute decision ${id}`);
      const { effective } = this.recheck(row, undefined);
      this.checkCeiling(actor, effective.amountUsd ?? 0, id);
      const now = this.now();
      await this.update(trx, row, { status: 'executed', executed_at: now, executed_by: actor.name, executed_by_key: identity(actor), open_key: null, updated_at: now });
      await this.log(trx, { id, action: 'execute', from: 'approved', to: 'executed', actor, before: num(row.amount_usd), after: num(row.amount_usd), changes: null, reason: null });
      return toRecord((await this.row(trx, id))!);
    });
  }

  /** Records that an approved decision could not be carried out. */
  async fail(id: number, actor: DecisionActor, reason: string): Promise<DecisionRecord> {
    if (actor.role !== 'system') this.requireGrant(actor, 'approve', `record the failure of decision ${id}`);
    return this.inTransaction(async (trx) => {
      const row = await this.lockRow(trx, id);
      if (!row) throw HttpProblem.notFound(`decision ${id} does not exist`);
      this.requireStatus(row, 'failed');
      const now = this.now();
      await this.update(trx, row, { status: 'failed', failure_reason: reason, open_key: null, updated_at: now });
      await this.log(trx, { id, action: 'fail', from: 'approved', to: 'failed', actor, before: num(row.amount_usd), after: num(row.amount_usd), changes: null, reason });
      return toRecord((await this.row(trx, id))!);
    });
  }

  /** Records the measured effect of a decision beside the predicted one (a job does it once the horizon has passed). */
  async recordActualImpact(id: number, value: number, actor: DecisionActor = systemActor('impact')): Promise<DecisionRecord> {
    return this.inTransaction(async (trx) => {
      const row = await this.row(trx, id);
      if (!row) throw HttpProblem.notFound(`decision ${id} does not exist`);
      await trx.updateTable('automated_decisions').set({ actual_impact: value, updated_at: this.now() }).where('id', '=', id).execute();
      await this.log(trx, {
        id,
        action: 'impact',
        from: row.status,
        to: row.status,
        actor,
        before: num(row.amount_usd),
        after: num(row.amount_usd),
        changes: { actualImpact: value },
        reason: null,
      });
      return toRecord((await this.row(trx, id))!);
    });
  }

  private now(): string {
    return sqlDateTime(this.deps.clock.now());
  }

  private requireGrant(actor: DecisionActor, needed: Role, what: string): void {
    if (actor.role === 'system' || !roleSatisfies(actor.role, needed)) {
      throw forbidden(`to ${what} needs role '${needed}'${actor.role === 'system' ? '' : ` or one that includes it; key '${actor.name}' has '${actor.role}'`}`, { needs: needed });
    }
  }

  private checkCeiling(actor: DecisionActor, amount: number, id: number): void {
    const limit = actor.approveLimitUsd;
    if (limit !== null && limit !== undefined && amount > limit) {
      throw forbidden(`decision ${id} commits ${usd(amount)}, above key '${actor.name}''s approval ceiling of ${usd(limit)}`, {
        rule: 'key-ceiling',
        amountUsd: amount,
        ceilingUsd: limit,
      });
    }
  }

  private requireStatus(row: DecisionRow, to: DecisionStatus): void {
    const from = row.status as DecisionStatus;
    if (!TRANSITIONS[from].includes(to)) throw HttpProblem.conflict(`decision ${row.id} is ${from}; it cannot become ${to}`);
  }

  private async pendingRow(trx: Db, id: number, to: DecisionStatus | 'changed'): Promise<DecisionRow> {
    const row = await this.lockRow(trx, id);
    if (!row) throw HttpProblem.notFound(`decision ${id} does not exist`);
    if (to === 'changed') {
      if (row.status !== 'pending') throw HttpProblem.conflict(`decision ${id} is ${row.status}; only a pending decision can be changed`);
    } else this.requireStatus(row, to);
    return row;
  }

  /**
   * The decision as it would be acted on (the recorded values, with a person's change applied and re-priced),
   * through every safeguard. A safeguard that rejects it, or would have to cap it, refuses the transition.
   */
  private recheck(row: DecisionRow, change: DecisionChange | undefined): { effective: ProposedDecision; result: SafeguardResult } {
    let effective = fromRow(row);
    if (change) {
      if (change.quantity !== undefined) {
        if (!(Number.isInteger(change.quantity) && change.quantity > 0))
          throw HttpProblem.badRequest('quantity must be a positive whole number', [{ field: 'body.quantity', message: 'a positive integer' }]);
        if (effective.quantity === undefined && !('quantity' in effective.action)) throw unprocessable(`decision ${row.id} has no quantity to change`);
        if (effective.amountUsd !== undefined && effective.unitCostUsd === undefined) {
          // The amount must follow the quantity: without a unit cost the new amount cannot be known.
          throw unprocessable(`decision ${row.id} states no unit cost, so a changed quantity cannot be priced; reject it and propose anew`);
        }
        effective = { ...effective, quantity: change.quantity, action: { ...effective.action, quantity: change.quantity } };
      }
      if (change.price !== undefined) {
        if (!(change.price > 0)) throw HttpProblem.badRequest('price must be positive', [{ field: 'body.price', message: 'a positive number' }]);
        if (effective.proposedPrice === undefined) throw unprocessable(`decision ${row.id} has no price to change`);
        effective = { ...effective, proposedPrice: change.price, action: { ...effective.action, price: change.price } };
      }
      effective = priceDecision(effective);
    }
    const result = applySafeguards(effective, this.safeguards);
    if (result.verdict === 'reject') {
      const why = result.outcomes.filter((o) => o.verdict === 'reject');
      throw unprocessable(`decision ${row.id} is refused by ${why.map((o) => `${o.safeguard}: ${o.reason}`).join('; ')}`, { safeguards: why });
    }
    const capped = result.decision;
    const differs =
      capped.amountUsd !== effective.amountUsd ||
      capped.quantity !== effective.quantity ||
      capped.proposedPrice !== effective.proposedPrice ||
      JSON.stringify(capped.action) !== JSON.stringify(effective.action);
    if (differs) {
      const caps = result.outcomes.filter((o) => o.safeguard.endsWith('-cap') || /cap/i.test(o.reason));
      const named = caps.length ? caps : result.outcomes;
      throw unprocessable(`decision ${row.id} as it would be acted on breaks a cap: ${named.map((o) => `${o.safeguard}: ${o.reason}`).join('; ')}`, {
        safeguards: named,
        amountUsd: effective.amountUsd ?? null,
        allowed: { quantity: capped.quantity ?? null, amountUsd: capped.amountUsd ?? null, price: capped.proposedPrice ?? null },
      });
    }
    return { effective, result };
  }

  private async update(trx: Db, row: DecisionRow, set: RowUpdate<'automated_decisions'>): Promise<void> {
    // The status guard in WHERE makes a concurrent second transition lose instead of overwrite.
    const res = await trx.updateTable('automated_decisions').set(set).where('id', '=', Number(row.id)).where('status', '=', row.status).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw HttpProblem.conflict(`decision ${row.id} changed while being updated; retry`);
  }

  private async supersede(trx: Db, row: DecisionRow, actor: DecisionActor, why: string): Promise<void> {
    const pending = row.status === 'pending';
    const now = this.now();
    await this.update(
      trx,
      row,
      pending
        ? { status: 'rejected', decided_by: 'superseded', decided_at: now, override_reason: why, open_key: null, updated_at: now }
        : { status: 'failed', failure_reason: why, open_key: null, updated_at: now },
    );
    await this.log(trx, {
      id: Number(row.id),
      action: 'supersede',
      from: row.status,
      to: pending ? 'rejected' : 'failed',
      actor,
      before: num(row.amount_usd),
      after: num(row.amount_usd),
      changes: null,
      reason: why,
    });
  }

  private async log(
    trx: Db,
    t: {
      id: number;
      action: string;
      from: string | null;
      to: string;
      actor: DecisionActor;
      before: number | null;
      after: number | null;
      changes: JsonObject | null;
      reason: string | null;
    },
  ): Promise<void> {
    await trx
      .insertInto('rfid3_decision_transitions')
      .values({
        decision_id: t.id,
        action: t.action,
        from_status: t.from,
        to_status: t.to,
        actor: t.actor.name.slice(0, 100),
        actor_key: identity(t.actor),
        actor_role: t.actor.role,
        amount_before: t.before,
        amount_after: t.after,
        changes: t.changes === null ? null : JSON.stringify(t.changes),
        reason: t.reason,
        at: this.now(),
      })
      .execute();
  }

  private row(db: Db, id: number): Promise<DecisionRow | undefined> {
    return db.selectFrom('automated_decisions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The row, locked against a concurrent transition on MariaDB (SQLite serialises writers anyway). */
  private lockRow(trx: Db, id: number): Promise<DecisionRow | undefined> {
    const q = trx.selectFrom('automated_decisions').selectAll().where('id', '=', id);
    return (this.deps.database.dialect === 'mysql' ? q.forUpdate() : q).executeTakeFirst();
  }

  private lockOpen(trx: Db, key: string): Promise<DecisionRow | undefined> {
    const q = trx.selectFrom('automated_decisions').selectAll().where('open_key', '=', key);
    return (this.deps.database.dialect === 'mysql' ? q.forUpdate() : q).executeTakeFirst();
  }

  private latestFor(trx: Db, type: string, target: { type: string; id: string }, scope: string | null): Promise<DecisionRow | undefined> {
    let q = trx.selectFrom('automated_decisions').selectAll().where('decision_type', '=', type).where('target_type', '=', target.type).where('target_id', '=', target.id);
    q = scope === null ? q.where('scope', 'is', null) : q.where('scope', '=', scope);
    return q.orderBy('id', 'desc').limit(1).executeTakeFirst();
  }

  /**
   * One transaction; a lost race on the open-decision key or a deadlock is retried from the start, up to
   * eight times, after a short random pause that grows with each try (so racing proposals spread out).
   */
  private async inTransaction<T>(work: (trx: Transaction<RFID3Database>) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.deps.database.db.transaction().execute(work);
      } catch (err) {
        if (attempt >= 8 || !isRetryable(err)) throw err;
        await new Promise((ok) => setTimeout(ok, Math.random() * 10 * 2 ** Math.min(attempt, 5)));
      }
    }
  }
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const opt = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

/** The same proposal: the action as the model proposed it (before any cap) is unchanged. */
function sameAction(row: DecisionRow, action: JsonObject): boolean {
  const proposed = parseJsonColumn<JsonObject>(row.original_action) ?? parseJsonColumn<JsonObject>(row.proposed_action);
  return JSON.stringify(proposed) === JSON.stringify(action);
}

/** The decision a row stands for, as it would be acted on now. */
function fromRow(row: DecisionRow): ProposedDecision {
  return {
    type: row.decision_type,
    target: { type: row.target_type, id: row.target_id },
    confidence: Number(row.confidence),
    amountUsd: opt(row.amount_usd),
    quantity: opt(row.quantity),
    unitCostUsd: opt(row.unit_cost_usd),
    baselinePrice: opt(row.baseline_price),
    proposedPrice: opt(row.proposed_price),
    predictedImpact: opt(row.predicted_impact),
    action: parseJsonColumn<JsonObject>(row.human_override) ?? parseJsonColumn<JsonObject>(row.proposed_action) ?? {},
    modelVersion: row.model_version ?? undefined,
    ...(row.scope ? { scope: row.scope } : {}),
  };
}

function valuesOf(d: ProposedDecision) {
  return { amount_usd: d.amountUsd ?? null, quantity: d.quantity ?? null, proposed_price: d.proposedPrice ?? null };
}

function changeLog(row: DecisionRow, d: ProposedDecision): JsonObject {
  return {
    quantity: { from: num(row.quantity), to: d.quantity ?? null },
    amountUsd: { from: num(row.amount_usd), to: d.amountUsd ?? null },
    price: { from: num(row.proposed_price), to: d.proposedPrice ?? null },
  };
}

function toRecord(r: DecisionRow): DecisionRecord {
  const human = parseJsonColumn<JsonObject>(r.human_override);
  return {
    id: Number(r.id),
    decisionType: r.decision_type,
    target: { type: r.target_type, id: r.target_id },
    scope: r.scope ?? null,
    confidence: Number(r.confidence),
    amountUsd: num(r.amount_usd),
    quantity: num(r.quantity),
    unitCostUsd: num(r.unit_cost_usd),
    baselinePrice: num(r.baseline_price),
    proposedPrice: num(r.proposed_price),
    predictedImpact: num(r.predicted_impact),
    actualImpact: num(r.actual_impact),
    action: human ?? parseJsonColumn<JsonObject>(r.proposed_action) ?? {},
    originalAction: parseJsonColumn<JsonObject>(r.original_action),
    verdict: r.safeguard_verdict as Verdict,
    safeguards: parseJsonColumn<SafeguardOutcome[]>(r.safeguard_reasons) ?? [],
    requiresApproval: Boolean(Number(r.requires_approval)),
    autoApproved: Boolean(Number(r.auto_approved)),
    status: r.status as DecisionStatus,
    open: (OPEN_DECISION_STATUSES as readonly string[]).includes(r.status) && r.open_key !== null,
    proposedBy: r.proposed_by ?? null,
    overriddenBy: r.overridden_by ?? null,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    humanOverride: human,
    overrideReason: r.override_reason,
    executedBy: r.executed_by ?? null,
    executedAt: r.executed_at,
    failureReason: r.failure_reason,
    modelVersion: r.model_version,
    rationale: r.rationale,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
