import type { PortableMigration } from '../migration.js';
import { INSPECTION_FLAG_COLUMNS } from '../schema.js';
import { createIfMissing } from './design-tables.js';

/**
 * A compatible subset of RFID3's own tables, with RFID3's types (VARCHAR ids, DATETIME scan dates,
 * BOOLEAN flags, no foreign keys), for a new install or the demo. Each is created only if missing.
 */
export const rfid3Tables: PortableMigration = {
  async up(db, ctx) {
    const t = ctx.types;
    await createIfMissing(
      db,
      ctx,
      'id_item_master',
      (tb) =>
        tb
          .addColumn('tag_id', 'varchar(255)', (c) => c.primaryKey())
          .addColumn('serial_number', 'varchar(255)')
          .addColumn('client_name', 'varchar(255)')
          .addColumn('rental_class_num', 'varchar(255)')
          .addColumn('common_name', 'varchar(255)')
          .addColumn('quality', 'varchar(50)')
          .addColumn('bin_location', 'varchar(255)')
          .addColumn('status', 'varchar(50)')
          .addColumn('last_contract_num', 'varchar(255)')
          .addColumn('last_scanned_by', 'varchar(255)')
          .addColumn('notes', t.text)
          .addColumn('status_notes', t.text)
          .addColumn('longitude', 'decimal(9, 6)')
          .addColumn('latitude', 'decimal(9, 6)')
          .addColumn('date_last_scanned', t.dateTime)
          .addColumn('date_created', t.dateTime)
          .addColumn('date_updated', t.dateTime)
          .addColumn('home_store', 'varchar(10)')
          .addColumn('current_store', 'varchar(10)')
          .addColumn('identifier_type', 'varchar(10)')
          .addColumn('item_num', 'integer', (c) => c.unique())
          .addColumn('turnover_ytd', 'decimal(10, 2)')
          .addColumn('turnover_ltd', 'decimal(10, 2)')
          .addColumn('repair_cost_ltd', 'decimal(10, 2)')
          .addColumn('sell_price', 'decimal(10, 2)')
          .addColumn('retail_price', 'decimal(10, 2)')
          .addColumn('manufacturer', 'varchar(100)'),
      [
        { name: 'ix_item_master_rental_class_num', columns: ['rental_class_num'] },
        { name: 'ix_item_master_status', columns: ['status'] },
        { name: 'ix_item_master_bin_location', columns: ['bin_location'] },
      ],
    );
    await createIfMissing(
      db,
      ctx,
      'id_transactions',
      (tb) => {
        let b = tb
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('contract_number', 'varchar(255)')
          .addColumn('tag_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('scan_type', 'varchar(50)', (c) => c.notNull())
          .addColumn('scan_date', t.dateTime, (c) => c.notNull())
          .addColumn('client_name', 'varchar(255)')
          .addColumn('common_name', 'varchar(255)')
          .addColumn('bin_location', 'varchar(255)')
          .addColumn('status', 'varchar(50)')
          .addColumn('scan_by', 'varchar(255)')
          .addColumn('location_of_repair', 'varchar(255)')
          .addColumn('quality', 'varchar(50)');
        for (const f of INSPECTION_FLAG_COLUMNS) b = b.addColumn(f, t.flag);
        return b
          .addColumn('other', t.text)
          .addColumn('date_created', t.dateTime)
          .addColumn('date_updated', t.dateTime)
          .addColumn('serial_number', 'varchar(255)')
          .addColumn('rental_class_num', 'varchar(255)')
          .addColumn('longitude', 'decimal(9, 6)')
          .addColumn('latitude', 'decimal(9, 6)')
          .addColumn('notes', t.text);
      },
      [
        { name: 'ix_transactions_tag_id', columns: ['tag_id'] },
        { name: 'ix_transactions_scan_date', columns: ['scan_date'] },
        { name: 'ix_transactions_status', columns: ['status'] },
        { name: 'ix_transactions_class_date', columns: ['rental_class_num', 'scan_date'] },
      ],
    );
    await createIfMissing(db, ctx, 'rental_class_mappings', (tb) =>
      tb
        .addColumn('rental_class_id', 'varchar(50)', (c) => c.primaryKey())
        .addColumn('category', 'varchar(100)', (c) => c.notNull())
        .addColumn('subcategory', 'varchar(100)', (c) => c.notNull())
        .addColumn('short_common_name', 'varchar(50)'),
    );
    await createIfMissing(
      db,
      ctx,
      'pos_equipment',
      (tb) => {
        let b = tb
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('item_num', 'varchar(50)', (c) => c.notNull().unique())
          .addColumn('name', 'varchar(255)')
          .addColumn('category', 'varchar(100)')
          .addColumn('department', 'varchar(100)')
          .addColumn('qty', 'integer')
          .addColumn('home_store', 'varchar(10)')
          .addColumn('current_store', 'varchar(10)')
          .addColumn('to_mtd', t.money)
          .addColumn('to_ytd', t.money)
          .addColumn('to_ltd', t.money)
          .addColumn('repair_cost_mtd', 'decimal(10, 2)')
          .addColumn('repair_cost_ltd', 'decimal(10, 2)')
          .addColumn('sell_price', 'decimal(10, 2)')
          .addColumn('retail_price', 'decimal(10, 2)');
        for (let i = 1; i <= 10; i++) b = b.addColumn(`period_${i}`, 'decimal(10, 2)').addColumn(`rate_${i}`, 'decimal(10, 2)');
        return b
          .addColumn('reorder_min', 'integer')
          .addColumn('reorder_max', 'integer')
          .addColumn('qty_on_order', 'integer')
          .addColumn('vendor_no_1', 'varchar(50)')
          .addColumn('vendor_no_2', 'varchar(50)')
          .addColumn('vendor_no_3', 'varchar(50)')
          .addColumn('last_purchase_date', t.date)
          .addColumn('last_purchase_price', 'decimal(10, 2)')
          .addColumn('rfid_rental_class_num', 'varchar(255)');
      },
      [
        { name: 'ix_pos_equipment_category', columns: ['category'] },
        { name: 'ix_pos_equipment_rfid_class', columns: ['rfid_rental_class_num'] },
      ],
    );
    await createIfMissing(
      db,
      ctx,
      'pos_transactions',
      (tb) =>
        tb
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('contract_no', 'varchar(50)', (c) => c.notNull())
          .addColumn('store_no', 'varchar(10)', (c) => c.notNull())
          .addColumn('customer_no', 'varchar(50)')
          .addColumn('status', 'varchar(50)')
          .addColumn('contract_date', t.dateTime)
          .addColumn('close_date', t.dateTime)
          .addColumn('rent_amt', t.money)
          .addColumn('sale_amt', t.money)
          .addColumn('total', t.money)
          .addColumn('promised_delivery_date', t.dateTime)
          .addColumn('actual_delivery_date', t.dateTime)
          .addColumn('promised_pickup_date', t.dateTime)
          .addColumn('actual_pickup_date', t.dateTime)
          .addColumn('import_date', t.dateTime),
      [
        { name: 'ux_pos_transactions_contract_store', columns: ['contract_no', 'store_no'], unique: true },
        { name: 'ix_pos_transactions_contract_date', columns: ['contract_date'] },
      ],
    );
    await createIfMissing(
      db,
      ctx,
      'pos_transaction_items',
      (tb) =>
        tb
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          .addColumn('contract_no', 'varchar(50)', (c) => c.notNull())
          .addColumn('item_num', 'varchar(50)')
          .addColumn('qty', 'integer')
          .addColumn('due_date', t.dateTime)
          .addColumn('line_status', 'varchar(10)')
          .addColumn('price', 'decimal(10, 2)')
          .addColumn('desc', 'varchar(500)')
          .addColumn('daily_amt', 'decimal(10, 2)')
          .addColumn('weekly_amt', 'decimal(10, 2)')
          .addColumn('monthly_amt', 'decimal(10, 2)')
          .addColumn('kit_field', 'varchar(255)')
          .addColumn('meter_out', 'decimal(10, 2)')
          .addColumn('meter_in', 'decimal(10, 2)')
          .addColumn('downtime_hrs', 'decimal(10, 2)')
          .addColumn('line_number', 'integer'),
      [
        { name: 'ux_pos_items_contract_line', columns: ['contract_no', 'line_number'], unique: true },
        { name: 'ix_pos_items_item_num', columns: ['item_num'] },
      ],
    );
  },
};
