import type { Clock, DatabaseHandle, InventoryData, JsonValue, ModelRegistry } from '@rfid3/core';
import { HttpProblem, scanTimestamp, splitByKnownItem, sqlDateTime } from '@rfid3/core';
import type { ItemGrades } from './grades.js';
import { G, GRADES, gradeIndex, loadItemGrades } from './grades.js';
import type { TransitionTable } from './transitions.js';
import { estimateTransitions, matrixFor } from './transitions.js';
import { classRates } from './economics.js';
import type { NewQualityInspection } from './migrations.js';
import { qualityDb } from './migrations.js';

/** Registry name of the grade-transition model. */
export const GRADE_MODEL_NAME = 'quality.grade_transition';

/** The grade-transition model as plain data: the chains, their validation and which of them answer. */
export interface GradeModelState {
  kind: 'grade-transition';
  dataThrough: string;
  table: TransitionTable;
  validation: { cutoff: string; transitions: number; logLoss: number; pooledLogLoss: number } | null;
  /** Which chains answer: per category (and class) when they beat the pooled chain on the held-out rentals. */
  served: 'per category' | 'pooled';
}

interface Snapshot {
  versionTag: string;
  state: GradeModelState;
  items: ItemGrades[];
  byTag: Map<string, ItemGrades>;
  rates: Map<string, number>;
}

const day = (at: string) => at.slice(0, 10);

/** Mean log-loss of the one-rental transitions after `cutoff` under matrices fitted on those before it. */
function validate(items: ItemGrades[], cutoff: string) {
  const early = items.map((i) => ({ ...i, observations: i.observations.filter((o) => day(o.at) <= cutoff) }));
  const table = estimateTransitions(early);
  let n = 0;
  let ll = 0;
  let pooled = 0;
  for (const item of items) {
    const P = matrixFor(table, item);
    for (let j = 1; j < item.observations.length; j++) {
      const o = item.observations[j]!;
      const prev = item.observations[j - 1]!;
      if (o.kind !== 'return' || day(o.at) <= cutoff || prev.grade < 0 || o.grade < 0) continue;
      ll -= Math.log(Math.max(1e-12, P[prev.grade]![o.grade]!));
      pooled -= Math.log(Math.max(1e-12, table.overall[prev.grade]![o.grade]!));
      n++;
    }
  }
  return n ? { cutoff, transitions: n, logLoss: ll / n, pooledLogLoss: pooled / n } : null;
}

/** The quality plugin's stateful part: the grade-transition model and the items scored with it. */
export class QualityService {
  private snapshot: Promise<Snapshot> | null = null;
  private ensuring: Promise<{ versionTag: string; state: GradeModelState }> | null = null;

  constructor(private readonly deps: { database: DatabaseHandle; inventory: InventoryData; registry: ModelRegistry; clock: Clock }) {}

  private get ownDb() {
    return qualityDb(this.deps.database);
  }

  /** The last day with scans (today when there are none). */
  async dataThrough(): Promise<string> {
    const r = (await this.ownDb
      .selectFrom('id_transactions')
      .select((eb) => eb.fn.max('scan_date').as('d'))
      .executeTakeFirst()) as { d: unknown } | undefined;
    const d = r?.d;
    return d ? scanTimestamp(d).slice(0, 10) : sqlDateTime(this.deps.clock.now()).slice(0, 10);
  }

  /** Fits the grade-transition chains on all data, validated on the last 90 days against one pooled chain, and registers them. */
  async retrain() {
    const through = await this.dataThrough();
    const items = await loadItemGrades(this.deps);
    const cutoff = new Date(Date.parse(`${through}T00:00:00Z`) - 90 * 86_400_000).toISOString().slice(0, 10);
    const validation = validate(items, cutoff);
    const table = estimateTransitions(items);
    // On little data the per-category chains can predict held-out rentals worse than one pooled chain: then the pooled one answers.
    const pooled = validation !== null && validation.pooledLogLoss < validation.logLoss;
    if (pooled) {
      table.byCategory = {};
      table.byClass = {};
    }
    const state: GradeModelState = { kind: 'grade-transition', dataThrough: through, table, validation, served: pooled ? 'pooled' : 'per category' };
    const result = await this.deps.registry.register({
      modelName: GRADE_MODEL_NAME,
      modelType: 'markov-chain',
      artifact: state as unknown as JsonValue,
      config: { dataThrough: through },
      validation: { metric: 'log_loss', value: validation ? Math.min(validation.logLoss, validation.pooledLogLoss) : 0, lowerIsBetter: true },
      metrics: validation ? { per_category_log_loss: validation.logLoss, pooled_log_loss: validation.pooledLogLoss } : {},
      trainingRows: Object.values(state.table.counts).reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0),
      notes: validation ? `one-rental transitions after ${cutoff} scored by matrices fitted before it, beside the pooled matrix` : 'no transitions to validate on',
    });
    this.snapshot = null;
    return { ...result, validation };
  }

  /** The active grade-transition model, trained and registered on first use. */
  async activeModel(): Promise<{ versionTag: string; state: GradeModelState }> {
    const active = await this.deps.registry.getActive(GRADE_MODEL_NAME);
    if (active) return { versionTag: active.versionTag, state: active.artifact as unknown as GradeModelState };
    this.ensuring ??= (async () => {
      await this.retrain();
      const r = await this.deps.registry.getActive(GRADE_MODEL_NAME);
      if (!r) throw new Error('the grade-transition model could not be registered');
      return { versionTag: r.versionTag, state: r.artifact as unknown as GradeModelState };
    })().finally(() => {
      this.ensuring = null;
    });
    return this.ensuring;
  }

  /** Forgets the loaded items (new scans or inspections changed them). */
  invalidate(): void {
    this.snapshot = null;
  }

  /** The items and rates scored with the active model, kept until the model changes or `invalidate` is called. */
  async current(): Promise<Snapshot> {
    const { versionTag, state } = await this.activeModel();
    const existing = this.snapshot ? await this.snapshot.catch(() => null) : null;
    if (existing && existing.versionTag === versionTag) return existing;
    this.snapshot = (async () => {
      const items = await loadItemGrades(this.deps);
      return { versionTag, state, items, byTag: new Map(items.map((i) => [i.tagId, i])), rates: await classRates(this.deps.database) };
    })();
    return this.snapshot;
  }

  /** One item with the current snapshot; 404 when it does not exist or has no grade. */
  async item(tagId: string) {
    const snap = await this.current();
    const item = snap.byTag.get(tagId);
    if (!item) throw HttpProblem.notFound(`no item with tag_id '${tagId}'`);
    if (item.grade < 0) throw HttpProblem.notFound(`item '${tagId}' has no recorded grade`);
    return { snap, item };
  }

  /** Revenue per rental: the class's price, else the item's turnover per observed rental. */
  revenuePerRental(snap: Snapshot, item: ItemGrades): number {
    const rate = snap.rates.get(item.rentalClass);
    if (rate) return rate;
    const rentals = item.observations.filter((o) => o.kind === 'return').length;
    return rentals ? item.turnoverYtd / rentals : 0;
  }

  /** Records the inspections of known items with a valid grade (others are not recorded; unknown items are returned) and forgets the loaded items. */
  async recordInspections(rows: { item_id: string; grade: string; inspected_at?: string; inspector?: string; notes?: string; flags?: Record<string, boolean> }[]) {
    const now = sqlDateTime(this.deps.clock.now());
    const split = await splitByKnownItem(this.deps.database, rows);
    const accepted = split.accepted.filter((r) => gradeIndex(r.grade) >= 0);
    if (accepted.length) {
      await this.ownDb
        .insertInto('quality_inspections')
        .values(
          accepted.map(
            (r): NewQualityInspection => ({
              tag_id: r.item_id,
              grade: GRADES[gradeIndex(r.grade)],
              inspected_at: r.inspected_at ? r.inspected_at.replace('T', ' ').replace('Z', '').slice(0, 19) : now,
              flags: r.flags ? JSON.stringify(r.flags) : null,
              inspector: r.inspector ?? null,
              notes: r.notes ?? null,
              created_at: now,
            }),
          ),
        )
        .execute();
      this.invalidate();
    }
    return { accepted, unknown: split.unknown };
  }
}

export { G };
