import type { Command } from 'commander';
import type { CliIo, GlobalOptions } from '../cli-io.js';
import { CliError } from '../cli-io.js';
import { parsePort } from '../config.js';
import { startServer } from '../server.js';
import { startWorker } from '../worker.js';

const ROLES = ['api', 'worker', 'all'] as const;

export function parseConcurrency(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new CliError(`--concurrency must be a whole number from 1 to 64, not '${value}'`);
  return n;
}

export function parseQueues(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const queues = value
    .split(',')
    .map((q) => q.trim())
    .filter(Boolean);
  if (queues.length === 0) throw new CliError('--queues needs at least one queue name, e.g. demand,maintenance');
  return queues;
}

/** `rfid3 worker` and `serve --role worker`: jobs only, until SIGTERM, then exit 0. */
async function runWorker(io: CliIo, opts: GlobalOptions & { concurrency?: string; queues?: string }): Promise<void> {
  const handle = await startWorker({ cwd: io.cwd, env: io.env, configPath: opts.config, concurrency: parseConcurrency(opts.concurrency), queues: parseQueues(opts.queues) });
  await handle.closed;
}

export function register(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('Load the plugins and serve the API, /metrics, the OpenAPI document and the dashboard')
    .option('--port <port>', 'port to listen on (overrides PORT and the config file)')
    .option('--host <host>', 'address to listen on (overrides HOST and the config file)')
    .option('--role <role>', 'api (enqueue only), worker (execute jobs only) or all (default; api and worker need RFID3_QUEUE=bullmq)', 'all')
    .option('--concurrency <n>', 'jobs executed at once by the worker part (BullMQ mode)')
    .option('--queues <a,b>', 'queues the worker part takes jobs from (plugin ids; default all)')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions & { port?: string; host?: string; role: string; concurrency?: string; queues?: string }>();
      if (!(ROLES as readonly string[]).includes(opts.role)) throw new CliError(`--role must be one of ${ROLES.join(', ')}, not '${opts.role}'`);
      if (opts.role === 'worker') return runWorker(io, opts);
      const port = opts.port === undefined ? undefined : parsePort(opts.port, '--port');
      const handle = await startServer({
        cwd: io.cwd,
        env: io.env,
        configPath: opts.config,
        overrides: { port, host: opts.host },
        role: opts.role as 'api' | 'all',
        worker: { concurrency: parseConcurrency(opts.concurrency), queues: parseQueues(opts.queues) },
      });
      await handle.closed;
    });
  program
    .command('worker')
    .description('Execute jobs from the BullMQ queues (RFID3_QUEUE=bullmq, REDIS_URL); serves no HTTP; SIGTERM finishes or releases the running job and exits 0')
    .option('--concurrency <n>', 'jobs executed at once (default 1)')
    .option('--queues <a,b>', 'queues to take jobs from (plugin ids such as demand,maintenance; default all)')
    .action(async (_opts: unknown, cmd: Command) => runWorker(io, cmd.optsWithGlobals<GlobalOptions & { concurrency?: string; queues?: string }>()));
}
