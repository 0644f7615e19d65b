// What the drills in bench/drills share: `rfid3 serve` as a child process of their own, a simulated business
// for it to read, a closed-loop read load that times every request, and the drills' output contract (one JSON line of
// figures last on stdout, exit 1 when the bar is not met). Kept out of bench/drills so that whatever runs
// every file there does not run this one.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreMigrations, createDatabase, migrate } from '@rfid3/core';
import { simulate } from '@rfid3/core/simulator';
import { quantile } from './suites/util.mjs';

export { quantile };
const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'host-server', 'dist', 'cli.js');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const log = (m) => process.stderr.write(`${m}\n`);

/** Every child started here, killed (by PID) if the drill ends any other way than through its own cleanup. */
const children = new Set();
const pidSources = [];
/** Also kill, by PID, whatever process `getPid()` names when this one exits (a throwaway redis-server). */
export function killOnExit(getPid) {
  pidSources.push(getPid);
}
process.on('exit', () => {
  for (const pid of [...children, ...pidSources.map((f) => f()).filter(Boolean)]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** A scratch folder with a config file in it; `remove()` deletes it. */
export function scratch(config) {
  const dir = mkdtempSync(join(tmpdir(), 'rfid3-drill-'));
  writeFileSync(join(dir, 'rfid3.config.json'), JSON.stringify(config, null, 2));
  return { dir, config: join(dir, 'rfid3.config.json'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function run(args, { cwd, env }) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child.pid);
  let tail = '';
  const keep = (d) => {
    tail = (tail + String(d)).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  exited.then(() => children.delete(child.pid));
  return { child, exited, tail: () => tail };
}

/**
 * A simulated business (as `rfid3 demo` seeds it) in a SQLite file, without training: the host trains each
 * model on its first request, which the drill makes before it measures (training is not what it drills).
 */
export async function seedSimulated(file, { items = 200, days = 120, seed = 42 } = {}) {
  const started = performance.now();
  const database = createDatabase(`sqlite:${file}`);
  try {
    await migrate(database, 'core', coreMigrations);
    await simulate(database, { items, days, seed, packComponents: true });
  } finally {
    await database.close();
  }
  return (performance.now() - started) / 1000;
}

/**
 * `rfid3 serve` on 127.0.0.1 and a port of its own, as an operator starts it; settles once it answers
 * HTTP (any status). `stop()` sends SIGTERM to its PID, then SIGKILL if it has not exited in 10 s.
 */
export async function startHost({ cwd, env, port, timeoutMs = 30_000 }) {
  const started = performance.now();
  const p = run(['serve'], { cwd, env: { HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env } });
  const url = `http://127.0.0.1:${port}`;
  let exitedEarly = null;
  p.exited.then((e) => {
    exitedEarly = e;
  });
  for (;;) {
    if (exitedEarly) throw new Error(`rfid3 serve exited (${exitedEarly.signal ?? `exit ${exitedEarly.code}`}): ${p.tail()}`);
    try {
      await (await fetch(`${url}/api/predictive/health/system-status`)).arrayBuffer();
      break;
    } catch {
      if (performance.now() - started > timeoutMs) {
        p.child.kill('SIGKILL');
        throw new Error(`rfid3 serve did not answer within ${timeoutMs} ms: ${p.tail()}`);
      }
      await sleep(100);
    }
  }
  return {
    url,
    pid: p.child.pid,
    startupSeconds: (performance.now() - started) / 1000,
    tail: p.tail,
    async stop() {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return;
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
      await p.exited;
      clearTimeout(timer);
    },
  };
}

/** The host's own account of itself. */
export async function systemStatus(url) {
  const res = await fetch(`${url}/api/predictive/health/system-status`);
  return { http: res.status, ...(await res.json()) };
}

/** Polls until `check` holds; returns the seconds it took, or null if it did not within `timeoutMs`. */
export async function until(check, timeoutMs, everyMs = 250) {
  const started = performance.now();
  for (;;) {
    try {
      if (await check()) return (performance.now() - started) / 1000;
    } catch {
      /* not yet */
    }
    if (performance.now() - started > timeoutMs) return null;
    await sleep(everyMs);
  }
}

/**
 * A closed-loop read load: `concurrency` workers each send the next GET as soon as the last one answered,
 * cycling through `paths`. Every answer is kept with the phase it fell in (`phase` is set by the drill).
 */
export function readLoad({ url, paths, concurrency = 4, timeoutMs = 10_000 }) {
  const samples = [];
  const state = { phase: 'warmup', running: true };
  let next = 0;
  const worker = async () => {
    while (state.running) {
      const path = paths[next++ % paths.length];
      const phase = state.phase;
      const t = performance.now();
      try {
        const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
        await res.arrayBuffer();
        samples.push({ phase, path, status: res.status, ms: performance.now() - t, remaining: Number(res.headers.get('ratelimit-remaining')) });
      } catch (err) {
        samples.push({ phase, path, status: 0, ms: performance.now() - t, error: err instanceof Error ? err.message : String(err) });
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    samples,
    set phase(p) {
      state.phase = p;
    },
    async stop() {
      state.running = false;
      await Promise.all(workers);
    },
  };
}

/** Latency figures of one phase, in ms to 0.1. */
export function latency(samples) {
  const ms = samples.map((s) => s.ms);
  const r = (x) => (x === undefined ? null : Math.round(x * 10) / 10);
  return { n: ms.length, p50: r(quantile(ms, 0.5)), p99: r(quantile(ms, 0.99)), max: r(Math.max(...ms)) };
}

/**
 * Runs a drill under a hard deadline and applies the output contract: figures as ONE JSON line, last on
 * stdout; exit 0 only when `figures.pass` is true. A drill that throws or overruns prints a failing line too.
 */
export async function drill(name, deadlineMs, body) {
  const started = performance.now();
  const cleanups = [];
  const finish = async (figures) => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (err) {
        log(`cleanup: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    figures.seconds = Math.round((performance.now() - started) / 100) / 10;
    process.stdout.write(`${JSON.stringify({ drill: name, ...figures })}\n`);
    process.exit(figures.pass === true ? 0 : 1);
  };
  const timer = setTimeout(() => void finish({ pass: false, error: `the drill did not finish within ${deadlineMs / 1000} s` }), deadlineMs);
  try {
    const figures = await body({ cleanup: (f) => cleanups.push(f) });
    clearTimeout(timer);
    await finish(figures);
  } catch (err) {
    clearTimeout(timer);
    await finish({ pass: false, error: err instanceof Error ? err.message : String(err) });
  }
}
