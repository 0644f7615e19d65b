// The cached forecast endpoint against a bare Koa handler serving the same bytes, in the same run on the same
// machine: `rfid3 serve` (as an operator starts it: default log level, every plugin, SQLite file, rate limit
// off) on the demo business, and bench/bare-koa.mjs, each in a child process of its own, loaded in turn by one
// closed-loop generator (bench/load.mjs) with 50 keep-alive connections. Short rounds alternate (Koa, host, Koa,
// host, …) so that a busy neighbour on the shared machine weighs on both alike; each side's median round counts.
// Beside them, two `rfid3 serve` processes on the same database behind a round-robin (the generator's connections
// alternate between the two ports, as a client balancing over hosts does; no proxy in between), on the same 2 cores.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { closedLoop } from '../load.mjs';
import { scratch, sleep } from '../host-process.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(here, '..', '..', 'packages', 'host-server', 'dist', 'cli.js');
const BARE_KOA = resolve(here, '..', 'bare-koa.mjs');
const PATH = '/api/predictive/demand/forecast?weeks=4';
const CONNECTIONS = 50;
const ROUNDS = 5;
const ROUND_SECONDS = Number(process.env.BENCH_API_SECONDS ?? 5);

const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

/** A child process whose output goes to `logFile`; resolves once `ready()` holds or rejects when it exits first. */
async function startChild(args, { cwd, env, logFile, ready, timeoutMs = 60_000 }) {
  const fd = openSync(logFile, 'a');
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
  const child = spawn(process.execPath, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', fd] });
  closeSync(fd);
  children.add(child);
  let stdout = '';
  child.stdout.on('data', (d) => {
    stdout += String(d);
  });
  let exited = null;
  const gone = new Promise((r) => child.once('exit', (code, signal) => r((exited = { code, signal }))));
  const started = performance.now();
  for (;;) {
    if (exited) throw new Error(`${args.join(' ')} exited (${exited.signal ?? exited.code}) before it answered; see ${logFile}`);
    const value = await ready(stdout).catch(() => null);
    if (value) break;
    if (performance.now() - started > timeoutMs) throw new Error(`${args.join(' ')} did not answer within ${timeoutMs} ms`);
    await sleep(100);
  }
  return {
    child,
    stdout: () => stdout,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
      children.delete(child);
    },
  };
}

/** Runs `rfid3 <args>` to completion, its output in `logFile`. */
function runCli(args, { cwd, logFile }) {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.add(child);
  return new Promise((ok, fail) =>
    child.once('exit', (code) => {
      children.delete(child);
      if (code === 0) ok();
      else fail(new Error(`rfid3 ${args.join(' ')} exited ${code}: ${readFileSync(logFile, 'utf8').slice(-1000)}`));
    }),
  );
}

/** The first forecast of a host (fits every category), then cached ones; resolves with the cached answer's bytes. */
async function warm(port) {
  const first = await fetch(`http://127.0.0.1:${port}${PATH}`);
  if (first.status !== 200) throw new Error(`the first forecast answered ${first.status}: ${(await first.text()).slice(0, 300)}`);
  await first.arrayBuffer();
  let bytes;
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`http://127.0.0.1:${port}${PATH}`);
    bytes = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`a cached forecast answered ${res.status}`);
    if (i === 19 && JSON.parse(bytes.toString()).cached !== true) throw new Error('the forecast is not served from the cache after warm-up');
  }
  return bytes;
}

export const bench = {
  name: 'api',
  title: 'api',
  async run({ log }) {
    const results = { loadAverageStart: loadavg()[0] };
    const s = scratch({ databaseUrl: 'sqlite:./bench.db', rateLimit: { enabled: false } });
    const stops = [];
    try {
      // `rfid3 demo` seeds and trains every model first, as a host serves in production: a host that trained its
      // first models on the first request precomputes everything at its next scheduler tick, and that burst (every
      // plugin's answers, not the cached path) would land in a measured round.
      log('rfid3 demo: the demo business (1,500 items × 730 days, SQLite file), every model trained');
      let t = performance.now();
      await runCli(['demo', '--items', '1500', '--days', '730'], { cwd: s.dir, logFile: join(s.dir, 'demo.log') });
      results.demoSeconds = (performance.now() - t) / 1000;

      // `rfid3 serve` as an operator starts it on the demo's folder; resolves with its port.
      const serve = async (logName) => {
        const port = await freePort();
        const host = await startChild([CLI, 'serve'], {
          cwd: s.dir,
          env: { HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: undefined, DATABASE_URL: undefined, REDIS_URL: undefined, NODE_ENV: 'production' },
          logFile: join(s.dir, logName),
          ready: async () => (await fetch(`http://127.0.0.1:${port}/api/predictive/health/system-status`)).ok,
        });
        stops.push(host.stop);
        return port;
      };
      const hostPort = await serve('host.log');
      log(`rfid3 serve on 127.0.0.1:${hostPort} (default log level, rate limit off)`);

      // Warm-up: the first answer validates and registers the model and fits every category; the next ones are cached.
      log('warm-up: the first forecast (fits every category), then cached ones');
      t = performance.now();
      const bytes = await warm(hostPort);
      results.firstAnswerSeconds = (performance.now() - t) / 1000;
      const bodyFile = join(s.dir, 'answer.json');
      writeFileSync(bodyFile, bytes);
      results.answerBytes = bytes.length;

      log('bare Koa serving the same bytes');
      const koa = await startChild([BARE_KOA, bodyFile], { cwd: s.dir, env: {}, logFile: join(s.dir, 'koa.log'), ready: async (out) => Number(out.trim()) || null });
      stops.push(koa.stop);
      const koaPort = Number(koa.stdout().trim());

      const secondPort = await serve('host2.log');
      log(`a second rfid3 serve on 127.0.0.1:${secondPort}, on the same database`);
      // Its answer is its own (its own fit and time stamps), of about the same size.
      const secondBytes = await warm(secondPort);

      const rounds = { koa: [], host: [], twoHosts: [] };
      for (let r = 0; r < ROUNDS; r++) {
        for (const [name, ports] of [
          ['koa', [koaPort]],
          ['host', [hostPort]],
          ['twoHosts', [hostPort, secondPort]],
        ]) {
          log(`round ${r + 1}/${ROUNDS}: ${name}, ${CONNECTIONS} connections, ${ROUND_SECONDS} s (+2 s warm-up)`);
          const out = await closedLoop({ ports, path: PATH, connections: CONNECTIONS, seconds: ROUND_SECONDS, warmupSeconds: 2 });
          if (out.non200) throw new Error(`${name}: ${out.non200} answers were not 200`);
          if (out.bodyBytes !== bytes.length && !(name === 'twoHosts' && out.bodyBytes === secondBytes.length))
            throw new Error(`${name} served ${out.bodyBytes} bytes, not the ${bytes.length} of the cached answer`);
          rounds[name].push(out);
        }
      }
      // Each target's figures are those of its median round by req/s: the machine is shared, and short alternating
      // rounds let a busy neighbour weigh on both alike.
      const median = (xs) => [...xs].sort((a, b) => a.rps - b.rps)[Math.floor(xs.length / 2)];
      const r1 = (x) => Math.round(x * 10) / 10;
      for (const name of ['koa', 'host', 'twoHosts']) {
        const b = median(rounds[name]);
        results[name] = { rps: Math.round(b.rps), p50Ms: r1(b.p50Ms), p99Ms: r1(b.p99Ms), maxMs: r1(b.maxMs), roundsRps: rounds[name].map((x) => Math.round(x.rps)) };
      }
      results.ratio = Math.round((results.host.rps / results.koa.rps) * 100) / 100;
      results.twoHostsRatio = Math.round((results.twoHosts.rps / results.host.rps) * 100) / 100;
      results.loadAverageEnd = loadavg()[0];
    } finally {
      for (const stop of stops.reverse()) await stop();
      s.remove();
    }
    const n = (x) => x.toLocaleString('en-US');
    const { koa, host, twoHosts } = results;
    return {
      results,
      rows: [
        ['`rfid3 demo --items 1500 --days 730` (seeds, trains every model, replays forecasts; not the figure measured)', `${results.demoSeconds.toFixed(0)} s`],
        ['1-minute load average at start / end (2 cores, shared)', `${results.loadAverageStart.toFixed(1)} / ${results.loadAverageEnd.toFixed(1)}`],
        [
          `bare Koa handler serving the same ${n(results.answerBytes)} bytes, ${CONNECTIONS} keep-alive connections (median of ${ROUNDS} alternating rounds of ${ROUND_SECONDS} s)`,
          `${n(koa.rps)} req/s, p50 ${koa.p50Ms} ms, p99 ${koa.p99Ms} ms (rounds: ${koa.roundsRps.map(n).join(', ')} req/s)`,
        ],
        [
          `\`GET ${PATH.replace('/api/predictive', '')}\` from the cache, \`rfid3 serve\` (SQLite, default log level, rate limit off), same load`,
          `${n(host.rps)} req/s, p50 ${host.p50Ms} ms, p99 ${host.p99Ms} ms (rounds: ${host.roundsRps.map(n).join(', ')} req/s)`,
        ],
        ['cached forecast ÷ bare Koa (target ≥ 0.6×; p99 target ≤ 25 ms)', `**${results.ratio}×**, p99 ${host.p99Ms} ms`],
        [
          `the same from two \`rfid3 serve\` on the same database, round-robin over their ports (half the connections each), same load, same 2 cores`,
          `${n(twoHosts.rps)} req/s, p50 ${twoHosts.p50Ms} ms, p99 ${twoHosts.p99Ms} ms (rounds: ${twoHosts.roundsRps.map(n).join(', ')} req/s): **${results.twoHostsRatio}×** one host`,
        ],
      ],
    };
  },
};
