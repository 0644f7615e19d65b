import { createDatabase, migrate, coreMigrations, silentLogger, createRuntime, DESIGN_TABLES, type DatabaseHandle } from '@rfid3/core';
import { simulate } from '@rfid3/core/simulator';
import { externalServices } from '@rfid3/core/testing';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { FIRST_PARTY_PLUGINS } from '../src/config.js';
import { ApiKeyStore } from '../src/keys.js';
import { loadPlugins } from '../src/plugins.js';
import { importPorDirectory } from '../src/import/por-import.js';
import type { RunningApp } from './helpers.js';
import { serve, tempDir } from './helpers.js';
import { RFID3_DDL } from './rfid3-ddl.js';

const services = await externalServices();
afterAll(() => services.cleanup());

/** RFID3's tables the simulator fills, and all of RFID3's tables here. */
const RFID3_TABLES = ['id_item_master', 'id_transactions', 'rental_class_mappings', 'pos_equipment', 'pos_transactions', 'pos_transaction_items'] as const;
const RFID3_ALL: readonly string[] = [...RFID3_TABLES, 'pos_customers'];

/** Copies the simulator's rows into RFID3's tables, naming only the columns RFID3 has and filling what it requires. */
async function copyInto(target: DatabaseHandle, source: DatabaseHandle): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const tables = await target.db.introspection.getTables();
  const now = new Date().toISOString().slice(0, 19).replace('T', ' ');
  for (const table of RFID3_TABLES) {
    const columns = new Set(tables.find((t) => t.name === table)!.columns.map((c) => c.name));
    const rows = (await source.db.selectFrom(table).selectAll().execute()) as Record<string, unknown>[];
    const fill: Record<string, unknown> = { import_date: now, created_at: now };
    const shaped = rows.map((r) => {
      const out: Record<string, unknown> = {};
      for (const c of columns) if (c !== 'id' && c in r) out[c] = r[c];
      for (const [k, v] of Object.entries(fill)) if (columns.has(k)) out[k] = v;
      if (table === 'id_transactions') out.common_name ??= '';
      return out;
    });
    for (let i = 0; i < shaped.length; i += 1000)
      await target.db
        .insertInto(table)
        .values(shaped.slice(i, i + 1000) as never)
        .execute();
    counts[table] = shaped.length;
  }
  return counts;
}

describe.skipIf(!services.mysqlUrl)('an existing RFID3 MariaDB database (skipped without MYSQL_URL)', () => {
  const url = services.mysqlUrl!;
  let handle: DatabaseHandle;
  /** Raw SQL on the scratch database, as a DBA would type it. */
  const admin = {
    async query(text: string, params: unknown[] = []): Promise<[unknown[]]> {
      const parts = text.split('?');
      const query = sql.join(
        parts.map((p, i) => (i < params.length ? sql`${sql.raw(p)}${params[i]}` : sql.raw(p))),
        sql``,
      );
      const r = await query.execute(handle.db);
      return [r.rows as unknown[]];
    },
  };
  let before: Record<string, string>;
  let copied: Record<string, number>;
  const showCreate = async () => {
    const out: Record<string, string> = {};
    for (const t of RFID3_ALL) {
      const [rows] = (await admin.query(`SHOW CREATE TABLE \`${t}\``)) as unknown as [{ 'Create Table': string }[]];
      // AUTO_INCREMENT=n moves with inserted rows; everything else must not move.
      out[t] = rows[0]!['Create Table'].replace(/ AUTO_INCREMENT=\d+/, '');
    }
    return out;
  };

  beforeAll(async () => {
    handle = createDatabase(url, { poolSize: 2 });
    for (const ddl of RFID3_DDL) await admin.query(ddl);
    const memory = createDatabase('sqlite::memory:');
    await migrate(memory, 'core', coreMigrations);
    await simulate(memory, { items: 250, days: 150, seed: 11 });
    const target = createDatabase(url);
    try {
      copied = await copyInto(target, memory);
    } finally {
      await target.close();
      await memory.close();
    }
    before = await showCreate();
  }, 120_000);
  afterAll(async () => {
    await handle?.close();
  });

  it("runs the demo flow on RFID3's tables as they are: no seeding, models trained, forecasts replayed", async () => {
    expect(copied.id_transactions).toBeGreaterThan(1000);
    const tmp = tempDir('rfid3-real-');
    try {
      let out = '';
      let err = '';
      const code = await runCli(['demo', '--json'], {
        stdout: { write: (s: string) => (out += s) },
        stderr: { write: (s: string) => (err += s) },
        env: { DATABASE_URL: url },
        cwd: tmp.dir,
      });
      expect(code, err).toBe(0);
      const summary = JSON.parse(out) as { seeded: unknown; models: { model: string }[]; accuracy: { modelVersion: string; n: number }[] };
      expect(summary.seeded).toBeNull();
      expect(err).toContain('not seeding again');
      expect(summary.models.map((m) => m.model)).toContain('demand.daily@1');
      expect(summary.accuracy.find((a) => a.modelVersion === 'demand.daily@1')!.n).toBeGreaterThan(0);
    } finally {
      tmp.remove();
    }
  }, 600_000);

  describe('serving', () => {
    let app: RunningApp;
    let key: string;
    beforeAll(async () => {
      const plugins = await loadPlugins(
        FIRST_PARTY_PLUGINS.map((p) => ({ package: p })),
        { baseDir: process.cwd() },
      );
      const runtime = await createRuntime({ config: { databaseUrl: url }, logger: silentLogger(), plugins });
      key = (await new ApiKeyStore({ database: runtime.database }).create('real', 'admin')).key;
      app = await serve(runtime);
    }, 120_000);
    afterAll(() => app?.close());

    it("answers the forecast, accuracy and health endpoints from RFID3's tables", async () => {
      const [mapping] = (await admin.query('SELECT category FROM rental_class_mappings GROUP BY category ORDER BY COUNT(*) DESC LIMIT 1')) as unknown as [{ category: string }[]];
      const category = mapping[0]!.category;
      const forecast = await fetch(`${app.url}/api/predictive/demand/forecast?weeks=2&category=${encodeURIComponent(category)}`);
      expect(forecast.status, await forecast.clone().text()).toBe(200);
      const body = (await forecast.json()) as { series: { key: string; points: { value: number; lower: number | null; upper: number | null }[] }[] };
      const points = body.series.flatMap((s) => s.points);
      expect(body.series[0]!.key).toBe(category);
      expect(points.length).toBeGreaterThanOrEqual(14);
      for (const p of points) {
        expect(Number.isFinite(p.value)).toBe(true);
        expect(p.lower!).toBeLessThanOrEqual(p.upper!);
      }
      expect((await fetch(`${app.url}/api/predictive/demand/accuracy`)).status).toBe(200);
      const health = (await (await fetch(`${app.url}/api/predictive/health/system-status`)).json()) as { database: { dialect: string } };
      expect(health.database.dialect).toBe('mysql');
    }, 300_000);

    it("ingests scans into RFID3's id_transactions (common_name NOT NULL, BOOLEAN flags) and moves id_item_master", async () => {
      const [items] = (await admin.query('SELECT tag_id, common_name FROM id_item_master ORDER BY tag_id LIMIT 1')) as unknown as [{ tag_id: string; common_name: string }[]];
      const tag = items[0]!.tag_id;
      // An hour ahead: no simulated scan of this tag has this date (the simulator's own Touch Scans of it may exist).
      const scanDate = new Date(Date.now() + 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
      const res = await fetch(`${app.url}/api/ingest/scans`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({
          scans: [
            {
              tag_id: tag,
              scan_type: 'Touch Scan',
              scan_date: scanDate,
              status: 'Repair',
              quality: 'C',
              stain: true,
              wet: 0,
            },
          ],
        }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ accepted: 1, itemsUpdated: 1 });
      const [rows] = (await admin.query('SELECT common_name, stain, wet FROM id_transactions WHERE tag_id = ? AND scan_type = ? AND scan_date = ?', [
        tag,
        'Touch Scan',
        scanDate,
      ])) as unknown as [{ common_name: string; stain: number; wet: number }[]];
      expect(rows).toEqual([{ common_name: items[0]!.common_name, stain: 1, wet: 0 }]);
      const [item] = (await admin.query('SELECT status, quality FROM id_item_master WHERE tag_id = ?', [tag])) as unknown as [{ status: string; quality: string }[]];
      expect(item[0]).toEqual({ status: 'Repair', quality: 'C' });
    });

    it("imports the Point of Rental exports into RFID3's pos_* tables (NOT NULL import_date and created_at), re-runnable", async () => {
      const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'por');
      const first = await importPorDirectory(app.runtime.database, app.runtime.clock, fixtures);
      const byKind = Object.fromEntries(first.files.map((f) => [f.kind, f]));
      expect(byKind.customers).toMatchObject({ imported: 2, skipped: 1 });
      expect(byKind.transactions!.imported + byKind.transactions!.updated).toBe(3);
      expect(byKind.transaction_items!.imported + byKind.transaction_items!.updated).toBe(5);
      const again = await importPorDirectory(app.runtime.database, app.runtime.clock, fixtures);
      for (const f of again.files) expect([f.file, f.imported, f.updated]).toEqual([f.file, 0, 0]);
    });

    it("never altered RFID3's tables, and created only its own", async () => {
      expect(await showCreate()).toEqual(before);
      const [tables] = (await admin.query('SHOW TABLES')) as unknown as [Record<string, string>[]];
      const names = tables.map((t) => Object.values(t)[0]!);
      const ours = names.filter((n) => !RFID3_ALL.includes(n));
      for (const t of DESIGN_TABLES) expect(ours).toContain(t);
      // Core's and the host's own tables carry the design's names or the rfid3_ prefix; plugins name theirs after themselves.
      const pluginIds = ['demand', 'maintenance', 'quality', 'pricing', 'restock', 'pack'];
      const unexpected = ours.filter(
        (n) => !(DESIGN_TABLES as readonly string[]).includes(n) && !n.startsWith('rfid3_') && !pluginIds.some((p) => n.startsWith(p) || n.includes(`_${p}`)),
      );
      expect(unexpected).toEqual([]);
    });
  });
});
