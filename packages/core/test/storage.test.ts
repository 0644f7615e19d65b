import { type CompiledQuery, sql, type KyselyPlugin } from 'kysely';
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import {
  DESIGN_TABLES,
  RFID3_SOURCE_TABLES,
  coreMigrations,
  insertInChunks,
  insertValueRows,
  migrate,
  parseJsonColumn,
  type DatabaseHandle,
  type PortableMigration,
} from '../src/index.js';
import { externalServices } from '../src/testing/index.js';
import { columnsOf, countRows, databaseTargets, describeEach, indexesOf, openEmptyDatabase, tableNames } from './support/targets.js';

const services = await externalServices();
afterAll(() => services.cleanup());

/** The columns BRIEF §3 lists for RFID3's two main tables, with their real names. */
const ITEM_MASTER_COLUMNS = [
  'tag_id',
  'serial_number',
  'client_name',
  'rental_class_num',
  'common_name',
  'quality',
  'bin_location',
  'status',
  'last_contract_num',
  'last_scanned_by',
  'notes',
  'status_notes',
  'longitude',
  'latitude',
  'date_last_scanned',
  'date_created',
  'date_updated',
  'home_store',
  'current_store',
  'identifier_type',
  'item_num',
  'turnover_ytd',
  'turnover_ltd',
  'repair_cost_ltd',
  'sell_price',
  'retail_price',
  'manufacturer',
];
const TRANSACTION_COLUMNS = [
  'id',
  'contract_number',
  'tag_id',
  'scan_type',
  'scan_date',
  'client_name',
  'common_name',
  'bin_location',
  'status',
  'scan_by',
  'location_of_repair',
  'quality',
  'dirty_or_mud',
  'leaves',
  'oil',
  'mold',
  'stain',
  'oxidation',
  'other',
  'rip_or_tear',
  'sewing_repair_needed',
  'grommet',
  'rope',
  'buckle',
  'wet',
  'service_required',
  'date_created',
  'date_updated',
  'serial_number',
  'rental_class_num',
  'longitude',
  'latitude',
  'notes',
];

function predictionRow(i: number, over: Record<string, unknown> = {}) {
  return {
    prediction_type: 'demand.units_out',
    target_type: 'rental_class',
    target_id: `C${i}`,
    store: null,
    prediction_date: '2026-05-01 13:45:10',
    target_date: '2026-05-02',
    horizon_days: 1,
    predicted_value: i,
    confidence: 0.8,
    model_name: 'demand.daily',
    model_version: 'demand.daily@1',
    model_type: 'baseline',
    source: 'model',
    created_at: '2026-05-01 13:45:10',
    ...over,
  };
}

describeEach(databaseTargets(services), 'storage', (target) => {
  let handle: DatabaseHandle;
  beforeEach(async () => {
    handle = await openEmptyDatabase(target.url);
  });
  afterEach(async () => {
    await handle.close();
  });

  it('core migrations create the five design tables, the registry and key tables, and the RFID3 subset', async () => {
    const result = await migrate(handle, 'core', coreMigrations);
    expect(result.results?.map((r) => [r.migrationName, r.status])).toEqual([
      ['0001_design_tables', 'Success'],
      ['0002_rfid3_tables', 'Success'],
      ['0003_decision_ledger', 'Success'],
      ['0004_job_outputs', 'Success'],
    ]);
    const tables = await tableNames(handle);
    for (const t of [...DESIGN_TABLES, ...RFID3_SOURCE_TABLES, 'rfid3_model_registry', 'rfid3_api_keys', 'rfid3_decision_transitions']) expect(tables).toContain(t);
    expect(DESIGN_TABLES).toHaveLength(5);
    // The subset keeps RFID3's real column names (order is not part of the contract).
    expect((await columnsOf(handle, 'id_item_master')).sort()).toEqual([...ITEM_MASTER_COLUMNS].sort());
    expect((await columnsOf(handle, 'id_transactions')).sort()).toEqual([...TRANSACTION_COLUMNS].sort());
    expect(await columnsOf(handle, 'automated_decisions')).toEqual(
      expect.arrayContaining(['decision_type', 'confidence', 'predicted_impact', 'actual_impact', 'requires_approval', 'status', 'human_override']),
    );
    expect(await indexesOf(handle, 'id_transactions')).toEqual(['ix_transactions_class_date', 'ix_transactions_scan_date', 'ix_transactions_status', 'ix_transactions_tag_id']);
  });

  it('running the migrations a second time is a no-op that keeps every row', async () => {
    await migrate(handle, 'core', coreMigrations);
    await insertInChunks(handle, 'analytics_predictions', [predictionRow(1), predictionRow(2)]);
    const before = await tableNames(handle);
    const again = await migrate(handle, 'core', coreMigrations);
    expect(again.error).toBeUndefined();
    expect(again.results).toEqual([]);
    expect(await tableNames(handle)).toEqual(before);
    expect(await countRows(handle, 'analytics_predictions')).toBe(2);
    expect(await countRows(handle, 'rfid3_migrations_core')).toBe(4);
  });

  it('leaves an existing RFID3 table exactly as it is: extra columns, missing columns, rows and indexes', async () => {
    // An RFID3 install whose item master has a column of its own and lacks most of ours.
    await handle.db.schema
      .createTable('id_item_master')
      .addColumn('tag_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('rental_class_num', 'varchar(32)')
      .addColumn('reader_zone', 'varchar(20)', (c) => c.notNull())
      .addColumn('quality', 'varchar(10)')
      .execute();
    await handle.db.schema.createIndex('ix_custom_zone').on('id_item_master').column('reader_zone').execute();
    await sql`insert into id_item_master (tag_id, rental_class_num, reader_zone, quality) values ('T1', '100', 'dock', 'A'), ('T2', '100', 'yard', 'B+'), ('T3', '200', 'dock', null)`.execute(
      handle.db,
    );
    const columnsBefore = await columnsOf(handle, 'id_item_master');
    const indexesBefore = await indexesOf(handle, 'id_item_master');

    await migrate(handle, 'core', coreMigrations);

    expect(await columnsOf(handle, 'id_item_master')).toEqual(columnsBefore);
    expect(columnsBefore).toEqual(['tag_id', 'rental_class_num', 'reader_zone', 'quality']);
    expect(await indexesOf(handle, 'id_item_master')).toEqual(indexesBefore);
    const rows = await sql<{ tag_id: string; reader_zone: string; quality: string | null }>`select tag_id, reader_zone, quality from id_item_master order by tag_id`.execute(
      handle.db,
    );
    expect(rows.rows).toEqual([
      { tag_id: 'T1', reader_zone: 'dock', quality: 'A' },
      { tag_id: 'T2', reader_zone: 'yard', quality: 'B+' },
      { tag_id: 'T3', reader_zone: 'dock', quality: null },
    ]);
    // The tables that were missing were still created.
    expect((await columnsOf(handle, 'id_transactions')).sort()).toEqual([...TRANSACTION_COLUMNS].sort());
  });

  it('round-trips JSON columns through parseJsonColumn', async () => {
    await migrate(handle, 'core', coreMigrations);
    const features = { weekday: 5, lags: [12, 0, 3.25], holiday: null, store: 'Wayzata – 3607', nested: { ok: true, s: 'quote " and \\ backslash' } };
    const drivers = [{ name: 'weekly', effect: -1.5 }];
    await insertInChunks(handle, 'analytics_predictions', [
      predictionRow(1, { input_features: JSON.stringify(features), drivers: JSON.stringify(drivers) }),
      predictionRow(2, { input_features: null, drivers: JSON.stringify([]) }),
    ]);
    const rows = await handle.db.selectFrom('analytics_predictions').select(['input_features', 'drivers']).orderBy('id').execute();
    expect(parseJsonColumn(rows[0]!.input_features)).toEqual(features);
    expect(parseJsonColumn(rows[0]!.drivers)).toEqual(drivers);
    expect(parseJsonColumn(rows[1]!.input_features)).toBeNull();
    expect(parseJsonColumn(rows[1]!.drivers)).toEqual([]);
  });

  it('returns DATETIME columns as YYYY-MM-DD HH:MM:SS strings and DATE columns as YYYY-MM-DD', async () => {
    await migrate(handle, 'core', coreMigrations);
    await insertInChunks(handle, 'analytics_predictions', [predictionRow(1, { prediction_date: '2026-12-31 23:59:58', target_date: '2027-01-01' })]);
    await sql`insert into id_transactions (tag_id, scan_type, scan_date) values ('T1', 'Rental', '2026-02-28 07:05:09')`.execute(handle.db);
    const p = await handle.db.selectFrom('analytics_predictions').select(['prediction_date', 'target_date', 'created_at']).executeTakeFirstOrThrow();
    expect(p.prediction_date).toBe('2026-12-31 23:59:58');
    expect(p.created_at).toBe('2026-05-01 13:45:10');
    expect(p.target_date).toBe('2027-01-01');
    const t = await handle.db.selectFrom('id_transactions').select('scan_date').executeTakeFirstOrThrow();
    expect(t.scan_date).toBe('2026-02-28 07:05:09');
    // String comparison orders them correctly on both dialects.
    const later = await handle.db.selectFrom('id_transactions').select('tag_id').where('scan_date', '>', '2026-02-28 07:05:08').execute();
    expect(later).toHaveLength(1);
  });

  it('insertInChunks writes more rows than one statement can bind, in as few statements as fit', async () => {
    await migrate(handle, 'core', coreMigrations);
    const columns = Object.keys(predictionRow(0)).length;
    const rows = Array.from({ length: Math.ceil((handle.maxBoundValues * 2.2) / columns) }, (_, i) => predictionRow(i));
    expect(rows.length * columns).toBeGreaterThan(handle.maxBoundValues * 2);
    if (handle.dialect === 'sqlite') {
      // One statement really cannot carry them all (SQLite binds at most 32,766 values).
      await expect(handle.db.insertInto('analytics_predictions').values(rows).execute()).rejects.toThrow(/too many SQL variables/);
    }
    let inserts = 0;
    const counter: KyselyPlugin = {
      transformQuery(args) {
        if (args.node.kind === 'InsertQueryNode') inserts++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    await insertInChunks({ db: handle.db.withPlugin(counter), maxBoundValues: handle.maxBoundValues }, 'analytics_predictions', rows);
    expect(inserts).toBe(Math.ceil(rows.length / Math.floor(handle.maxBoundValues / columns)));
    expect(await countRows(handle, 'analytics_predictions')).toBe(rows.length);
    const last = await handle.db.selectFrom('analytics_predictions').select(['target_id', 'predicted_value']).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(last).toEqual({ target_id: `C${rows.length - 1}`, predicted_value: rows.length - 1 });
  });

  it('insertValueRows writes rows given as values in as few plain statements as fit, and refuses names it would have to quote', async () => {
    await migrate(handle, 'core', coreMigrations);
    const columns = Object.keys(predictionRow(0));
    const rows = Array.from({ length: Math.ceil((handle.maxBoundValues * 2.2) / columns.length) }, (_, i) => predictionRow(i));
    let statements = 0;
    const counting = {
      executeQuery: (query: CompiledQuery) => {
        statements++;
        return handle.db.executeQuery(query);
      },
    };
    await insertValueRows(
      counting,
      handle.maxBoundValues,
      'analytics_predictions',
      columns,
      rows.map((r) => columns.map((c) => (r as Record<string, unknown>)[c])),
    );
    expect(statements).toBe(Math.ceil(rows.length / Math.floor(handle.maxBoundValues / columns.length)));
    expect(await countRows(handle, 'analytics_predictions')).toBe(rows.length);
    const last = await handle.db.selectFrom('analytics_predictions').select(['target_id', 'predicted_value']).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(last).toEqual({ target_id: `C${rows.length - 1}`, predicted_value: rows.length - 1 });
    await expect(insertValueRows(handle.db, handle.maxBoundValues, 'analytics_predictions', ['target_id; drop table x'], [['a']])).rejects.toThrow(/not a plain/);
    await expect(insertValueRows(handle.db, handle.maxBoundValues, 'analytics_predictions', columns, [['too few']])).rejects.toThrow(/1 values for/);
  });

  it('tracks a plugin’s migrations apart from core’s', async () => {
    await migrate(handle, 'core', coreMigrations);
    const ran: string[] = [];
    const first: Record<string, PortableMigration> = {
      // The same name as a core migration: it still runs, because each owner has its own history.
      '0001_design_tables': {
        async up(db, ctx) {
          ran.push('0001');
          await db.schema
            .createTable('plugin_x_scores')
            .addColumn('id', 'integer', (c) => c.primaryKey())
            .addColumn('detail', ctx.types.json)
            .execute();
        },
      },
    };
    const r1 = await migrate(handle, 'plugin_x', first);
    expect(r1.results?.map((r) => r.status)).toEqual(['Success']);
    const second = {
      ...first,
      '0002_add_column': {
        async up(db) {
          ran.push('0002');
          await db.schema.alterTable('plugin_x_scores').addColumn('score', 'double precision').execute();
        },
      },
    } satisfies Record<string, PortableMigration>;
    await migrate(handle, 'plugin_x', second);
    expect(ran).toEqual(['0001', '0002']);
    expect(await columnsOf(handle, 'plugin_x_scores')).toEqual(['id', 'detail', 'score']);

    const history = async (table: string) => (await sql<{ name: string }>`select name from ${sql.table(table)} order by name`.execute(handle.db)).rows.map((r) => r.name);
    expect(await history('rfid3_migrations_plugin_x')).toEqual(['0001_design_tables', '0002_add_column']);
    expect(await history('rfid3_migrations_core')).toEqual(['0001_design_tables', '0002_rfid3_tables', '0003_decision_ledger', '0004_job_outputs']);
    // Core migrating again neither runs nor sees the plugin's migrations.
    expect((await migrate(handle, 'core', coreMigrations)).results).toEqual([]);
    expect((await migrate(handle, 'plugin_x', second)).results).toEqual([]);
  });

  it('reports which owner and migration failed', async () => {
    await expect(
      migrate(handle, 'plugin_y', {
        '0001_broken': {
          async up(db) {
            await sql`create table broken (`.execute(db);
          },
        },
      }),
    ).rejects.toThrow(/migration plugin_y\/0001_broken failed/);
  });
});
