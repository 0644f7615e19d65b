// The pipeline at several sizes on MariaDB (`pnpm bench scale [--items=5000,50000] [--workers=1,2|none] [--keep] [--reuse] [--load=raw]`,
// MYSQL_URL or the local root@127.0.0.1:3306, REDIS_URL or the local 127.0.0.1:6379): the simulator's business of
// N items × 730 days, loaded into a database of its own (`bench_scale_<N>`) through the product's own ingest path,
// then the pipeline on BullMQ, once with one `rfid3 worker` process and once with two: every `.retrain` job (train),
// the two answers that score every item (score), and every other precomputed answer (precompute: every GET that
// needs no parameter and the 4-week forecast of each category), each a `host.answer` job as a host's precompute
// queues them. Per stage: seconds (queued to last job done); per worker: peak RSS (the kernel's high-water mark,
// read before it stops); between sizes, the growth exponent log(t2/t1) / log(N2/N1) of each stage with one worker.
// Before each pipeline run everything the product derived (models, predictions, its own tables) is dropped, so
// the runs start alike. Reference for ingest: a raw batched INSERT of the same scan rows into another database
// (`bench_scale_raw`) in the same run.
//
// What goes through the product and what does not: the scans (id_transactions, the bulk of the data) go through
// `ingestScans`, the code behind `POST /api/ingest/scans`, in batches of 5,000 (its limit). The catalogue and the
// items (id_item_master, rental_class_mappings) and the Point of Rental tables are RFID3's and its POS export's own
// tables, which the product reads and never writes; they are copied as they are, by batched INSERT, before.
//
// Each size's figures are written to bench/scale-runs/<N>.json as each step ends (so a size that fails later keeps
// what it measured), and the table is made from every size on file: `--items=5000` and later `--items=50000` give
// the exponents; `--table-only` writes the table from the files without measuring. `--keep` keeps `bench_scale_<N>` after the run; `--reuse` (which keeps it too) skips the ingest when `bench_scale_<N>`
// holds the same simulated business already (its ingest figures then come from the file); `--load=raw` loads it by
// raw batched INSERT instead of the ingest path (and keeps it), to measure the pipeline again without an hour of ingest
// at 50,000 items (the ingest figures then come from the file too, marked with the date and commit they were measured
// at); `--reuse --load=raw` loads it that way only when the database does not hold the business already.
//
// The simulated business (the source, a SQLite file) is not a stage: it is kept between runs in RFID3_BENCH_CACHE
// (default ~/.cache/rfid3-bench), named by its size, the day and a hash of the simulator's build and core's migrations, and made again when any changes.
// `node -e "import('./bench/suites/scale.mjs').then((m) => m.simulatedSource(50000, console.error))"` makes one ahead.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, hostname, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreMigrations, createDatabase, createRuntime, DEFAULT_CLOSED_HOLIDAYS, insertValueRows, migrate, silentLogger, systemClock } from '@rfid3/core';
import { simulate } from '@rfid3/core/simulator';
import { removeRedisKeys } from '@rfid3/core/testing';
import { ANSWER_JOB, HostScheduler, ingestScans, loadPlugins, MAX_BATCH, registerHostJobs } from '@rfid3/host-server';
import { machine, machineLine } from '../../scripts/machine.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(here, '..', '..', 'packages', 'host-server', 'dist', 'cli.js');
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

/** Rows as they are by plain batched INSERT, in the statement form the ingest path writes its scans with. */
async function insertChunks(handle, table, rows, db = handle.db) {
  if (!rows.length) return;
  const columns = Object.keys(rows[0]).filter((c) => !(table === 'id_transactions' && c === 'id'));
  await insertValueRows(
    db,
    handle.maxBoundValues,
    table,
    columns,
    rows.map((r) => columns.map((c) => r[c])),
  );
}

const round1 = (x) => Math.round(x * 10) / 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const RUNS_DIR = resolve(here, '..', 'scale-runs');

/** The figures of one size as far as they go (bench/scale-runs/<N>.json), or a new record. */
function savedRun(items) {
  const file = join(RUNS_DIR, `${items}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { items };
}

function saveRun(run) {
  mkdirSync(RUNS_DIR, { recursive: true });
  writeFileSync(join(RUNS_DIR, `${run.items}.json`), `${JSON.stringify(run, null, 2)}\n`);
}

function gitHead() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here }).toString().trim();
  } catch {
    return 'unknown';
  }
}

/** The process's peak resident memory so far (VmHWM, MiB), read from /proc while it runs. */
function peakRssOf(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux). */
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds the process has used so far (user + system, from /proc), or null when it is gone. */
function cpuSecondsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return null;
  }
}

/** CPU seconds the whole machine has been busy so far (every core, everything but idle and I/O wait, from /proc/stat). */
function machineBusySeconds() {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return (user + nice + system + irq + softirq + steal) / TICKS;
}

/** The MariaDB server processes on this machine (the one the bench loads, when it runs here). */
function mariadbPids() {
  try {
    return execFileSync('pgrep', ['-x', 'mariadbd']).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The tables RFID3 and its POS export own, and the bench's mark (kept between pipeline runs); everything else the product derived. */
const SOURCE_TABLES = new Set([...REFERENCE_TABLES, 'id_transactions', 'bench_scale_meta']);

/** Drops everything the product derived from the source (models, predictions, features, its own tables) and migrates core again. */
async function resetDerived(url) {
  const handle = createDatabase(url);
  try {
    const tables = await handle.db.introspection.getTables({ withInternalKyselyTables: true });
    for (const t of tables) if (!SOURCE_TABLES.has(t.name)) await sql.raw(`drop table if exists \`${t.name}\``).execute(handle.db);
    await migrate(handle, 'core', coreMigrations);
  } finally {
    await handle.close();
  }
}

/** `rfid3 worker` as a child process; resolves once it takes jobs. */
async function startWorkerProcess(name, { dir, env }) {
  const child = spawn('nice', [process.execPath, CLI, 'worker', '--concurrency', '1'], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (d) => {
    tail = (tail + String(d)).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  // `nice` execs node: the child's pid is the worker's.
  const proc = { name, child, exited, tail: () => tail, worker: `${hostname()}:${child.pid}` };
  const end = Date.now() + 180_000;
  while (!tail.includes('taking jobs')) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`${name} did not start:\n${tail.slice(-3000)}`);
    await sleep(100);
  }
  return proc;
}

/** Waits for a job however busy Redis's client is (a poll that meets a busy loop answers 503, and is made again). */
async function settled(jobs, id) {
  for (;;) {
    try {
      return await jobs.waitFor(id, 250);
    } catch (err) {
      if (err?.status !== 503) throw err;
    }
  }
}

/**
 * The pipeline on BullMQ with `workers` worker processes: train, score and precompute, each stage its jobs queued at
 * once and waited for. Resolves with each stage's seconds and jobs, and each worker's peak RSS after each stage.
 */
async function pipelineOnWorkers(url, workers, { redisUrl, log }) {
  await resetDerived(url);
  const prefix = `bench-scale-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'rfid3-scale-'));
  writeFileSync(join(dir, 'rfid3.config.json'), JSON.stringify({ rateLimit: { enabled: false } }));
  const env = { DATABASE_URL: url, REDIS_URL: redisUrl, RFID3_QUEUE: 'bullmq', RFID3_QUEUE_PREFIX: prefix, RFID3_REDIS_PREFIX: `${prefix}:c:`, LOG_LEVEL: 'info', PORT: '' };
  const procs = [];
  let producer;
  try {
    for (let i = 0; i < workers; i++) procs.push(await startWorkerProcess(`worker ${i + 1}`, { dir, env }));
    // The producer queues the jobs as an API host would, and runs none.
    const plugins = await loadPlugins(null, { baseDir: dir, logger: silentLogger() });
    producer = await createRuntime({
      config: { databaseUrl: url, redisUrl, logLevel: 'silent', jobs: { runner: 'bullmq', prefix }, cluster: { sync: false }, kpis: { matchImpactEveryMinutes: 0 } },
      logger: silentLogger(),
      plugins,
    });
    registerHostJobs(producer);
    const retrains = producer.plugins.flatMap((p) => p.jobs).filter((n) => n.endsWith('.retrain'));
    const scorePaths = ['/maintenance/schedule', '/quality/replacement-recommendations'];
    const precomputePaths = (await new HostScheduler(producer).precomputePaths()).filter((p) => !scorePaths.includes(p));
    const stages = [
      ['train', retrains.map((name) => [name, {}])],
      ['score', scorePaths.map((path) => [ANSWER_JOB, { path }])],
      ['precompute', precomputePaths.map((path) => [ANSWER_JOB, { path }])],
    ];
    const out = { workers, stages: {} };
    for (const [stage, jobs] of stages) {
      log(`  ${workers} worker(s): ${stage}, ${jobs.length} jobs`);
      const t = performance.now();
      const cpuBefore = { machine: machineBusySeconds(), workers: procs.map((p) => cpuSecondsOf(p.child.pid)), mariadb: mariadbPids().map(cpuSecondsOf) };
      const payloadOf = new Map();
      const ids = jobs.map(([name, payload]) => {
        const { id } = producer.jobs.enqueue(name, payload);
        payloadOf.set(id, payload);
        return id;
      });
      const done = [];
      for (const id of ids) done.push(await settled(producer.jobs, id));
      const seconds = (performance.now() - t) / 1000;
      // What the stage cost in CPU, and how many of the machine's cores were busy on average: with one worker, that
      // bounds what a second can gain (the same work on 2 cores takes at least busy core-seconds ÷ 2).
      const machineBusy = machineBusySeconds() - cpuBefore.machine;
      const cpu = {
        workers: procs.map((p, i) => round1(cpuSecondsOf(p.child.pid) - cpuBefore.workers[i])),
        mariadb: round1(mariadbPids().reduce((a, pid) => a + (cpuSecondsOf(pid) ?? 0), 0) - cpuBefore.mariadb.reduce((a, x) => a + (x ?? 0), 0)),
        machine: round1(machineBusy),
        coresBusy: Math.round((machineBusy / seconds) * 100) / 100,
      };
      const failed = done.filter((r) => r.status !== 'succeeded');
      // A failed job is said and counted, and the run goes on: what the other stages measure still holds.
      const failures = failed.map((r) => `${r.name}${r.name === ANSWER_JOB ? ` ${payloadOf.get(r.id)?.path}` : ''}: ${String(r.error).slice(0, 200)}`);
      for (const f of failures) log(`  ${workers} worker(s): ${stage}: FAILED ${f}`);
      // What the workers logged at warn and above, to tell why.
      if (failures.length)
        for (const p of procs) {
          const said = p
            .tail()
            .split('\n')
            .filter((line) => /"level":(40|50|60)/.test(line))
            .slice(-12);
          if (said.length) log(`  ${p.name} warned:\n${said.map((line) => `    ${line.slice(0, 600)}`).join('\n')}`);
        }
      const byWorker = {};
      for (const r of done) {
        const who = procs.find((p) => p.worker === r.worker)?.name ?? r.worker ?? 'unknown';
        byWorker[who] = (byWorker[who] ?? 0) + 1;
      }
      // Each job's seconds (of a stage of many, the five slowest).
      const jobSeconds = Object.fromEntries(
        done
          .map((r) => [r.name === ANSWER_JOB ? payloadOf.get(r.id).path : r.name, (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000])
          .sort((a, b) => b[1] - a[1])
          .slice(0, 5),
      );
      out.stages[stage] = { seconds, jobs: done.length, failures, byWorker, jobSeconds, peakRssMiB: procs.map((p) => peakRssOf(p.child.pid)), cpu };
      log(
        `  ${workers} worker(s): ${stage} ${seconds.toFixed(1)} s, peak RSS ${out.stages[stage].peakRssMiB.join(' / ')} MiB, CPU s: workers ${cpu.workers.join(' / ')}, MariaDB ${cpu.mariadb}, machine ${cpu.machine} (${cpu.coresBusy} cores busy; load average ${loadavg()[0].toFixed(1)})`,
      );
    }
    out.seconds = Object.values(out.stages).reduce((a, st) => a + st.seconds, 0);
    out.peakRssMiB = procs.map((p) => peakRssOf(p.child.pid));
    return out;
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.race([Promise.all(procs.map((p) => p.exited)), sleep(40_000)]);
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await producer?.close();
    await removeRedisKeys(redisUrl, prefix).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The MariaDB server's version and the settings the pipeline's speed hangs on: with O_DIRECT (the default), a read
 * the buffer pool does not hold goes to the disk, and Debian's default pool is 128 MiB against 4 GB of scans at 50,000 items.
 */
async function mariadbSettings(serverUrl) {
  const handle = createDatabase(serverUrl);
  try {
    const r = await sql.raw('select version() as version, @@innodb_buffer_pool_size as pool, @@innodb_flush_method as flush').execute(handle.db);
    const row = r.rows[0];
    return { version: String(row.version), innodbBufferPoolMiB: Math.round(Number(row.pool) / 2 ** 20), innodbFlushMethod: String(row.flush) };
  } catch {
    return null;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Whether `bench_scale_<N>` holds the given simulated business already, ingested whole. */
async function loadedAlready(url, source) {
  const handle = createDatabase(url);
  try {
    const r = await sql.raw('select source from bench_scale_meta').execute(handle.db);
    return r.rows[0]?.source === source;
  } catch {
    return false;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The source's scans in pages of MAX_BATCH, in the order they happened (row id). */
async function* scanPages(source) {
  for (let lastId = 0; ; ) {
    const page = await source.db.selectFrom('id_transactions').selectAll().where('id', '>', lastId).orderBy('id').limit(MAX_BATCH).execute();
    if (!page.length) return;
    lastId = page[page.length - 1].id;
    yield page;
  }
}

/** Marks `bench_scale_<N>` as holding the simulated business `stem`, loaded whole (what `--reuse` looks for). */
async function markLoaded(target, stem) {
  await sql.raw('create table bench_scale_meta (source varchar(255) not null)').execute(target.db);
  await sql.raw(`insert into bench_scale_meta values ('${stem}')`).execute(target.db);
}

/** Loads the simulated business into `name` by raw batched INSERT, the scans in the order they happened (`--load=raw`). */
async function loadRaw(serverUrl, name, file, stem, log) {
  let source;
  let target;
  try {
    source = createDatabase(`sqlite:${file}`);
    target = await recreate(serverUrl, name);
    for (const table of REFERENCE_TABLES) await insertChunks(target, table, await source.db.selectFrom(table).selectAll().execute());
    const t = performance.now();
    let loaded = 0;
    for await (const page of scanPages(source)) {
      await insertChunks(target, 'id_transactions', page);
      loaded += page.length;
      if (loaded % 1_000_000 < MAX_BATCH) log(`  ${loaded.toLocaleString('en-US')} scans loaded (${((performance.now() - t) / 1000).toFixed(0)} s)`);
    }
    await markLoaded(target, stem);
  } finally {
    await source?.close();
    await target?.close();
  }
}

/** The ingest figures of an earlier run, marked with the date and commit they were measured at. */
const earlierIngest = (previous, how) =>
  previous.ingest ? { ...previous.ingest, reused: { ...(previous.ingest.reused ?? { date: previous.date, commit: previous.commit }), how } } : undefined;

async function oneSize(items, { serverUrl, redisUrl, workerCounts, keep, reuse, rawLoad, log }) {
  const name = `bench_scale_${items}`;
  const url = withDatabase(serverUrl, name);
  const made = await simulatedSource(items, log);
  const stem = made.file.split('/').pop();
  const previous = savedRun(items);
  const run = { items, date: new Date().toISOString().slice(0, 10), commit: gitHead(), machine: machineLine(machine()), source: stem };
  run.simulate = { seconds: made.seconds, items: made.items, scans: made.scans, contracts: made.contracts, kept: made.kept };
  run.mariadb = await mariadbSettings(serverUrl);
  if (reuse && previous.ingest && previous.source === stem && (await loadedAlready(url, stem))) {
    run.ingest = earlierIngest(previous, 'the database kept');
    log(`${items} items: ${name} holds ${stem} already: its ingest figures are those of ${run.ingest.reused.date} (${run.ingest.reused.commit})`);
  } else if (rawLoad) {
    log(`${items} items: loading ${name} by raw batched INSERT (--load=raw): the ingest path is not measured`);
    await loadRaw(serverUrl, name, made.file, stem, log);
    run.ingest = earlierIngest(previous, 'this run loaded the database by raw INSERT');
  } else {
    let source;
    let target;
    let raw;
    try {
      source = createDatabase(`sqlite:${made.file}`);
      let t;
      target = await recreate(serverUrl, name);
      raw = await recreate(serverUrl, 'bench_scale_raw');
      log(`${items} items: copying RFID3's and the POS export's own tables into ${name}`);
      for (const table of REFERENCE_TABLES) await insertChunks(target, table, await source.db.selectFrom(table).selectAll().execute());

      // The scans, page by page in the order they happened: each page through the ingest path into `name`, and the
      // same rows by a raw batched INSERT into bench_scale_raw. Both are timed apart, on the same pages.
      log(`${items} items: ${made.scans.toLocaleString('en-US')} scans through ingestScans (batches of ${MAX_BATCH}) and by raw batched INSERT`);
      const clock = systemClock;
      let ingestMs = 0;
      let rawMs = 0;
      let accepted = 0;
      let peakRss = mib();
      for await (const page of scanPages(source)) {
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
        // The scan rows as the source holds them, by the same multi-row INSERT the ingest path writes, in one
        // transaction as ingest does, timed from the rows (the ingest is timed from its scans).
        t = performance.now();
        await raw.db.transaction().execute((trx) => insertChunks(raw, 'id_transactions', page, trx));
        rawMs += performance.now() - t;
        peakRss = Math.max(peakRss, mib());
      }
      run.ingest = {
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
        `${items} items: ingest ${run.ingest.seconds.toFixed(1)} s, raw INSERT ${run.ingest.rawInsertSeconds.toFixed(1)} s: ${run.ingest.ratioToRaw.toFixed(2)}× raw (load average ${loadavg()[0].toFixed(1)})`,
      );
      await markLoaded(target, stem);
    } finally {
      await source?.close();
      await raw?.close();
      await target?.close();
    }
    await dropDatabase(serverUrl, 'bench_scale_raw');
  }
  saveRun(run);
  run.pipeline = {};
  for (const w of workerCounts) {
    log(`${items} items: the pipeline on ${w} worker process(es)`);
    run.pipeline[w] = { commit: gitHead(), ...(await pipelineOnWorkers(url, w, { redisUrl, log })) };
    saveRun(run);
  }
  if (!keep) await dropDatabase(serverUrl, name);
  return run;
}

export const bench = {
  name: 'scale',
  async run({ log, options = {} }) {
    const serverUrl = process.env.MYSQL_URL || 'mysql://root@127.0.0.1:3306/test';
    const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
    const list = (v, fallback) =>
      String(v ?? fallback)
        .split(',')
        .map((x) => Number(x.trim()))
        .filter((n) => Number.isInteger(n) && n > 0)
        .sort((a, b) => a - b);
    const sizes = list(options.items, '5000,50000');
    if (!sizes.length) throw new Error('--items: a comma-separated list of item counts, such as 5000,50000');
    // `--workers=none`: simulate and ingest only, and keep the database for a later `--reuse`.
    const ingestOnly = options.workers === 'none';
    const workerCounts = ingestOnly ? [] : list(options.workers, '1,2');
    if (!ingestOnly && !workerCounts.length) throw new Error('--workers: a comma-separated list of worker counts, such as 1,2, or none');
    if (options.load !== undefined && options.load !== 'raw' && options.load !== 'ingest')
      throw new Error('--load: ingest (the default: through the ingest path, measured) or raw');
    const flag = (v) => v !== undefined && v !== 'false' && v !== '0';
    const loadAverageStart = loadavg()[0];
    // `--table-only`: measure nothing, write the table from the figures on file.
    if (!flag(options['table-only']))
      for (const items of sizes)
        await oneSize(items, {
          serverUrl,
          redisUrl,
          workerCounts,
          keep: ingestOnly || flag(options.keep) || flag(options.reuse) || options.load === 'raw',
          reuse: flag(options.reuse),
          rawLoad: options.load === 'raw',
          log,
        });
    const results = { measured: !flag(options['table-only']), loadAverageStart, loadAverageEnd: loadavg()[0], sizes: {} };
    // The table: every size on file (this run's and earlier ones'), each with the date and commit it was measured at.
    const onFile = existsSync(RUNS_DIR)
      ? readdirSync(RUNS_DIR)
          .filter((f) => /^\d+\.json$/.test(f))
          .map((f) => Number(f.slice(0, -5)))
          .sort((a, b) => a - b)
      : [];
    for (const items of onFile) results.sizes[items] = savedRun(items);
    return { results, rows: scaleRows(results, log) };
  },
};

const n = (x) => Math.round(x).toLocaleString('en-US');
const s1 = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const STAGES = ['train', 'score', 'precompute'];

/** The table of `pnpm bench scale` from the figures on file. */
function scaleRows(results) {
  const rows = results.measured
    ? [['1-minute load average at start / end of this run (2 cores, shared with other work)', `${results.loadAverageStart.toFixed(1)} / ${results.loadAverageEnd.toFixed(1)}`]]
    : [];
  const sizes = Object.keys(results.sizes)
    .map(Number)
    .sort((a, b) => a - b);
  for (const items of sizes) {
    const r = results.sizes[items];
    rows.push([
      `${n(items)} items × ${DAYS} days, measured ${r.date} at ${r.commit}: simulated (${n(r.simulate.scans)} scans, ${n(r.simulate.contracts)} contracts, ${n(r.simulate.items)} items with pack components; not a stage)`,
      `${s1(r.simulate.seconds)} s${r.simulate.kept ? ' (when it was made; kept from an earlier run)' : ''}`,
    ]);
    if (r.mariadb)
      rows.push([
        `… MariaDB ${r.mariadb.version}: InnoDB buffer pool, flush method (a read the pool does not hold goes to the disk)`,
        `${n(r.mariadb.innodbBufferPoolMiB)} MiB, ${r.mariadb.innodbFlushMethod}`,
      ]);
    if (r.ingest) {
      rows.push(
        [
          `… ingest: ${n(r.ingest.scans)} scans through \`ingestScans\` (\`POST /api/ingest/scans\`'s code) in batches of ${MAX_BATCH} into MariaDB${r.ingest.reused ? ` (figures of ${r.ingest.reused.date} at ${r.ingest.reused.commit}; ${r.ingest.reused.how ?? 'the database kept'})` : ''}`,
          `${s1(r.ingest.seconds)} s (${n(r.ingest.scansPerSecond)} scans/s), peak RSS ${r.ingest.peakRssMiB} MiB (the loading process)`,
        ],
        [
          `… reference: the same rows by raw batched INSERT, same run (target ≥ 0.8×)`,
          `${s1(r.ingest.rawInsertSeconds)} s (${n(r.ingest.rawScansPerSecond)} scans/s): ingest is **${r.ingest.ratioToRaw.toFixed(2)}×** raw`,
        ],
      );
    }
    for (const [w, p] of Object.entries(r.pipeline ?? {})) {
      const jobs = (st) =>
        Object.entries(st.jobSeconds)
          .map(([k, v]) => `${k} ${s1(v)} s`)
          .join(', ');
      for (const stage of STAGES) {
        const st = p.stages?.[stage];
        if (!st) continue;
        rows.push([
          `… ${w} worker${w === '1' ? '' : 's'}${p.commit && p.commit !== r.commit && stage === 'train' ? ` (the pipeline at ${p.commit})` : ''}: ${stage} (${st.jobs} jobs${stage === 'train' ? `: ${jobs(st)}` : stage === 'score' ? `: ${jobs(st)}` : ''}; taken ${Object.entries(
            st.byWorker,
          )
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')})`,
          `${s1(st.seconds)} s; peak RSS so far ${st.peakRssMiB.map((x) => `${x} MiB`).join(' / ')}${st.cpu ? `; CPU ${st.cpu.workers.map((x) => `${s1(x)} s`).join(' / ')} (worker${st.cpu.workers.length > 1 ? 's' : ''}), MariaDB ${s1(st.cpu.mariadb)} s, ${st.cpu.coresBusy} of the machine's cores busy` : ''}${st.failures?.length ? `; **${st.failures.length} failed**: ${st.failures.join('; ')}` : ''}`,
        ]);
      }
      if (p.seconds !== undefined && r.ingest) {
        rows.push([
          `… ${w} worker${w === '1' ? '' : 's'}: the pipeline (ingest + train + score + precompute; target ≤ 600 s at 50,000 items, ≤ 1 GB per process)`,
          `**${s1(r.ingest.seconds + p.seconds)} s** (after ingest ${s1(p.seconds)} s); peak RSS **${p.peakRssMiB.map((x) => `${x} MiB`).join(' / ')}**`,
        ]);
      }
    }
    const one = r.pipeline?.[1];
    const two = r.pipeline?.[2];
    if (one?.seconds && two?.seconds)
      rows.push([`… two workers against one, after ingest (target ≤ 0.65×)`, `**${(two.seconds / one.seconds).toFixed(2)}×** (${s1(two.seconds)} s against ${s1(one.seconds)} s)`]);
    const busy = one && STAGES.every((stage) => one.stages?.[stage]?.cpu) ? STAGES.reduce((a, stage) => a + one.stages[stage].cpu.machine, 0) : null;
    if (busy !== null && one.seconds)
      rows.push([
        `… the best two workers could do on these 2 cores: the one-worker run's busy core-seconds (workers, MariaDB, everything else on the machine) ÷ 2, against its time`,
        `${(busy / 2 / one.seconds).toFixed(2)}× (${s1(busy)} core-seconds in ${s1(one.seconds)} s: ${(busy / one.seconds).toFixed(2)} cores busy on average)`,
      ]);
  }
  const stageSeconds = (r, stage) => (stage === 'ingest' ? r.ingest?.seconds : r.pipeline?.[1]?.stages?.[stage]?.seconds);
  for (let i = 1; i < sizes.length; i++) {
    const [a, b] = [results.sizes[sizes[i - 1]], results.sizes[sizes[i]]];
    const exps = ['ingest', ...STAGES]
      .map((stage) => [stage, stageSeconds(a, stage), stageSeconds(b, stage)])
      .filter(([, x, y]) => x && y)
      .map(([stage, x, y]) => `${stage} ${(Math.log(y / x) / Math.log(sizes[i] / sizes[i - 1])).toFixed(2)}`);
    if (exps.length) rows.push([`growth exponent ${n(sizes[i - 1])} → ${n(sizes[i])} items, one worker (target ≤ 1.1)`, exps.join(', ')]);
  }
  return rows;
}
