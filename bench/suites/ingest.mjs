// The host's data paths: POST /api/ingest/scans over HTTP (new batches and a retried one) and the Point of
// Rental import of a generated weekly export (first run and re-run), on a SQLite file; and what durability
// costs: the same ingestion with SQLite's synchronous=FULL (the default) against NORMAL, measured in one run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coreMigrations, createDatabase, createRuntime, migrate, silentLogger, systemClock } from '@rfid3/core';
import { simulate } from '@rfid3/core/simulator';
import { ApiKeyStore, createApp, importPorDirectory, ingestScans } from '@rfid3/host-server';
import { quantile } from './util.mjs';

const pad = (n) => String(n).padStart(2, '0');

/**
 * Scans per second through ingestScans (no HTTP) into a fresh SQLite file opened with `synchronous`:
 * `batches` commits of `size` scans each. Each commit is one transaction, so FULL pays one more fsync per batch.
 */
async function durabilityRun(dir, synchronous, size, batches, round) {
  const file = join(dir, `sync-${synchronous}-${size}-${round}.db`);
  const handle = createDatabase(`sqlite:${file}`, { sqliteSynchronous: synchronous });
  try {
    await migrate(handle, 'core', coreMigrations);
    const t = performance.now();
    for (let b = 0; b < batches; b++) {
      const rows = Array.from({ length: size }, (_, i) => {
        const n = b * size + i;
        return {
          tag_id: `D${n % 2000}`,
          scan_type: n % 2 ? 'Return' : 'Rental',
          scan_date: `2026-05-${pad(1 + (Math.floor(n / 86_400) % 28))} ${pad(Math.floor(n / 3600) % 24)}:${pad(Math.floor(n / 60) % 60)}:${pad(n % 60)}`,
          common_name: 'CHAIR',
        };
      });
      const r = await ingestScans(handle, systemClock, rows);
      if (r.accepted !== size) throw new Error(`durability bench: batch ${b} accepted ${r.accepted} of ${size}`);
    }
    return (size * batches) / ((performance.now() - t) / 1000);
  } finally {
    await handle.close();
    rmSync(file, { force: true });
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
  }
}

export const bench = {
  name: 'ingest',
  async run({ log }) {
    const results = {};
    const dir = mkdtempSync(join(tmpdir(), 'rfid3-bench-ingest-'));
    const runtime = await createRuntime({ config: { databaseUrl: `sqlite:${join(dir, 'bench.db')}` }, logger: silentLogger() });
    try {
      log('seeding 1,500 items × 90 days');
      await simulate(runtime.database, { seed: 3, items: 1500, days: 90, end: '2026-05-31' });
      const tags = (await runtime.database.db.selectFrom('id_item_master').select('tag_id').execute()).map((r) => r.tag_id);
      const { key } = await new ApiKeyStore({ database: runtime.database }).create('bench', 'ingest');
      const server = createApp(runtime, { rateLimit: { enabled: false } }).listen(0, '127.0.0.1');
      await new Promise((ok) => server.once('listening', ok));
      const url = `http://127.0.0.1:${server.address().port}/api/ingest/scans`;
      const post = async (scans) => {
        const t = performance.now();
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ scans }) });
        const body = await res.json();
        return { ms: performance.now() - t, body };
      };
      const batch = (b) =>
        Array.from({ length: 5000 }, (_, i) => ({
          tag_id: tags[(i * 7 + b) % tags.length],
          scan_type: i % 2 ? 'Return' : 'Rental',
          scan_date: `2026-06-${pad(1 + b)} ${pad(Math.floor(i / 3600) % 24)}:${pad(Math.floor(i / 60) % 60)}:${pad(i % 60)}`,
          status: i % 2 ? 'Ready to Rent' : 'On Rent',
          quality: 'B',
          scan_by: 'bench',
        }));
      log('POST /api/ingest/scans: 5 new batches of 5,000, then one retried');
      const fresh = [];
      for (let b = 0; b < 5; b++) {
        const r = await post(batch(b));
        if (r.body.accepted !== 5000) throw new Error(`batch ${b}: ${JSON.stringify(r.body).slice(0, 200)}`);
        fresh.push(r.ms);
      }
      const retried = await post(batch(0));
      if (retried.body.duplicates !== 5000) throw new Error('the retried batch was not all duplicates');
      results.ingestScans = { batch: 5000, newBatchMedianMs: quantile(fresh, 0.5), retriedBatchMs: retried.ms, rowsPerSecond: Math.round(5000 / (quantile(fresh, 0.5) / 1000)) };
      server.close();

      log('Point of Rental import: 2,000 equipment, 10,000 contracts, 30,000 lines, 3,000 customers');
      const por = join(dir, 'por');
      const { mkdirSync } = await import('node:fs');
      mkdirSync(por);
      const eq = ['ItemNum,Name,Category,Qty,Home Store,Current Store,T/O YTD,Sell Price,Period 1,Rate 1,Inactive'];
      for (let i = 0; i < 2000; i++)
        eq.push(`${10000 + i},"ITEM ${i}",Cat ${i % 20},${i % 300},3607,3607,"$${(i * 13.5).toFixed(2)}",$${(i % 90) + 10}.00,24,$${(i % 40) + 1}.50,FALSE`);
      writeFileSync(join(por, 'equipPOS.csv'), `${eq.join('\n')}\n`);
      const tx = ['CNTR,STR,CUSN,STAT,DATE,Close Date,RENT,TOTL'];
      for (let i = 0; i < 10000; i++)
        tx.push(
          `K${i},${['3607', '6800', '728', '8101'][i % 4]},C${i % 3000},CLOSED,${1 + (i % 12)}/${1 + (i % 28)}/2025 9:30 AM,${1 + (i % 12)}/${1 + ((i + 2) % 28)}/2025 4:00 PM,"$${(i % 500) + 20}.00","$${(i % 500) + 25}.00"`,
        );
      writeFileSync(join(por, 'transactions.csv'), `${tx.join('\n')}\n`);
      const it = ['Contract No,ITEM,Qty,Price,Due Date,LineNumber'];
      for (let i = 0; i < 30000; i++) it.push(`K${Math.floor(i / 3)},${10000 + (i % 2000)},${1 + (i % 50)},$${(i % 30) + 1}.00,3/3/2025,${1 + (i % 3)}`);
      writeFileSync(join(por, 'transitems.csv'), `${it.join('\n')}\n`);
      const cu = ['KEY,CNUM,NAME,CITY,YTD Payments'];
      for (let i = 0; i < 3000; i++) cu.push(`${i + 1},C${i},"CUSTOMER ${i}",Minneapolis,"$${i}.00"`);
      writeFileSync(join(por, 'customers.csv'), `${cu.join('\n')}\n`);
      let t = performance.now();
      const first = await importPorDirectory(runtime.database, runtime.clock, por);
      const firstMs = performance.now() - t;
      t = performance.now();
      const again = await importPorDirectory(runtime.database, runtime.clock, por);
      const againMs = performance.now() - t;
      const rows = first.files.reduce((s, f) => s + f.rows, 0);
      if (again.files.some((f) => f.imported || f.updated)) throw new Error('the re-run changed rows');
      results.porImport = { rows, firstSeconds: firstMs / 1000, rerunSeconds: againMs / 1000, rowsPerSecond: Math.round(rows / (firstMs / 1000)) };

      // FULL and NORMAL alternate, three rounds each, so that a busy neighbour on the machine hits both alike.
      log('durability: synchronous=FULL against NORMAL, 200 batches of 10 scans and 10 batches of 5,000, 3 rounds each');
      const durability = {};
      for (const [size, batches] of [
        [10, 200],
        [5000, 10],
      ]) {
        const rates = { FULL: [], NORMAL: [] };
        for (let round = 0; round < 3; round++) {
          for (const mode of round % 2 ? ['NORMAL', 'FULL'] : ['FULL', 'NORMAL']) rates[mode].push(await durabilityRun(dir, mode, size, batches, round));
        }
        const full = quantile(rates.FULL, 0.5);
        const normal = quantile(rates.NORMAL, 0.5);
        durability[`batch${size}`] = { batches, fullScansPerSecond: Math.round(full), normalScansPerSecond: Math.round(normal), fullCostPercent: ((normal - full) / normal) * 100 };
      }
      results.durability = durability;
    } finally {
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const f = (x, d = 1) => (x >= 100 ? x.toFixed(0) : x.toFixed(d));
    return {
      results,
      rows: [
        [
          '`POST /api/ingest/scans`, 5,000 new scans over HTTP into SQLite (median of 5 batches; commit and item updates included)',
          `${f(results.ingestScans.newBatchMedianMs)} ms (${results.ingestScans.rowsPerSecond.toLocaleString('en-US')} scans/s)`,
        ],
        ['`POST /api/ingest/scans`, the same 5,000 retried (all duplicates)', `${f(results.ingestScans.retriedBatchMs)} ms`],
        [
          `\`rfid3 import por\`: ${results.porImport.rows.toLocaleString('en-US')} rows in 4 files, first run`,
          `${f(results.porImport.firstSeconds, 2)} s (${results.porImport.rowsPerSecond.toLocaleString('en-US')} rows/s)`,
        ],
        ['`rfid3 import por`, re-run on the same files (nothing changes)', `${f(results.porImport.rerunSeconds, 2)} s`],
        ...Object.entries(results.durability).map(([k, d]) => [
          `SQLite \`synchronous=FULL\` (default) against \`NORMAL\`: ${d.batches} commits of ${k.slice(5)} scans through \`ingestScans\` (median of 3 rounds, alternated)`,
          `FULL ${d.fullScansPerSecond.toLocaleString('en-US')} scans/s, NORMAL ${d.normalScansPerSecond.toLocaleString('en-US')} scans/s: FULL costs ${d.fullCostPercent.toFixed(0)} %`,
        ]),
      ],
    };
  },
};
