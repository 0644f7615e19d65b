import type { Clock, DatabaseHandle, InventoryData, JsonValue, ModelRegistry } from '@rfid3/core';
import { HttpProblem, scanTimestamp, splitByKnownItem, sqlDateTime } from '@rfid3/core';
import type { ItemGrades } from './grades.js';
import { countReturns, G, GRADES, gradeIndex, loadItemGrades, walkItemGrades } from './grades.js';
import type { TransitionTable } from './transitions.js';
import { matrixFor, TransitionCounts } from './transitions.js';
import { classRates, yearBefore } from './economics.js';
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

type Validation = NonNullable<GradeModelState['validation']>;

/**
 * The grade-transition chains fitted on every one-rental transition, and their validation: the mean log-loss of
 * the transitions after `cutoff` under the chains fitted on those up to it (`estimateTransitions` of the
 * observations up to the cutoff), beside the pooled chain. One walk over the observations, keeping per item only
 * its last grade and its transitions, one byte each: (from × G + to), plus G² when after the cutoff.
 */
async function fitChains(deps: { database: DatabaseHandle; inventory: InventoryData }, cutoff: string): Promise<{ table: TransitionTable; validation: Validation | null }> {
  const G2 = G * G;
  const walked = await walkItemGrades<{ last: number | undefined; transitions: TransitionLog }>(
    deps,
    {},
    {
      start: () => ({ last: undefined, transitions: new TransitionLog() }),
      observe(w, o) {
        // A return closes one rental from the grade observed just before it; a service or an inspection only sets the grade.
        if (o.kind === 'return' && w.last !== undefined && w.last >= 0 && o.grade >= 0) w.transitions.push(w.last * G + o.grade + (day(o.at) > cutoff ? G2 : 0));
        w.last = o.grade;
      },
    },
  );
  // Observations are in time order, so the transitions up to the cutoff are those of the observations up to it.
  const all = new TransitionCounts();
  const early = new TransitionCounts();
  for (const { item, walk } of walked) {
    const a = all.item(item);
    const e = early.item(item);
    walk.transitions.forEach((code) => {
      const from = Math.floor((code % G2) / G);
      const to = code % G;
      a.add(from, to);
      if (code < G2) e.add(from, to);
    });
  }
  const earlyTable = early.table();
  let n = 0;
  let ll = 0;
  let pooled = 0;
  for (const { item, walk } of walked) {
    const P = matrixFor(earlyTable, item);
    walk.transitions.forEach((code) => {
      if (code < G2) return;
      const from = Math.floor((code - G2) / G);
      const to = code % G;
      ll -= Math.log(Math.max(1e-12, P[from]![to]!));
      pooled -= Math.log(Math.max(1e-12, earlyTable.overall[from]![to]!));
      n++;
    });
  }
  return { table: all.table(), validation: n ? { cutoff, transitions: n, logLoss: ll / n, pooledLogLoss: pooled / n } : null };
}

/** A growing list of bytes. */
class TransitionLog {
  private bytes = new Uint8Array(8);
  private length = 0;

  push(b: number): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = b;
  }

  forEach(f: (b: number) => void): void {
    for (let i = 0; i < this.length; i++) f(this.bytes[i]!);
  }
}

/** Observations kept per item in the scored snapshot: the answers read only the last one (and counts of returns). */
const SNAPSHOT_OBSERVATIONS = 1;

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
    const cutoff = new Date(Date.parse(`${through}T00:00:00Z`) - 90 * 86_400_000).toISOString().slice(0, 10);
    const { table, validation } = await fitChains(this.deps, cutoff);
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

  /**
   * The items and rates scored with the active model, kept until the model changes or `invalidate` is called. Each
   * item keeps only its last observation, with `history` counting its returns (all, and those of the last 365 days
   * of the model's data that `gradeEconomics` reads); `loadItemGrades` gives one item's full history.
   */
  async current(): Promise<Snapshot> {
    const { versionTag, state } = await this.activeModel();
    const existing = this.snapshot ? await this.snapshot.catch(() => null) : null;
    if (existing && existing.versionTag === versionTag) return existing;
    this.snapshot = (async () => {
      const items = await loadItemGrades(this.deps, { recent: SNAPSHOT_OBSERVATIONS, returnsAfter: yearBefore(state.dataThrough) });
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
    const rentals = countReturns(item);
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
