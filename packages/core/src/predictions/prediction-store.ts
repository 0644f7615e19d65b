import { sql } from 'kysely';
import type { Prediction } from '../contracts/prediction.js';
import type { Clock } from '../time/clock.js';
import { sqlDateTime } from '../time/dates.js';
import type { Logger } from '../observability/logger.js';
import type { CoreMetrics } from '../observability/metrics.js';
import type { DatabaseHandle } from '../storage/database.js';
import type { NewRow } from '../storage/schema.js';
import { insertInChunks } from '../storage/database.js';
import { currentJob } from '../jobs/job-context.js';

/** What happened on a predicted day, to match with the predictions about it. */
export interface ActualValue {
  predictionType: string;
  targetType: string;
  targetId: string;
  store?: string | null;
  targetDate: string;
  value: number;
}

/** A target and day that has predictions still waiting for an actual. */
export interface OpenTarget {
  targetType: string;
  targetId: string;
  store: string | null;
  targetDate: string;
}

/** Accuracy of one model version (and horizon) from its matched predictions: error, coverage and interval score. */
export interface AccuracyRow {
  predictionType: string;
  modelName: string;
  modelVersion: string;
  /** null when grouped over all horizons. */
  horizon: number | null;
  /** Matched predictions behind the figures. */
  n: number;
  mae: number;
  /** Percent. */
  smape: number;
  /** Share of actuals inside the stored interval; null when none had an interval. */
  coverage: number | null;
  intervalLevel: number | null;
  /** Mean width (upper − lower) of the stored intervals; null when none had one. */
  meanWidth: number | null;
  /**
   * Mean interval score (Gneiting & Raftery): width + (2/α)·(how far below the lower bound) + (2/α)·(how far above
   * the upper bound) the actual fell, α = 1 − level; lower is better, and it rewards narrow ranges only when they hold.
   */
  intervalScore: number | null;
}

/** Which matched predictions to report accuracy on, and how to group them. */
export interface AccuracyQuery {
  predictionType?: string;
  modelName?: string;
  /** Group by horizon as well as model version (default true). */
  byHorizon?: boolean;
  /** Only predictions about days on or after this one. */
  since?: string;
}

/**
 * Records every prediction a model produced (not cache hits) in `analytics_predictions`, in batches;
 * matches actuals when they arrive; computes accuracy from the matches and nothing else.
 */
export class PredictionStore {
  private buffer: NewRow<'analytics_predictions'>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      database: DatabaseHandle;
      clock: Clock;
      logger: Logger;
      metrics?: CoreMetrics;
      batchSize: number;
      flushIntervalMs: number;
    },
  ) {}

  /** Queues predictions for writing; a full batch is written at once, the rest within `flushIntervalMs`. */
  record(predictions: Prediction[], madeAt: Date = this.deps.clock.now()): void {
    if (predictions.length === 0) return;
    const at = sqlDateTime(madeAt);
    const jobId = currentJob()?.jobId;
    for (const p of predictions) this.buffer.push(toRow(p, at, jobId));
    this.deps.metrics?.predictionWriteQueue.set(this.buffer.length);
    if (this.buffer.length >= this.deps.batchSize) {
      this.flushInBackground();
    } else {
      this.arm();
    }
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flushInBackground();
    }, this.deps.flushIntervalMs);
    this.timer.unref();
  }

  /** A background write that fails is logged and retried later (the rows stay queued); it never crashes the host. */
  private flushInBackground(): void {
    this.flush().catch(() => this.arm());
  }

  /** Predictions buffered and not yet written. */
  pending(): number {
    return this.buffer.length;
  }

  /** Writes everything queued so far; resolves when it is committed. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const rows = this.buffer;
    this.buffer = [];
    this.deps.metrics?.predictionWriteQueue.set(0);
    // Chain on the previous write whatever its outcome, so one failure does not reject every later flush.
    this.flushing = this.flushing
      .catch(() => undefined)
      .then(async () => {
        if (rows.length === 0) return;
        try {
          await insertInChunks(this.deps.database, 'analytics_predictions', rows);
        } catch (err) {
          // Keep the rows for the next attempt rather than lose them.
          this.buffer = rows.concat(this.buffer);
          this.deps.logger.error({ err, rows: rows.length }, 'writing predictions failed; will retry');
          throw err;
        }
      });
    return this.flushing;
  }

  /** Targets whose predictions are still waiting for an actual, about days up to `through`. */
  async openTargets(predictionType: string, through: string): Promise<OpenTarget[]> {
    const rows = await this.deps.database.db
      .selectFrom('analytics_predictions')
      .select(['target_type', 'target_id', 'store', 'target_date'])
      .distinct()
      .where('prediction_type', '=', predictionType)
      .where('actual_value', 'is', null)
      .where('target_date', 'is not', null)
      .where('target_date', '<=', through)
      .execute();
    return rows.map((r) => ({ targetType: r.target_type, targetId: r.target_id, store: r.store, targetDate: String(r.target_date) }));
  }

  /** Fills in the actual for every open prediction of each target and day; returns how many rows matched. */
  async recordActuals(actuals: ActualValue[]): Promise<number> {
    if (actuals.length === 0) return 0;
    await this.flush();
    const now = sqlDateTime(this.deps.clock.now());
    let matched = 0;
    await this.deps.database.db.transaction().execute(async (trx) => {
      for (const a of actuals) {
        if (!Number.isFinite(a.value)) continue;
        let q = trx
          .updateTable('analytics_predictions')
          .set({
            actual_value: a.value,
            absolute_error: sql<number>`abs(${a.value} - predicted_value)`,
            within_interval: sql<number>`case when lower_bound is null then null when ${a.value} >= lower_bound and ${a.value} <= upper_bound then 1 else 0 end`,
            actual_recorded_at: now,
          })
          .where('prediction_type', '=', a.predictionType)
          .where('target_type', '=', a.targetType)
          .where('target_id', '=', a.targetId)
          .where('target_date', '=', a.targetDate)
          .where('actual_value', 'is', null);
        q = a.store == null ? q.where('store', 'is', null) : q.where('store', '=', a.store);
        const res = await q.executeTakeFirst();
        matched += Number(res.numUpdatedRows ?? 0);
      }
    });
    return matched;
  }

  /** Accuracy per model version (and horizon) from matched predictions only. */
  async accuracy(query: AccuracyQuery = {}): Promise<AccuracyRow[]> {
    const byHorizon = query.byHorizon ?? true;
    let q = this.deps.database.db
      .selectFrom('analytics_predictions')
      .select([
        'prediction_type',
        'model_name',
        'model_version',
        sql<number>`count(*)`.as('n'),
        sql<number>`avg(absolute_error)`.as('mae'),
        sql<number>`avg(case when abs(actual_value) + abs(predicted_value) = 0 then 0 else 2 * absolute_error / (abs(actual_value) + abs(predicted_value)) end)`.as('smape'),
        sql<number | null>`avg(cast(within_interval as double))`.as('coverage'),
        sql<number | null>`max(interval_level)`.as('interval_level'),
        sql<number | null>`avg(upper_bound - lower_bound)`.as('mean_width'),
        sql<
          number | null
        >`avg(upper_bound - lower_bound + (2 / (1 - interval_level)) * (case when actual_value < lower_bound then lower_bound - actual_value when actual_value > upper_bound then actual_value - upper_bound else 0 end))`.as(
          'interval_score',
        ),
      ])
      .where('actual_value', 'is not', null);
    if (byHorizon) q = q.select('horizon_days');
    if (query.predictionType) q = q.where('prediction_type', '=', query.predictionType);
    if (query.modelName) q = q.where('model_name', '=', query.modelName);
    if (query.since) q = q.where('target_date', '>=', query.since);
    let grouped = q.groupBy(['prediction_type', 'model_name', 'model_version']);
    if (byHorizon) grouped = grouped.groupBy('horizon_days');
    const rows = await grouped.orderBy('model_version').execute();
    return rows
      .map((r) => ({
        predictionType: r.prediction_type,
        modelName: r.model_name,
        modelVersion: r.model_version,
        horizon: byHorizon ? ((r as { horizon_days?: number | null }).horizon_days ?? null) : null,
        n: Number(r.n),
        mae: Number(r.mae),
        smape: 100 * Number(r.smape),
        coverage: r.coverage === null ? null : Number(r.coverage),
        intervalLevel: r.interval_level === null ? null : Number(r.interval_level),
        meanWidth: r.mean_width === null ? null : Number(r.mean_width),
        intervalScore: r.interval_score === null ? null : Number(r.interval_score),
      }))
      .sort((a, b) => a.modelVersion.localeCompare(b.modelVersion) || (a.horizon ?? 0) - (b.horizon ?? 0));
  }

  /**
   * Removes the rows an earlier attempt of this job wrote (its worker died before it finished), so the
   * attempt that completes leaves one set. Rows still buffered for it in this process are dropped too.
   */
  async discardJob(jobId: string): Promise<number> {
    this.buffer = this.buffer.filter((r) => r.job_id !== jobId);
    const res = await this.deps.database.db.deleteFrom('analytics_predictions').where('job_id', '=', jobId).executeTakeFirst();
    return Number(res.numDeletedRows ?? 0);
  }

  /** Writes what is buffered (a failure is ignored: the host is closing). */
  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
  }
}

function toRow(p: Prediction, at: string, jobId?: string): NewRow<'analytics_predictions'> {
  const first = p.intervals?.[0];
  return {
    prediction_type: p.predictionType,
    target_type: p.target.type,
    target_id: p.target.id,
    store: p.target.store ?? null,
    prediction_date: at,
    target_date: p.targetDate ?? null,
    horizon_days: p.horizon ?? null,
    predicted_value: p.value,
    confidence: p.confidence,
    interval_level: first?.level ?? null,
    lower_bound: first?.lower ?? null,
    upper_bound: first?.upper ?? null,
    probability: p.probability ?? null,
    model_name: p.model.name,
    model_version: p.model.version,
    model_type: p.model.type,
    source: p.source,
    input_features: p.inputFeatures ? JSON.stringify(p.inputFeatures) : null,
    drivers: JSON.stringify(p.drivers),
    actual_value: null,
    absolute_error: null,
    within_interval: null,
    actual_recorded_at: null,
    feedback: null,
    created_at: at,
    job_id: jobId ?? null,
  };
}
