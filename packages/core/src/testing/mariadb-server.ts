import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freeLoopbackPort } from './redis-server.js';

const run = promisify(execFile);

/** A `mariadbd` of a test's (or a drill's) own, on its own data directory and loopback port, signalled only by its process id. */
export interface ThrowawayMariadb {
  port: number;
  /** The folder holding its data directory, socket, pid file, tmpdir and binary log. */
  dir: string;
  /** Process id of the running server, or null while it is down. */
  readonly pid: number | null;
  /** `mysql://root@127.0.0.1:PORT/DATABASE` (no password: it runs without grant tables). */
  url(database: string): string;
  /** Starts it (again) on the same data directory and port, and waits until it greets a client. */
  start(): Promise<void>;
  /** Sends `signal` by PID (SIGSTOP and SIGCONT too); after SIGKILL or SIGTERM waits until the process has exited. */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** SIGKILL by PID (as a crash would); resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGCONT then SIGTERM by PID (SIGKILL after 30 s), and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

/** How `throwawayMariadb` starts its server; every field may be left out. */
export interface ThrowawayMariadbOptions {
  /** Loopback port; a free one by default. */
  port?: number;
  /** `--server-id` (replication needs distinct ids). */
  serverId?: number;
  /** Write a row-based binary log (a replication primary). */
  binlog?: boolean;
  innodbBufferPoolMb?: number;
  maxConnections?: number;
  /** Folder prefix under the system's temporary directory. */
  prefix?: string;
  /** Milliseconds to wait for the server to greet a client. */
  startTimeoutMs?: number;
}

/** The MariaDB server binaries, or null where they are not installed (`apt-get install mariadb-server`). */
export function mariadbBinaries(): { mariadbd: string; installDb: string } | null {
  const find = (name: string) => ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'].map((d) => join(d, name)).find((p) => existsSync(p));
  const mariadbd = find('mariadbd');
  const installDb = find('mariadb-install-db');
  return mariadbd && installDb ? { mariadbd, installDb } : null;
}

/** Whether something on `port` sends a MySQL protocol greeting (the server accepts connections). */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    // The greeting is a packet whose payload starts with protocol version 10; an error packet (0xff) is not one.
    socket.once('data', (d) => done(d.length > 4 && d[4] === 10));
  });
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * `mariadb-install-db` into a fresh folder, then the server on a free (or the given) loopback port with no grant
 * tables: a throwaway, never the machine's shared server. The folder has its own tmpdir, so several bootstraps
 * at once do not share temporary tables. Throws when MariaDB is not installed (see `mariadbBinaries`).
 */
export async function throwawayMariadb(options: ThrowawayMariadbOptions = {}): Promise<ThrowawayMariadb> {
  const bins = mariadbBinaries();
  if (!bins) throw new Error('mariadbd is not installed (apt-get install -y mariadb-server)');
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? 'rfid3-mariadb-'));
  const datadir = join(dir, 'data');
  mkdirSync(datadir);
  const user = asRoot ? ['--user=root'] : [];
  try {
    await run(bins.installDb, ['--no-defaults', `--datadir=${datadir}`, `--tmpdir=${dir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...user], {
      timeout: 120_000,
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const port = options.port ?? (await freeLoopbackPort());
  const args = [
    '--no-defaults',
    `--datadir=${datadir}`,
    `--tmpdir=${dir}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(dir, 'mariadbd.sock')}`,
    `--pid-file=${join(dir, 'mariadbd.pid')}`,
    '--skip-grant-tables',
    `--server-id=${options.serverId ?? 1}`,
    ...(options.binlog ? [`--log-bin=${join(dir, 'binlog')}`, '--binlog-format=ROW'] : ['--skip-log-bin']),
    // Debian's own config sets these; --no-defaults would leave latin1, which refuses '⇒' in a decision's rationale.
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    `--innodb-buffer-pool-size=${options.innodbBufferPoolMb ?? 64}M`,
    `--max-connections=${options.maxConnections ?? 200}`,
    ...user,
  ];
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const running = () => child !== null && child.exitCode === null && child.signalCode === null;

  const server: ThrowawayMariadb = {
    port,
    dir,
    get pid() {
      return running() ? (child!.pid ?? null) : null;
    },
    url: (database) => `mysql://root@127.0.0.1:${port}/${database}`,
    async start() {
      if (running()) return;
      const p = spawn(bins.mariadbd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      child = p;
      exited = new Promise((resolve) => p.once('exit', () => resolve()));
      let stderr = '';
      p.stderr?.on('data', (d) => {
        stderr = (stderr + String(d)).slice(-3000);
      });
      const timeout = options.startTimeoutMs ?? 60_000;
      const deadline = Date.now() + timeout;
      for (;;) {
        if (!running()) throw new Error(`mariadbd on port ${port} exited: ${stderr}`);
        if (await greets(port)) return;
        if (Date.now() > deadline) {
          await server.kill();
          throw new Error(`mariadbd on port ${port} did not answer within ${timeout} ms: ${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async signal(signal) {
      if (!running()) return;
      process.kill(child!.pid!, signal);
      if (signal === 'SIGKILL' || signal === 'SIGTERM') await exited;
    },
    kill: () => server.signal('SIGKILL'),
    async stop() {
      if (running()) {
        const pid = child!.pid!;
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGTERM');
        const timer = setTimeout(() => running() && process.kill(pid, 'SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return server;
}
