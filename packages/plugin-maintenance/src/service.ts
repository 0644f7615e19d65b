import type { Clock, DatabaseHandle, InventoryData, JsonValue, Logger, ModelRegistry } from '@rfid3/core';
import { addDays, HttpProblem, isoDay, scanTimestamp, splitByKnownItem, sqlDateTime } from '@rfid3/core';
import type { FailureModelOptions, FailureModelState, FailureRisk } from './failure-model.js';
import {
  DEFAULT_FAILURE_OPTIONS,
  failureDrivers,
  failureWithinDays,
  failureWithinRentals,
  remainingLife,
  repairCostFor,
  scoreItems,
  trainFailureModelAsync,
} from './failure-model.js';
import { LOOKBACK_RETURNS } from './features.js';
import type { FeedbackRow, HistoryOptions, ItemHistory } from './history.js';
import { lastScanDay, loadItemHistories } from './history.js';
import type { ScheduleCosts } from './schedule.js';
import { planMaintenance } from './schedule.js';
import type { NewMaintenanceFeedback } from './migrations.js';
import { maintenanceDb } from './migrations.js';

/** Registry name of the failure model. */
export const FAILURE_MODEL_NAME = 'maintenance.failure';
/** Prediction type of the failure probability. */
export const FAILURE_PREDICTION_TYPE = 'maintenance.failure_probability';

interface Snapshot {
  versionTag: string;
  state: FailureModelState;
  items: ItemHistory[];
  byTag: Map<string, number>;
  risks: FailureRisk[];
}

/**
 * The plugin's one stateful part: loads item histories, trains and registers the failure model on
 * first use, and keeps the scored items of the active version until new data or feedback arrives.
 */
export class MaintenanceService {
  private snapshot: Promise<Snapshot> | null = null;
  private ensuring: Promise<{ versionTag: string; state: FailureModelState }> | null = null;

  constructor(
    private readonly deps: { database: DatabaseHandle; inventory: InventoryData; registry: ModelRegistry; clock: Clock; logger: Logger },
    private readonly options: FailureModelOptions = DEFAULT_FAILURE_OPTIONS,
  ) {}

  /** Core's tables and the plugin's own. */
  private get ownDb() {
    return maintenanceDb(this.deps.database);
  }

  /** The last day with scans (the demo's data may end before the clock's today). */
  async dataThrough(): Promise<string> {
    return (await lastScanDay(this.deps.database)) ?? addDays(isoDay(this.deps.clock.now()), -1);
  }

  /** Items in the fleet's records (every item of id_item_master). */
  private async fleetSize(): Promise<number> {
    const r = await this.deps.database.db
      .selectFrom('id_item_master')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  /** The outcome feedback recorded so far, oldest first. */
  async feedback(): Promise<FeedbackRow[]> {
    const rows = await this.ownDb.selectFrom('maintenance_feedback').select(['tag_id', 'outcome', 'observed_at', 'repair_cost']).orderBy('id').execute();
    return (rows as Record<string, unknown>[]).map((r) => ({
      tag_id: String(r.tag_id),
      outcome: r.outcome as FeedbackRow['outcome'],
      observed_at: scanTimestamp(r.observed_at),
      repair_cost: r.repair_cost === null || r.repair_cost === undefined ? null : Number(r.repair_cost),
    }));
  }

  /** Every item's history, with the recorded feedback as events (`options` as `loadItemHistories` takes them). */
  async histories(options: Omit<HistoryOptions, 'feedback'> = {}): Promise<ItemHistory[]> {
    return loadItemHistories(this.deps, { ...options, feedback: await this.feedback() });
  }

  /**
   * Trains on everything through the last scan day (on a fleet larger than `maxTrainingItems`, on that many items'
   * histories) and registers the result (activated if it beats the active version).
   */
  async retrain() {
    const through = await this.dataThrough();
    const fleet = await this.fleetSize();
    const items = await this.histories({ sampleItems: this.options.maxTrainingItems });
    const t0 = performance.now();
    const state = await trainFailureModelAsync(items, through, this.options);
    const trainMs = performance.now() - t0;
    const v = state.validation;
    const metric = v?.forest
      ? { metric: 'pr_auc', value: v.forest.prAuc }
      : v
        ? { metric: 'pr_auc', value: v.weibull.prAuc }
        : { metric: 'pr_auc', value: state.baseline.overallRate };
    const result = await this.deps.registry.register({
      modelName: FAILURE_MODEL_NAME,
      modelType: state.forest ? 'random-forest' : 'weibull',
      artifact: state as unknown as JsonValue,
      config: { dataThrough: through, trees: state.forest?.trees.length ?? 0, validationDays: this.options.validationDays, trainingItems: items.length, fleetItems: fleet },
      validation: { metric: metric.metric, value: Number.isFinite(metric.value) ? metric.value : 0, lowerIsBetter: false },
      metrics: {
        ...(v?.forest ? { forest_roc_auc: v.forest.rocAuc, forest_brier: v.forest.brier } : {}),
        ...(v ? { weibull_pr_auc: v.weibull.prAuc, weibull_roc_auc: v.weibull.rocAuc, weibull_brier: v.weibull.brier } : {}),
        train_ms: trainMs,
      },
      trainingRows: state.trainingRows,
      notes: `${items.length < fleet ? `trained on a sample of ${items.length} of ${fleet} items; ` : ''}${v ? `validated on ${v.rows} returns after ${v.cutoff} (${v.failures} failures); forest beside the Weibull baseline` : 'no returns after the validation cut-off'}`,
    });
    this.snapshot = null;
    return { ...result, validation: v, trainMs: Math.round(trainMs), trainingRows: state.trainingRows };
  }

  /** The active model, trained and registered on first use. */
  async activeModel(): Promise<{ versionTag: string; state: FailureModelState }> {
    const active = await this.deps.registry.getActive(FAILURE_MODEL_NAME);
    if (active) return { versionTag: active.versionTag, state: active.artifact as unknown as FailureModelState };
    this.ensuring ??= (async () => {
      await this.retrain();
      const registered = await this.deps.registry.getActive(FAILURE_MODEL_NAME);
      if (!registered) throw new Error('the failure model could not be registered');
      return { versionTag: registered.versionTag, state: registered.artifact as unknown as FailureModelState };
    })().finally(() => {
      this.ensuring = null;
    });
    return this.ensuring;
  }

  /** Forget the scored items (new scans, feedback or an inspection changed the inputs). */
  invalidate(): void {
    this.snapshot = null;
  }

  private async current(): Promise<Snapshot> {
    const { versionTag, state } = await this.activeModel();
    const existing = this.snapshot ? await this.snapshot.catch(() => null) : null;
    if (existing && existing.versionTag === versionTag) return existing;
    this.snapshot = (async () => {
      // Each item's features now need only its last returns: the rest of its history is not held.
      const items = (await this.histories({ recentReturns: LOOKBACK_RETURNS })).filter((i) => i.status !== 'Sold');
      const risks = scoreItems(state, items);
      return { versionTag, state, items, byTag: new Map(items.map((it, i) => [it.tagId, i])), risks };
    })();
    return this.snapshot;
  }

  /** Version tag of the active failure model (trained and registered on first use). */
  async versionTag(): Promise<string> {
    return (await this.activeModel()).versionTag;
  }

  /** Failure probability of one item within `days` and within `rentals`, its remaining life and drivers. */
  async itemRisk(tagId: string, days: number, rentals: number) {
    const snap = await this.current();
    const i = snap.byTag.get(tagId);
    if (i === undefined) throw HttpProblem.notFound(`no rentable item with tag_id '${tagId}'`);
    const item = snap.items[i]!;
    const risk = snap.risks[i]!;
    const inDays = failureWithinDays(risk, days);
    const life = remainingLife(risk);
    return {
      item,
      risk,
      versionTag: snap.versionTag,
      dataThrough: snap.state.dataThrough,
      withinDays: inDays.probability,
      expectedRentals: inDays.expectedRentals,
      withinRentals: failureWithinRentals(risk, rentals),
      remainingLife: life,
      drivers: failureDrivers(snap.state, item),
      repairCost: repairCostFor(snap.state.repairCosts, item),
      validation: snap.state.validation,
    };
  }

  /** Plans the services that minimise expected cost within the workshop's slots, from the day after the data ends. */
  async schedule(days: number, capacityPerDay: number, costs: ScheduleCosts) {
    const snap = await this.current();
    const candidates = snap.items
      .map((item, i) => ({ item, risk: snap.risks[i]! }))
      .filter(({ item }) => item.status !== 'Repair')
      .map(({ item, risk }) => ({ risk, repairCost: repairCostFor(snap.state.repairCosts, item) }));
    const startDay = addDays(snap.state.dataThrough, 1);
    const plan = planMaintenance(candidates, { days, capacityPerDay, startDay, costs });
    return { plan, snap, startDay };
  }

  /** Records feedback for the items that exist (the others are returned as unknown) and forgets the scored items. */
  async recordFeedback(rows: { item_id: string; outcome: FeedbackRow['outcome']; observed_at?: string; repair_cost?: number; notes?: string }[]) {
    const now = sqlDateTime(this.deps.clock.now());
    const { accepted, unknown } = await splitByKnownItem(this.deps.database, rows);
    if (accepted.length) {
      await this.ownDb
        .insertInto('maintenance_feedback')
        .values(
          accepted.map(
            (r): NewMaintenanceFeedback => ({
              tag_id: r.item_id,
              outcome: r.outcome,
              observed_at: r.observed_at ? r.observed_at.replace('T', ' ').slice(0, 19) : now,
              repair_cost: r.repair_cost ?? null,
              notes: r.notes ?? null,
              created_at: now,
            }),
          ),
        )
        .execute();
      this.invalidate();
    }
    return { accepted, unknown };
  }
}
