import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBus, FakeClock, coreMigrations, createDatabase, migrate, silentLogger, type DataChangedEvent, type DatabaseHandle } from '@rfid3/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VendorPoller } from '../src/poller/rfidpro.js';

/** A loopback stand-in for an RFIDpro-style API: token login, 200-record pages, `filter[gt]` on a date. */
class VendorStub {
  items: Record<string, unknown>[] = [];
  scans: Record<string, unknown>[] = [];
  requests: { path: string; query: Record<string, string>; auth?: string }[] = [];
  logins = 0;
  /** Answer the next n data requests with 503. */
  failNext = 0;
  /** Tokens the stub has revoked (as if they expired). */
  revoked = new Set<string>();
  rejectLogin = false;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', () => ok()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v1/data`;
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((ok) => this.server.close(() => ok()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url!, 'http://stub');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname.endsWith('/login') && req.method === 'POST') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const { username, password } = JSON.parse(body) as { username: string; password: string };
        if (this.rejectLogin || username !== 'rfid' || password !== 'secret') return send(401, { result: false });
        this.logins++;
        send(200, { result: true, access_token: `tok-${this.logins}` });
      });
      return;
    }
    const auth = req.headers.authorization;
    this.requests.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), auth });
    const token = auth?.replace(/^Bearer /, '');
    if (!token?.startsWith('tok-') || this.revoked.has(token)) return send(401, { result: false });
    if (this.failNext > 0) {
      this.failNext--;
      return send(503, { result: { message: 'busy' } });
    }
    const table = url.pathname.endsWith('/14223767938169344381') ? this.items : url.pathname.endsWith('/14223767938169346196') ? this.scans : null;
    if (!table) return send(404, { result: false });
    const field = table === this.items ? 'date_last_scanned' : 'scan_date';
    let rows = table;
    const filter = url.searchParams.get('filter[gt]');
    if (filter) {
      const m = new RegExp(`^${field},gt,'(.+)'$`).exec(filter);
      if (!m) return send(400, { result: false });
      rows = rows.filter((r) => String(r[field]) > m[1]!);
    }
    const limit = Math.min(200, Number(url.searchParams.get('limit') ?? 200));
    const offset = Number(url.searchParams.get('offset') ?? 0);
    send(200, { data: rows.slice(offset, offset + limit), totalcount: rows.length });
  }
}

const pad = (n: number) => String(n).padStart(2, '0');
const at = (minute: number) => `2026-05-${pad(1 + Math.floor(minute / 1440))} ${pad(Math.floor((minute % 1440) / 60))}:${pad(minute % 60)}:00`;

describe('RFIDpro-style vendor poller against a loopback stub', () => {
  let stub: VendorStub;
  let database: DatabaseHandle;
  let clock: FakeClock;
  let events: DataChangedEvent[];
  let failures: string[];
  let poller: VendorPoller;

  /** A scan, and the vendor's item master moved with it (as the vendor's own is). */
  const addScan = (scan: Record<string, unknown>) => {
    stub.scans.push(scan);
    const item = stub.items.find((i) => i.tag_id === scan.tag_id)!;
    item.date_last_scanned = scan.scan_date;
    if (scan.contract_number) item.last_contract_num = scan.contract_number;
  };

  beforeEach(async () => {
    stub = new VendorStub();
    await stub.start();
    for (let i = 0; i < 250; i++)
      stub.items.push({
        tag_id: `E${i}`,
        uuid_accounts_fk: 'acct',
        rental_class_num: String(61000 + (i % 5)),
        common_name: `ITEM ${i % 5}`,
        status: 'Ready to Rent',
        quality: 'A',
        date_last_scanned: at(i),
        date_created: '0000-00-00 00:00:00',
      });
    for (let i = 0; i < 450; i++)
      addScan({
        id: 9000 + i,
        tag_id: `E${i % 250}`,
        scan_type: i % 2 ? 'Return' : 'Rental',
        scan_date: at(i),
        contract_number: `C${i}`,
        common_name: `ITEM ${i % 5}`,
        rental_class_num: String(61000 + ((i % 250) % 5)),
        dirty_or_mud: '0',
        wet: false,
        uuid_accounts_fk: 'acct',
      });
    database = createDatabase('sqlite::memory:');
    await migrate(database, 'core', coreMigrations);
    clock = new FakeClock('2026-05-02T12:00:00Z');
    events = [];
    failures = [];
    const bus = new EventBus();
    bus.on('data-changed', (e) => {
      events.push(e);
    });
    poller = new VendorPoller(
      { baseUrl: stub.url, username: 'rfid', password: 'secret', retryMinMs: 5, retries: 3, fullRefreshMinutes: 60 },
      { database, clock, logger: silentLogger(), events: bus, onFailure: (e) => void failures.push(e.message) },
    );
  });
  afterEach(async () => {
    await poller.stop();
    await database.close();
    await stub.stop();
  });

  const count = async (t: 'id_transactions' | 'id_item_master') =>
    Number(
      (
        await database.db
          .selectFrom(t)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('first poll is a full refresh, 200 records a page, stored once', async () => {
    const r = await poller.poll();
    expect(r.mode).toBe('full');
    expect(r.items).toMatchObject({ fetched: 250, inserted: 250 });
    expect(r.transactions).toMatchObject({ fetched: 450, accepted: 450, duplicates: 0, rejected: 0 });
    expect(stub.requests.filter((q) => q.path.endsWith('6196')).map((q) => [q.query.offset, q.query.limit])).toEqual([
      ['0', '200'],
      ['200', '200'],
      ['400', '200'],
    ]);
    expect(stub.requests.every((q) => q.query['filter[gt]'] === undefined)).toBe(true);
    expect(stub.logins).toBe(1);
    expect(await count('id_transactions')).toBe(450);
    expect(await count('id_item_master')).toBe(250);
    const item = await database.db.selectFrom('id_item_master').selectAll().where('tag_id', '=', 'E3').executeTakeFirstOrThrow();
    expect(item).toMatchObject({ rental_class_num: '61003', status: 'Ready to Rent', date_created: null });
    expect(events).toHaveLength(1);
    expect(events[0]!.source).toBe('poller.rfidpro');
  });

  it('then polls incrementally by last-updated date, and fetches only what is new', async () => {
    await poller.poll();
    const cursor = at(449);
    stub.requests = [];
    clock.advance({ ms: 60_000 });
    const quiet = await poller.poll();
    expect(quiet.mode).toBe('incremental');
    // The filter reaches 5 minutes before the cursor, so a few known records come back as duplicates.
    expect(stub.requests.find((q) => q.path.endsWith('6196'))!.query['filter[gt]']).toBe(`scan_date,gt,'${at(444)}'`);
    expect(quiet.transactions).toMatchObject({ fetched: 5, accepted: 0, duplicates: 5 });
    expect(cursor).toBe(at(449));

    for (let i = 450; i < 460; i++) addScan({ tag_id: `E${i % 250}`, scan_type: 'Rental', scan_date: at(i), common_name: 'ITEM', dirty_or_mud: 1 });
    clock.advance({ ms: 60_000 });
    const next = await poller.poll();
    expect(next.transactions).toMatchObject({ accepted: 10 });
    expect(await count('id_transactions')).toBe(460);

    // An hour after the full refresh the next poll is full again, and stores nothing twice.
    clock.advance({ ms: 60 * 60_000 });
    const full = await poller.poll();
    expect(full.mode).toBe('full');
    expect(full.transactions).toMatchObject({ fetched: 460, accepted: 0, duplicates: 460 });
    expect(full.items).toMatchObject({ inserted: 0, updated: 0, unchanged: 250 });
    expect(await count('id_transactions')).toBe(460);
  });

  it('names both the old and the new class of an item the vendor moved, so their forecasts go stale', async () => {
    await poller.poll();
    events = [];
    // E7 moves from class 61002 to 61004 with no scan of its own; E8 is only scanned.
    const moved = stub.items.find((i) => i.tag_id === 'E7')!;
    moved.rental_class_num = '61004';
    moved.date_last_scanned = at(600);
    addScan({ id: 99_001, tag_id: 'E8', scan_type: 'Rental', scan_date: at(601), contract_number: 'C-new', rental_class_num: '61003', uuid_accounts_fk: 'acct' });
    clock.advance({ ms: 60_000 });
    const r = await poller.poll();
    expect(r.items).toMatchObject({ updated: 2 });
    expect(events).toHaveLength(1);
    expect([...events[0]!.rentalClasses!].sort()).toEqual(['61002', '61003', '61004']);
    // A poll that changes nothing emits nothing.
    clock.advance({ ms: 60_000 });
    await poller.poll();
    expect(events).toHaveLength(1);
  });

  it('retries a 503 with backoff and renews an expired token', async () => {
    stub.failNext = 2;
    const r = await poller.poll();
    expect(r.transactions.accepted).toBe(450);
    expect(stub.requests.filter((q) => q.path.endsWith('4381') && q.query.offset === '0').length).toBe(3);
    stub.revoked.add('tok-1');
    clock.advance({ ms: 60_000 });
    await poller.poll();
    expect(stub.logins).toBe(2);
    expect(failures).toEqual([]);
  });

  it('reports a data-source failure when retries run out, and keeps its cursor', async () => {
    await poller.poll();
    stub.failNext = 100;
    clock.advance({ ms: 60_000 });
    await expect(poller.poll()).rejects.toThrow(/503/);
    expect(failures).toHaveLength(1);
    const state = (await database.db
      .selectFrom('rfid3_sync_state' as never)
      .selectAll()
      .executeTakeFirstOrThrow()) as { cursor: string; last_error: string };
    expect(state.cursor).toBe(at(449));
    expect(state.last_error).toMatch(/503/);
    // A refused login is not retried.
    stub.failNext = 0;
    stub.rejectLogin = true;
    stub.revoked.add('tok-1');
    const before = stub.logins;
    await expect(poller.poll()).rejects.toThrow(/login refused/);
    expect(stub.logins).toBe(before);
  });
});
