import { z } from 'zod';
import { DEFAULT_SAFEGUARD_SETTINGS } from '../contracts/decision.js';

/** The schema of core's configuration (database, cache, jobs, safeguards, logging); defaults fill in here. */
export const coreConfigSchema = z.object({
  /** `sqlite::memory:`, `sqlite:./data/rfid3.db` (or a bare file path), or `mysql://user:pass@host:3306/db`. */
  databaseUrl: z.string().min(1).default('sqlite::memory:'),
  /**
   * MariaDB read replicas (`mysql://…`): plain SELECTs made inside `withReplicaReads` (the host's GET requests)
   * go to them. The decision ledger, the model registry, ingest, jobs and writes always use the primary.
   */
  databaseReadUrls: z.array(z.string().min(1)).default([]),
  /** A read replica more than this many seconds behind (or not replicating) gets no reads until it catches up. */
  databaseReadMaxLagSeconds: z.number().min(0).max(86_400).default(10),
  /** When set, Redis is the L2 cache. */
  redisUrl: z.string().optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  cache: z
    .object({
      l1MaxEntries: z.number().int().positive().default(5000),
      defaultTtlSeconds: z.number().positive().default(900),
      keyPrefix: z.string().default('rfid3:'),
      /** L2 failures this recent (seconds) keep `system-status` at `degraded`; older ones no longer count. */
      healthWindowSeconds: z.number().positive().default(30),
    })
    .prefault({}),
  predictionStore: z
    .object({
      batchSize: z.number().int().positive().default(500),
      flushIntervalMs: z.number().int().positive().default(1000),
    })
    .prefault({}),
  jobs: z
    .object({
      /** `in-process` (default: no Redis) or `bullmq` (jobs in Redis at `redisUrl`, run by any worker process). */
      runner: z.enum(['in-process', 'bullmq']).default('in-process'),
      concurrency: z.number().int().positive().default(1),
      /** BullMQ key prefix; every host and worker of a deployment uses the same one. */
      prefix: z.string().min(1).default('rfid3-jobs'),
      /** A killed worker's job is taken by another after its lock lapses (this) and the next stalled check (below). */
      lockDurationMs: z.number().int().positive().default(30_000),
      stalledIntervalMs: z.number().int().positive().default(30_000),
      /** Finished jobs stay readable (and a duplicate request finds them) this long. */
      keepFinishedSeconds: z.number().int().positive().default(3600),
    })
    .prefault({}),
  /**
   * With `redisUrl`: share model activations, `data-changed` and cache invalidations with the other hosts, on
   * the channel `prefix` (default: the cache's key prefix + `cluster`, so hosts sharing an L2 share events).
   */
  cluster: z.object({ sync: z.boolean().default(true), prefix: z.string().min(1).optional() }).prefault({}),
  kpis: z
    .object({
      /** Minutes between runs of `kpis.match-impact`, which records executed decisions' actual impact (0: only on request). */
      matchImpactEveryMinutes: z.number().int().min(0).default(60),
    })
    .prefault({}),
  safeguards: z
    .object({
      restockCapUsd: z.number().positive().default(DEFAULT_SAFEGUARD_SETTINGS.restockCapUsd),
      restockApprovalAboveUsd: z.number().nonnegative().default(DEFAULT_SAFEGUARD_SETTINGS.restockApprovalAboveUsd),
      maxPriceChange: z.number().positive().max(1).default(DEFAULT_SAFEGUARD_SETTINGS.maxPriceChange),
      autoApproveAbove: z.number().min(0).max(1).default(DEFAULT_SAFEGUARD_SETTINGS.autoApproveAbove),
      reviewAtOrAbove: z.number().min(0).max(1).default(DEFAULT_SAFEGUARD_SETTINGS.reviewAtOrAbove),
      secondApproverAtOrAboveUsd: z.number().nonnegative().default(DEFAULT_SAFEGUARD_SETTINGS.secondApproverAtOrAboveUsd),
    })
    .prefault({}),
});

/** Core's configuration with every default filled in. */
export type CoreConfig = z.output<typeof coreConfigSchema>;
/** Core's configuration as given (every field optional where a default exists). */
export type CoreConfigInput = z.input<typeof coreConfigSchema>;
