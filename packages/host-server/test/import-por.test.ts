import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventBus, FakeClock, createDatabase, migrate, coreMigrations, type DataChangedEvent, type DatabaseHandle } from '@rfid3/core';
import { externalServices } from '@rfid3/core/testing';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { hostDb } from '../src/host-tables.js';
import type { FileReport } from '../src/import/por-import.js';
import { importPorDirectory } from '../src/import/por-import.js';
import { parseMoney, parsePorDateTime } from '../src/import/por-values.js';
import { tempDir } from './helpers.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'por');
const services = await externalServices();
afterAll(() => services.cleanup());

const targets: { name: string; url: string }[] = [{ name: 'SQLite', url: 'sqlite::memory:' }];
if (services.mysqlUrl) targets.push({ name: 'MariaDB', url: services.mysqlUrl });

const byKind = (files: FileReport[]) => Object.fromEntries(files.map((f) => [f.kind, f]));

describe('Point of Rental cells', () => {
  it('reads US dates with AM/PM, the 1899 "no date", money with $ and commas, and refuses the rest', () => {
    expect(parsePorDateTime('6/17/2025 4:15 PM')).toBe('2025-06-17 16:15:00');
    expect(parsePorDateTime('6/17/2025 12:05 AM')).toBe('2025-06-17 00:05:00');
    expect(parsePorDateTime('8/1/23')).toBe('2023-08-01 00:00:00');
    expect(parsePorDateTime('2025-08-26 14:05')).toBe('2025-08-26 14:05:00');
    expect(parsePorDateTime('12/30/1899 0:00')).toBeNull();
    expect(() => parsePorDateTime('31/8/2025')).toThrow(/not a date/);
    expect(() => parsePorDateTime('2/30/2025')).toThrow(/not a date/);
    expect(parseMoney('"$14,880.50"'.replace(/"/g, ''))).toBe(14880.5);
    expect(parseMoney('($12.00)')).toBe(-12);
    expect(parseMoney('')).toBeNull();
    expect(() => parseMoney('lots')).toThrow(/not a number/);
  });
});

describe.each(targets)('rfid3 import por on $name', ({ url }) => {
  let database: DatabaseHandle;
  const clock = new FakeClock('2026-06-01T12:00:00Z');
  beforeEach(async () => {
    database = createDatabase(url);
    await migrate(database, 'core', coreMigrations);
    for (const t of ['pos_transaction_items', 'pos_transactions', 'pos_equipment'] as const) await database.db.deleteFrom(t).execute();
    await hostDb(database)
      .deleteFrom('pos_customers')
      .execute()
      .catch(() => undefined);
  });
  afterEach(() => database.close());

  it('maps each export into its pos_* table and says per file what it imported, skipped and why', async () => {
    const events: DataChangedEvent[] = [];
    const bus = new EventBus();
    bus.on('data-changed', (e) => {
      events.push(e);
    });
    const report = await importPorDirectory(database, clock, FIXTURES, { events: bus });
    const f = byKind(report.files);
    expect(report.ignored).toEqual(['notes.csv']);
    expect(f.equipment).toMatchObject({ file: 'equipPOS8.26.25.csv', rows: 8, imported: 3, updated: 0, skipped: 5 });
    expect(f.equipment!.reasons).toEqual({
      'category UNUSED (not current equipment)': 1,
      'marked Inactive': 1,
      "column 'Qty': is not a number": 1,
      'no item_num': 1,
      'same item_num again on line 9': 1,
    });
    expect(f.transactions).toMatchObject({ rows: 5, imported: 3, skipped: 2 });
    expect(f.transactions!.examples).toEqual([
      { line: 5, reason: "column 'DATE': '31/8/2025' is not a date" },
      { line: 6, reason: 'no contract_no' },
    ]);
    expect(f.transaction_items).toMatchObject({ rows: 6, imported: 5, skipped: 1 });
    expect(f.customers).toMatchObject({ rows: 3, imported: 2, skipped: 1 });

    const db = hostDb(database);
    const chair = await db.selectFrom('pos_equipment').selectAll().where('item_num', '=', '61885').executeTakeFirstOrThrow();
    // The later line of a repeated item wins (Qty 322, not 320).
    expect(chair).toMatchObject({
      name: 'CHAIR, WHITE PADDED',
      category: 'Tables and Chairs',
      qty: 322,
      home_store: '3607',
      to_ytd: 14880.5,
      to_ltd: 61002.75,
      rate_1: 3.25,
      period_2: 168,
      reorder_max: 400,
    });
    expect(String(chair.last_purchase_date).slice(0, 10)).toBe('2024-03-14');
    const table = await db.selectFrom('pos_equipment').select('last_purchase_date').where('item_num', '=', '61886').executeTakeFirstOrThrow();
    expect(table.last_purchase_date).toBeNull();
    const contract = await db.selectFrom('pos_transactions').selectAll().where('contract_no', '=', 'K100245').executeTakeFirstOrThrow();
    expect(contract).toMatchObject({ store_no: '3607', customer_no: 'C8812', status: 'CLOSED', rent_amt: 812.5, total: 873.44 });
    expect(String(contract.close_date).slice(0, 19)).toBe('2025-06-17 16:15:00');
    expect(String(contract.actual_pickup_date).slice(0, 19)).toBe('2025-06-16 11:05:00');
    const quote = await db.selectFrom('pos_transactions').select('close_date').where('contract_no', '=', 'K100247').executeTakeFirstOrThrow();
    expect(quote.close_date).toBeNull();
    const lines = await db
      .selectFrom('pos_transaction_items')
      .select(['contract_no', 'line_number', 'item_num', 'qty', 'weekly_amt'])
      .orderBy('contract_no')
      .orderBy('line_number')
      .execute();
    expect(lines.map((l) => `${l.contract_no}/${l.line_number}:${l.item_num}x${l.qty}`)).toEqual([
      'K100245/1:61885x150',
      'K100245/2:61886x19',
      'K100246/1:70001x2',
      'K100246/2:61885x200',
      'K100246/3:55551x12',
    ]);
    const customer = await db.selectFrom('pos_customers').selectAll().where('key', '=', '8812').executeTakeFirstOrThrow();
    expect(customer).toMatchObject({ cnum: 'C8812', name: 'LAKESIDE EVENTS, LLC', ltd_payments: 38775, no_of_contracts: 41 });

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ source: 'import.por', tables: ['pos_customers', 'pos_equipment', 'pos_transaction_items', 'pos_transactions'], stores: ['3607', '6800'] });
    expect(events[0]!.from).toBe('2025-06-14');
  });

  it('re-run on the same files changes nothing; a changed export updates only what changed', async () => {
    await importPorDirectory(database, clock, FIXTURES);
    const count = async (t: 'pos_equipment' | 'pos_transactions' | 'pos_transaction_items') =>
      Number(
        (
          await database.db
            .selectFrom(t)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = { e: await count('pos_equipment'), t: await count('pos_transactions'), i: await count('pos_transaction_items') };
    const events: DataChangedEvent[] = [];
    const bus = new EventBus();
    bus.on('data-changed', (e) => {
      events.push(e);
    });
    const again = byKind((await importPorDirectory(database, clock, FIXTURES, { events: bus })).files);
    for (const f of Object.values(again)) expect(f, f.file).toMatchObject({ imported: 0, updated: 0, skipped: f.rows });
    expect(again.equipment!.reasons['unchanged since the last import']).toBe(3);
    expect({ e: await count('pos_equipment'), t: await count('pos_transactions'), i: await count('pos_transaction_items') }).toEqual(before);
    expect(events).toEqual([]);

    // Next week: contract K100246 closed, one new contract.
    const tmp = tempDir('rfid3-por-');
    try {
      cpSync(FIXTURES, tmp.dir, { recursive: true });
      const file = join(tmp.dir, 'transactions8.26.25.csv');
      const text = readFileSync(file, 'utf8').replace('K100246,3607,C9001,OPEN,8/22/2025,14:05,,', 'K100246,3607,C9001,CLOSED,8/22/2025,14:05,9/2/2025 3:00 PM,');
      writeFileSync(file, `${text}K100300,3607,C8812,OPEN,9/3/2025,9:00,,$50.00,,,$50.00,,,,,\n`);
      const week2 = byKind((await importPorDirectory(database, clock, tmp.dir)).files);
      expect(week2.transactions).toMatchObject({ imported: 1, updated: 1 });
      expect(week2.equipment).toMatchObject({ imported: 0, updated: 0 });
      const k = await database.db.selectFrom('pos_transactions').select(['status', 'close_date']).where('contract_no', '=', 'K100246').executeTakeFirstOrThrow();
      expect(k.status).toBe('CLOSED');
      expect(String(k.close_date).slice(0, 19)).toBe('2025-09-02 15:00:00');
      expect(await count('pos_transactions')).toBe(before.t + 1);
    } finally {
      tmp.remove();
    }
  });
});

describe('the command', () => {
  it('pnpm rfid3 import por --dir DIR prints the per-file report, and --json the same as JSON', async () => {
    const tmp = tempDir('rfid3-por-cli-');
    try {
      const run = async (args: string[]) => {
        let out = '';
        let err = '';
        const code = await runCli(args, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: {}, cwd: tmp.dir });
        return { code, out, err };
      };
      const text = await run(['import', 'por', '--dir', FIXTURES]);
      expect(text.code, text.err).toBe(0);
      expect(text.out).toContain('equipPOS8.26.25.csv → pos_equipment: 8 rows, 3 imported, 0 updated, 5 skipped');
      expect(text.out).toContain('1 skipped: marked Inactive');
      expect(text.out).toContain('ignored: notes.csv');
      const json = await run(['import', 'por', '--dir', FIXTURES, '--json']);
      const report = JSON.parse(json.out) as { files: FileReport[] };
      expect(report.files.map((f) => [f.kind, f.imported, f.updated])).toEqual([
        ['customers', 0, 0],
        ['equipment', 0, 0],
        ['transactions', 0, 0],
        ['transaction_items', 0, 0],
      ]);
      const missing = await run(['import', 'por', '--dir', join(tmp.dir, 'nope')]);
      expect(missing.code).toBe(1);
      expect(missing.err).toMatch(/no such folder/);
    } finally {
      tmp.remove();
    }
  }, 60_000);
});
