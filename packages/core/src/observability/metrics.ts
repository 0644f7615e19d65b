import type * as PromClient from 'prom-client';
import type { Counter, Gauge, GaugeConfiguration, Histogram, Registry } from 'prom-client';
import { optionalPeer } from '../optional-peers.js';

/** prom-client when installed (the host depends on it); an embedder without it counts nothing. */
const prom = optionalPeer<typeof PromClient>('prom-client');

/**
 * What stands in for a registry or a metric without prom-client: every method does nothing and returns it again
 * (so `labels(…).inc()` and `startTimer()()` work); it is not a thenable, and `getSingleMetric` finds nothing.
 */
const nothing: unknown = new Proxy(function nothing() {}, {
  get: (_target, key) => (key === 'then' || key === 'getSingleMetric' ? undefined : nothing),
  apply: () => nothing,
});

type MetricOf<K extends 'Histogram' | 'Counter' | 'Gauge', L extends string> = K extends 'Gauge' ? Gauge<L> : K extends 'Counter' ? Counter<L> : Histogram<L>;

/**
 * The Prometheus metrics every part of the runtime reports to; one registry per runtime, never the global one.
 * prom-client is an optional peer of core: without it (`enabled` false) the metrics count nothing.
 */
export class CoreMetrics {
  readonly enabled = prom !== undefined;
  readonly registry: Registry = prom ? new prom.Registry() : (nothing as Registry);
  readonly httpDuration = this.make('Histogram', {
    name: 'rfid3_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  readonly predictionsServed = this.make('Counter', {
    name: 'rfid3_predictions_served_total',
    help: 'Predictions returned to callers (from the model or from the cache)',
    labelNames: ['predictor', 'source'] as const,
  });
  readonly predictionsProduced = this.make('Counter', {
    name: 'rfid3_predictions_produced_total',
    help: 'Predictions computed by a model (each one recorded in analytics_predictions)',
    labelNames: ['predictor'] as const,
  });
  readonly cacheHits = this.make('Counter', {
    name: 'rfid3_cache_hits_total',
    help: 'Cache lookups answered, by layer',
    labelNames: ['layer'] as const,
  });
  readonly cacheMisses = this.make('Counter', {
    name: 'rfid3_cache_misses_total',
    help: 'Cache lookups not answered, by layer',
    labelNames: ['layer'] as const,
  });
  readonly jobsFinished = this.make('Counter', {
    name: 'rfid3_jobs_finished_total',
    help: 'Background jobs finished, by name and outcome',
    labelNames: ['job', 'status'] as const,
  });
  readonly jobDuration = this.make('Histogram', {
    name: 'rfid3_job_duration_seconds',
    help: 'How long background jobs ran, by name and outcome',
    labelNames: ['job', 'status'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
  });
  /** Set when /metrics is read, from the job runner (Redis in BullMQ mode, so every host reports the same queue). */
  readonly jobsInState = this.make('Gauge', {
    name: 'rfid3_jobs',
    help: 'Background jobs by state (queued is the queue depth)',
    labelNames: ['state'] as const,
  });
  readonly predictionWriteQueue = this.make('Gauge', {
    name: 'rfid3_prediction_write_queue',
    help: 'Predictions waiting to be written to analytics_predictions',
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics && prom) prom.collectDefaultMetrics({ register: this.registry, prefix: 'rfid3_' });
  }

  /** A gauge on this registry (the one already there under `name`, if any). */
  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return (this.registry.getSingleMetric?.(config.name) as Gauge<L> | undefined) ?? this.make<'Gauge', L>('Gauge', config);
  }

  private make<K extends 'Histogram' | 'Counter' | 'Gauge', L extends string = string>(
    kind: K,
    config: { name: string; help: string; labelNames?: readonly L[]; buckets?: number[] },
  ): MetricOf<K, L> {
    if (!prom) return nothing as MetricOf<K, L>;
    const Metric = prom[kind] as unknown as new (c: unknown) => MetricOf<K, L>;
    return new Metric({ ...config, registers: [this.registry] });
  }

  /** Current value of a counter summed over its labels, as served on /metrics (0 without prom-client). */
  async total(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = this.registry.getSingleMetric?.(name);
    if (!metric) return 0;
    const data = await metric.get();
    return data.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((sum, v) => sum + v.value, 0);
  }
}
