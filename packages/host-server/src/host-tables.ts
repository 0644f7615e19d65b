import type { DatabaseHandle, PortableMigration, RFID3Database } from '@rfid3/core';
import { createIfMissing, migrate } from '@rfid3/core';
import type { Generated, Kysely } from 'kysely';

/** One idempotency key per ingested event: what makes a retried batch store nothing twice. */
export interface IngestKeysTable {
  idempotency_key: string;
  kind: string;
  /** Hash of the stored content, to tell a changed contract (update) from a retry (duplicate). */
  content_hash: string | null;
  received_at: string;
}

/** Where the vendor poller and the POR import remember how far they got. */
export interface SyncStateTable {
  source: string;
  cursor: string | null;
  last_full_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  updated_at: string;
}

/**
 * One row per ingest stream ('scans'): the first statement of an ingest transaction updates it, which holds a
 * row lock (MariaDB) or the write lock (SQLite) until commit, so that ingest is serialised across hosts too.
 */
export interface IngestLocksTable {
  name: string;
  taken_at: string | null;
}

/** Webhook deliveries, kept so that a failed one can be seen and retried. */
export interface WebhookDeliveriesTable {
  id: string;
  event: string;
  url: string;
  payload: string;
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface PosCustomersTable {
  id: Generated<number>;
  key: string;
  cnum: string | null;
  name: string | null;
  address: string | null;
  city: string | null;
  zip: string | null;
  phone: string | null;
  email: string | null;
  credit_limit: number | null;
  ytd_payments: number | null;
  ltd_payments: number | null;
  no_of_contracts: number | null;
  current_balance: number | null;
  open_date: string | null;
  last_active_date: string | null;
  import_date: string;
}

/** The host's own tables, and RFID3's `pos_customers` (which only the POR import writes), beside core's. */
export type HostTables = {
  pos_customers: PosCustomersTable;
  rfid3_ingest_keys: IngestKeysTable;
  rfid3_ingest_locks: IngestLocksTable;
  rfid3_sync_state: SyncStateTable;
  rfid3_webhook_deliveries: WebhookDeliveriesTable;
};

export interface HostDatabase extends RFID3Database, HostTables {}

export function hostDb(handle: DatabaseHandle): Kysely<HostDatabase> {
  return handle.db.withTables<HostTables>();
}

const hostTables: PortableMigration = {
  async up(db, ctx) {
    const t = ctx.types;
    await createIfMissing(db, ctx, 'rfid3_ingest_keys', (tb) =>
      tb
        .addColumn('idempotency_key', 'varchar(96)', (c) => c.primaryKey())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('content_hash', 'varchar(64)')
        .addColumn('received_at', t.dateTime, (c) => c.notNull()),
    );
    await createIfMissing(db, ctx, 'rfid3_sync_state', (tb) =>
      tb
        .addColumn('source', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('cursor', 'varchar(64)')
        .addColumn('last_full_at', t.dateTime)
        .addColumn('last_success_at', t.dateTime)
        .addColumn('last_error', t.text)
        .addColumn('updated_at', t.dateTime, (c) => c.notNull()),
    );
    await createIfMissing(
      db,
      ctx,
      'rfid3_webhook_deliveries',
      (tb) =>
        tb
          .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
          .addColumn('event', 'varchar(64)', (c) => c.notNull())
          .addColumn('url', 'varchar(1000)', (c) => c.notNull())
          .addColumn('payload', t.longText, (c) => c.notNull())
          .addColumn('status', 'varchar(16)', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('last_error', t.text)
          .addColumn('created_at', t.dateTime, (c) => c.notNull())
          .addColumn('delivered_at', t.dateTime),
      [{ name: 'ix_webhook_status', columns: ['status', 'created_at'] }],
    );
  },
};

/** RFID3's `pos_customers` (its POSCustomer model's columns that the POR import fills), created only where missing. */
const posCustomers: PortableMigration = {
  async up(db, ctx) {
    const t = ctx.types;
    await createIfMissing(
      db,
      ctx,
      'pos_customers',
      (tb) =>
        tb
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('key', 'varchar(50)', (c) => c.notNull().unique())
          .addColumn('cnum', 'varchar(50)')
          .addColumn('name', 'varchar(255)')
          .addColumn('address', 'varchar(500)')
          .addColumn('city', 'varchar(100)')
          .addColumn('zip', 'varchar(20)')
          .addColumn('phone', 'varchar(50)')
          .addColumn('email', 'varchar(255)')
          .addColumn('credit_limit', t.money)
          .addColumn('ytd_payments', t.money)
          .addColumn('ltd_payments', t.money)
          .addColumn('no_of_contracts', 'integer')
          .addColumn('current_balance', t.money)
          .addColumn('open_date', t.dateTime)
          .addColumn('last_active_date', t.dateTime)
          .addColumn('import_date', t.dateTime, (c) => c.notNull()),
      [{ name: 'ix_pos_cust_cnum', columns: ['cnum'] }],
    );
  },
};

/** The ingest lock rows (see {@link IngestLocksTable}). */
const ingestLocks: PortableMigration = {
  async up(db, ctx) {
    await createIfMissing(db, ctx, 'rfid3_ingest_locks', (tb) => tb.addColumn('name', 'varchar(32)', (c) => c.primaryKey()).addColumn('taken_at', ctx.types.dateTime));
    await db.withTables<{ rfid3_ingest_locks: IngestLocksTable }>().insertInto('rfid3_ingest_locks').values({ name: 'scans', taken_at: null }).execute();
  },
};

/** The host's own tables (and RFID3's pos_customers where missing), tracked under their own migration owner. */
export const hostMigrations: Record<string, PortableMigration> = {
  '0001_host_tables': hostTables,
  '0002_pos_customers': posCustomers,
  '0003_ingest_locks': ingestLocks,
};

const migrated = new WeakMap<DatabaseHandle, Promise<unknown>>();

/** Migrates the host's tables once per database handle. */
export function ensureHostTables(handle: DatabaseHandle): Promise<unknown> {
  let done = migrated.get(handle);
  if (!done) {
    done = migrate(handle, 'host', hostMigrations).then((r) => {
      if (r.error) throw r.error;
      return r;
    });
    migrated.set(handle, done);
    done.catch(() => migrated.delete(handle));
  }
  return done;
}
