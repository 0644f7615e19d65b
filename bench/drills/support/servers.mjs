// Throwaway servers for the drills: a mariadbd on its own data directory and port, and the `rfid3` host as a
// child process. Each is started here and stopped by its PID; nothing touches the machine's own services.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { throwawayMariadb } from '../../../packages/core/dist/testing.js';

const run = promisify(execFile);

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// The repository's root installs no driver of its own: core's mysql2 talks to the throwaway server.
const { createConnection } = createRequire(join(REPO, 'packages', 'core', 'package.json'))('mysql2/promise');
export const CLI = join(REPO, 'packages', 'host-server', 'dist', 'cli.js');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const log = (m) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A loopback port nobody listens on right now. */
export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Waits until `check` resolves truthy, polling every `everyMs`; throws after `ms`. */
export async function until(what, check, ms, everyMs = 200) {
  const t0 = performance.now();
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch {
      /* not yet */
    }
    if (performance.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(everyMs);
  }
}

/**
 * A mariadbd of our own (core's testing kit: `mariadb-install-db` into a fresh folder, the server on a free
 * loopback port, no grant tables). `kill(signal)` signals it by PID; `start()` starts it again on the same data
 * directory and port; `query(sql, database)` runs one statement through core's mysql2.
 */
export async function startMariadb() {
  log('mariadb-install-db and mariadbd of the drill’s own');
  const server = await throwawayMariadb({ prefix: 'rfid3-drill-mariadb-', innodbBufferPoolMb: 128 });
  return {
    port: server.port,
    dir: server.dir,
    get pid() {
      return server.pid;
    },
    url: server.url,
    start: async () => {
      await server.start();
    },
    kill: (signal) => server.signal(signal),
    async query(sql, database) {
      const c = await createConnection({ host: '127.0.0.1', port: server.port, user: 'root', database, connectTimeout: 2000 });
      try {
        const [rows] = await c.query(sql);
        return rows;
      } finally {
        await c.end();
      }
    },
    stop: () => server.stop(),
  };
}

/**
 * The environment of a drill's host and commands: this machine's own services left out (no shared Redis,
 * no other database), rate limits and the scheduler off (the drill's load comes from one address), and
 * `databaseUrl` as DATABASE_URL.
 */
export function hostEnv(dir, databaseUrl, extra = {}) {
  const config = join(dir, 'rfid3.config.json');
  writeFileSync(config, JSON.stringify({ rateLimit: { enabled: false }, scheduler: { enabled: false }, logLevel: 'warn' }));
  const env = { ...process.env };
  for (const k of ['REDIS_URL', 'MYSQL_URL', 'DATABASE_URL', 'RFID3_CONFIG', 'PORT', 'HOST', 'LOG_LEVEL', 'RFID3_VENDOR_URL', 'RFID3_WEBHOOK_URLS']) delete env[k];
  return { ...env, RFID3_CONFIG: config, DATABASE_URL: databaseUrl, ...extra };
}

/** Runs `rfid3 <args>` to completion with `env` (from `hostEnv`); resolves with its stdout. */
export async function rfid3(args, env, timeoutMs = 300_000) {
  const { stdout } = await run(process.execPath, [CLI, ...args], { env, timeout: timeoutMs, maxBuffer: 64 << 20, cwd: REPO });
  return stdout;
}

/** Creates an API key of `role` on the configured database; returns the key. */
export async function createKey(env, role) {
  const out = await rfid3(['keys', 'create', '--role', role, '--name', `drill-${role}`, '--json'], env);
  return JSON.parse(out).key;
}

/**
 * `rfid3 serve` as a child process on `port`; resolves once it answers. `kill(signal)` signals it by PID.
 */
export async function startHost({ env, port }) {
  port ??= await freePort();
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--host', '127.0.0.1'], { env, cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  // The host's own account of its dependencies (pino lines), for a drill to set beside what its clients saw.
  const events = [];
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-8000);
    for (const line of String(d).split('\n')) {
      if (!line.includes('"msg":"the database')) continue;
      try {
        const e = JSON.parse(line);
        if (events.length < 100) events.push({ at: performance.timeOrigin + performance.now(), time: e.time, msg: e.msg, err: e.err });
      } catch {
        /* a partial line */
      }
    }
  });
  const url = `http://127.0.0.1:${port}`;
  await until(
    `rfid3 serve on port ${port}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`rfid3 serve exited ${child.exitCode}: ${stderr.slice(-2000)}`);
      const res = await fetch(`${url}/api/predictive/health/system-status`, { signal: AbortSignal.timeout(2000) });
      return res.status === 200;
    },
    120_000,
    200,
  ).catch((err) => {
    throw new Error(`${err.message}; host said: ${stderr.slice(-2000)}`);
  });
  return {
    url,
    port,
    pid: child.pid,
    child,
    stderr: () => stderr,
    events,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(child.pid, signal);
      await until('the host to exit', () => child.exitCode !== null || child.signalCode !== null, 30_000, 20);
    },
  };
}

/**
 * Runs a drill's body (which fills `out` and sets `out.pass`), counts a thrown error as a failure, then stops
 * what is left running and reports.
 */
export async function runDrill(out, cleanup, body) {
  const started = performance.now();
  try {
    await body();
  } catch (err) {
    out.pass = false;
    out.error = err instanceof Error ? err.message : String(err);
  }
  out.seconds = Math.round((performance.now() - started) / 100) / 10;
  await cleanup();
  report(out);
}

/** Ends the drill: one JSON line of figures on stdout, exit status 1 when the bar is not met. */
export function report(figures) {
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  process.exit(figures.pass ? 0 : 1);
}

/** Stops whatever is still running on every way out, and bounds the drill's time. */
export function guard(limitMs, cleanup) {
  let done = false;
  const finish = async (code, why) => {
    if (done) return;
    done = true;
    if (why) log(why);
    try {
      await cleanup();
    } finally {
      if (code !== null) process.exit(code);
    }
  };
  const timer = setTimeout(() => {
    process.stdout.write(`${JSON.stringify({ pass: false, error: `the drill did not finish within ${limitMs / 1000} s` })}\n`);
    void finish(1, 'time limit reached');
  }, limitMs);
  timer.unref();
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void finish(1, `${signal}: stopping`));
  return { cleanup: () => finish(null) };
}
