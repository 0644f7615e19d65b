import { randomUUID } from 'node:crypto';
import { stableStringify } from '../cache/cache.js';
import type { Clock } from '../time/clock.js';
import { runAsJob } from './job-context.js';
import type { Logger } from '../observability/logger.js';
import type { CoreMetrics } from '../observability/metrics.js';

/** The state of a job. */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** A job as the runner reports it: its state, progress, result or error, and times. */
export interface JobRecord {
  id: string;
  name: string;
  status: JobStatus;
  /** Fraction done, 0 … 1, as reported by the handler. */
  progress: number;
  message?: string;
  result?: unknown;
  error?: string;
  enqueuedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** The process that ran (or runs) it, `host:pid` (BullMQ mode; in-process jobs run in the host that queued them). */
  worker?: string;
}

/** The body of a 202 answer for a queued job, with where to follow it. */
export function jobAccepted(record: JobRecord): { jobId: string; job: string; status: JobStatus; statusUrl: string } {
  return { jobId: record.id, job: record.name, status: record.status, statusUrl: `/api/predictive/jobs/${record.id}` };
}

/** What a job handler gets besides its payload: the job id, a logger and a way to report progress. */
export interface JobContext {
  jobId: string;
  logger: Logger;
  /** Reports the fraction done (0 … 1), with an optional message. */
  progress(fraction: number, message?: string): void;
}

/** Its result is kept with the job record and should be JSON-serialisable. */
export type JobHandler<P = unknown> = (payload: P, ctx: JobContext) => unknown;

/** The job a plugin registers for `POST /models/retrain/:plugin`. */
export const RETRAIN_JOB = 'retrain';

/** How a registered job behaves when it is requested again. */
export interface JobOptions {
  /**
   * A request made while the same job (same payload) is running joins that run instead of queueing another:
   * right for retraining, where a second run right after the first would only register a second version of
   * the same model. A request always joins one that is queued and not yet started.
   */
  joinRunning?: boolean;
}

/** Which jobs to list: by state (BullMQ's names `active`, `waiting`, `completed` are accepted too). */
export interface JobListOptions {
  limit?: number;
  status?: JobStatus;
}

/** How many jobs are in each state, for `/metrics` and `system-status`. */
export type JobCounts = Record<JobStatus, number>;

/** Runs named jobs (training, batch scoring) in the background and reports their state. */
export interface JobRunner {
  /** `in-process` (the default, no Redis) or `bullmq` (jobs in Redis, run by any worker process). */
  readonly kind: 'in-process' | 'bullmq';
  /**
   * Whether this process executes jobs: always in process; in BullMQ mode once it has started workers (the
   * `worker` and `all` roles), never on an `api` host. Work that would block the event loop can be queued for
   * a worker instead when it is false.
   */
  readonly runsJobsHere: boolean;
  /** Registers the handler of a named job. */
  register<P>(name: string, handler: JobHandler<P>, options?: JobOptions): void;
  /** Whether a job of this name is registered. */
  has(name: string): boolean;
  /**
   * Queues a job, or answers the record of the same job with the same payload already queued (or running, with
   * `joinRunning`). In BullMQ mode the id is deterministic (name, payload and data version), so the same
   * request from any host is one job; the record answered is `queued` until the queue says otherwise.
   */
  enqueue(name: string, payload?: unknown): JobRecord;
  /** The record of a job, if the runner still has it. */
  get(id: string): Promise<JobRecord | undefined>;
  /** Recent jobs, newest first, optionally of one state. */
  list(options?: JobListOptions): Promise<JobRecord[]>;
  /** How many jobs are in each state. */
  counts(): Promise<JobCounts>;
  /** Resolves when the job has finished (succeeded or failed). */
  waitFor(id: string): Promise<JobRecord>;
  /**
   * Runs the job every `everyMs` while the runtime runs (the first run one period after the schedule is made
   * in this process). In BullMQ mode this is a job scheduler in Redis, so several hosts produce one run per
   * period, not one each.
   */
  schedule(name: string, everyMs: number, payload?: unknown): Promise<void>;
  /**
   * Ends the job's recurring runs: the timer in this process, or in BullMQ mode the job scheduler in Redis (made
   * by any host, including one of an earlier deployment). Resolves true when there was one to end.
   */
  unschedule(name: string): Promise<boolean>;
  /** Stops running jobs and releases the runner's resources. */
  close(): Promise<void>;
}

/** `?state=` values: ours, and BullMQ's names for the same states. */
export const JOB_STATE_ALIASES: Record<string, JobStatus> = {
  queued: 'queued',
  waiting: 'queued',
  delayed: 'queued',
  running: 'running',
  active: 'running',
  succeeded: 'succeeded',
  completed: 'succeeded',
  failed: 'failed',
};

/**
 * The embedded runner: jobs run in this process, `concurrency` at a time, in the order enqueued.
 * A multi-machine deployment swaps in a Redis-backed queue behind the same interface.
 */
export class InProcessJobRunner implements JobRunner {
  readonly kind = 'in-process' as const;
  readonly runsJobsHere = true;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly handlers = new Map<string, { handler: JobHandler<unknown>; options: JobOptions }>();
  /** Jobs not finished yet, by name and payload, for requests to join. */
  private readonly unfinished = new Map<string, string>();
  private readonly jobs = new Map<string, JobRecord>();
  private readonly queue: { id: string; payload: unknown; identity: string }[] = [];
  private readonly waiters = new Map<string, ((r: JobRecord) => void)[]>();
  private running = 0;
  private closed = false;

  constructor(private readonly deps: { clock: Clock; logger: Logger; metrics?: CoreMetrics; concurrency?: number; keep?: number }) {}

  register<P>(name: string, handler: JobHandler<P>, options: JobOptions = {}): void {
    if (this.handlers.has(name)) throw new Error(`job '${name}' is already registered`);
    this.handlers.set(name, { handler: handler as JobHandler<unknown>, options });
  }

  has(name: string): boolean {
    return this.handlers.has(name);
  }

  enqueue(name: string, payload: unknown = {}): JobRecord {
    if (this.closed) throw new Error('job runner is closed');
    if (!this.handlers.has(name)) {
      throw new Error(`no job named '${name}' (registered: ${[...this.handlers.keys()].join(', ') || 'none'})`);
    }
    const identity = `${name}\u0000${stableStringify(payload)}`;
    const existing = this.jobs.get(this.unfinished.get(identity) ?? '');
    if (existing && (existing.status === 'queued' || (existing.status === 'running' && this.handlers.get(name)!.options.joinRunning))) {
      return { ...existing };
    }
    const record: JobRecord = {
      id: randomUUID(),
      name,
      status: 'queued',
      progress: 0,
      enqueuedAt: this.deps.clock.now().toISOString(),
    };
    this.jobs.set(record.id, record);
    this.unfinished.set(identity, record.id);
    this.queue.push({ id: record.id, payload, identity });
    this.trim();
    queueMicrotask(() => this.pump());
    return { ...record };
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const r = this.jobs.get(id);
    return r ? { ...r } : undefined;
  }

  async list(options: JobListOptions = {}): Promise<JobRecord[]> {
    const all = [...this.jobs.values()].filter((r) => !options.status || r.status === options.status);
    return all
      .slice(-(options.limit ?? 50))
      .reverse()
      .map((r) => ({ ...r }));
  }

  async counts(): Promise<JobCounts> {
    const counts: JobCounts = { queued: 0, running: 0, succeeded: 0, failed: 0 };
    for (const r of this.jobs.values()) counts[r.status]++;
    return counts;
  }

  async schedule(name: string, everyMs: number, payload: unknown = {}): Promise<void> {
    if (!this.handlers.has(name)) throw new Error(`no job named '${name}' to schedule`);
    const timer = setInterval(() => {
      try {
        this.enqueue(name, payload);
      } catch (err) {
        this.deps.logger.warn({ err }, `could not queue ${name}`);
      }
    }, everyMs);
    timer.unref();
    // Scheduling a name again replaces its schedule, as a BullMQ job scheduler's upsert does.
    clearInterval(this.timers.get(name));
    this.timers.set(name, timer);
  }

  async unschedule(name: string): Promise<boolean> {
    const timer = this.timers.get(name);
    clearInterval(timer);
    return this.timers.delete(name) && timer !== undefined;
  }

  waitFor(id: string): Promise<JobRecord> {
    const r = this.jobs.get(id);
    if (!r) return Promise.reject(new Error(`no job with id '${id}'`));
    if (r.status === 'succeeded' || r.status === 'failed') return Promise.resolve({ ...r });
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearInterval(t);
    this.timers.clear();
    this.queue.length = 0;
    const pending = [...this.jobs.values()].filter((r) => r.status === 'running').map((r) => this.waitFor(r.id));
    await Promise.all(pending);
  }

  private pump(): void {
    const limit = this.deps.concurrency ?? 1;
    while (this.running < limit && this.queue.length > 0) {
      const next = this.queue.shift()!;
      this.running++;
      void this.run(next.id, next.payload).finally(() => {
        if (this.unfinished.get(next.identity) === next.id) this.unfinished.delete(next.identity);
        this.running--;
        this.pump();
      });
    }
  }

  private async run(id: string, payload: unknown): Promise<void> {
    const record = this.jobs.get(id)!;
    const { handler } = this.handlers.get(record.name)!;
    const logger = this.deps.logger.child({ job: record.name, jobId: id });
    record.status = 'running';
    record.startedAt = this.deps.clock.now().toISOString();
    const stopTimer = this.deps.metrics?.jobDuration.startTimer({ job: record.name });
    try {
      const result = await runAsJob({ jobId: id, attempt: 1 }, () =>
        handler(payload, {
          jobId: id,
          logger,
          progress: (fraction, message) => {
            record.progress = Math.min(1, Math.max(0, fraction));
            if (message !== undefined) record.message = message;
          },
        }),
      );
      record.status = 'succeeded';
      record.progress = 1;
      if (result !== undefined) record.result = result;
    } catch (err) {
      record.status = 'failed';
      record.error = err instanceof Error ? err.message : String(err);
      logger.error({ err }, 'job failed');
    }
    record.finishedAt = this.deps.clock.now().toISOString();
    stopTimer?.({ status: record.status });
    this.deps.metrics?.jobsFinished.inc({ job: record.name, status: record.status });
    for (const resolve of this.waiters.get(id) ?? []) resolve({ ...record });
    this.waiters.delete(id);
  }

  /** Keeps the last `keep` finished jobs so a long-running host does not grow without bound. */
  private trim(): void {
    const keep = this.deps.keep ?? 500;
    if (this.jobs.size <= keep) return;
    for (const [id, r] of this.jobs) {
      if (this.jobs.size <= keep) break;
      if (r.status === 'succeeded' || r.status === 'failed') this.jobs.delete(id);
    }
  }
}

/**
 * Keeps a recurring job as configured: scheduled every `everyMs` when it is positive; otherwise any schedule of
 * it is removed (in BullMQ mode the scheduler a host made earlier would go on producing runs in Redis). Not
 * awaited by callers that must not wait on Redis at start: failures are logged, never thrown.
 */
export function keepSchedule(jobs: JobRunner, name: string, everyMs: number, logger: Pick<Logger, 'warn'>, payload?: unknown): Promise<void> {
  const change = everyMs > 0 ? jobs.schedule(name, Math.max(1000, Math.round(everyMs)), payload) : jobs.unschedule(name).then(() => undefined);
  return change.catch((err: unknown) => logger.warn({ err }, `could not ${everyMs > 0 ? 'schedule' : 'unschedule'} ${name}`));
}
