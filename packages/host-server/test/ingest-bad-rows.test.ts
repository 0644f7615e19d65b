import { request } from 'node:http';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { FakeClock, coreMigrations, createDatabase, createRuntime, insertInChunks, migrate, silentLogger } from '@rfid3/core';
import { externalServices } from '@rfid3/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestScans } from '../src/ingest/scans.js';
import { ApiKeyStore } from '../src/keys.js';
import { serve } from './helpers.js';

const services = await externalServices();
afterAll(() => services.cleanup());

const targets: { name: string; url: string }[] = [{ name: 'SQLite', url: 'sqlite::memory:' }];
if (services.mysqlUrl) targets.push({ name: 'MariaDB', url: services.mysqlUrl });

const NOW = '2026-06-01T12:00:00Z';

/** POSTs raw bytes (so that a body can hold bytes that are not UTF-8) and parses the JSON answer. */
function postBytes(url: string, key: string, body: Buffer): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${key}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const scan = (tag: string, date: string, over: Record<string, unknown> = {}) => ({ tag_id: tag, scan_type: 'Rental', scan_date: date, common_name: 'CHAIR', ...over });

describe.each(targets)('bad rows in an ingest batch on $name', ({ url }) => {
  it('names each row with text that is not UTF-8 or a date out of range, and keeps the good rows', async () => {
    const runtime = await createRuntime({ config: { databaseUrl: url }, logger: silentLogger(), clock: new FakeClock(NOW) });
    for (const t of ['id_transactions', 'id_item_master', 'pos_transactions', 'pos_transaction_items'] as const) await runtime.database.db.deleteFrom(t).execute();
    const { key } = await new ApiKeyStore({ database: runtime.database }).create('scanner', 'ingest');
    const app = await serve(runtime, { rateLimit: { enabled: false } });
    try {
      // Row 1 carries the bytes C3 28 (not UTF-8) in `notes`; row 2 a lone surrogate escape in `common_name`.
      const json = JSON.stringify({
        scans: [
          scan('U0', '2026-05-31 10:00:00'),
          scan('U1', '2026-05-31 10:00:00', { notes: 'BAD>@@<' }),
          scan('U2', '2026-05-31 10:00:00', { common_name: 'LONE>\ud800<' }),
          scan('U3', '1999-12-31 23:59:59'),
          scan('U4', '2026-06-03 12:00:00'),
          scan('U5', '2026-06-02 11:00:00'),
        ],
      });
      const marker = Buffer.from('@@');
      const raw = Buffer.from(json, 'utf8');
      const at = raw.indexOf(marker);
      const body = Buffer.concat([raw.subarray(0, at), Buffer.from([0xc3, 0x28]), raw.subarray(at + marker.length)]);
      const res = await postBytes(`${app.url}/api/ingest/scans`, key, body);
      expect(res.status).toBe(200);
      expect(res.body.accepted).toBe(2);
      const rejected = res.body.rejected as { index: number; errors: { field: string; message: string }[] }[];
      expect(rejected.map((r) => [r.index, r.errors.map((e) => e.field)])).toEqual([
        [1, ['notes']],
        [2, ['common_name']],
        [3, ['scan_date']],
        [4, ['scan_date']],
      ]);
      expect(rejected[0]!.errors[0]!.message).toMatch(/not valid UTF-8/);
      expect(rejected[2]!.errors[0]!.message).toMatch(/before 2000/);
      expect(rejected[3]!.errors[0]!.message).toMatch(/more than a day ahead/);
      const stored = await runtime.database.db.selectFrom('id_transactions').select('tag_id').orderBy('tag_id').execute();
      expect(stored.map((r) => r.tag_id)).toEqual(['U0', 'U5']);

      // POS: contract and close dates may not be ahead; a due date may (a rental booked for next month).
      const pos = await fetch(`${app.url}/api/ingest/pos`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({
          contracts: [
            { contract_no: 'K1', store_no: '3607', contract_date: '2026-06-01', lines: [{ line_number: 1, item_num: '61885', qty: 2, due_date: '2026-07-15' }] },
            { contract_no: 'K2', store_no: '3607', contract_date: '1998-04-01' },
            { contract_no: 'K3', store_no: '3607', contract_date: '2026-05-30', close_date: '2026-06-05' },
            { contract_no: 'K4', store_no: '3607', contract_date: '2026-05-30', lines: [{ line_number: 1, item_num: '61885', due_date: '1990-01-01' }] },
          ],
        }),
      });
      const posBody = (await pos.json()) as { accepted: number; rejected: { index: number; errors: { field: string }[] }[] };
      expect(pos.status).toBe(200);
      expect(posBody.accepted).toBe(1);
      expect(posBody.rejected.map((r) => [r.index, r.errors.map((e) => e.field)])).toEqual([
        [1, ['contract_date']],
        [2, ['close_date']],
        [3, ['lines.0.due_date']],
      ]);
    } finally {
      await app.close();
    }
  }, 60_000);
});

/** Counts the rows every select returns, to see what a batch reads. */
class RowsRead implements KyselyPlugin {
  rows = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.rows += args.result.rows.length;
    return args.result;
  }
}

describe('what an ingest batch reads', () => {
  it('looks up only the exact moments of its own scans: a batch with one old scan does not read a tag’s whole history', async () => {
    const handle = createDatabase('sqlite::memory:');
    try {
      await migrate(handle, 'core', coreMigrations);
      // Three years of hourly scans of one tag.
      const history = Array.from({ length: 26_000 }, (_, i) => {
        const t = new Date(Date.UTC(2023, 0, 1) + i * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
        return { tag_id: 'H1', scan_type: i % 2 ? 'Return' : 'Rental', scan_date: t, common_name: 'TENT' };
      });
      await insertInChunks(handle, 'id_transactions', history);
      const counter = new RowsRead();
      const watched = { ...handle, db: handle.db.withPlugin(counter) };
      const clock = new FakeClock(NOW);
      const result = await ingestScans(watched, clock, [scan('H1', '2023-01-01 00:00:00', { scan_type: 'Rental' }), scan('H1', '2026-06-01 09:00:00')]);
      // The first is RFID3's own scan (same tag, time and type): a duplicate found without reading the history.
      expect(result).toMatchObject({ accepted: 1, duplicates: 1 });
      expect(counter.rows).toBeLessThan(100);
    } finally {
      await handle.close();
    }
  }, 60_000);
});
