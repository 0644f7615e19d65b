import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus metrics every part of the runtime reports to; one registry per runtime, never the global one. */
export class CoreMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'rfid3_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly predictionsServed = new Counter({
    name: 'rfid3_predictions_served_total',
    help: 'Predictions returned to callers (from the model or from the cache)',
    labelNames: ['predictor', 'source'] as const,
    registers: [this.registry],
  });
  readonly predictionsProduced = new Counter({
    name: 'rfid3_predictions_produced_total',
    help: 'Predictions computed by a model (each one recorded in analytics_predictions)',
    labelNames: ['predictor'] as const,
    registers: [this.registry],
  });
  readonly cacheHits = new Counter({
    name: 'rfid3_cache_hits_total',
    help: 'Cache lookups answered, by layer',
    labelNames: ['layer'] as const,
    registers: [this.registry],
  });
  readonly cacheMisses = new Counter({
    name: 'rfid3_cache_misses_total',
    help: 'Cache lookups not answered, by layer',
    labelNames: ['layer'] as const,
    registers: [this.registry],
  });
  readonly jobsFinished = new Counter({
    name: 'rfid3_jobs_finished_total',
    help: 'Background jobs finished, by name and outcome',
    labelNames: ['job', 'status'] as const,
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'rfid3_job_duration_seconds',
    help: 'How long background jobs ran, by name and outcome',
    labelNames: ['job', 'status'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  /** Set when /metrics is read, from the job runner (Redis in BullMQ mode, so every host reports the same queue). */
  readonly jobsInState = new Gauge({
    name: 'rfid3_jobs',
    help: 'Background jobs by state (queued is the queue depth)',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly predictionWriteQueue = new Gauge({
    name: 'rfid3_prediction_write_queue',
    help: 'Predictions waiting to be written to analytics_predictions',
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'rfid3_' });
  }

  /** Current value of a counter summed over its labels, as served on /metrics. */
  async total(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) return 0;
    const data = await metric.get();
    return data.values
      .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
      .reduce((sum, v) => sum + v.value, 0);
  }
}
