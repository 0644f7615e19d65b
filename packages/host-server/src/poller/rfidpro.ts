import type { Clock, DatabaseHandle, EventBus, Logger, NewRow } from '@rfid3/core';
import pRetry, { AbortError } from 'p-retry';
import { hostDb } from '../host-tables.js';
import { ensureHostTables } from '../host-tables.js';
import { onlyColumns, tableColumns } from '../ingest/columns.js';
import { scanEventSchema, ingestScans } from '../ingest/scans.js';
import { normalizeDateTime } from '../ingest/values.js';

/** How to reach the vendor's data API and how often to poll it. */
export interface VendorPollerConfig {
  /** The vendor's data API, e.g. `https://cs.iot.ptshome.com/api/v1/data` (RFIDpro). */
  baseUrl: string;
  /** Where a token is requested (default `<baseUrl>/login`). */
  loginUrl?: string;
  username: string;
  password: string;
  /** Endpoint ids of the item master and the transactions (RFIDpro's own by default). */
  itemMasterEndpoint?: string;
  transactionsEndpoint?: string;
  /** Records per page; the vendor caps it at 200. */
  pageSize?: number;
  /** Incremental poll period (default 60 s). */
  intervalSeconds?: number;
  /** Full refresh period (default 60 min). */
  fullRefreshMinutes?: number;
  /** Retries of one request on a network error, 429 or 5xx (default 4), with exponential backoff from `retryMinMs`. */
  retries?: number;
  retryMinMs?: number;
  timeoutMs?: number;
  /** How far back each incremental poll reaches before its cursor, for records the vendor files late (default 5 min). */
  overlapSeconds?: number;
}

/** What one poll fetched and did with the items and transactions. */
export interface PollResult {
  mode: 'full' | 'incremental';
  items: { fetched: number; inserted: number; updated: number; unchanged: number; rejected: number };
  transactions: { fetched: number; accepted: number; duplicates: number; rejected: number };
  requests: number;
}

class VendorError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'VendorError';
  }
}

const SOURCE = 'rfidpro';
const VENDOR_NULL_DATE = '0000-00-00 00:00:00';

/** Fields of an item master record that map to id_item_master columns. */
const vendorText = (v: unknown, max = 255): string | null => (v === undefined || v === null ? null : String(v).slice(0, max));
const vendorNumber = (v: unknown): number | null => (v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v));

/** The id_item_master columns a vendor item record fills (text cut to the column's length, dates normalised). */
function vendorItemRow(r: Record<string, unknown>, tagId: string): NewRow<'id_item_master'> {
  return {
    tag_id: tagId,
    serial_number: vendorText(r.serial_number),
    client_name: vendorText(r.client_name),
    rental_class_num: vendorText(r.rental_class_num),
    common_name: vendorText(r.common_name),
    quality: vendorText(r.quality),
    bin_location: vendorText(r.bin_location),
    status: vendorText(r.status),
    last_contract_num: vendorText(r.last_contract_num),
    last_scanned_by: vendorText(r.last_scanned_by),
    notes: vendorText(r.notes, 5000),
    status_notes: vendorText(r.status_notes, 5000),
    longitude: vendorNumber(r.longitude),
    latitude: vendorNumber(r.latitude),
    date_last_scanned: cleanDate(r.date_last_scanned),
    date_created: cleanDate(r.date_created),
    date_updated: cleanDate(r.date_updated),
  };
}
const DATE_FIELDS = new Set(['date_last_scanned', 'date_created', 'date_updated', 'scan_date']);
const SCAN_FIELDS = Object.keys(scanEventSchema.shape).filter((k) => k !== 'event_id');

function cleanDate(v: unknown): string | null {
  if (typeof v !== 'string' || v === '' || v === VENDOR_NULL_DATE) return null;
  return normalizeDateTime(v);
}

/**
 * Polls an RFIDpro-style vendor API: token login, paged item-master and transaction endpoints
 * (`offset`, `limit` ≤ 200, `returncount`, `filter[gt]=<field>,gt,'<date>'`), incrementally by last
 * update every minute and in full every hour. Scans go through the same idempotent ingestion as
 * `POST /api/ingest/scans`; items are upserted into id_item_master. Each request is retried with
 * exponential backoff (p-retry); an expired token is renewed once.
 */
export class VendorPoller {
  private token: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PollResult> | null = null;
  private stopped = false;
  requests = 0;

  constructor(
    private readonly config: VendorPollerConfig,
    private readonly deps: {
      database: DatabaseHandle;
      clock: Clock;
      logger: Logger;
      events?: EventBus;
      /** Called when a poll fails after its retries (the host sends the `data-source.failed` webhook). */
      onFailure?(error: Error, source: string): void | Promise<void>;
      fetch?: typeof fetch;
    },
  ) {}

  private get pageSize() {
    return Math.min(200, this.config.pageSize ?? 200);
  }

  private async login(): Promise<string> {
    const f = this.deps.fetch ?? fetch;
    const res = await f(this.config.loginUrl ?? `${this.config.baseUrl.replace(/\/$/, '')}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: this.config.username, password: this.config.password }),
      signal: AbortSignal.timeout(this.config.timeoutMs ?? 20_000),
    });
    this.requests++;
    const body = (await res.json().catch(() => ({}))) as { result?: unknown; access_token?: unknown };
    if (res.status === 401 || res.status === 403) throw new AbortError(new VendorError(`vendor login refused (${res.status}): check the username and password`, res.status));
    if (!res.ok || !body.result || typeof body.access_token !== 'string') throw new VendorError(`vendor login failed (${res.status})`, res.status);
    this.token = body.access_token;
    return this.token;
  }

  /** One page, retried on network errors, 429 and 5xx; a 401 renews the token once. */
  private async page(endpoint: string, params: Record<string, string>): Promise<{ data: Record<string, unknown>[]; totalcount: number }> {
    const f = this.deps.fetch ?? fetch;
    const url = new URL(`${this.config.baseUrl.replace(/\/$/, '')}/${endpoint}`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return pRetry(
      async () => {
        let renewed = false;
        for (;;) {
          const token = this.token ?? (await this.login());
          const res = await f(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(this.config.timeoutMs ?? 20_000) });
          this.requests++;
          if (res.status === 401 && !renewed) {
            renewed = true;
            this.token = null;
            continue;
          }
          if (res.status === 429 || res.status >= 500) throw new VendorError(`vendor answered ${res.status} for ${endpoint}`, res.status);
          if (!res.ok) throw new AbortError(new VendorError(`vendor answered ${res.status} for ${endpoint}`, res.status));
          const body = (await res.json()) as { data?: unknown; totalcount?: unknown };
          if (!Array.isArray(body.data)) throw new AbortError(new VendorError(`vendor answer for ${endpoint} has no data array`));
          return { data: body.data as Record<string, unknown>[], totalcount: Number(body.totalcount ?? 0) };
        }
      },
      {
        retries: this.config.retries ?? 4,
        minTimeout: this.config.retryMinMs ?? 1000,
        factor: 2,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          this.deps.logger.warn({ err: error, attemptNumber, retriesLeft, endpoint }, 'vendor request failed; retrying');
        },
      },
    );
  }

  /** Every record since `since` (or all), page by page until a short page or the total is reached. */
  private async fetchAll(endpoint: string, dateField: string, since: string | null): Promise<Record<string, unknown>[]> {
    const all: Record<string, unknown>[] = [];
    for (let offset = 0; ; ) {
      const params: Record<string, string> = { offset: String(offset), limit: String(this.pageSize), returncount: 'true' };
      if (since) params['filter[gt]'] = `${dateField},gt,'${since}'`;
      const { data, totalcount } = await this.page(endpoint, params);
      all.push(...data);
      offset += data.length;
      if (data.length < this.pageSize || offset >= totalcount) return all;
    }
  }

  private async state(): Promise<{ cursor: string | null; lastFullAt: string | null }> {
    const row = await hostDb(this.deps.database).selectFrom('rfid3_sync_state').selectAll().where('source', '=', SOURCE).executeTakeFirst();
    return { cursor: row?.cursor ?? null, lastFullAt: row?.last_full_at ?? null };
  }

  private async saveState(patch: { cursor?: string | null; last_full_at?: string; last_success_at?: string; last_error?: string | null }): Promise<void> {
    const db = hostDb(this.deps.database);
    const now = this.now();
    const existing = await db.selectFrom('rfid3_sync_state').select('source').where('source', '=', SOURCE).executeTakeFirst();
    if (existing)
      await db
        .updateTable('rfid3_sync_state')
        .set({ ...patch, updated_at: now })
        .where('source', '=', SOURCE)
        .execute();
    else
      await db
        .insertInto('rfid3_sync_state')
        .values({ source: SOURCE, cursor: null, last_full_at: null, last_success_at: null, last_error: null, ...patch, updated_at: now })
        .execute();
  }

  private now(): string {
    return this.deps.clock.now().toISOString().slice(0, 19).replace('T', ' ');
  }

  /** Whether the next poll is a full refresh: the first one, then once `fullRefreshMinutes` have passed. */
  async nextMode(): Promise<'full' | 'incremental'> {
    const { cursor, lastFullAt } = await this.state();
    if (!cursor || !lastFullAt) return 'full';
    const age = this.deps.clock.now().getTime() - Date.parse(`${lastFullAt.replace(' ', 'T')}Z`);
    return age >= (this.config.fullRefreshMinutes ?? 60) * 60_000 ? 'full' : 'incremental';
  }

  /** Polls once (concurrent calls share the poll in progress). */
  poll(options: { mode?: 'full' | 'incremental' } = {}): Promise<PollResult> {
    this.running ??= this.pollOnce(options.mode).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pollOnce(forced?: 'full' | 'incremental'): Promise<PollResult> {
    await ensureHostTables(this.deps.database);
    const mode = forced ?? (await this.nextMode());
    const { cursor } = await this.state();
    const since = mode === 'incremental' && cursor ? shiftSeconds(cursor, -(this.config.overlapSeconds ?? 300)) : null;
    const startedRequests = this.requests;
    try {
      const items = await this.fetchAll(this.config.itemMasterEndpoint ?? '14223767938169344381', 'date_last_scanned', since);
      const scans = await this.fetchAll(this.config.transactionsEndpoint ?? '14223767938169346196', 'scan_date', since);
      const itemResult = await this.upsertItems(items);
      const rows = scans.map((s) => {
        const out: Record<string, unknown> = {};
        for (const k of SCAN_FIELDS) {
          const v = s[k];
          if (v === undefined || v === null || v === '') continue;
          out[k] = DATE_FIELDS.has(k) ? (cleanDate(v) ?? v) : v;
        }
        return out;
      });
      const ingested = rows.length ? await ingestScans(this.deps.database, this.deps.clock, rows) : null;
      const newest =
        [...scans.map((s) => cleanDate(s.scan_date)), ...items.map((i) => cleanDate(i.date_last_scanned)), cursor]
          .filter((d): d is string => !!d)
          .sort()
          .pop() ?? null;
      await this.saveState({ cursor: newest, last_success_at: this.now(), last_error: null, ...(mode === 'full' ? { last_full_at: this.now() } : {}) });
      if (this.deps.events && (ingested?.accepted || itemResult.inserted || itemResult.updated)) {
        await this.deps.events.emit('data-changed', {
          source: `poller.${SOURCE}`,
          tables: [...(ingested?.accepted ? ['id_transactions'] : []), 'id_item_master'],
          itemIds: [...new Set([...(ingested?.tagIds ?? []), ...itemResult.tagIds])],
          // Scanned classes and the classes of items the poll inserted or changed (both old and new class).
          ...(ingested?.rentalClasses.length || itemResult.rentalClasses.size
            ? { rentalClasses: [...new Set([...(ingested?.rentalClasses ?? []), ...itemResult.rentalClasses])] }
            : {}),
          ...(ingested?.from ? { from: ingested.from, to: ingested.to } : {}),
        });
      }
      return {
        mode,
        items: { fetched: items.length, inserted: itemResult.inserted, updated: itemResult.updated, unchanged: itemResult.unchanged, rejected: itemResult.rejected },
        transactions: { fetched: scans.length, accepted: ingested?.accepted ?? 0, duplicates: ingested?.duplicates ?? 0, rejected: ingested?.rejected.length ?? 0 },
        requests: this.requests - startedRequests,
      };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      await this.saveState({ last_error: error.message.slice(0, 2000) }).catch(() => undefined);
      this.deps.logger.error({ err: error, source: SOURCE }, 'vendor poll failed');
      await this.deps.onFailure?.(error, SOURCE);
      throw error;
    }
  }

  /** Item master records into id_item_master: new tags inserted, changed ones updated. */
  private async upsertItems(records: Record<string, unknown>[]) {
    const cols = await tableColumns(this.deps.database, 'id_item_master');
    const result = { inserted: 0, updated: 0, unchanged: 0, rejected: 0, tagIds: [] as string[], rentalClasses: new Set<string>() };
    const db = this.deps.database.db;
    const byTag = new Map<string, NewRow<'id_item_master'>>();
    for (const r of records) {
      if (typeof r.tag_id !== 'string' || r.tag_id === '' || r.tag_id.length > 255) {
        result.rejected++;
        continue;
      }
      byTag.set(r.tag_id, { ...onlyColumns(vendorItemRow(r, r.tag_id), cols), tag_id: r.tag_id });
    }
    await db.transaction().execute(async (trx) => {
      const tags = [...byTag.keys()];
      const existing = new Map<string, Record<string, unknown>>();
      for (let i = 0; i < tags.length; i += 1000) {
        for (const r of (await trx
          .selectFrom('id_item_master')
          .selectAll()
          .where('tag_id', 'in', tags.slice(i, i + 1000))
          .execute()) as Record<string, unknown>[]) {
          existing.set(String(r.tag_id), r);
        }
      }
      const same = (a: unknown, b: unknown) =>
        (a == null && b == null) ||
        (a != null && b != null && (typeof a === 'number' || typeof b === 'number' ? Math.abs(Number(a) - Number(b)) < 1e-6 : String(a).slice(0, 19) === String(b).slice(0, 19)));
      const inserts: NewRow<'id_item_master'>[] = [];
      // date_updated is bookkeeping (ingestion sets it too); a record that differs only there is unchanged.
      for (const [tag, row] of byTag) {
        const old = existing.get(tag);
        if (!old) inserts.push(row);
        else if (Object.entries(row).every(([k, v]) => k === 'date_updated' || same(old[k], v))) {
          result.unchanged++;
          continue;
        } else {
          await trx.updateTable('id_item_master').set(row).where('tag_id', '=', tag).execute();
          result.updated++;
        }
        result.tagIds.push(tag);
        // The classes an inserted or changed item belongs to, before and after: their forecasts are stale.
        for (const c of [old?.rental_class_num, row.rental_class_num]) if (c != null && c !== '') result.rentalClasses.add(String(c));
      }
      for (let i = 0; i < inserts.length; i += 500)
        await trx
          .insertInto('id_item_master')
          .values(inserts.slice(i, i + 500))
          .execute();
      result.inserted = inserts.length;
    });
    return result;
  }

  /** Polls every `intervalSeconds` until `stop()`; a failed poll is logged and the next one runs on time. */
  start(): void {
    this.stopped = false;
    const tick = async () => {
      if (this.stopped) return;
      await this.poll().catch(() => undefined);
      if (!this.stopped) this.timer = setTimeout(tick, (this.config.intervalSeconds ?? 60) * 1000);
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Stops polling and waits for a running poll to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}

function shiftSeconds(dateTime: string, seconds: number): string {
  const t = Date.parse(`${dateTime.replace(' ', 'T')}Z`) + seconds * 1000;
  return new Date(t).toISOString().slice(0, 19).replace('T', ' ');
}
