import type { CellType } from './por-values.js';

/** One column of an RFID3 table and the export headers it may come from (POR exports vary by version). */
export interface ColumnSpec {
  column: string;
  headers: string[];
  type: CellType;
  max?: number;
}

export type PorFileKind = 'customers' | 'equipment' | 'transactions' | 'transaction_items';

export interface PorFileSpec {
  kind: PorFileKind;
  table: 'pos_customers' | 'pos_equipment' | 'pos_transactions' | 'pos_transaction_items';
  /** File names of this kind in the weekly export folder. */
  match: RegExp;
  /** Columns that identify a row; a row without them is skipped. */
  key: string[];
  columns: ColumnSpec[];
  /** Columns the application fills (RFID3 declares some NOT NULL without a database default). */
  stamps: string[];
  /** Rows RFID3 itself leaves out, with the reason. */
  exclude?(row: Record<string, unknown>): string | null;
}

const col = (column: string, type: CellType, headers: string[], max?: number): ColumnSpec => ({ column, type, headers, ...(max ? { max } : {}) });

/**
 * The four weekly exports and their columns, as RFID3's importers read them (sandahltim/RFID3,
 * app/services/csv_import_service.py and equipment_import_service.py): short POR headers (`CNTR`, `STR`,
 * `TOTL`, `ITEM`) and the long ones (`Contract No`, `Store No`, `Total`, `ItemNum`) are both accepted.
 * Files are taken in this order so that contracts exist before their lines.
 */
export const POR_FILES: PorFileSpec[] = [
  {
    kind: 'customers',
    table: 'pos_customers',
    match: /^customers?.*\.csv$/i,
    key: ['key'],
    stamps: ['import_date'],
    columns: [
      col('key', 'text', ['KEY', 'Key'], 50),
      col('cnum', 'text', ['CNUM', 'Cnum'], 50),
      col('name', 'text', ['NAME', 'Name'], 255),
      col('address', 'text', ['Address', 'ADDRESS'], 500),
      col('city', 'text', ['CITY', 'City'], 100),
      col('zip', 'text', ['ZIP', 'Zip'], 20),
      col('phone', 'text', ['Phone', 'PHONE'], 50),
      col('email', 'text', ['Email', 'EMAIL'], 255),
      col('open_date', 'datetime', ['Open Date']),
      col('last_active_date', 'datetime', ['Last Active Date']),
      col('ytd_payments', 'money', ['YTD Payments']),
      col('ltd_payments', 'money', ['LTD Payments']),
      col('no_of_contracts', 'int', ['No. of Contracts', 'No of Contracts']),
      col('current_balance', 'money', ['CurrentBalance', 'Current Balance']),
      col('credit_limit', 'money', ['Credit Limit']),
    ],
  },
  {
    kind: 'equipment',
    table: 'pos_equipment',
    match: /^equip.*\.csv$/i,
    key: ['item_num'],
    stamps: ['created_at', 'updated_at'],
    columns: [
      col('item_num', 'text', ['ItemNum', 'KEY', 'Key', 'NUM'], 50),
      col('name', 'text', ['Name'], 255),
      col('category', 'text', ['Category'], 100),
      col('department', 'text', ['Department'], 100),
      col('qty', 'int', ['Qty', 'QTY']),
      col('home_store', 'text', ['Home Store', 'HomeStore'], 10),
      col('current_store', 'text', ['Current Store', 'CurrentStore'], 10),
      col('to_mtd', 'money', ['T/O MTD']),
      col('to_ytd', 'money', ['T/O YTD']),
      col('to_ltd', 'money', ['T/O LTD']),
      col('repair_cost_mtd', 'money', ['RepairCost MTD']),
      col('repair_cost_ltd', 'money', ['RepairCost LTD']),
      col('sell_price', 'money', ['Sell Price']),
      col('retail_price', 'money', ['RetailPrice', 'Retail Price']),
      ...Array.from({ length: 10 }, (_, i) => col(`period_${i + 1}`, 'money', [`Period ${i + 1}`])),
      ...Array.from({ length: 10 }, (_, i) => col(`rate_${i + 1}`, 'money', [`Rate ${i + 1}`])),
      col('reorder_min', 'int', ['Reorder Min', 'ReorderMin']),
      col('reorder_max', 'int', ['Reorder Max', 'ReorderMax']),
      col('qty_on_order', 'int', ['Qty On Order', 'QtyOnOrder', 'On Order']),
      col('vendor_no_1', 'text', ['Vendor No 1', 'VendorNo1'], 50),
      col('vendor_no_2', 'text', ['Vendor No 2', 'VendorNo2'], 50),
      col('vendor_no_3', 'text', ['Vendor No 3', 'VendorNo3'], 50),
      col('last_purchase_date', 'date', ['Last Purchase Date']),
      col('last_purchase_price', 'money', ['Last Purchase Price']),
      col('inactive', 'bool', ['Inactive']),
    ],
    exclude(row) {
      const category = String(row.category ?? '').toUpperCase();
      if (category === 'UNUSED' || category === 'NON CURRENT ITEMS') return `category ${category} (not current equipment)`;
      if (row.inactive === 1) return 'marked Inactive';
      return null;
    },
  },
  {
    kind: 'transactions',
    table: 'pos_transactions',
    match: /^transactions.*\.csv$/i,
    key: ['contract_no', 'store_no'],
    stamps: ['import_date'],
    columns: [
      col('contract_no', 'text', ['CNTR', 'Contract No'], 50),
      col('store_no', 'text', ['STR', 'Store No'], 10),
      col('customer_no', 'text', ['CUSN', 'Customer No'], 50),
      col('status', 'text', ['STAT', 'Status'], 50),
      col('contract_date', 'datetime', ['DATE', 'Contract Date']),
      col('close_date', 'datetime', ['Close Date', 'CLDT']),
      col('rent_amt', 'money', ['RENT', 'Rent Amt']),
      col('sale_amt', 'money', ['SALE', 'Sale Amt']),
      col('total', 'money', ['TOTL', 'Total']),
      col('promised_delivery_date', 'datetime', ['Promised Delivery Date', 'PromisedDeliveryDate']),
      col('actual_delivery_date', 'datetime', ['Actual Delivery Date', 'ActualDeliveryDate']),
      col('promised_pickup_date', 'datetime', ['Promised Pickup Date', 'PromisedPickupDate']),
      col('actual_pickup_date', 'datetime', ['Actual Pickup Date', 'ActualPickupDate']),
    ],
  },
  {
    kind: 'transaction_items',
    table: 'pos_transaction_items',
    match: /^transitems.*\.csv$/i,
    key: ['contract_no', 'line_number'],
    stamps: ['import_date'],
    columns: [
      col('contract_no', 'text', ['CNTR', 'Contract No'], 50),
      col('item_num', 'text', ['ITEM', 'ItemNum'], 50),
      col('qty', 'int', ['Qty', 'QTY']),
      col('due_date', 'datetime', ['Due Date']),
      col('line_status', 'text', ['Line Status', 'LineStatus'], 10),
      col('price', 'money', ['Price']),
      col('desc', 'text', ['Desc', 'Description'], 500),
      col('daily_amt', 'money', ['Daily Amt']),
      col('weekly_amt', 'money', ['Weekly Amt']),
      col('monthly_amt', 'money', ['Monthly Amt']),
      col('kit_field', 'text', ['KitField', 'Kit Field'], 255),
      col('meter_out', 'money', ['Meter Out']),
      col('meter_in', 'money', ['Meter In']),
      col('downtime_hrs', 'money', ['Downtime Hrs']),
      col('line_number', 'int', ['LineNumber', 'Line Number', 'LINE']),
    ],
  },
];
