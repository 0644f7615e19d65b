import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Job, JobType, Queue, Worker } from 'bullmq';
import { stableStringify } from '../cache/cache.js';
import { HttpProblem } from '../contracts/problem.js';
import type { Clock } from '../time/clock.js';
import { runAsJob } from './job-context.js';
import { collectGarbage } from './collect-garbage.js';
import type { RunningJob } from './job-context.js';
import type { JobCounts, JobHandler, JobListOptions, JobOptions, JobRecord, JobRunner, JobStatus } from './jobs.js';
import type { Logger } from '../observability/logger.js';
import type { CoreMetrics } from '../observability/metrics.js';
import { importPeer } from '../optional-peers.js';

/** Options of the BullMQ job runner: Redis, key prefix, and the lock, stall and retention times. */
export interface BullmqJobRunnerOptions {
  redisUrl: string;
  /** BullMQ's key prefix: hosts and workers of one deployment share it; a test uses its own. */
  prefix: string;
  clock: Clock;
  logger: Logger;
  metrics?: CoreMetrics;
  /** How long a worker's claim on a job lasts without renewal: a killed worker's job is free again after this… */
  lockDurationMs: number;
  /** …once another worker's stalled-job check (every this many ms) sees it. */
  stalledIntervalMs: number;
  /** Finished jobs are kept this long, so a duplicate request in that time finds the finished job. */
  keepFinishedSeconds: number;
  /** Called before an attempt that follows a dead worker's attempt, to drop that attempt's partial outputs. */
  discardOutputs?: (jobId: string) => Promise<unknown>;
  /** Called after each attempt, before the job is marked finished (e.g. to flush buffered prediction rows). */
  settle?: () => Promise<unknown>;
}

/** Which queues a worker process takes jobs from, and how many at once. */
export interface WorkerOptions {
  /** Jobs this process runs at once, across all its queues (default 1). */
  concurrency?: number;
  /** Queue names (plugin ids: `demand`, `maintenance`, …) to take jobs from; all registered ones by default. */
  queues?: string[];
  /**
   * A full garbage collection each time this process's last running job ends (default false; `rfid3 worker`, which
   * serves no HTTP, turns it on): the next job starts from what is alive, not beside the last one's garbage.
   */
  collectBetweenJobs?: boolean;
}

type Bullmq = typeof import('bullmq');

/** How long a job taken by a process with no free slot waits before any process may take it again. */
const HANDED_BACK_MS = 250;

const STATES: Record<JobStatus, JobType[]> = {
  queued: ['waiting', 'delayed', 'prioritized'],
  running: ['active'],
  succeeded: ['completed'],
  failed: ['failed'],
};

function statusOf(state: string): JobStatus {
  if (state === 'active') return 'running';
  if (state === 'completed') return 'succeeded';
  if (state === 'failed') return 'failed';
  return 'queued';
}

/** This process, as job records name it: `host:pid`. */
const WORKER_NAME = `${hostname()}:${process.pid}`;

/** BullMQ waits for Redis rather than fail; a reader of job state should not wait more than this. */
const READ_TIMEOUT_MS = 2000;

function withinReadTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(HttpProblem.serviceUnavailable(`the job queue (Redis) did not answer within ${READ_TIMEOUT_MS / 1000} s`, 5)), READ_TIMEOUT_MS);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Whether `work` settled within `ms` (its outcome is ignored either way). */
async function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return settled;
}

/** A job's queue is its plugin's id, the part of its name before the first dot. */
export function queueOf(jobName: string): string {
  const dot = jobName.indexOf('.');
  return dot > 0 ? jobName.slice(0, dot) : jobName;
}

/**
 * The job id of `name` with `payload` on data version `dataVersion`: the same request from any host, while the
 * data it would read is unchanged, is the same job. BullMQ refuses ':' in custom ids.
 */
export function deterministicJobId(name: string, payload: unknown, dataVersion: number): string {
  const digest = createHash('sha256')
    .update(stableStringify(payload ?? {}))
    .digest('hex')
    .slice(0, 12);
  return `${name}.${digest}.d${dataVersion}`;
}

/**
 * Jobs in Redis through BullMQ: any host enqueues, any worker process executes. Behind the same `JobRunner`
 * contract as the in-process runner, so plugins do not know which one runs their jobs.
 */
export class BullmqJobRunner implements JobRunner {
  readonly kind = 'bullmq' as const;

  get runsJobsHere(): boolean {
    return this.workers.length > 0;
  }
  private readonly handlers = new Map<string, { handler: JobHandler<unknown>; options: JobOptions }>();
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  /** Adds not yet acknowledged by Redis, so a read right after an enqueue sees the job. */
  private readonly adding = new Map<string, Promise<unknown>>();
  private readonly addFailures = new Map<string, JobRecord>();
  private dataVersion = 0;
  private closed = false;
  /** Jobs this process is executing now. */
  private active = 0;
  /** Jobs this process may execute at once, across all its queues. */
  private limit = 1;
  private collectBetweenJobs = false;

  private constructor(
    private readonly bull: Bullmq,
    private readonly options: BullmqJobRunnerOptions,
  ) {}

  /** Connects to Redis and makes the runner (BullMQ is loaded only in this mode). */
  static async open(options: BullmqJobRunnerOptions): Promise<BullmqJobRunner> {
    // Loaded only in this mode: the embedded default never touches BullMQ or Redis.
    const bull = await importPeer('bullmq', "the jobs runner 'bullmq'", () => import('bullmq'));
    return new BullmqJobRunner(bull, options);
  }

  /** The version of the source data the next job ids are made with (bumped on every `data-changed`, on every host). */
  setDataVersion(version: number): void {
    if (version > this.dataVersion) this.dataVersion = version;
  }

  get currentDataVersion(): number {
    return this.dataVersion;
  }

  register<P>(name: string, handler: JobHandler<P>, options: JobOptions = {}): void {
    if (this.handlers.has(name)) throw new Error(`job '${name}' is already registered`);
    this.handlers.set(name, { handler: handler as JobHandler<unknown>, options });
  }

  has(name: string): boolean {
    return this.handlers.has(name);
  }

  /** The queue names of the registered jobs. */
  queueNames(): string[] {
    return [...new Set([...this.handlers.keys()].map(queueOf))].sort();
  }

  /** The BullMQ queue of every registered job's plugin, for tools that read queues directly (Bull Board). */
  bullQueues(): Queue[] {
    return this.queueNames().map((name) => this.queue(name));
  }

  enqueue(name: string, payload: unknown = {}): JobRecord {
    if (this.closed) throw new Error('job runner is closed');
    if (!this.handlers.has(name)) {
      throw new Error(`no job named '${name}' (registered: ${[...this.handlers.keys()].join(', ') || 'none'})`);
    }
    const id = deterministicJobId(name, payload, this.dataVersion);
    const record: JobRecord = { id, name, status: 'queued', progress: 0, enqueuedAt: this.options.clock.now().toISOString() };
    if (!this.adding.has(id)) {
      // An id BullMQ already holds is not added again: a duplicate request is the same job.
      const add = this.queue(queueOf(name))
        .add(name, payload ?? {}, { jobId: id })
        .catch((err: unknown) => {
          this.options.logger.error({ err, job: name, jobId: id }, 'could not queue the job');
          this.addFailures.set(id, { ...record, status: 'failed', error: `could not queue: ${err instanceof Error ? err.message : String(err)}` });
        })
        .finally(() => this.adding.delete(id));
      this.adding.set(id, add);
    }
    return record;
  }

  get(id: string): Promise<JobRecord | undefined> {
    return withinReadTimeout(this.read(id));
  }

  private async read(id: string): Promise<JobRecord | undefined> {
    await this.adding.get(id);
    const failed = this.addFailures.get(id);
    if (failed) return { ...failed };
    const known = [...this.handlers.keys()].find((n) => id.startsWith(`${n}.`));
    const queues = known ? [this.queue(queueOf(known))] : this.queueNames().map((q) => this.queue(q));
    for (const q of queues) {
      const job = await q.getJob(id);
      if (job) return this.toRecord(job as Job);
    }
    return undefined;
  }

  list(options: JobListOptions = {}): Promise<JobRecord[]> {
    return withinReadTimeout(this.listJobs(options));
  }

  private async listJobs(options: JobListOptions): Promise<JobRecord[]> {
    const limit = options.limit ?? 50;
    const types = options.status ? STATES[options.status] : (Object.values(STATES).flat() as JobType[]);
    const jobs: Job[] = [];
    for (const q of this.queueNames()) jobs.push(...((await this.queue(q).getJobs(types, 0, limit - 1, false)) as Job[]));
    jobs.sort((a, b) => b.timestamp - a.timestamp);
    const records = await Promise.all(jobs.slice(0, limit).map((j) => this.toRecord(j)));
    // A job may have moved on between the listing and the look at its state.
    return options.status ? records.filter((r) => r.status === options.status) : records;
  }

  counts(): Promise<JobCounts> {
    return withinReadTimeout(this.countJobs());
  }

  private async countJobs(): Promise<JobCounts> {
    const counts: JobCounts = { queued: 0, running: 0, succeeded: 0, failed: 0 };
    for (const q of this.queueNames()) {
      const c = await this.queue(q).getJobCounts(...(Object.values(STATES).flat() as JobType[]));
      for (const [status, types] of Object.entries(STATES) as [JobStatus, JobType[]][]) {
        for (const t of types) counts[status] += c[t] ?? 0;
      }
    }
    return counts;
  }

  async waitFor(id: string, pollMs = 100): Promise<JobRecord> {
    for (let missing = 0; ; ) {
      const r = await this.get(id);
      if (r && (r.status === 'succeeded' || r.status === 'failed')) return r;
      if (!r && ++missing > 50) throw new Error(`no job with id '${id}'`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /**
   * A BullMQ job scheduler per job name: upserted by every host, it produces one job per period in all. Its
   * first run is one period after it is first made (as a timer's would be); a host upserting it again later
   * keeps the slot already planned.
   */
  async schedule(name: string, everyMs: number, payload: unknown = {}): Promise<void> {
    if (!this.handlers.has(name)) throw new Error(`no job named '${name}' to schedule`);
    await this.queue(queueOf(name)).upsertJobScheduler(name, { every: everyMs, startDate: Date.now() + everyMs }, { name, data: payload ?? {} });
  }

  /**
   * A BullMQ job scheduler on a cron pattern (e.g. the nightly run at `30 5 * * *`): however many hosts upsert
   * it, each matching time gives one job. `tz` defaults to this process's time zone.
   */
  async scheduleCron(name: string, pattern: string, payload: unknown = {}, tz?: string): Promise<void> {
    if (!this.handlers.has(name)) throw new Error(`no job named '${name}' to schedule`);
    await this.queue(queueOf(name)).upsertJobScheduler(name, { pattern, ...(tz ? { tz } : {}) }, { name, data: payload ?? {} });
  }

  /** Removes the job scheduler of `name` from Redis, whichever host made it; true when there was one. */
  async unschedule(name: string): Promise<boolean> {
    if (!this.handlers.has(name)) throw new Error(`no job named '${name}' to unschedule`);
    return this.queue(queueOf(name)).removeJobScheduler(name);
  }

  /** Starts taking jobs in this process (the `worker` and `all` roles); an `api` host never calls it. */
  startWorkers(options: WorkerOptions = {}): string[] {
    const names = options.queues?.length ? options.queues : this.queueNames();
    const unknown = names.filter((q) => !this.queueNames().includes(q));
    if (unknown.length) throw new Error(`no jobs in queue${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (queues: ${this.queueNames().join(', ')})`);
    this.limit = options.concurrency ?? 1;
    this.collectBetweenJobs = options.collectBetweenJobs === true;
    for (const name of names) {
      const worker = new this.bull.Worker(name, (job, token) => this.process(job, token), {
        // Stored on each job it takes (`worker` in the job's record): which process ran what.
        name: WORKER_NAME,
        connection: this.connection(),
        prefix: this.options.prefix,
        concurrency: this.limit,
        lockDuration: this.options.lockDurationMs,
        stalledInterval: this.options.stalledIntervalMs,
        maxStalledCount: 2,
      });
      worker.on('error', (err) => this.options.logger.warn({ err, queue: name }, 'job worker error'));
      this.workers.push(worker);
    }
    this.options.logger.info({ queues: names, concurrency: options.concurrency ?? 1 }, 'taking jobs');
    return names;
  }

  /**
   * Stops taking jobs and waits for the running ones up to `graceMs`; a job still running then is released
   * (its lock lapses and another worker takes it after the stall interval).
   */
  async close(graceMs = 20_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Redis away: adds never settle and closing waits for replies that never come; bound both.
    await settleWithin(Promise.allSettled(this.adding.values()), READ_TIMEOUT_MS);
    // Take no new job, then give the running ones the grace period (BullMQ's close() is memoised, so a
    // gentle close cannot be turned into a forced one later: wait here, then close once).
    await settleWithin(Promise.all(this.workers.map((w) => w.pause(true))), READ_TIMEOUT_MS);
    const end = Date.now() + graceMs;
    while (this.active > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    if (this.active > 0) this.options.logger.warn({ graceMs, running: this.active }, 'jobs still running at shutdown are released for another worker');
    const force = this.active > 0;
    await settleWithin(Promise.all(this.workers.map((w) => w.close(force))), READ_TIMEOUT_MS);
    if (!(await settleWithin(Promise.all([...this.queues.values()].map((q) => q.close())), READ_TIMEOUT_MS))) {
      for (const q of this.queues.values()) await q.disconnect().catch(() => undefined);
    }
  }

  private connection() {
    // `null`: BullMQ's workers block on Redis and must not give up on a slow reply.
    return { url: this.options.redisUrl, maxRetriesPerRequest: null };
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new this.bull.Queue(name, {
        connection: this.connection(),
        prefix: this.options.prefix,
        defaultJobOptions: {
          removeOnComplete: { age: this.options.keepFinishedSeconds, count: 1000 },
          removeOnFail: { age: this.options.keepFinishedSeconds * 24, count: 1000 },
        },
      });
      q.on('error', (err) => this.options.logger.warn({ err, queue: name }, 'job queue error'));
      this.queues.set(name, q);
    }
    return q;
  }

  /**
   * Holds this process to its concurrency across every queue: BullMQ's is per queue (one Worker per plugin), so a
   * process would otherwise take one job of each plugin at once and run them all on its one event loop while
   * another worker process stood idle. At the limit, its workers stop fetching; below it, they fetch again.
   */
  private gate(): void {
    const full = this.active >= this.limit;
    for (const w of this.workers) {
      if (full && !w.isPaused()) void w.pause(true).catch(() => undefined);
      else if (!full && w.isPaused() && !this.closed) void w.resume().catch(() => undefined);
    }
  }

  private async process(job: Job, token?: string): Promise<unknown> {
    const entry = this.handlers.get(job.name);
    if (!entry) throw new Error(`this worker has no job named '${job.name}'`);
    if (this.active >= this.limit && token) {
      // Taken by another queue's worker of this process before the gate closed: handed back at once (not a
      // failed attempt) for a process with a free slot.
      await job.moveToDelayed(Date.now() + HANDED_BACK_MS, token);
      throw new this.bull.DelayedError();
    }
    const running: RunningJob = { jobId: job.id!, attempt: 1 + (job.attemptsMade ?? 0) + (job.stalledCounter ?? 0) };
    const logger = this.options.logger.child({ job: job.name, jobId: job.id, attempt: running.attempt });
    const stop = this.options.metrics?.jobDuration.startTimer({ job: job.name });
    this.active++;
    this.gate();
    try {
      if (running.attempt > 1) {
        const dropped = await this.options.discardOutputs?.(running.jobId);
        logger.info({ dropped }, 'running a job again after its worker stopped: its partial outputs are replaced');
      }
      const result = await runAsJob(running, () =>
        entry.handler(job.data, {
          jobId: running.jobId,
          logger,
          progress: (fraction, message) => {
            const value = { fraction: Math.min(1, Math.max(0, fraction)), ...(message !== undefined ? { message } : {}) };
            job.updateProgress(value).catch((err: unknown) => logger.debug({ err }, 'progress not recorded'));
          },
        }),
      );
      await this.options.settle?.();
      stop?.({ status: 'succeeded' });
      this.options.metrics?.jobsFinished.inc({ job: job.name, status: 'succeeded' });
      return result ?? null;
    } catch (err) {
      stop?.({ status: 'failed' });
      this.options.metrics?.jobsFinished.inc({ job: job.name, status: 'failed' });
      logger.error({ err }, 'job failed');
      throw err;
    } finally {
      this.active--;
      if (this.collectBetweenJobs && this.active === 0) collectGarbage();
      this.gate();
    }
  }

  private async toRecord(fetched: Job): Promise<JobRecord> {
    let job = fetched;
    const status = statusOf(await job.getState());
    // Fetched while it ran and finished since: read it again for its result.
    if ((status === 'succeeded' || status === 'failed') && !job.finishedOn) job = ((await this.queue(job.queueName).getJob(job.id!)) as Job | undefined) ?? job;
    const p = job.progress as number | { fraction?: number; message?: string } | undefined;
    const fraction = typeof p === 'number' ? p : (p?.fraction ?? 0);
    const record: JobRecord = {
      id: job.id!,
      name: job.name,
      status,
      progress: status === 'succeeded' ? 1 : fraction,
      enqueuedAt: new Date(job.timestamp).toISOString(),
    };
    if (typeof p === 'object' && p?.message !== undefined) record.message = p.message;
    if (job.returnvalue !== undefined && job.returnvalue !== null) record.result = job.returnvalue;
    if (status === 'failed' && job.failedReason) record.error = job.failedReason;
    if (job.processedOn) record.startedAt = new Date(job.processedOn).toISOString();
    if (job.finishedOn) record.finishedAt = new Date(job.finishedOn).toISOString();
    if (job.processedBy) record.worker = job.processedBy;
    return record;
  }
}
