// The pipeline at several sizes on MariaDB (`pnpm bench scale [--items=5000,50000]`, MYSQL_URL or the local
// root@127.0.0.1:3306): the simulator's business of N items × 730 days, loaded into a database of its own
// (`bench_scale_<N>`, dropped once its stages have run) through the product's own ingest path, then the pipeline stages, each in a process of its own
// (bench/scale-stage.mjs) so that its peak resident memory is its own. Per stage: seconds and peak RSS; between
// sizes, the growth exponent log(t2/t1) / log(N2/N1). Reference for ingest: a raw batched INSERT of the same scan
// rows into another database (`bench_scale_raw`) in the same run.
//
// What goes through the product and what does not: the scans (id_transactions, the bulk of the data) go through
// `ingestScans`, the code behind `POST /api/ingest/scans`, in batches of 5,000 (its limit). The catalogue and the
// items (id_item_master, rental_class_mappings) and the Point of Rental tables are RFID3's and its POS export's own
// tables, which the product reads and never writes; they are copied as they are, by batched INSERT, before.
//
// The simulated business (the source, a SQLite file) is not a stage: it is kept between runs in RFID3_BENCH_CACHE
// (default ~/.cache/rfid3-bench), named by its size, the day and a hash of the simulator's build and core's migrations, and made again when any changes.
// `node -e "import('./bench/suites/scale.mjs').then((m) => m.simulatedSource(50000, console.error))"` makes one ahead.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreMigrations, createDatabase, DEFAULT_CLOSED_HOLIDAYS, migrate, systemClock } from '@rfid3/core';
import { simulate } from '@rfid3/core/simulator';
import { ingestScans, MAX_BATCH } from '@rfid3/host-server';

const here = dirname(fileURLToPath(import.meta.url));
const STAGE = resolve(here, '..', 'scale-stage.mjs');
const { sql } = createRequire(resolve(here, '..', '..', 'packages', 'core', 'package.json'))('kysely');
const DAYS = 730;
/** RFID3's and the POS export's own tables, copied as they are (the product reads them and never writes them). */
const REFERENCE_TABLES = ['rental_class_mappings', 'id_item_master', 'pos_equipment', 'pos_transactions', 'pos_transaction_items', 'external_data_factors'];
/** The columns of a scan that `POST /api/ingest/scans` takes. */
const SCAN_FIELDS = [
  'tag_id',
  'scan_type',
  'scan_date',
  'contract_number',
  'client_name',
  'common_name',
  'bin_location',
  'status',
  'scan_by',
  'location_of_repair',
  'quality',
  'dirty_or_mud',
  'leaves',
  'oil',
  'mold',
  'stain',
  'oxidation',
  'other',
  'rip_or_tear',
  'sewing_repair_needed',
  'grommet',
  'rope',
  'buckle',
  'wet',
  'service_required',
  'serial_number',
  'rental_class_num',
  'longitude',
  'latitude',
  'notes',
];

/**
 * A hash of the part of core's build the simulator runs (its entry and the chunks it imports, transitively) and of
 * core's migrations, which make the source's tables: a kept source is never stale, and a change elsewhere in core
 * (a reader, an endpoint) does not make the 50,000-item business again.
 */
export function coreBuildHash() {
  const dist = resolve(dirname(fileURLToPath(import.meta.resolve('@rfid3/core'))));
  const h = createHash('sha256');
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(dist, file), 'utf8');
    h.update(file).update(text);
    for (const m of text.matchAll(/from\s+"\.\/([^"]+\.js)"/g)) visit(m[1]);
  };
  visit('simulator.js');
  const migrations = resolve(dist, '..', 'src', 'storage', 'migrations');
  for (const f of readdirSync(migrations).sort()) h.update(f).update(readFileSync(join(migrations, f)));
  return h.digest('hex').slice(0, 12);
}

/**
 * The simulated business of `items` items × 730 days (seed 42) as a SQLite file, made once per day and core build and
 * kept in RFID3_BENCH_CACHE (default ~/.cache/rfid3-bench); older files of the same size are removed. Resolves with the
 * file and what the simulation made (its counts and how long it took when it was made).
 */
export async function simulatedSource(items, log = () => {}) {
  const dir = process.env.RFID3_BENCH_CACHE || join(homedir(), '.cache', 'rfid3-bench');
  mkdirSync(dir, { recursive: true });
  // The simulation ends yesterday, as the stages' clock (the system's) expects: a source is kept for the day it was made.
  const stem = `scale-${items}x${DAYS}-seed42-${new Date().toISOString().slice(0, 10)}-core${coreBuildHash()}`;
  const file = join(dir, `${stem}.db`);
  const meta = join(dir, `${stem}.json`);
  const partial = `${file}.partial`;
  // Another process making the same source (`simulatedSource` run ahead): wait for it while it is still writing
  // (or has just renamed the file, and not yet written what it made).
  const writing = () => [partial, `${partial}-wal`, file].some((f) => existsSync(f) && Date.now() - statSync(f).mtimeMs < 120_000);
  if (!existsSync(meta) && writing()) log(`${items} items: waiting for another process that is simulating into ${partial}`);
  while (!existsSync(meta) && writing()) await new Promise((r) => setTimeout(r, 5000));
  if (existsSync(file) && existsSync(meta)) {
    log(`${items} items: the simulated business kept from an earlier run (${file})`);
    return { file, ...JSON.parse(readFileSync(meta, 'utf8')), kept: true };
  }
  for (const old of readdirSync(dir).filter((f) => f.startsWith(`scale-${items}x${DAYS}-`))) rmSync(join(dir, old), { force: true });
  log(`${items} items: simulating ${DAYS} days into ${file}`);
  const dropPartial = () => {
    for (const f of [partial, `${partial}-wal`, `${partial}-shm`]) rmSync(f, { force: true });
  };
  dropPartial();
  const t = performance.now();
  const source = createDatabase(`sqlite:${partial}`);
  try {
    await migrate(source, 'core', coreMigrations);
    const sim = await simulate(source, { items, days: DAYS, seed: 42, packComponents: true, closedHolidays: DEFAULT_CLOSED_HOLIDAYS });
    const made = {
      seconds: (performance.now() - t) / 1000,
      items: sim.counts.items,
      scans: sim.counts.scans,
      contracts: sim.counts.contracts,
      madeOn: new Date().toISOString().slice(0, 10),
    };
    await source.close();
    renameSync(partial, file);
    writeFileSync(meta, `${JSON.stringify(made)}\n`);
    return { file, ...made, kept: false };
  } finally {
    await source.close().catch(() => undefined);
    dropPartial();
  }
}

const mib = () => Math.round(process.memoryUsage().rss / 2 ** 20);

function withDatabase(serverUrl, name) {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function recreate(serverUrl, name) {
  const admin = createDatabase(serverUrl);
  try {
    await sql.raw(`drop database if exists \`${name}\``).execute(admin.db);
    await sql.raw(`create database \`${name}\``).execute(admin.db);
  } finally {
    await admin.close();
  }
  const handle = createDatabase(withDatabase(serverUrl, name));
  await migrate(handle, 'core', coreMigrations);
  return handle;
}

async function dropDatabase(serverUrl, name) {
  const admin = createDatabase(serverUrl);
  try {
    await sql.raw(`drop database if exists \`${name}\``).execute(admin.db);
  } finally {
    await admin.close();
  }
}

async function insertChunks(handle, table, rows) {
  if (!rows.length) return;
  const per = Math.max(1, Math.floor(handle.maxBoundValues / Object.keys(rows[0]).length));
  for (let i = 0; i < rows.length; i += per)
    await handle.db
      .insertInto(table)
      .values(rows.slice(i, i + per))
      .execute();
}

/** One stage in a process of its own; resolves with its JSON line. */
function stage(name, url, log) {
  return new Promise((ok, fail) => {
    execFile('nice', [process.execPath, STAGE, name, url], { maxBuffer: 16 << 20, timeout: 3 * 3600_000 }, (err, stdout, stderr) => {
      if (err) return fail(new Error(`stage ${name}: ${err.message}\n${String(stderr).slice(-2000)}`));
      for (const l of String(stderr).split('\n').filter(Boolean).slice(-5)) log(`  ${name}: ${l}`);
      ok(JSON.parse(String(stdout).trim().split('\n').pop()));
    });
  });
}

async function oneSize(items, { serverUrl, log }) {
  const out = { items };
  const name = `bench_scale_${items}`;
  let source;
  let target;
  let raw;
  try {
    const made = await simulatedSource(items, log);
    out.simulate = { seconds: made.seconds, items: made.items, scans: made.scans, contracts: made.contracts, kept: made.kept };
    source = createDatabase(`sqlite:${made.file}`);
    let t;

    target = await recreate(serverUrl, name);
    raw = await recreate(serverUrl, 'bench_scale_raw');
    log(`${items} items: copying RFID3's and the POS export's own tables into ${name}`);
    t = performance.now();
    let referenceRows = 0;
    for (const table of REFERENCE_TABLES) {
      const rows = await source.db.selectFrom(table).selectAll().execute();
      await insertChunks(target, table, rows);
      referenceRows += rows.length;
    }
    out.reference = { rows: referenceRows, seconds: (performance.now() - t) / 1000 };

    // The scans, page by page in the order they happened: each page through the ingest path into `name`, and the
    // same rows by a raw batched INSERT into bench_scale_raw. Both are timed apart, on the same pages.
    log(`${items} items: ${made.scans.toLocaleString('en-US')} scans through ingestScans (batches of ${MAX_BATCH}) and by raw batched INSERT`);
    const clock = systemClock;
    let ingestMs = 0;
    let rawMs = 0;
    let accepted = 0;
    let lastId = 0;
    let peakRss = mib();
    for (;;) {
      const page = await source.db.selectFrom('id_transactions').selectAll().where('id', '>', lastId).orderBy('id').limit(MAX_BATCH).execute();
      if (!page.length) break;
      lastId = page[page.length - 1].id;
      const scans = page.map((r) => {
        const s = {};
        for (const f of SCAN_FIELDS) if (r[f] !== null && r[f] !== undefined) s[f] = r[f];
        return s;
      });
      t = performance.now();
      const result = await ingestScans(target, clock, scans);
      ingestMs += performance.now() - t;
      if (result.rejected.length) throw new Error(`ingest rejected ${result.rejected.length} scans: ${JSON.stringify(result.rejected.slice(0, 2))}`);
      accepted += result.accepted;
      const rows = page.map(({ id: _id, ...r }) => r);
      t = performance.now();
      await raw.db.transaction().execute(async (trx) => {
        const per = Math.max(1, Math.floor(raw.maxBoundValues / Object.keys(rows[0]).length));
        for (let i = 0; i < rows.length; i += per)
          await trx
            .insertInto('id_transactions')
            .values(rows.slice(i, i + per))
            .execute();
      });
      rawMs += performance.now() - t;
      peakRss = Math.max(peakRss, mib());
    }
    out.ingest = {
      scans: accepted,
      seconds: ingestMs / 1000,
      rawInsertSeconds: rawMs / 1000,
      scansPerSecond: Math.round(accepted / (ingestMs / 1000)),
      rawScansPerSecond: Math.round(accepted / (rawMs / 1000)),
      ratioToRaw: rawMs / ingestMs,
      peakRssMiB: peakRss,
    };
    // Said at once: a later stage that fails (a busy shared machine) must not take this figure with it.
    log(
      `${items} items: ingest ${out.ingest.seconds.toFixed(1)} s, raw INSERT ${out.ingest.rawInsertSeconds.toFixed(1)} s: ${out.ingest.ratioToRaw.toFixed(2)}× raw (load average ${loadavg()[0].toFixed(1)})`,
    );
    await source.close();
    source = null;
    await raw.close();
    raw = null;
    await dropDatabase(serverUrl, 'bench_scale_raw');
    await target.close();
    target = null;

    for (const s of ['train', 'score', 'precompute']) {
      log(`${items} items: stage ${s}`);
      out[s] = await stage(s, withDatabase(serverUrl, name), log);
      log(`${items} items: ${s} ${out[s].seconds.toFixed(1)} s, peak RSS ${out[s].peakRssMiB} MiB (load average ${loadavg()[0].toFixed(1)})`);
    }
    await dropDatabase(serverUrl, name);
  } finally {
    await source?.close();
    await raw?.close();
    await target?.close();
  }
  return out;
}

export const bench = {
  name: 'scale',
  async run({ log, options = {} }) {
    const serverUrl = process.env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/test';
    const sizes = String(options.items ?? '5000,50000')
      .split(',')
      .map((s) => Number(s.trim()))
      .filter((n) => Number.isInteger(n) && n > 0)
      .sort((a, b) => a - b);
    if (!sizes.length) throw new Error('--items: a comma-separated list of item counts, such as 5000,50000');
    const results = { loadAverageStart: loadavg()[0], sizes: {} };
    for (const items of sizes) results.sizes[items] = await oneSize(items, { serverUrl, log });
    results.loadAverageEnd = loadavg()[0];

    const n = (x) => Math.round(x).toLocaleString('en-US');
    const s1 = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
    const stages = [
      ['ingest', (r) => r.ingest.seconds, (r) => r.ingest.peakRssMiB],
      ['train', (r) => r.train.seconds, (r) => r.train.peakRssMiB],
      ['score', (r) => r.score.seconds, (r) => r.score.peakRssMiB],
      ['precompute', (r) => r.precompute.seconds, (r) => r.precompute.peakRssMiB],
    ];
    const rows = [['1-minute load average at start / end (2 cores, shared with other work)', `${results.loadAverageStart.toFixed(1)} / ${results.loadAverageEnd.toFixed(1)}`]];
    for (const items of sizes) {
      const r = results.sizes[items];
      const total = stages.reduce((sum, [, sec]) => sum + sec(r), 0);
      rows.push(
        [
          `${n(items)} items × ${DAYS} days: simulated (${n(r.simulate.scans)} scans, ${n(r.simulate.contracts)} contracts; not a stage)`,
          `${s1(r.simulate.seconds)} s${r.simulate.kept ? ' (when it was made; kept from an earlier run)' : ''}`,
        ],
        [
          `… ingest: ${n(r.ingest.scans)} scans through \`ingestScans\` (\`POST /api/ingest/scans\`'s code) in batches of ${MAX_BATCH} into MariaDB`,
          `${s1(r.ingest.seconds)} s (${n(r.ingest.scansPerSecond)} scans/s), peak RSS ${r.ingest.peakRssMiB} MiB (the loading process)`,
        ],
        [
          `… reference: the same rows by raw batched INSERT, same run (target ≥ 0.8×)`,
          `${s1(r.ingest.rawInsertSeconds)} s (${n(r.ingest.rawScansPerSecond)} scans/s): ingest is **${r.ingest.ratioToRaw.toFixed(2)}×** raw`,
        ],
        [
          `… train: every \`.retrain\` job (${Object.keys(r.train)
            .filter((k) => k.includes('.'))
            .join(', ')})`,
          `${s1(r.train.seconds)} s, peak RSS ${r.train.peakRssMiB} MiB (${Object.entries(r.train)
            .filter(([k]) => k.includes('.'))
            .map(([k, v]) => `${k} ${s1(v.seconds)} s`)
            .join(', ')})`,
        ],
        [
          `… score: every item (\`/maintenance/schedule\`, \`/quality/replacement-recommendations\`)`,
          `${s1(r.score.seconds)} s, peak RSS ${r.score.peakRssMiB} MiB (${Object.entries(r.score)
            .filter(([k]) => k.startsWith('/'))
            .map(([k, v]) => `${k} ${s1(v.seconds)} s`)
            .join(', ')})`,
        ],
        [
          `… precompute: ${r.precompute.paths} answers (every precomputable endpoint; ${r.precompute.categories} category forecasts with their ${n(r.precompute.rentalClasses)} rental classes)${r.precompute.failed ? `, ${r.precompute.failed} failed` : ''}`,
          `${s1(r.precompute.seconds)} s, peak RSS ${r.precompute.peakRssMiB} MiB`,
        ],
        [`… the pipeline (ingest + train + score + precompute)`, `${s1(total)} s`],
      );
    }
    for (let i = 1; i < sizes.length; i++) {
      const [a, b] = [results.sizes[sizes[i - 1]], results.sizes[sizes[i]]];
      const exp = (f) => Math.log(f(b) / f(a)) / Math.log(sizes[i] / sizes[i - 1]);
      results[`exponent${sizes[i - 1]}to${sizes[i]}`] = Object.fromEntries(stages.map(([k, sec]) => [k, exp(sec)]));
      rows.push([`growth exponent ${n(sizes[i - 1])} → ${n(sizes[i])} items (target ≤ 1.1)`, stages.map(([k, sec]) => `${k} ${exp(sec).toFixed(2)}`).join(', ')]);
    }
    return { results, rows };
  },
};
