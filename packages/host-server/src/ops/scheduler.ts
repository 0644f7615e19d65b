import type { AnyEndpoint, HttpProblem, Runtime } from '@rfid3/core';
import { addDays, BullmqJobRunner, isDependencyUnavailable, isoDay, keepSchedule, retryAfterSeconds } from '@rfid3/core';
import { Cron } from 'croner';
import { Counter, Gauge } from 'prom-client';
import type { WebhookNotifier } from './webhooks.js';

/** Options of the host scheduler: the nightly cron, the refresh, the tick and the alert thresholds. */
export interface SchedulerOptions {
  /** Cron of the nightly precompute and checks (default 05:30, server time: before the stores open, since answers live only as long as their cache TTL). */
  nightly?: string;
  /** Also precompute every this many minutes (default 0: off); keep it under the forecasts' cache TTL (demand: 60 min) to keep them warm all day. */
  refreshMinutes?: number;
  /** How often to look for a newly activated model, pending decisions and accuracy (default 60 s). */
  tickSeconds?: number;
  notifier?: WebhookNotifier;
  /** Decisions awaiting approval are notified from this amount up (default $1,000). */
  highValueUsd?: number;
  /** A model is degraded when its last week's MAE exceeds its five-week MAE by this factor (default 1.5)… */
  degradationFactor?: number;
  /** …or its interval covers this much less than its level (default 0.15), with at least `minMatched` matches. */
  coverageShortfall?: number;
  minMatched?: number;
}

/** What one precompute round answered, and what failed. */
export interface PrecomputeResult {
  trigger: string;
  answered: number;
  failed: number;
  paths: string[];
}

/** Endpoints worth answering ahead of time: GETs with no path parameter whose query needs nothing. */
function precomputable(endpoint: AnyEndpoint): boolean {
  if (endpoint.method !== 'GET' || /[:*]/.test(endpoint.path)) return false;
  if (/^\/(health|models|jobs)\b/.test(endpoint.path)) return false;
  const query = endpoint.input?.query as { safeParse?(v: unknown): { success: boolean } } | undefined;
  return !query?.safeParse || query.safeParse({}).success;
}

/** Who the precomputed requests are made as. */
const SCHEDULER_ACCESS = { principal: { keyId: 'scheduler', name: 'scheduler', role: 'admin' as const } };

/** The job that precomputes, in BullMQ mode: any worker runs it, and the hosts' requests for it coalesce. */
export const PRECOMPUTE_JOB = 'host.precompute';

/**
 * One answer computed ahead of time, in BullMQ mode (payload `{ path, key? }`): a precompute after a model
 * activation is one of these per path, so that every worker shares the round instead of one worker doing it all.
 * An answer that is unavailable (503: the database busy or away) is asked for again after its Retry-After, three
 * times in all, before the job fails; any other error fails it at once.
 */
export const ANSWER_JOB = 'host.answer';

/** The nightly precompute and proposals, in BullMQ mode: a job scheduler on the nightly cron, so N hosts give one run a night. */
export const NIGHTLY_JOB = 'host.nightly';

/** Registers `host.precompute`, `host.answer` and `host.nightly` on a host or worker runtime (a worker must know every job a host may queue). */
export function registerHostJobs(runtime: Runtime): void {
  if (runtime.jobs.has(PRECOMPUTE_JOB)) return;
  const scheduler = new HostScheduler(runtime);
  runtime.jobs.register(PRECOMPUTE_JOB, (payload: { trigger?: string }) => scheduler.precompute(payload?.trigger ?? 'job'));
  runtime.jobs.register(ANSWER_JOB, async (payload: { path?: unknown }) => {
    const path = payload?.path;
    if (typeof path !== 'string' || !path.startsWith('/')) throw new Error(`${ANSWER_JOB} needs a GET path, such as /demand/forecast`);
    // A database busy rather than gone (its probe slow to answer, a query past its timeout) answers 503 for a moment:
    // the job waits what the answer says and asks again before it fails.
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await runtime.call('GET', path, SCHEDULER_ACCESS);
        return { path, status: res.status, attempts: attempt };
      } catch (err) {
        const wait = unavailableFor(err);
        if (wait === null || attempt >= ANSWER_ATTEMPTS) throw err;
        runtime.logger.warn({ path, attempt, retryInSeconds: wait, err: String(err) }, `${ANSWER_JOB}: the answer was unavailable, asking again`);
        await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      }
    }
  });
  runtime.jobs.register(NIGHTLY_JOB, () => scheduler.nightly());
}

/** Times `host.answer` asks for an answer that is unavailable (503) before the job fails. */
const ANSWER_ATTEMPTS = 3;

/** Seconds to wait before asking again for an answer that failed as unavailable (503), or null for any other failure. */
function unavailableFor(err: unknown): number | null {
  // Known by its shape: a problem thrown by a plugin built against another copy of core is one too.
  const problem = err as Partial<HttpProblem> | null;
  if (problem?.name === 'HttpProblem') return problem.status === 503 ? Math.max(1, Number(problem.extensions?.retryAfterSeconds) || 1) : null;
  return isDependencyUnavailable(err) ? retryAfterSeconds(err) : null;
}

/** prom-client throws on a second metric of the same name in a registry: reuse it instead. */
function metric<T>(runtime: Runtime, name: string, make: () => T): T {
  return (runtime.metrics.registry.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * The host's scheduler: precomputes the common answers (so the first dashboard visit after a retrain
 * or at opening time is served from the cache) after each model activation and nightly, has the plugins
 * propose their decisions nightly, and raises the
 * webhook notifications for high-value decisions awaiting approval and degraded accuracy.
 */
export class HostScheduler {
  private cron: Cron | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refresher: NodeJS.Timeout | undefined;
  private lastActivations: string | null = null;
  private ticking: Promise<void> | null = null;
  private readonly runs: Counter<'trigger'>;
  private readonly answered: Gauge;

  constructor(
    private readonly runtime: Runtime,
    private readonly options: SchedulerOptions = {},
  ) {
    const registers = [runtime.metrics.registry];
    this.runs = metric(
      runtime,
      'rfid3_precompute_runs_total',
      () => new Counter({ name: 'rfid3_precompute_runs_total', help: 'Precompute runs, by what triggered them', labelNames: ['trigger'] as const, registers }),
    );
    this.answered = metric(
      runtime,
      'rfid3_precomputed_answers',
      () => new Gauge({ name: 'rfid3_precomputed_answers', help: 'Answers computed ahead of time by the last precompute run', registers }),
    );
    metric(
      runtime,
      'rfid3_cache_hit_ratio',
      () =>
        new Gauge({
          name: 'rfid3_cache_hit_ratio',
          help: 'Share of cache lookups answered, by layer, since the process started',
          labelNames: ['layer'] as const,
          registers,
          collect() {
            const s = runtime.cache.stats();
            const ratio = (h: number, m: number) => (h + m === 0 ? 0 : h / (h + m));
            this.set({ layer: 'l1' }, ratio(s.l1.hits, s.l1.misses));
            if (s.l2.enabled) this.set({ layer: 'l2' }, ratio(s.l2.hits, s.l2.misses));
          },
        }),
    );
  }

  /** The GET paths precomputed: every precomputable endpoint, and the demand forecast of each category. */
  async precomputePaths(): Promise<string[]> {
    const paths = this.runtime.endpoints
      .all()
      .filter((m) => precomputable(m.endpoint))
      .map((m) => m.endpoint.path);
    if (this.runtime.endpoints.find('GET', '/demand/forecast')) {
      for (const c of await this.runtime.inventory.categories()) paths.push(`/demand/forecast?weeks=4&category=${encodeURIComponent(c)}`);
    }
    return [...new Set(paths)];
  }

  /** Answers each common request once through the runtime (and so through its cache). */
  async precompute(trigger: string): Promise<PrecomputeResult> {
    const paths = await this.precomputePaths();
    let answered = 0;
    let failed = 0;
    for (const path of paths) {
      try {
        await this.runtime.call('GET', path, SCHEDULER_ACCESS);
        answered++;
      } catch (err) {
        failed++;
        this.runtime.logger.warn({ err, path }, 'precompute request failed');
      }
    }
    this.runs.inc({ trigger });
    this.answered.set(answered);
    this.runtime.logger.info({ trigger, answered, failed }, 'precomputed common answers');
    return { trigger, answered, failed, paths };
  }

  /**
   * Runs every plugin's `propose` job (restock purchases, prices, packs) and waits for them: the one place,
   * beside `POST /decisions/propose`, where recommendations become recorded decisions.
   */
  async propose(): Promise<Record<string, unknown>> {
    const results: Record<string, unknown> = {};
    for (const name of this.runtime.plugins.flatMap((p) => p.jobs).filter((n) => n.endsWith('.propose'))) {
      const record = await this.runtime.jobs.waitFor(this.runtime.jobs.enqueue(name, {}).id);
      results[name] = record.status === 'succeeded' ? record.result : { error: record.error };
      if (record.status !== 'succeeded') this.runtime.logger.error({ job: name, error: record.error }, 'proposal job failed');
    }
    return results;
  }

  /** The nightly work that must happen once however many hosts run: precompute the common answers, then the proposals. */
  async nightly(): Promise<{ precomputed: PrecomputeResult; proposed: Record<string, unknown> }> {
    const precomputed = await this.precompute('nightly');
    const proposed = await this.propose();
    return { precomputed, proposed };
  }

  /** Sends `decision.awaiting-approval` once for each pending decision at or above the high-value amount. */
  async checkDecisions(): Promise<number> {
    const notifier = this.options.notifier;
    if (!notifier?.wants('decision.awaiting-approval')) return 0;
    const threshold = this.options.highValueUsd ?? notifier.config.highValueUsd ?? 1000;
    let sent = 0;
    for (const d of await this.runtime.decisions.list({ status: 'pending', limit: 500 })) {
      if (!d.requiresApproval || (d.amountUsd ?? 0) < threshold) continue;
      const out = await notifier.notify(
        'decision.awaiting-approval',
        {
          decisionId: d.id,
          decisionType: d.decisionType,
          target: d.target,
          amountUsd: d.amountUsd,
          confidence: d.confidence,
          action: d.action,
          rationale: d.rationale,
          createdAt: d.createdAt,
        },
        { dedupeKey: `decision-${d.id}` },
      );
      if (out.length) sent++;
    }
    return sent;
  }

  /** Compares each model's last week of matched predictions with its last five weeks; notifies once a day per degraded model. */
  async checkAccuracy(): Promise<{ model: string; reason: string }[]> {
    const today = isoDay(this.runtime.clock.now());
    const recent = await this.runtime.predictionStore.accuracy({ byHorizon: false, since: addDays(today, -7) });
    const longer = await this.runtime.predictionStore.accuracy({ byHorizon: false, since: addDays(today, -35) });
    const min = this.options.minMatched ?? 20;
    const degraded: { model: string; reason: string }[] = [];
    for (const r of recent) {
      if (r.n < min) continue;
      const base = longer.find((l) => l.modelVersion === r.modelVersion);
      const factor = this.options.degradationFactor ?? 1.5;
      if (base && base.n >= min * 2 && base.mae > 0 && r.mae > factor * base.mae) {
        degraded.push({ model: r.modelVersion, reason: `MAE of the last 7 days ${r.mae.toFixed(2)} is over ${factor}× the 35-day MAE ${base.mae.toFixed(2)}` });
      } else if (r.coverage !== null && r.intervalLevel !== null && r.coverage < r.intervalLevel - (this.options.coverageShortfall ?? 0.15)) {
        degraded.push({ model: r.modelVersion, reason: `the ${Math.round(r.intervalLevel * 100)} % interval covered ${(r.coverage * 100).toFixed(0)} % of the last 7 days` });
      }
    }
    for (const d of degraded) {
      await this.options.notifier?.notify('accuracy.degraded', { model: d.model, reason: d.reason, day: today }, { dedupeKey: `${d.model}-${today}` });
    }
    return degraded;
  }

  /**
   * Precomputes here (in-process runner) or queues one `host.answer` per path (BullMQ), which the workers share:
   * every host asks for the same jobs (same path and `key`, same data version), so several hosts make one round.
   */
  private async precomputeOnce(trigger: string, key: string): Promise<void> {
    if (this.runtime.jobs.kind !== 'bullmq' || !this.runtime.jobs.has(ANSWER_JOB)) {
      await this.precompute(trigger);
      return;
    }
    for (const path of await this.precomputePaths()) this.runtime.jobs.enqueue(ANSWER_JOB, { path, key });
    this.runs.inc({ trigger });
  }

  /** One pass: precompute after a newly activated model, then the notification checks. */
  async tick(): Promise<void> {
    const activations = (await this.runtime.registry.status())
      .map((m) => `${m.versionTag}@${m.activatedAt ?? ''}`)
      .sort()
      .join('|');
    if (this.lastActivations !== null && activations !== this.lastActivations) await this.precomputeOnce('retrain', activations);
    this.lastActivations = activations;
    await this.checkDecisions();
    await this.checkAccuracy();
  }

  /** Starts the nightly precompute, the optional refresh and the periodic checks. */
  start(): void {
    const nightly = this.options.nightly ?? '30 5 * * *';
    const jobs = this.runtime.jobs;
    if (jobs instanceof BullmqJobRunner && jobs.has(NIGHTLY_JOB)) {
      // A BullMQ job scheduler on the cron: one nightly precompute and one round of proposals, whatever the
      // number of hosts (a cron on each would propose once per host). The accuracy check runs on every tick.
      jobs.scheduleCron(NIGHTLY_JOB, nightly).catch((err: unknown) => this.runtime.logger.error({ err }, 'could not schedule the nightly run'));
    } else {
      this.cron = new Cron(nightly, { protect: true }, async () => {
        await this.precomputeOnce('nightly', isoDay(this.runtime.clock.now())).catch((err) => this.runtime.logger.error({ err }, 'nightly precompute failed'));
        await this.propose().catch((err) => this.runtime.logger.error({ err }, 'nightly proposals failed'));
        await this.checkAccuracy().catch((err) => this.runtime.logger.error({ err }, 'accuracy check failed'));
      });
    }
    if (this.runtime.jobs.kind === 'bullmq' && this.runtime.jobs.has(PRECOMPUTE_JOB)) {
      // A BullMQ job scheduler: one refresh per period whatever the number of hosts; none (an earlier one removed) at 0.
      void keepSchedule(this.runtime.jobs, PRECOMPUTE_JOB, (this.options.refreshMinutes ?? 0) * 60_000, this.runtime.logger, { trigger: 'refresh' });
    } else if (this.options.refreshMinutes) {
      this.refresher = setInterval(() => {
        void this.precompute('refresh').catch((err) => this.runtime.logger.error({ err }, 'precompute refresh failed'));
      }, this.options.refreshMinutes * 60_000);
      this.refresher.unref();
    }
    const every = (this.options.tickSeconds ?? 60) * 1000;
    const loop = () => {
      this.ticking = this.tick()
        .catch((err) => this.runtime.logger.error({ err }, 'scheduler tick failed'))
        .finally(() => {
          this.ticking = null;
        });
      this.timer = setTimeout(loop, every);
      this.timer.unref();
    };
    this.timer = setTimeout(loop, 0);
    this.timer.unref();
  }

  /** Stops the schedules and waits for a running round to finish. */
  async stop(): Promise<void> {
    this.cron?.stop();
    if (this.refresher) clearInterval(this.refresher);
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
  }
}
