import { AsyncLocalStorage } from 'node:async_hooks';

/** The job whose handler is running in this async context: its outputs are keyed by `jobId`, so a retried attempt replaces, never duplicates. */
export interface RunningJob {
  jobId: string;
  /** 1 for the first attempt; a job picked up again after its worker died counts up. */
  attempt: number;
}

const current = new AsyncLocalStorage<RunningJob>();

/** Runs `fn` as the body of a job: core's stores read the job id from here, so plugins need not pass it. */
export function runAsJob<T>(job: RunningJob, fn: () => T): T {
  return current.run(job, fn);
}

/** The job running in this async context, if any. */
export function currentJob(): RunningJob | undefined {
  return current.getStore();
}
