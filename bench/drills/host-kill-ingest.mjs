#!/usr/bin/env node
// Drill: kill -9 of the host while it ingests, on a SQLite file and on a throwaway MariaDB.
// Two writers post batches of scans; the host is SIGKILLed three times mid-stream and restarted; each batch
// that got no answer is posted again (ingestion is idempotent). Bar: of every scan the host acknowledged,
// 0 lost and 0 stored twice. Prints one JSON line of figures; exits 1 if the bar is not met.
import { join } from 'node:path';
import { createDatabase } from '@rfid3/core';
import { createKey, guard, hostEnv, log, rfid3, runDrill, sleep, startHost, startMariadb, tempDir } from './support/servers.mjs';
import { rmSync } from 'node:fs';

const LIMIT_MS = 300_000;
const BATCH = 100;
const WRITERS = 2;
// When each kill lands after the writers (re)start: fixed, so two runs of the drill do the same.
const KILL_AFTER_MS = [1200, 2100, 1700];

const running = { host: null, mariadb: null, dirs: [] };
const { cleanup } = guard(LIMIT_MS, async () => {
  await running.host?.kill('SIGKILL').catch(() => {});
  await running.mariadb?.stop().catch(() => {});
  for (const d of running.dirs) rmSync(d, { recursive: true, force: true });
});

const pad = (n) => String(n).padStart(2, '0');
const base = Date.now() - 10 * 86_400_000;
let nextEvent = 0;
/** A batch of scans, each unique (its id in `notes` and as `event_id`), dated in the last ten days. */
function makeBatch() {
  return Array.from({ length: BATCH }, () => {
    const n = nextEvent++;
    const d = new Date(base + n * 1000);
    const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    return { event_id: `ev-${n}`, tag_id: `K${n % 300}`, scan_type: n % 2 ? 'Return' : 'Rental', scan_date: date, common_name: 'CHAIR, WHITE', notes: `ev-${n}` };
  });
}

async function post(url, key, scans) {
  const res = await fetch(`${url}/api/ingest/scans`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ scans }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await res.json();
  if (res.status !== 200) throw Object.assign(new Error(`HTTP ${res.status}: ${JSON.stringify(body).slice(0, 300)}`), { http: true });
  return body;
}

async function drill(dialect) {
  const dir = tempDir(`rfid3-drill-kill-${dialect}-`);
  running.dirs.push(dir);
  let url;
  if (dialect === 'mariadb') {
    running.mariadb = await startMariadb();
    await running.mariadb.query('create database drill');
    url = running.mariadb.url('drill');
  } else {
    url = `sqlite:${join(dir, 'drill.db')}`;
  }
  const env = hostEnv(dir, url);
  await rfid3(['migrate'], env);
  const key = await createKey(env, 'ingest');
  const acked = new Set();
  const figures = { kills: 0, batchesAcknowledged: 0, unacknowledgedBatches: 0, unacknowledgedAlreadyStored: 0, restartSeconds: [] };

  running.host = await startHost({ env });
  for (const killAfter of KILL_AFTER_MS) {
    const host = running.host;
    const unacked = [];
    let stop = false;
    const writer = async () => {
      while (!stop) {
        const batch = makeBatch();
        try {
          await post(host.url, key, batch);
          for (const s of batch) acked.add(s.notes);
          figures.batchesAcknowledged++;
        } catch (err) {
          if (err.http) throw err;
          // No answer: the host died with this batch in flight. It may or may not have been committed.
          unacked.push(batch);
          return;
        }
      }
    };
    const writers = Array.from({ length: WRITERS }, writer);
    await sleep(killAfter);
    log(`${dialect}: kill -9 ${host.pid} with ${acked.size} scans acknowledged so far`);
    await host.kill('SIGKILL');
    figures.kills++;
    stop = true;
    await Promise.all(writers);
    const t0 = performance.now();
    running.host = await startHost({ env });
    figures.restartSeconds.push(Math.round((performance.now() - t0) / 100) / 10);
    for (const batch of unacked) {
      const r = await post(running.host.url, key, batch);
      figures.unacknowledgedBatches++;
      figures.unacknowledgedAlreadyStored += r.duplicates;
      for (const s of batch) acked.add(s.notes);
    }
  }
  await running.host.kill('SIGTERM');
  running.host = null;

  const handle = createDatabase(url);
  try {
    const rows = await handle.db.selectFrom('id_transactions').select('notes').execute();
    const counts = new Map();
    for (const r of rows) counts.set(r.notes, (counts.get(r.notes) ?? 0) + 1);
    figures.scansAcknowledged = acked.size;
    figures.rowsStored = rows.length;
    figures.lost = [...acked].filter((id) => !counts.has(id)).length;
    figures.duplicated = [...counts.values()].filter((n) => n > 1).length;
  } finally {
    await handle.close();
  }
  if (dialect === 'mariadb') {
    await running.mariadb.stop();
    running.mariadb = null;
  }
  return figures;
}

const out = { drill: 'host-kill-ingest', bar: '0 acknowledged scans lost, 0 stored twice, after kill -9 of the host mid-ingest and a retry of the unanswered batches' };
await runDrill(out, cleanup, async () => {
  out.sqlite = await drill('sqlite');
  out.mariadb = await drill('mariadb');
  out.pass = [out.sqlite, out.mariadb].every((f) => f.kills === KILL_AFTER_MS.length && f.scansAcknowledged > 0 && f.lost === 0 && f.duplicated === 0);
});
