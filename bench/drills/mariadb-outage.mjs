#!/usr/bin/env node
// Drill: MariaDB away under a read load. A throwaway mariadbd on its own port holds a small simulated
// business; the host serves it to six concurrent clients (cached forecasts, database reads, status, an
// ingest post) while mariadbd is SIGKILLed for 20 s and started again, then SIGSTOPped for 20 s and
// continued. Bar: no answer other than 200 or 503; every 503 carries Retry-After; every cached forecast
// answered while the database is away says `stale: true`; every request is answered; the host answers
// the database's endpoints again within 5 s of the database being back. One JSON line; exit 1 below the bar.
import { rmSync } from 'node:fs';
import { createKey, guard, hostEnv, log, rfid3, runDrill, sleep, startHost, startMariadb, tempDir, until } from './support/servers.mjs';
import { quantile } from '../suites/util.mjs';

const LIMIT_MS = 420_000;
const OUTAGE_MS = 20_000;
const CLIENTS = 6;
const RECOVERY_BAR_SECONDS = 5;
// The query timeout stays the host's default (30 s): requests caught in flight by a stopped server wait for it.
const REQUEST_TIMEOUT_MS = 45_000;

const running = { host: null, mariadb: null, dir: null };
const { cleanup } = guard(LIMIT_MS, async () => {
  await running.host?.kill('SIGKILL').catch(() => {});
  await running.mariadb?.stop().catch(() => {});
  if (running.dir) rmSync(running.dir, { recursive: true, force: true });
});

const out = {
  drill: 'mariadb-outage',
  bar: `0 answers other than 200/503, every 503 with Retry-After, cached forecasts stale-flagged while the database is away, recovery ≤ ${RECOVERY_BAR_SECONDS} s`,
};
await runDrill(out, cleanup, async () => {
  running.dir = tempDir('rfid3-drill-outage-');
  const mariadb = (running.mariadb = await startMariadb());
  await mariadb.query('create database drill');
  const env = hostEnv(running.dir, mariadb.url('drill'));
  log('seeding a small business (300 items, 400 days) and training the models');
  await rfid3(['demo', '--items', '300', '--days', '400', '--seed', '7'], env, 600_000);
  const key = await createKey(env, 'ingest');
  const host = (running.host = await startHost({ env }));

  const categories = ((await (await fetch(`${host.url}/api/predictive/demand/forecast?weeks=1`)).json()).series ?? []).map((s) => s.key).slice(0, 3);
  const cachedPaths = ['/api/predictive/demand/forecast?weeks=4', ...categories.map((c) => `/api/predictive/demand/forecast?weeks=2&category=${encodeURIComponent(c)}`)];
  for (const p of cachedPaths) {
    const res = await fetch(`${host.url}${p}`);
    if (res.status !== 200) throw new Error(`warming ${p}: HTTP ${res.status}`);
  }
  const pad = (n) => String(n).padStart(2, '0');
  let scanNo = 0;
  const kinds = [
    ...cachedPaths.map((path) => ({ kind: 'cached-forecast', path })),
    { kind: 'db-read', path: '/api/predictive/models/version-history?limit=20' },
    { kind: 'db-read', path: '/api/predictive/models/performance?limit=20' },
    { kind: 'status', path: '/api/predictive/health/system-status' },
    {
      // Scans of a day the forecasts are fitted on (26 h ago, at any time of day): each one bumps the data
      // version in the forecasts' cache keys, so when the database goes away the current keys may never have
      // been answered, and the last forecast of the same question must still be served, flagged stale.
      kind: 'ingest',
      path: '/api/ingest/scans',
      body: () => {
        const d = new Date(Date.now() - 26 * 3_600_000 - scanNo++ * 1000);
        const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
        return JSON.stringify({ scans: [{ tag_id: `DRILL${scanNo % 50}`, scan_type: 'Touch Scan', scan_date: date, common_name: 'DRILL' }] });
      },
    },
  ];

  const answers = [];
  let stop = false;
  const client = async (offset) => {
    for (let i = offset; !stop; i++) {
      const k = kinds[i % kinds.length];
      const t0 = performance.now();
      const a = { kind: k.kind, path: k.path, t0 };
      try {
        const res = await fetch(`${host.url}${k.path}`, {
          method: k.body ? 'POST' : 'GET',
          headers: k.body ? { 'content-type': 'application/json', authorization: `Bearer ${key}` } : {},
          body: k.body?.(),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const body = await res.json().catch(() => null);
        Object.assign(a, { status: res.status, retryAfter: res.headers.get('retry-after'), stale: body?.stale === true });
      } catch (err) {
        a.status = 0;
        a.error = err instanceof Error ? err.message : String(err);
      }
      a.t1 = performance.now();
      answers.push(a);
      await sleep(10);
    }
  };
  const clients = Array.from({ length: CLIENTS }, (_, i) => client(i * 2));

  /** Seconds from `backAt` until every kind that needs the database has answered 200 to a request sent after it. */
  const recovery = async (backAt) =>
    until(
      'the host to answer the database endpoints again',
      () => {
        const firsts = ['db-read', 'status', 'ingest'].map((kind) => answers.find((a) => a.kind === kind && a.t0 >= backAt && a.status === 200));
        return firsts.every(Boolean) ? Math.max(...firsts.map((a) => a.t1)) : null;
      },
      60_000,
      50,
    ).then((t) => (t - backAt) / 1000);

  const phases = [];
  await sleep(5_000);
  for (const [name, down, up] of [
    ['SIGKILL, then started again', () => mariadb.kill('SIGKILL'), () => mariadb.start()],
    ['SIGSTOP, then SIGCONT', () => mariadb.kill('SIGSTOP'), () => mariadb.kill('SIGCONT')],
  ]) {
    log(`mariadbd ${name}: away for ${OUTAGE_MS / 1000} s`);
    const downAt = performance.now();
    await down();
    await sleep(OUTAGE_MS);
    // Until this moment the server is certainly away: `up()` may return only once it answers again.
    const restartAt = performance.now();
    await up();
    const upAt = performance.now();
    // The database is back when it answers us: that moment starts the recovery clock.
    await until('mariadbd to answer', async () => (await mariadb.query('select 1')) && true, 60_000, 50);
    const backAt = performance.now();
    const recoverySeconds = await recovery(backAt);
    log(`  recovered ${recoverySeconds.toFixed(2)} s after the database answered (${((backAt - upAt) / 1000).toFixed(2)} s after it was started or continued)`);
    await sleep(8_000);
    // The quiet time after recovery ends here: the next phase takes the server away right after.
    phases.push({ name, downAt, restartAt, upAt, backAt, recoverySeconds, quietUntil: performance.now() });
  }
  stop = true;
  await Promise.all(clients);

  const byStatus = {};
  for (const a of answers) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  // Stale flags: from 4.5 s into an outage until the drill starts or continues the server. A cached forecast asked
  // before touches nothing but memory, so the host learns of the outage from its probe alone: every 2 s, and a
  // stopped server (SIGSTOP) takes the probe's 2 s timeout to be called away. From the restart on it may answer
  // the host's probe before `up()` returns or this drill's own check (`backAt`) sees it, and an answer that is
  // fresh again rightly carries no stale flag.
  const inOutage = (a) => phases.some((p) => a.t0 >= p.downAt + 4_500 && a.t1 <= p.restartAt);
  // After recovery: sent from 3 s after it and answered before the next phase took the server away again (an
  // answer that needed the database and was still under way when the next outage began is rightly stale).
  const afterRecovery = (a) => phases.some((p) => a.t0 >= p.backAt + p.recoverySeconds * 1000 + 3_000 && a.t1 <= p.quietUntil);
  const outageAnswers = answers.filter(inOutage);
  const lat = outageAnswers.map((a) => a.t1 - a.t0);
  Object.assign(out, {
    requests: answers.length,
    byStatus,
    status500: answers.filter((a) => a.status >= 500 && a.status !== 503).length,
    unexpected: answers.filter((a) => a.status !== 200 && a.status !== 503).length,
    unanswered: answers.filter((a) => a.status === 0).length,
    without503RetryAfter: answers.filter((a) => a.status === 503 && !/^\d+$/.test(a.retryAfter ?? '')).length,
    duringOutage: {
      requests: outageAnswers.length,
      cachedForecasts200Stale: outageAnswers.filter((a) => a.kind === 'cached-forecast' && a.status === 200 && a.stale).length,
      cachedForecastsNotStale: outageAnswers.filter((a) => a.kind === 'cached-forecast' && !(a.status === 200 && a.stale)).length,
      status503: outageAnswers.filter((a) => a.status === 503).length,
      p99Ms: Math.round(quantile(lat, 0.99) ?? 0),
      maxMs: Math.round(Math.max(0, ...lat)),
    },
    staleAfterRecovery: answers.filter((a) => afterRecovery(a) && a.stale).length,
    recoverySeconds: Object.fromEntries(phases.map((p) => [p.name, Math.round(p.recoverySeconds * 100) / 100])),
    // The same, counted from the moment mariadbd was started again or continued (its own start-up included).
    recoverySecondsFromRestart: Object.fromEntries(phases.map((p) => [p.name, Math.round(((p.backAt - p.upAt) / 1000 + p.recoverySeconds) * 100) / 100])),
  });
  out.pass =
    out.unexpected === 0 &&
    out.without503RetryAfter === 0 &&
    out.duringOutage.cachedForecastsNotStale === 0 &&
    out.duringOutage.cachedForecasts200Stale > 0 &&
    out.duringOutage.status503 > 0 &&
    out.staleAfterRecovery === 0 &&
    phases.every((p) => p.recoverySeconds <= RECOVERY_BAR_SECONDS);
  // What the host said about the database, in seconds from the first outage, to read beside the figures.
  out.hostLog = host.events.map(
    (e) => `${((e.time - (performance.timeOrigin + phases[0].downAt)) / 1000).toFixed(1)} s: ${e.msg}${e.err ? ` (${String(e.err).slice(0, 80)})` : ''}`,
  );
  if (out.staleAfterRecovery) {
    out.staleSamples = answers
      .filter((a) => afterRecovery(a) && a.stale)
      .slice(0, 5)
      .map((a) => `${a.path} sent at ${((a.t0 - phases[0].downAt) / 1000).toFixed(1)} s, answered at ${((a.t1 - phases[0].downAt) / 1000).toFixed(1)} s`);
  }
  if (out.duringOutage.cachedForecastsNotStale) {
    out.notStaleSamples = outageAnswers
      .filter((a) => a.kind === 'cached-forecast' && !(a.status === 200 && a.stale))
      .slice(0, 5)
      .map((a) => {
        const p = phases.find((ph) => a.t0 >= ph.downAt && a.t1 <= ph.backAt);
        return `${a.path}: ${a.status}${a.stale ? ' stale' : ''}, sent ${((a.t0 - p.downAt) / 1000).toFixed(2)} s into '${p.name}', answered ${((a.t1 - p.restartAt) / 1000).toFixed(2)} s from its restart`;
      });
  }
  if (out.unexpected)
    out.samples = answers
      .filter((a) => a.status !== 200 && a.status !== 503)
      .slice(0, 5)
      .map((a) => ({ path: a.path, status: a.status, error: a.error }));
});
