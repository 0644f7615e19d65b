import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDatabase, type DatabaseHandle } from '@rfid3/core';
import { freeLoopbackPort } from '@rfid3/core/testing';
import { sql } from 'kysely';

const run = promisify(execFile);

/** The MariaDB server binaries, or null where they are not installed. */
export function mariadbBinaries(): { mariadbd: string; installDb: string } | null {
  const find = (name: string) => ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'].map((d) => join(d, name)).find((p) => existsSync(p));
  const mariadbd = find('mariadbd');
  const installDb = find('mariadb-install-db');
  return mariadbd && installDb ? { mariadbd, installDb } : null;
}

export interface ThrowawayMariadb {
  port: number;
  pid: number | null;
  url(database: string): string;
  /** SIGKILL by PID; resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM by PID (SIGKILL after 20 s) and remove the data directory. */
  stop(): Promise<void>;
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * A mariadbd of the test's own: `mariadb-install-db` into a temporary data directory, then the server on a
 * free loopback port with `serverId` (and a binary log when `binlog`). No grant tables: it is a throwaway.
 */
export async function throwawayMariadb(options: { serverId: number; binlog: boolean }): Promise<ThrowawayMariadb> {
  const bins = mariadbBinaries();
  if (!bins) throw new Error('mariadbd is not installed');
  const dir = mkdtempSync(join(tmpdir(), `rfid3-replica-test-${options.serverId}-`));
  const datadir = join(dir, 'data');
  mkdirSync(datadir);
  try {
    // Its own tmpdir: two bootstraps at once (the pair starts together) must not share temporary tables in /tmp.
    await run(bins.installDb, ['--no-defaults', `--datadir=${datadir}`, `--tmpdir=${dir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...(asRoot ? ['--user=root'] : [])], {
      timeout: 120_000,
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const port = await freeLoopbackPort();
  const child: ChildProcess = spawn(
    bins.mariadbd,
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--tmpdir=${dir}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(dir, 'mariadbd.sock')}`,
      `--pid-file=${join(dir, 'mariadbd.pid')}`,
      '--skip-grant-tables',
      `--server-id=${options.serverId}`,
      ...(options.binlog ? [`--log-bin=${join(dir, 'binlog')}`, '--binlog-format=ROW'] : ['--skip-log-bin']),
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      '--innodb-buffer-pool-size=64M',
      ...(asRoot ? ['--user=root'] : []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-3000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const server: ThrowawayMariadb = {
    port,
    pid: child.pid ?? null,
    url: (database) => `mysql://root@127.0.0.1:${port}/${database}`,
    async kill() {
      if (!gone()) process.kill(child.pid!, 'SIGKILL');
      await exited;
    },
    async stop() {
      if (!gone()) {
        process.kill(child.pid!, 'SIGTERM');
        const timer = setTimeout(() => !gone() && process.kill(child.pid!, 'SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (gone()) throw new Error(`mariadbd exited: ${stderr}`);
    const probe = createDatabase(server.url('mysql'), { connectTimeoutMs: 1_000, poolSize: 1 });
    try {
      await sql`select 1`.execute(probe.db);
      return server;
    } catch (err) {
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`mariadbd on port ${port} did not answer within 60 s (${String(err)}): ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await probe.close();
    }
  }
}

/** Runs statements on one connection of `url` (so that `set sql_log_bin = 0` applies to those after it). */
export async function onOneConnection(url: string, statements: string[]): Promise<unknown[]> {
  const handle: DatabaseHandle = createDatabase(url, { poolSize: 1 });
  try {
    return await handle.db.connection().execute(async (c) => {
      const out: unknown[] = [];
      for (const s of statements) out.push((await sql.raw(s).execute(c)).rows);
      return out;
    });
  } finally {
    await handle.close();
  }
}
