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

const services = await externalServices();
afterAll(() => services.cleanup());

const FLAGS = ['dirty_or_mud', 'leaves', 'oil', 'mold', 'stain', 'oxidation', 'rip_or_tear', 'sewing_repair_needed', 'grommet', 'rope', 'buckle', 'wet', 'service_required'];

/**
 * RFID3's own tables as RFID3 creates them in MariaDB (its SQLAlchemy models: VARCHAR ids, DATETIME scan
 * dates, BOOLEAN flags, BIGINT keys, NOT NULL columns the application fills itself, no foreign keys),
 * with BRIEF §3's columns plus a few of RFID3's that this project does not use.
 */
const RFID3_DDL = [
  `CREATE TABLE id_item_master (
    tag_id VARCHAR(255) NOT NULL PRIMARY KEY, uuid_accounts_fk VARCHAR(255), serial_number VARCHAR(255), client_name VARCHAR(255),
    rental_class_num VARCHAR(255), common_name VARCHAR(255), quality VARCHAR(50), bin_location VARCHAR(255), status VARCHAR(50),
    last_contract_num VARCHAR(255), last_scanned_by VARCHAR(255), notes TEXT, status_notes TEXT, longitude DECIMAL(9,6), latitude DECIMAL(9,6),
    date_last_scanned DATETIME, date_created DATETIME, date_updated DATETIME, home_store VARCHAR(10), current_store VARCHAR(10),
    identifier_type VARCHAR(10), item_num INT UNIQUE, turnover_ytd DECIMAL(10,2), turnover_ltd DECIMAL(10,2), repair_cost_ltd DECIMAL(10,2),
    sell_price DECIMAL(10,2), retail_price DECIMAL(10,2), manufacturer VARCHAR(100),
    INDEX ix_item_master_rental_class_num (rental_class_num), INDEX ix_item_master_status (status)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE id_transactions (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, contract_number VARCHAR(255), tag_id VARCHAR(255) NOT NULL, scan_type VARCHAR(50) NOT NULL,
    scan_date DATETIME NOT NULL, client_name VARCHAR(255), common_name VARCHAR(255) NOT NULL, bin_location VARCHAR(255), status VARCHAR(50),
    scan_by VARCHAR(255), location_of_repair VARCHAR(255), quality VARCHAR(50),
    ${FLAGS.filter((f) => !['wet', 'service_required'].includes(f)).map((f) => `${f} BOOLEAN`).join(', ')}, other TEXT,
    date_created DATETIME, date_updated DATETIME, uuid_accounts_fk VARCHAR(255), serial_number VARCHAR(255), rental_class_num VARCHAR(255),
    longitude DECIMAL(9,6), latitude DECIMAL(9,6), wet BOOLEAN, service_required BOOLEAN, notes TEXT,
    INDEX ix_transactions_tag_id (tag_id), INDEX ix_transactions_scan_date (scan_date)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE rental_class_mappings (
    rental_class_id VARCHAR(50) NOT NULL PRIMARY KEY, category VARCHAR(100) NOT NULL, subcategory VARCHAR(100) NOT NULL, short_common_name VARCHAR(50)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE pos_equipment (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, item_num VARCHAR(50) NOT NULL, key_field VARCHAR(50), name VARCHAR(255), loc VARCHAR(100),
    category VARCHAR(100), department VARCHAR(100), type_desc VARCHAR(100), qty INT DEFAULT 0, home_store VARCHAR(10), current_store VARCHAR(10),
    to_mtd DECIMAL(12,2), to_ytd DECIMAL(12,2), to_ltd DECIMAL(12,2), repair_cost_mtd DECIMAL(10,2), repair_cost_ltd DECIMAL(10,2),
    sell_price DECIMAL(10,2), retail_price DECIMAL(10,2),
    ${Array.from({ length: 10 }, (_, i) => `period_${i + 1} DECIMAL(10,2), rate_${i + 1} DECIMAL(10,2)`).join(', ')},
    reorder_min INT, reorder_max INT, last_purchase_date DATE, last_purchase_price DECIMAL(10,2), vendor_no_1 VARCHAR(50), vendor_no_2 VARCHAR(50),
    vendor_no_3 VARCHAR(50), qty_on_order INT, inactive BOOLEAN, rfid_rental_class_num VARCHAR(255), created_at DATETIME NOT NULL, updated_at DATETIME,
    identifier_type ENUM('RFID','Sticker','QR','Barcode','Bulk','None') DEFAULT 'None',
    UNIQUE KEY uq_item_num (item_num), INDEX ix_pos_equip_category (category)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE pos_transactions (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, contract_no VARCHAR(50) NOT NULL, store_no VARCHAR(10) NOT NULL, customer_no VARCHAR(50),
    stat VARCHAR(5), status VARCHAR(50), contract_date DATETIME, contract_time VARCHAR(10), close_date DATETIME, billed_date DATETIME,
    rent_amt DECIMAL(12,2), sale_amt DECIMAL(12,2), tax_amt DECIMAL(12,2), total DECIMAL(12,2), delivery_requested BOOLEAN DEFAULT 0,
    promised_delivery_date DATETIME, actual_delivery_date DATETIME, pickup_requested BOOLEAN DEFAULT 0, promised_pickup_date DATETIME,
    actual_pickup_date DATETIME, import_date DATETIME NOT NULL, import_batch VARCHAR(50),
    UNIQUE KEY uq_contract_store (contract_no, store_no), INDEX ix_pos_trans_contract_date (contract_date)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE pos_transaction_items (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, contract_no VARCHAR(50) NOT NULL, item_num VARCHAR(50), qty INT, hours INT, due_date DATETIME,
    due_time VARCHAR(10), line_status VARCHAR(10), price DECIMAL(10,2), \`desc\` VARCHAR(500), daily_amt DECIMAL(10,2), weekly_amt DECIMAL(10,2),
    monthly_amt DECIMAL(10,2), kit_field VARCHAR(255), meter_out DECIMAL(10,2), meter_in DECIMAL(10,2), downtime_hrs DECIMAL(10,2),
    retail_price DECIMAL(10,2), line_number INT, import_date DATETIME NOT NULL,
    UNIQUE KEY uq_contract_line (contract_no, line_number), INDEX ix_pos_items_item_num (item_num)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE pos_customers (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, \`key\` VARCHAR(50) NOT NULL, cnum VARCHAR(50), name VARCHAR(255), address VARCHAR(500),
    address2 VARCHAR(500), city VARCHAR(100), zip VARCHAR(20), phone VARCHAR(50), email VARCHAR(255), credit_limit DECIMAL(12,2),
    ytd_payments DECIMAL(12,2), ltd_payments DECIMAL(12,2), no_of_contracts INT, current_balance DECIMAL(12,2), open_date DATETIME,
    last_active_date DATETIME, last_contract VARCHAR(50), import_date DATETIME NOT NULL,
    UNIQUE KEY uq_customer_key (\`key\`), INDEX ix_pos_cust_cnum (cnum)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
];
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
    for (let i = 0; i < shaped.length; i += 1000) await target.db.insertInto(table).values(shaped.slice(i, i + 1000) as never).execute();
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
      const query = sql.join(parts.map((p, i) => (i < params.length ? sql`${sql.raw(p)}${params[i]}` : sql.raw(p))), sql``);
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

  it('runs the demo flow on RFID3\'s tables as they are: no seeding, models trained, forecasts replayed', async () => {
    expect(copied.id_transactions).toBeGreaterThan(1000);
    const tmp = tempDir('rfid3-real-');
    try {
      let out = '';
      let err = '';
      const code = await runCli(['demo', '--json'], { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: { DATABASE_URL: url }, cwd: tmp.dir });
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
      const plugins = await loadPlugins(FIRST_PARTY_PLUGINS.map((p) => ({ package: p })), { baseDir: process.cwd() });
      const runtime = await createRuntime({ config: { databaseUrl: url }, logger: silentLogger(), plugins });
      key = (await new ApiKeyStore({ database: runtime.database }).create('real', 'admin')).key;
      app = await serve(runtime);
    }, 120_000);
    afterAll(() => app?.close());

    it('answers the forecast, accuracy and health endpoints from RFID3\'s tables', async () => {
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

    it('ingests scans into RFID3\'s id_transactions (common_name NOT NULL, BOOLEAN flags) and moves id_item_master', async () => {
      const [items] = (await admin.query('SELECT tag_id, common_name FROM id_item_master ORDER BY tag_id LIMIT 1')) as unknown as [{ tag_id: string; common_name: string }[]];
      const tag = items[0]!.tag_id;
      const res = await fetch(`${app.url}/api/ingest/scans`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ scans: [{ tag_id: tag, scan_type: 'Touch Scan', scan_date: '2099-01-02 03:04:05', status: 'Repair', quality: 'C', stain: true, wet: 0 }] }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ accepted: 1, itemsUpdated: 1 });
      const [rows] = (await admin.query('SELECT common_name, stain, wet FROM id_transactions WHERE tag_id = ? AND scan_type = ?', [tag, 'Touch Scan'])) as unknown as [
        { common_name: string; stain: number; wet: number }[],
      ];
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
      const unexpected = ours.filter((n) => !(DESIGN_TABLES as readonly string[]).includes(n) && !n.startsWith('rfid3_') && !pluginIds.some((p) => n.startsWith(p) || n.includes(`_${p}`)));
      expect(unexpected).toEqual([]);
    });
  });
});
