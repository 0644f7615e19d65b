import { FakeClock, coreMigrations, createDatabase, migrate } from '@rfid3/core';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ingestScans } from '../src/ingest/scans.js';

describe('ingestion into an older RFID3 (id_item_master without store, item number or money columns)', () => {
  it('writes only the columns the tables have and still moves the item', async () => {
    const database = createDatabase('sqlite::memory:');
    try {
      // RFID3's id_item_master and id_transactions of mid-2025: no home_store, current_store, item_num, turnover…
      await sql
        .raw(
          `CREATE TABLE id_item_master (tag_id VARCHAR(255) PRIMARY KEY, uuid_accounts_fk VARCHAR(255), serial_number VARCHAR(255), client_name VARCHAR(255),
           rental_class_num VARCHAR(255), common_name VARCHAR(255), quality VARCHAR(50), bin_location VARCHAR(255), status VARCHAR(50), last_contract_num VARCHAR(255),
           last_scanned_by VARCHAR(255), notes TEXT, status_notes TEXT, longitude DECIMAL(9,6), latitude DECIMAL(9,6), date_last_scanned DATETIME, date_created DATETIME, date_updated DATETIME)`,
        )
        .execute(database.db);
      await sql
        .raw(
          `CREATE TABLE id_transactions (id INTEGER PRIMARY KEY AUTOINCREMENT, contract_number VARCHAR(255), tag_id VARCHAR(255) NOT NULL, scan_type VARCHAR(50) NOT NULL,
           scan_date DATETIME NOT NULL, client_name VARCHAR(255), common_name VARCHAR(255) NOT NULL, bin_location VARCHAR(255), status VARCHAR(50), scan_by VARCHAR(255),
           quality VARCHAR(50), dirty_or_mud BOOLEAN, other TEXT, date_created DATETIME, date_updated DATETIME, rental_class_num VARCHAR(255), notes TEXT)`,
        )
        .execute(database.db);
      await migrate(database, 'core', coreMigrations);
      await database.db
        .insertInto('id_item_master')
        .values({ tag_id: 'OLD1', common_name: 'CHAIR', rental_class_num: '61885', status: 'Ready to Rent' } as never)
        .execute();
      const r = await ingestScans(database, new FakeClock('2026-06-01T12:00:00Z'), [
        {
          tag_id: 'OLD1',
          scan_type: 'Rental',
          scan_date: '2026-05-31 10:00:00',
          status: 'On Rent',
          quality: 'A-',
          wet: true,
          service_required: false,
          latitude: 44.9,
          longitude: -93.2,
        },
        { tag_id: 'NEW1', scan_type: 'Touch Scan', scan_date: '2026-05-31 11:00:00', common_name: 'TABLE' },
      ]);
      expect(r).toMatchObject({ accepted: 2, itemsUpdated: 1, itemsCreated: 1, stores: [] });
      expect(await database.db.selectFrom('id_item_master').select(['status', 'quality']).where('tag_id', '=', 'OLD1').executeTakeFirstOrThrow()).toEqual({
        status: 'On Rent',
        quality: 'A-',
      });
      const scans = await database.db.selectFrom('id_transactions').select(['tag_id', 'common_name']).orderBy('tag_id').execute();
      expect(scans).toEqual([
        { tag_id: 'NEW1', common_name: 'TABLE' },
        { tag_id: 'OLD1', common_name: 'CHAIR' },
      ]);
    } finally {
      await database.close();
    }
  });
});
