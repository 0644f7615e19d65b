import type { JsonValue } from '../contracts/json.js';
import type { Clock } from '../time/clock.js';
import { sqlDateTime } from '../time/dates.js';
import { currentJob } from '../jobs/job-context.js';
import { isDependencyUnavailable } from '../storage/availability.js';
import type { DatabaseHandle } from '../storage/database.js';
import { parseJsonColumn } from '../storage/database.js';

/** The score a candidate is validated on, compared with the active version's on the same metric. */
export interface ValidationScore {
  /** e.g. `mae`, `f1`; candidates are compared only on the same metric. */
  metric: string;
  value: number;
  /** Default true (errors); false for scores such as F1 or PR-AUC. */
  lowerIsBetter?: boolean;
}

/** A fitted model offered to the registry: what it predicts, its family, its state and its validation. */
export interface ModelCandidate<S extends JsonValue = JsonValue> {
  /** What the model predicts, e.g. `demand.daily`; versions are numbered per name. */
  modelName: string;
  /** The model family that produced it, e.g. `seasonal-naive`. */
  modelType: string;
  /** Fitted state: plain data that serialises. */
  artifact: S;
  config?: Record<string, JsonValue>;
  validation: ValidationScore;
  /** Every metric measured on the validation data; all go to `ml_model_performance`. */
  metrics?: Record<string, number>;
  trainingRows?: number;
  notes?: string;
}

/** `remote`: another host activated it (told over Redis); `local`: this process did. */
export type ActivationOrigin = 'local' | 'remote';

/** Where a version stands: the one answering, a candidate that did not win, or a retired one. */
export type ModelStatus = 'active' | 'candidate' | 'retired';

/** A registered model version without its artifact. */
export interface ModelVersionInfo {
  modelName: string;
  version: number;
  /** `modelName@version`, the string stored with every prediction. */
  versionTag: string;
  modelType: string;
  status: ModelStatus;
  validation: Required<ValidationScore>;
  trainingRows: number | null;
  notes: string | null;
  createdAt: string;
  activatedAt: string | null;
}

/** A registered model version with its fitted state and configuration. */
export interface RegisteredModel<S extends JsonValue = JsonValue> extends ModelVersionInfo {
  artifact: S;
  config: Record<string, JsonValue> | null;
}

/** What registering a candidate did: its version, and whether it was activated and why. */
export interface RegistrationResult {
  version: number;
  versionTag: string;
  activated: boolean;
  /** Why it was or was not activated, with both scores. */
  reason: string;
  previousActive: string | null;
}

/**
 * Two hosts registering the same model at once both read the same last version; the unique index makes
 * one of them fail, and it simply tries again with the next number.
 */
async function retryOnConflict<T>(run: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (err) {
      const e = err as { code?: string; errno?: number; message?: string };
      const conflict =
        e.code === 'ER_DUP_ENTRY' || e.code === 'ER_LOCK_DEADLOCK' || e.errno === 1062 || e.errno === 1213 || /UNIQUE constraint failed|SQLITE_BUSY/.test(e.message ?? '');
      if (!conflict || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 5 * i + Math.random() * 10));
    }
  }
}

/** The version tag of a model version: `name@version`. */
export function versionTag(modelName: string, version: number): string {
  return `${modelName}@${version}`;
}

type RegistryRow = {
  model_name: string;
  version: number;
  model_type: string;
  status: string;
  validation_metric: string;
  validation_value: number;
  lower_is_better: number;
  training_rows: number | null;
  notes: string | null;
  created_at: string;
  activated_at: string | null;
};

function toInfo(r: RegistryRow): ModelVersionInfo {
  return {
    modelName: r.model_name,
    version: Number(r.version),
    versionTag: versionTag(r.model_name, Number(r.version)),
    modelType: r.model_type,
    status: r.status as ModelStatus,
    validation: { metric: r.validation_metric, value: Number(r.validation_value), lowerIsBetter: Boolean(Number(r.lower_is_better)) },
    trainingRows: r.training_rows === null ? null : Number(r.training_rows),
    notes: r.notes,
    createdAt: r.created_at,
    activatedAt: r.activated_at,
  };
}

const INFO_COLUMNS = [
  'model_name',
  'version',
  'model_type',
  'status',
  'validation_metric',
  'validation_value',
  'lower_is_better',
  'training_rows',
  'notes',
  'created_at',
  'activated_at',
] as const;

/**
 * Versioned fitted models. A candidate becomes active only if it beats the active version on the
 * active version's validation metric; every validation metric is written to `ml_model_performance`.
 */
export class ModelRegistry {
  private readonly activeCache = new Map<string, { at: number; model: RegisteredModel | null }>();
  private readonly listeners: ((info: ModelVersionInfo, origin: ActivationOrigin) => void | Promise<void>)[] = [];

  /**
   * `activeTtlMs`: how long this process trusts its copy of the active version before it looks again (other
   * hosts may activate). The copy is kept, and served, while the database cannot be reached: cached
   * predictions are keyed by the active version, so they stay reachable through an outage.
   */
  constructor(private readonly deps: { database: DatabaseHandle; clock: Clock; activeTtlMs?: number }) {}

  /** Called after a version becomes active (to invalidate caches, precompute, notify). */
  onActivate(listener: (info: ModelVersionInfo, origin: ActivationOrigin) => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  /**
   * Stores a candidate and activates it if it beats the active version. `compareWith` is the active
   * version's score on the candidate's own validation data (rescored by the caller); without it the
   * active version's score from its own registration is used, which is fair only on the same data.
   */
  async register<S extends JsonValue>(candidate: ModelCandidate<S>, options: { compareWith?: number } = {}): Promise<RegistrationResult> {
    const { db } = this.deps.database;
    const now = sqlDateTime(this.deps.clock.now());
    const lowerIsBetter = candidate.validation.lowerIsBetter ?? true;
    if (!Number.isFinite(candidate.validation.value)) {
      throw new Error(`model ${candidate.modelName}: validation ${candidate.validation.metric} is not a finite number`);
    }
    const jobId = currentJob()?.jobId ?? null;
    const result = await retryOnConflict(() =>
      db.transaction().execute(async (trx) => {
        // A job run again after its worker died finds the version its first attempt registered.
        if (jobId !== null) {
          const mine = await trx
            .selectFrom('rfid3_model_registry')
            .select(['version', 'status'])
            .where('model_name', '=', candidate.modelName)
            .where('job_id', '=', jobId)
            .executeTakeFirst();
          if (mine) {
            const version = Number(mine.version);
            return {
              version,
              versionTag: versionTag(candidate.modelName, version),
              activated: mine.status === 'active',
              reason: `already registered by job ${jobId} (an earlier attempt)`,
              previousActive: null,
            };
          }
        }
        const last = await trx
          .selectFrom('rfid3_model_registry')
          .select((eb) => eb.fn.max('version').as('v'))
          .where('model_name', '=', candidate.modelName)
          .executeTakeFirst();
        const version = Number(last?.v ?? 0) + 1;
        const active = await trx
          .selectFrom('rfid3_model_registry')
          .select(INFO_COLUMNS)
          .where('model_name', '=', candidate.modelName)
          .where('status', '=', 'active')
          .executeTakeFirst();
        let activated: boolean;
        let reason: string;
        const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(1) : n.toPrecision(4));
        if (!active) {
          activated = true;
          reason = `no active version; ${candidate.validation.metric} ${fmt(candidate.validation.value)}`;
        } else if (active.validation_metric !== candidate.validation.metric) {
          activated = false;
          reason = `not comparable: active ${versionTag(candidate.modelName, Number(active.version))} is scored on ${active.validation_metric}, candidate on ${candidate.validation.metric}`;
        } else {
          const a = options.compareWith ?? Number(active.validation_value);
          const c = candidate.validation.value;
          activated = lowerIsBetter ? c < a : c > a;
          const on = options.compareWith !== undefined ? ' on the same data' : '';
          reason = `${candidate.validation.metric} ${fmt(c)} ${activated ? 'beats' : 'does not beat'} active ${versionTag(candidate.modelName, Number(active.version))}'s ${fmt(a)}${on}`;
        }
        if (activated && active) {
          await trx.updateTable('rfid3_model_registry').set({ status: 'retired' }).where('model_name', '=', candidate.modelName).where('status', '=', 'active').execute();
        }
        await trx
          .insertInto('rfid3_model_registry')
          .values({
            model_name: candidate.modelName,
            version,
            model_type: candidate.modelType,
            status: activated ? 'active' : 'candidate',
            artifact: JSON.stringify(candidate.artifact),
            config: candidate.config ? JSON.stringify(candidate.config) : null,
            validation_metric: candidate.validation.metric,
            validation_value: candidate.validation.value,
            lower_is_better: lowerIsBetter ? 1 : 0,
            training_rows: candidate.trainingRows ?? null,
            notes: candidate.notes ?? null,
            created_at: now,
            activated_at: activated ? now : null,
            job_id: jobId,
          })
          .execute();
        // The score the activation was decided on wins over a same-named entry in `metrics`.
        const metrics = { ...(candidate.metrics ?? {}), [candidate.validation.metric]: candidate.validation.value };
        const rows = Object.entries(metrics)
          .filter(([, v]) => Number.isFinite(v))
          .map(([metric_name, metric_value]) => ({
            model_name: candidate.modelName,
            model_version: versionTag(candidate.modelName, version),
            model_type: candidate.modelType,
            metric_name,
            metric_value,
            evaluation: 'validation',
            sample_size: candidate.trainingRows ?? null,
            details: null,
            evaluated_at: now,
          }));
        if (rows.length) await trx.insertInto('ml_model_performance').values(rows).execute();
        return {
          version,
          versionTag: versionTag(candidate.modelName, version),
          activated,
          reason,
          previousActive: active ? versionTag(candidate.modelName, Number(active.version)) : null,
        };
      }),
    );
    this.expire(candidate.modelName);
    if (result.activated) await this.notify(candidate.modelName);
    return result;
  }

  /** Makes a stored version active (an operator's rollback), retiring the current one. */
  async activate(modelName: string, version: number): Promise<ModelVersionInfo> {
    const { db } = this.deps.database;
    const now = sqlDateTime(this.deps.clock.now());
    await db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('rfid3_model_registry').select('id').where('model_name', '=', modelName).where('version', '=', version).executeTakeFirst();
      if (!row) throw new Error(`model ${versionTag(modelName, version)} does not exist`);
      await trx.updateTable('rfid3_model_registry').set({ status: 'retired' }).where('model_name', '=', modelName).where('status', '=', 'active').execute();
      await trx.updateTable('rfid3_model_registry').set({ status: 'active', activated_at: now }).where('id', '=', row.id).execute();
    });
    this.expire(modelName);
    return (await this.notify(modelName))!;
  }

  /** The active version of a model (cached for 10 s by default), or null when none is active. */
  async getActive<S extends JsonValue = JsonValue>(modelName: string): Promise<RegisteredModel<S> | null> {
    const hit = this.activeCache.get(modelName);
    if (hit && Date.now() - hit.at < (this.deps.activeTtlMs ?? 10_000)) return hit.model as RegisteredModel<S> | null;
    // Known to be away: do not even ask (a stopped server would hold the request until the query times out).
    if (hit?.model && this.deps.database.availability?.available === false) return hit.model as RegisteredModel<S>;
    let row;
    try {
      row = await this.deps.database.db
        .selectFrom('rfid3_model_registry')
        .select([...INFO_COLUMNS, 'artifact', 'config'])
        .where('model_name', '=', modelName)
        .where('status', '=', 'active')
        .executeTakeFirst();
    } catch (err) {
      if (hit?.model && isDependencyUnavailable(err)) return hit.model as RegisteredModel<S>;
      throw err;
    }
    const model: RegisteredModel | null = row ? { ...toInfo(row), artifact: JSON.parse(row.artifact) as JsonValue, config: parseJsonColumn(row.config) } : null;
    this.activeCache.set(modelName, { at: Date.now(), model });
    return model as RegisteredModel<S> | null;
  }

  /** Registered versions of one model or all, by model name and newest version first (at most `limit`). */
  async history(modelName?: string, limit = 100): Promise<ModelVersionInfo[]> {
    let q = this.deps.database.db.selectFrom('rfid3_model_registry').select(INFO_COLUMNS);
    if (modelName) q = q.where('model_name', '=', modelName);
    const rows = await q.orderBy('model_name').orderBy('version', 'desc').limit(limit).execute();
    return rows.map(toInfo);
  }

  /** The active version of every model name, with how many versions each has. */
  async status(): Promise<(ModelVersionInfo & { versions: number })[]> {
    const { db } = this.deps.database;
    const counts = await db
      .selectFrom('rfid3_model_registry')
      .select(['model_name', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('model_name')
      .execute();
    const active = await db.selectFrom('rfid3_model_registry').select(INFO_COLUMNS).where('status', '=', 'active').execute();
    const byName = new Map(active.map((r) => [r.model_name, toInfo(r)]));
    return counts
      .filter((c) => byName.has(c.model_name))
      .map((c) => ({ ...byName.get(c.model_name)!, versions: Number(c.n) }))
      .sort((a, b) => a.modelName.localeCompare(b.modelName));
  }

  /**
   * Another host activated a version of `modelName`: forget this process's copy and tell the listeners, as
   * if it had happened here (they drop caches keyed by the old version).
   */
  async activatedElsewhere(modelName: string): Promise<ModelVersionInfo | null> {
    this.expire(modelName);
    return this.notify(modelName, 'remote');
  }

  /** Makes the next `getActive` look in the database, keeping the copy to serve if it cannot. */
  private expire(modelName: string): void {
    const hit = this.activeCache.get(modelName);
    if (hit) hit.at = 0;
  }

  private async notify(modelName: string, origin: ActivationOrigin = 'local'): Promise<ModelVersionInfo | null> {
    const active = await this.getActive(modelName);
    if (!active) return null;
    const { artifact: _a, config: _c, ...info } = active;
    for (const l of this.listeners) await l(info, origin);
    return info;
  }
}
