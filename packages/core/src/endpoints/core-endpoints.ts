import { sql } from 'kysely';
import { z } from 'zod';
import type { CacheL2Stats } from '../cache/cache.js';
import type { AnyEndpoint } from '../contracts/endpoint.js';
import { defineEndpoint, EndpointReply } from '../contracts/endpoint.js';
import { HttpProblem } from '../contracts/problem.js';
import { accuracyRowSchema, jobAcceptedSchema, jobRecordSchema, modelVersionSchema } from '../contracts/responses.js';
import { parseJsonColumn, primaryOnly } from '../storage/database.js';
import { CORE_VERSION } from '../version.js';
import { JOB_STATE_ALIASES, jobAccepted } from '../jobs/jobs.js';
import type { Cache } from '../cache/cache.js';
import type { InventoryData } from '../inventory/inventory-data.js';
import type { JobRunner } from '../jobs/jobs.js';
import type { CoreMetrics } from '../observability/metrics.js';
import type { PredictionService } from '../predictions/prediction-service.js';
import type { PredictionStore } from '../predictions/prediction-store.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { RuntimeInfo } from '../runtime/services.js';
import type { DatabaseHandle } from '../storage/database.js';
import type { Clock } from '../time/clock.js';

const HOUR_MS = 3_600_000;

/** The services core's own status, model and job endpoints use (core's endpoint plugin requires them). */
export interface CoreEndpointServices {
  cache: Cache;
  clock: Clock;
  database: DatabaseHandle;
  inventory: InventoryData;
  jobs: JobRunner;
  metrics: CoreMetrics;
  predictionStore: PredictionStore;
  predictions: PredictionService;
  registry: ModelRegistry;
  runtime: RuntimeInfo;
}

/** Latency summary from the request histogram: count, mean and bucket-interpolated quantiles. */
async function latencySummary(core: CoreEndpointServices) {
  const data = await core.metrics.httpDuration.get();
  const buckets = new Map<number, number>();
  let count = 0;
  let sum = 0;
  for (const v of data.values) {
    const name = (v as { metricName?: string }).metricName ?? '';
    if (name.endsWith('_bucket')) {
      const raw = (v.labels as Record<string, string | number | undefined>).le;
      const le = raw === '+Inf' ? Number.POSITIVE_INFINITY : Number(raw);
      buckets.set(le, (buckets.get(le) ?? 0) + v.value);
    } else if (name.endsWith('_count')) count += v.value;
    else if (name.endsWith('_sum')) sum += v.value;
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const quantile = (q: number): number | null => {
    if (count === 0) return null;
    const rank = q * count;
    let prevLe = 0;
    let prevCount = 0;
    for (const [le, c] of sorted) {
      if (c >= rank) {
        if (!Number.isFinite(le)) return prevLe;
        const within = c - prevCount;
        return within > 0 ? prevLe + ((rank - prevCount) / within) * (le - prevLe) : le;
      }
      prevLe = le;
      prevCount = c;
    }
    return prevLe;
  };
  return {
    requests: count,
    meanSeconds: count ? sum / count : null,
    p50Seconds: quantile(0.5),
    p95Seconds: quantile(0.95),
    p99Seconds: quantile(0.99),
  };
}

/** What `system-status` says about Redis: connected or not, and its failures lately and in all. */
function l2Status(l2: CacheL2Stats) {
  if (!l2.enabled) return { enabled: false };
  return {
    enabled: true,
    connected: l2.connected,
    healthy: l2.healthy,
    recentErrors: l2.recentErrors,
    windowSeconds: l2.windowSeconds,
    errors: l2.errors,
    ...(l2.lastError ? { lastError: l2.lastError } : {}),
  };
}

const rate = (hits: number, misses: number) => (hits + misses > 0 ? hits / (hits + misses) : null);

/** The `models/*`, `health/*`, `jobs/*` and `rental-classes` endpoints, served by core itself. */
export function coreEndpoints(core: CoreEndpointServices): AnyEndpoint[] {
  return [
    defineEndpoint({
      method: 'GET',
      path: '/health/system-status',
      summary: 'Whether the database, cache, plugins and data feed are healthy (503 while the database cannot be reached)',
      role: 'read',
      output: z.object({
        status: z.enum(['ok', 'degraded', 'down']),
        coreVersion: z.string(),
        startedAt: z.string(),
        uptimeSeconds: z.number(),
        database: z.object({
          ok: z.boolean(),
          dialect: z.string(),
          latencyMs: z.number(),
          error: z.string().optional(),
          downSince: z.string().nullable().optional(),
          downSeconds: z.number().nullable().optional(),
          readReplicas: z.array(z.object({ url: z.string(), ok: z.boolean(), downSince: z.string().nullable().optional(), error: z.string().nullable().optional() })).optional(),
        }),
        cache: z.object({
          l1Entries: z.number().int(),
          l2: z.object({
            enabled: z.boolean(),
            connected: z.boolean().optional(),
            healthy: z.boolean().optional(),
            recentErrors: z.number().optional(),
            windowSeconds: z.number().optional(),
            errors: z.number().optional(),
            lastError: z.string().optional(),
          }),
        }),
        plugins: z.array(z.object({ id: z.string(), version: z.string(), endpoints: z.number().int(), predictors: z.array(z.string()) })),
        data: z.object({ scans: z.number(), firstScan: z.string().nullable(), lastScan: z.string().nullable(), lastScanAgeHours: z.number().nullable() }),
        jobs: z.object({ runner: z.string(), queued: z.number(), running: z.number(), failed: z.number() }),
        predictionWriteQueue: z.number(),
        title: z.string().optional().describe('with 503 only'),
        detail: z.string().optional().describe('with 503 only'),
      }),
      async handler() {
        const started = performance.now();
        let databaseOk = true;
        let databaseError: string | undefined;
        try {
          // A stopped server holds a query until it times out; a health check answers within seconds.
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('no answer to select 1 within 3 s')), 3_000);
          });
          await Promise.race([sql`select 1`.execute(primaryOnly(core.database).db), timeout]).finally(() => clearTimeout(timer));
        } catch (err) {
          databaseOk = false;
          databaseError = err instanceof Error ? err.message : String(err);
          // Ask the probe now: once this says 503, every cached answer served after it is flagged stale.
          // (At most a second more: a stopped server already cost this answer its 3 s.)
          const availability = core.database.availability;
          if (availability) {
            let wait: NodeJS.Timeout | undefined;
            await Promise.race([availability.check(), new Promise((ok) => (wait = setTimeout(ok, 1_000)))]).finally(() => clearTimeout(wait));
          }
        }
        const dbLatencyMs = performance.now() - started;
        const cache = core.cache.stats();
        // count(*) over a real RFID3 scan log is a full index scan: polled every few seconds, it is cached for a minute.
        const range = databaseOk ? (await core.cache.wrap('health:scan-range', 60, () => core.inventory.scanRange())).value : { first: null, last: null, scans: 0 };
        const now = core.clock.now();
        const lastScanAgeHours = range.last ? (now.getTime() - Date.parse(`${range.last.replace(' ', 'T')}Z`)) / HOUR_MS : null;
        const jobs = await core.jobs.counts().catch(() => ({ queued: 0, running: 0, succeeded: 0, failed: 0 }));
        // Degraded while Redis is away or failed lately (a sliding window): once it is back, `ok` returns.
        const status = !databaseOk ? 'down' : cache.l2.enabled && !cache.l2.healthy ? 'degraded' : 'ok';
        const outage = core.database.availability?.snapshot();
        const report = {
          status,
          coreVersion: CORE_VERSION,
          startedAt: core.runtime.startedAt.toISOString(),
          uptimeSeconds: Math.round((now.getTime() - core.runtime.startedAt.getTime()) / 1000),
          database: {
            ok: databaseOk,
            dialect: core.database.dialect,
            latencyMs: Math.round(dbLatencyMs * 10) / 10,
            ...(databaseError ? { error: databaseError } : {}),
            ...(outage && !outage.available ? { downSince: outage.downSince, downSeconds: outage.downSeconds } : {}),
            // Read replicas answer GET reads; one that is away costs nothing but load on the primary.
            ...(core.database.readReplicas
              ? {
                  readReplicas: core.database.readReplicas.map((r) => {
                    const s = r.availability.snapshot();
                    const lag = {
                      lagSeconds: r.lag.seconds,
                      maxLagSeconds: r.lag.maxSeconds,
                      servesReads: s.available && r.lag.acceptable,
                      ...(r.lag.problem ? { lagProblem: r.lag.problem } : {}),
                    };
                    return { url: r.displayUrl, ok: s.available, ...lag, ...(s.available ? {} : { downSince: s.downSince, error: s.lastError }) };
                  }),
                }
              : {}),
          },
          cache: { l1Entries: cache.l1.size, l2: l2Status(cache.l2) },
          plugins: core.runtime.plugins.map((p) => ({ id: p.id, version: p.version, endpoints: p.endpoints, predictors: p.predictors })),
          data: { scans: range.scans, firstScan: range.first, lastScan: range.last, lastScanAgeHours: lastScanAgeHours === null ? null : Math.round(lastScanAgeHours * 10) / 10 },
          jobs: { runner: core.jobs.kind, queued: jobs.queued, running: jobs.running, failed: jobs.failed },
          predictionWriteQueue: core.predictionStore.pending(),
        };
        if (databaseOk) return report;
        // A load balancer or monitor reads the status code: the report is the body, as it is when healthy.
        const detail = `the database cannot be reached${databaseError ? `: ${databaseError}` : ''}; cached predictions are served (stale), the rest answers 503`;
        return new EndpointReply({ ...report, title: 'Service Unavailable', detail }, 503, { 'Retry-After': '5' });
      },
    }),
    defineEndpoint({
      method: 'GET',
      path: '/health/performance-metrics',
      summary: 'Request latency, cache hit rates and prediction counts measured by this process',
      role: 'read',
      output: z.object({
        http: z.object({
          requests: z.number(),
          meanSeconds: z.number().nullable(),
          p50Seconds: z.number().nullable(),
          p95Seconds: z.number().nullable(),
          p99Seconds: z.number().nullable(),
        }),
        cache: z.object({
          l1: z.object({ hits: z.number(), misses: z.number(), hitRate: z.number().nullable(), entries: z.number() }),
          l2: z.object({
            enabled: z.boolean(),
            hits: z.number().optional(),
            misses: z.number().optional(),
            hitRate: z.number().nullable().optional(),
            errors: z.number().optional(),
          }),
        }),
        predictions: z.object({ produced: z.number(), served: z.number(), waitingToBeWritten: z.number() }),
        memory: z.object({ rssBytes: z.number(), heapUsedBytes: z.number() }),
      }),
      async handler() {
        const cache = core.cache.stats();
        return {
          http: await latencySummary(core),
          cache: {
            l1: { hits: cache.l1.hits, misses: cache.l1.misses, hitRate: rate(cache.l1.hits, cache.l1.misses), entries: cache.l1.size },
            l2: cache.l2.enabled
              ? { enabled: true, hits: cache.l2.hits, misses: cache.l2.misses, hitRate: rate(cache.l2.hits, cache.l2.misses), errors: cache.l2.errors }
              : { enabled: false },
          },
          predictions: {
            produced: await core.metrics.total('rfid3_predictions_produced_total'),
            served: await core.metrics.total('rfid3_predictions_served_total'),
            waitingToBeWritten: core.predictionStore.pending(),
          },
          memory: { rssBytes: process.memoryUsage().rss, heapUsedBytes: process.memoryUsage().heapUsed },
        };
      },
    }),
    defineEndpoint({
      method: 'GET',
      path: '/rental-classes',
      summary: 'Every rental class with its name, category and tagged units (sold items and packs excluded): the names beside the class numbers other answers give alone',
      role: 'read',
      output: z.object({
        classes: z.array(z.object({ rentalClass: z.string(), commonName: z.string().nullable(), category: z.string(), subcategory: z.string().nullable(), units: z.number() })),
      }),
      async handler() {
        return { classes: await core.inventory.rentalClasses() };
      },
    }),
    defineEndpoint({
      method: 'GET',
      path: '/health/prediction-accuracy',
      summary: 'Accuracy of every model version, from stored predictions matched with actuals',
      role: 'read',
      output: z.object({ models: z.array(accuracyRowSchema), matchedPredictions: z.number().int(), note: z.string().optional() }),
      input: { query: z.object({ since: z.iso.date().optional() }) },
      async handler({ query }) {
        await core.predictionStore.flush();
        const rows = await core.predictionStore.accuracy({ byHorizon: false, since: query.since });
        return {
          models: rows,
          matchedPredictions: rows.reduce((s, r) => s + r.n, 0),
          ...(rows.length === 0 ? { note: 'no prediction has been matched with its actual yet' } : {}),
        };
      },
    }),
    defineEndpoint({
      method: 'GET',
      path: '/models/status',
      summary: 'The active version of every model, its validation score and its live accuracy',
      role: 'read',
      output: z.object({
        models: z.array(modelVersionSchema.extend({ versions: z.number().int(), live: accuracyRowSchema.nullable() })),
        predictors: z.array(z.object({ id: z.string(), description: z.string(), pluginId: z.string() })),
      }),
      async handler() {
        await core.predictionStore.flush();
        const status = await core.registry.status();
        const live = await core.predictionStore.accuracy({ byHorizon: false });
        return {
          models: status.map((m) => ({
            ...m,
            live: live.find((l) => l.modelVersion === m.versionTag) ?? null,
          })),
          predictors: core.predictions.list(),
        };
      },
    }),
    defineEndpoint({
      method: 'GET',
      path: '/models/performance',
      summary: 'Validation metrics recorded for each model version, and live accuracy from matched predictions',
      role: 'read',
      output: z.object({
        recorded: z.array(
          z.object({
            modelName: z.string(),
            modelVersion: z.string(),
            modelType: z.string().nullable(),
            metric: z.string(),
            value: z.number(),
            evaluation: z.string().nullable(),
            sampleSize: z.number().nullable(),
            details: z.unknown().describe('the recorded details (JSON), or null'),
            evaluatedAt: z.string(),
          }),
        ),
        live: z.array(accuracyRowSchema),
      }),
      input: { query: z.object({ model: z.string().min(1).max(100).optional(), limit: z.coerce.number().int().min(1).max(1000).default(200) }) },
      async handler({ query }) {
        let q = core.database.db.selectFrom('ml_model_performance').selectAll();
        if (query.model) q = q.where('model_name', '=', query.model);
        const rows = await q.orderBy('id', 'desc').limit(query.limit).execute();
        await core.predictionStore.flush();
        return {
          recorded: rows.map((r) => ({
            modelName: r.model_name,
            modelVersion: r.model_version,
            modelType: r.model_type,
            metric: r.metric_name,
            value: Number(r.metric_value),
            evaluation: r.evaluation,
            sampleSize: r.sample_size === null ? null : Number(r.sample_size),
            details: parseJsonColumn(r.details),
            evaluatedAt: r.evaluated_at,
          })),
          live: await core.predictionStore.accuracy({ modelName: query.model, byHorizon: true }),
        };
      },
    }),
    defineEndpoint({
      method: 'GET',
      path: '/models/version-history',
      summary: 'Every registered version of each model, newest first, with why it was or was not activated',
      role: 'read',
      output: z.object({ versions: z.array(modelVersionSchema) }),
      input: { query: z.object({ model: z.string().min(1).max(100).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
      async handler({ query }) {
        return { versions: await core.registry.history(query.model, query.limit) };
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/models/activate',
      summary: 'Makes a registered version of a model the active one (an operator’s rollback or roll-forward), retiring the one active now; every host serves it within a second',
      role: 'admin',
      output: z.object({ activated: modelVersionSchema }),
      input: { body: z.object({ model: z.string().min(1).max(100), version: z.number().int().positive() }) },
      async handler({ body }) {
        const versions = await core.registry.history(body.model, 1000);
        if (!versions.some((v) => v.version === body.version)) {
          throw HttpProblem.notFound(
            versions.length
              ? `model '${body.model}' has no version ${body.version} (versions: ${versions
                  .map((v) => v.version)
                  .sort((a, b) => a - b)
                  .join(', ')})`
              : `no model named '${body.model}' is registered`,
          );
        }
        return { activated: await core.registry.activate(body.model, body.version) };
      },
    }),
    defineEndpoint({
      method: 'POST',
      path: '/models/retrain/:service',
      summary: "Queues the named plugin's retraining job",
      role: 'operate',
      output: jobAcceptedSchema,
      successStatus: 202,
      input: { params: z.object({ service: z.string().regex(/^[a-z][a-z0-9-]*$/, 'a plugin id such as demand') }) },
      async handler({ params }) {
        const plugin = core.runtime.plugins.find((p) => p.id === params.service);
        if (!plugin) {
          throw HttpProblem.notFound(`no plugin '${params.service}' is loaded (loaded: ${core.runtime.plugins.map((p) => p.id).join(', ') || 'none'})`);
        }
        const job = `${params.service}.retrain`;
        if (!core.jobs.has(job)) throw HttpProblem.notFound(`plugin '${params.service}' has no retrain job`);
        const queued = core.jobs.enqueue(job, {});
        // BullMQ: the same retrain on unchanged data is the job already there, perhaps running or finished.
        return jobAccepted((await core.jobs.get(queued.id).catch(() => undefined)) ?? queued);
      },
    }),
    defineEndpoint({
      method: 'GET',
      path: '/jobs',
      summary: 'Background jobs, newest first, with their progress; `state=active` for the running ones',
      role: 'read',
      output: z.object({ runner: z.string(), jobs: z.array(jobRecordSchema) }),
      input: {
        query: z.object({
          state: z.enum(Object.keys(JOB_STATE_ALIASES) as [string, ...string[]], { message: `one of ${Object.keys(JOB_STATE_ALIASES).join(', ')}` }).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
        }),
      },
      async handler({ query }) {
        const status = query.state ? JOB_STATE_ALIASES[query.state] : undefined;
        return { runner: core.jobs.kind, jobs: await core.jobs.list({ limit: query.limit, status }) };
      },
    }),
    defineEndpoint({
      method: 'GET',
      path: '/jobs/:id',
      summary: 'State and progress of a background job',
      role: 'read',
      output: jobRecordSchema,
      // A UUID (in-process) or a deterministic BullMQ id such as `demand.retrain.1a2b3c4d5e6f.d7`.
      input: { params: z.object({ id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/, 'a job id') }) },
      async handler({ params }) {
        const job = await core.jobs.get(params.id);
        if (!job) throw HttpProblem.notFound(`no job '${params.id}' (finished jobs are kept for a while, then forgotten)`);
        return job;
      },
    }),
  ];
}
