import { FakeClock, createRuntime, silentLogger, type DataChangedEvent, type Runtime } from '@rfid3/core';
import { externalServices } from '@rfid3/core/testing';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../src/keys.js';
import type { RunningApp } from './helpers.js';
import { serve } from './helpers.js';

const services = await externalServices();
afterAll(() => services.cleanup());

const targets: { name: string; url: string }[] = [{ name: 'SQLite', url: 'sqlite::memory:' }];
if (services.mysqlUrl) targets.push({ name: 'MariaDB', url: services.mysqlUrl });

interface IngestAnswer {
  accepted: number;
  duplicates: number;
  updated?: number;
  rejected: { index: number; errors: { field: string; message: string }[] }[];
  itemsUpdated?: number;
  itemsCreated?: number;
}

const scan = (tag: string, date: string, over: Record<string, unknown> = {}) => ({
  tag_id: tag,
  scan_type: 'Rental',
  scan_date: date,
  rental_class_num: '61885',
  common_name: 'CHAIR, WHITE PADDED',
  status: 'On Rent',
  quality: 'B+',
  contract_number: 'C-100',
  scan_by: 'driver1',
  ...over,
});

describe.each(targets)('ingestion on $name', ({ url }) => {
  let app: RunningApp;
  let operateKey: string;
  let readKey: string;
  const events: DataChangedEvent[] = [];

  beforeEach(async () => {
    const runtime: Runtime = await createRuntime({ config: { databaseUrl: url }, logger: silentLogger(), clock: new FakeClock('2026-06-01T12:00:00Z') });
    const db = runtime.database.db;
    // A clean slate on the shared scratch MariaDB database.
    for (const t of ['id_transactions', 'id_item_master', 'pos_transactions', 'pos_transaction_items', 'pos_equipment'] as const) await db.deleteFrom(t).execute();
    await db.deleteFrom('rfid3_api_keys').execute();
    await db
      .insertInto('id_item_master')
      .values([
        {
          tag_id: 'T1',
          rental_class_num: '61885',
          common_name: 'CHAIR, WHITE PADDED',
          status: 'Ready to Rent',
          quality: 'A',
          home_store: '3607',
          date_last_scanned: '2026-05-01 09:00:00',
        },
        {
          tag_id: 'T2',
          rental_class_num: '61885',
          common_name: 'CHAIR, WHITE PADDED',
          status: 'Ready to Rent',
          quality: 'A-',
          home_store: '6800',
          date_last_scanned: '2026-05-20 09:00:00',
        },
      ] as never)
      .execute();
    const keys = new ApiKeyStore({ database: runtime.database });
    operateKey = (await keys.create('ingest', 'ingest')).key;
    readKey = (await keys.create('reader', 'read')).key;
    events.length = 0;
    runtime.events.on('data-changed', async (e) => {
      // A slow subscriber: the answer must still come after it.
      await new Promise((r) => setTimeout(r, 30));
      events.push(e);
    });
    app = await serve(runtime);
    await db
      .deleteFrom('rfid3_ingest_keys' as never)
      .execute()
      .catch(() => undefined);
  });
  afterEach(() => app.close());

  const post = async (path: string, body: unknown, key = operateKey) => {
    const res = await fetch(`${app.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } });
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as IngestAnswer & Record<string, unknown> };
  };
  const scanCount = async () =>
    Number(
      (
        await app.runtime.database.db
          .selectFrom('id_transactions')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const item = (tag: string) => app.runtime.database.db.selectFrom('id_item_master').selectAll().where('tag_id', '=', tag).executeTakeFirst();

  it('keeps the good rows of a batch, names the bad ones, and stores nothing twice when it is re-posted', async () => {
    const batch = [
      scan('T1', '2026-05-30T10:00:00Z'),
      scan('T2', '2026-05-30 11:00:00', { quality: 'B', status: 'Delivered', scan_type: 'Delivery' }),
      scan('T1', 'yesterday'),
      { ...scan('T9', '2026-05-30 12:00:00'), quality: 'Z' },
      scan('T3', '2026-05-30 12:30:00+02:00', { event_id: 'vendor-77' }),
    ];
    const first = await post('/api/ingest/scans', { scans: batch });
    expect(first.status).toBe(200);
    expect(first.body.accepted).toBe(3);
    expect(first.body.duplicates).toBe(0);
    expect(first.body.rejected.map((r) => r.index)).toEqual([2, 3]);
    expect(first.body.rejected[0]!.errors[0]!.field).toBe('scan_date');
    expect(first.body.rejected[1]!.errors[0]!.field).toBe('quality');
    expect(await scanCount()).toBe(3);

    const again = await post('/api/ingest/scans', { scans: batch });
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 3 });
    expect(again.body.rejected).toHaveLength(2);
    expect(await scanCount()).toBe(3);

    // The zone was honoured: 12:30 at +02:00 is 10:30 UTC.
    const t3 = await app.runtime.database.db.selectFrom('id_transactions').select('scan_date').where('tag_id', '=', 'T3').executeTakeFirstOrThrow();
    expect(String(t3.scan_date).slice(0, 19)).toBe('2026-05-30 10:30:00');
  });

  it("moves each item's status, grade and last scan forward, never backward, and creates unknown tags", async () => {
    const res = await post('/api/ingest/scans', {
      scans: [
        scan('T1', '2026-05-30 10:00:00', { status: 'On Rent', quality: 'B+', scan_by: 'ann' }),
        scan('T1', '2026-05-31 08:00:00', { status: 'Needs to be Inspected', quality: 'B', scan_type: 'Return', scan_by: 'bob' }),
        // T2 was last scanned on 05-20; this older scan is stored but must not move the item back.
        scan('T2', '2026-05-10 08:00:00', { status: 'Repair', quality: 'C' }),
        scan('T5', '2026-05-31 09:00:00', { rental_class_num: '72000', common_name: 'TABLE, 8FT' }),
      ],
    });
    expect(res.body).toMatchObject({ accepted: 4, itemsUpdated: 1, itemsCreated: 1 });
    expect(await item('T1')).toMatchObject({ status: 'Needs to be Inspected', quality: 'B', last_scanned_by: 'bob' });
    expect(String((await item('T1'))!.date_last_scanned).slice(0, 19)).toBe('2026-05-31 08:00:00');
    expect(await item('T2')).toMatchObject({ status: 'Ready to Rent', quality: 'A-' });
    expect(await item('T5')).toMatchObject({ rental_class_num: '72000', common_name: 'TABLE, 8FT', status: 'On Rent' });
  });

  it('answers only after data-changed listeners ran, naming the tables, items, classes, stores and days', async () => {
    const res = await post('/api/ingest/scans', { scans: [scan('T1', '2026-05-29 10:00:00'), scan('T2', '2026-05-30 10:00:00', { rental_class_num: '61886' })] });
    expect(res.body.accepted).toBe(2);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ source: 'ingest.scans', tables: ['id_transactions', 'id_item_master'], from: '2026-05-29', to: '2026-05-30' });
    expect(events[0]!.itemIds!.sort()).toEqual(['T1', 'T2']);
    expect(events[0]!.rentalClasses).toEqual(['61885', '61886']);
    expect(events[0]!.stores).toEqual(['3607', '6800']);
    // Nothing new, nothing to invalidate.
    await post('/api/ingest/scans', { scans: [scan('T1', '2026-05-29 10:00:00')] });
    expect(events).toHaveLength(1);
  });

  it('treats a scan RFID3 already holds (same tag, time and type) and a repeat inside one batch as duplicates', async () => {
    await app.runtime.database.db
      .insertInto('id_transactions')
      .values({ tag_id: 'T1', scan_type: 'Rental', scan_date: '2026-05-28 07:00:00' } as never)
      .execute();
    const res = await post('/api/ingest/scans', {
      scans: [scan('T1', '2026-05-28 07:00:00'), scan('T2', '2026-05-28 07:00:00'), scan('T2', '2026-05-28T07:00:00.000Z')],
    });
    expect(res.body).toMatchObject({ accepted: 1, duplicates: 2 });
    expect(await scanCount()).toBe(2);
  });

  it('finds what RFID3 holds at any of its moments, the newest included, and takes scans after its newest as new', async () => {
    await app.runtime.database.db
      .insertInto('id_transactions')
      .values([
        { tag_id: 'T1', scan_type: 'Rental', scan_date: '2026-05-20 07:00:00' },
        { tag_id: 'T2', scan_type: 'Rental', scan_date: '2026-05-25 09:30:00' },
        { tag_id: 'T3', scan_type: 'Rental', scan_date: '2026-05-27 16:00:00' },
      ] as never)
      .execute();
    const res = await post('/api/ingest/scans', {
      scans: [
        scan('T1', '2026-05-20 07:00:00'), // held, long before RFID3's newest
        scan('T3', '2026-05-27 16:00:00'), // held: RFID3's newest moment
        scan('T1', '2026-05-25 09:30:00'), // a held moment, another tag
        scan('T2', '2026-05-27 16:00:01'), // after the newest
        scan('T3', '2026-05-28 08:00:00'),
      ],
    });
    expect(res.body).toMatchObject({ accepted: 3, duplicates: 2 });
    expect(await scanCount()).toBe(6);
  });

  it('stores a batch posted twice at the same time once', async () => {
    const batch = Array.from({ length: 200 }, (_, i) => scan(`P${i}`, '2026-05-30 10:00:00'));
    const [a, b] = await Promise.all([post('/api/ingest/scans', { scans: batch }), post('/api/ingest/scans', { scans: batch })]);
    expect(a.body.accepted + b.body.accepted).toBe(200);
    expect(a.body.duplicates + b.body.duplicates).toBe(200);
    expect(await scanCount()).toBe(200);
  });

  it('refuses a batch whose every row is bad with a 400 naming the fields, and batches over 5,000 rows', async () => {
    const bad = await post('/api/ingest/scans', { scans: [{ tag_id: '', scan_type: 'Rental', scan_date: '2026-05-30' }, { nonsense: true }] });
    expect(bad.status).toBe(400);
    expect(bad.type).toMatch(/^application\/problem\+json/);
    const fields = (bad.body.errors as { field: string }[]).map((e) => e.field);
    expect(fields).toContain('body.scans.0.tag_id');
    expect(fields).toContain('body.scans.1.tag_id');
    const huge = await post('/api/ingest/scans', { scans: Array.from({ length: 5001 }, (_, i) => scan(`H${i}`, '2026-05-30 10:00:00')) });
    expect(huge.status).toBe(400);
    expect((huge.body.errors as { field: string }[])[0]!.field).toBe('body.scans');
    const full = await post('/api/ingest/scans', { scans: Array.from({ length: 5000 }, (_, i) => scan(`F${i}`, '2026-05-30 10:00:00')) });
    expect(full.body.accepted).toBe(5000);
    expect(await scanCount()).toBe(5000);
  });

  it('is listed in the OpenAPI document with its body schema and role', async () => {
    const doc = (await (await fetch(`${app.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, { 'x-required-role': string; requestBody?: unknown }>> };
    for (const path of ['/api/ingest/scans', '/api/ingest/pos']) {
      expect(doc.paths[path]?.post?.['x-required-role'], path).toBe('ingest');
      expect(doc.paths[path]?.post?.requestBody, path).toBeDefined();
    }
  });

  it('needs an operate key', async () => {
    const anonymous = await fetch(`${app.url}/api/ingest/scans`, { method: 'POST', body: '{"scans":[]}', headers: { 'content-type': 'application/json' } });
    expect(anonymous.status).toBe(401);
    expect((await post('/api/ingest/scans', { scans: [scan('T1', '2026-05-30 10:00:00')] }, readKey)).status).toBe(403);
    expect(await scanCount()).toBe(0);
  });

  it('stores POS contracts with their lines once; a changed contract updates in place and replaces its lines', async () => {
    const contract = {
      contract_no: 'K-1',
      store_no: '3607',
      customer_no: 'CU9',
      status: 'Open',
      contract_date: '2026-05-20',
      rent_amt: 250.5,
      total: 270,
      lines: [
        { line_number: 1, item_num: '1001', qty: 40, price: 2.5, desc: 'CHAIR, WHITE PADDED' },
        { line_number: 2, item_num: '2002', qty: 5, price: 12 },
      ],
    };
    const bad = { contract_no: 'K-2', store_no: '3607', lines: [{ line_number: 1, item_num: '1', qty: 'many' }] };
    const first = await post('/api/ingest/pos', { contracts: [contract, bad] });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ accepted: 1, updated: 0, duplicates: 0, lines: 2 });
    expect(first.body.rejected).toEqual([{ index: 1, errors: [expect.objectContaining({ field: 'lines.0.qty' })] }]);
    expect((await post('/api/ingest/pos', { contracts: [contract] })).body).toMatchObject({ accepted: 0, updated: 0, duplicates: 1 });

    const closed = { ...contract, status: 'Closed', close_date: '2026-05-27 16:00:00', lines: [{ line_number: 1, item_num: '1001', qty: 38, price: 2.5 }] };
    expect((await post('/api/ingest/pos', { contracts: [closed] })).body).toMatchObject({ accepted: 0, updated: 1, duplicates: 0 });
    const db = app.runtime.database.db;
    const stored = await db.selectFrom('pos_transactions').selectAll().execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ contract_no: 'K-1', status: 'Closed', customer_no: 'CU9' });
    expect(String(stored[0]!.contract_date).slice(0, 10)).toBe('2026-05-20');
    const lines = await db.selectFrom('pos_transaction_items').selectAll().execute();
    expect(lines.map((l) => [l.line_number, l.qty])).toEqual([[1, 38]]);
    expect(events.map((e) => e.source)).toEqual(['ingest.pos', 'ingest.pos']);
  });
});
