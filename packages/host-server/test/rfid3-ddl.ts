import type { DatabaseHandle } from '@rfid3/core';
import { sql } from 'kysely';

const FLAGS = ['dirty_or_mud', 'leaves', 'oil', 'mold', 'stain', 'oxidation', 'rip_or_tear', 'sewing_repair_needed', 'grommet', 'rope', 'buckle', 'wet', 'service_required'];

/**
 * RFID3's own tables as RFID3 creates them in MariaDB (its SQLAlchemy models: VARCHAR ids, DATETIME scan
 * dates, BOOLEAN flags, BIGINT keys, NOT NULL columns the application fills itself, no foreign keys),
 * with BRIEF §3's columns plus a few of RFID3's that this project does not use.
 */
export const RFID3_DDL: readonly string[] = [
  `CREATE TABLE id_item_master (
    tag_id VARCHAR(255) NOT NULL PRIMARY KEY, uuid_accounts_fk VARCHAR(255), serial_number VARCHAR(255), client_name VARCHAR(255),
    rental_class_num VARCHAR(255), common_name VARCHAR(255), quality VARCHAR(50), bin_location VARCHAR(255), status VARCHAR(50),
    last_contract_num VARCHAR(255), last_scanned_by VARCHAR(255), notes TEXT, status_notes TEXT, longitude DECIMAL(9,6), latitude DECIMAL(9,6),
    date_last_scanned DATETIME, date_created DATETIME, date_updated DATETIME, home_store VARCHAR(10), current_store VARCHAR(10),
    identifier_type VARCHAR(10), item_num INT UNIQUE, turnover_ytd DECIMAL(10,2), turnover_ltd DECIMAL(10,2), repair_cost_ltd DECIMAL(10,2),
    sell_price DECIMAL(10,2), retail_price DECIMAL(10,2), manufacturer VARCHAR(100),
    INDEX ix_item_master_rental_class_num (rental_class_num), INDEX ix_item_master_status (status)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE id_transactions (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, contract_number VARCHAR(255), tag_id VARCHAR(255) NOT NULL, scan_type VARCHAR(50) NOT NULL,
    scan_date DATETIME NOT NULL, client_name VARCHAR(255), common_name VARCHAR(255) NOT NULL, bin_location VARCHAR(255), status VARCHAR(50),
    scan_by VARCHAR(255), location_of_repair VARCHAR(255), quality VARCHAR(50),
    ${FLAGS.filter((f) => !['wet', 'service_required'].includes(f))
      .map((f) => `${f} BOOLEAN`)
      .join(', ')}, other TEXT,
    date_created DATETIME, date_updated DATETIME, uuid_accounts_fk VARCHAR(255), serial_number VARCHAR(255), rental_class_num VARCHAR(255),
    longitude DECIMAL(9,6), latitude DECIMAL(9,6), wet BOOLEAN, service_required BOOLEAN, notes TEXT,
    INDEX ix_transactions_tag_id (tag_id), INDEX ix_transactions_scan_date (scan_date)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE rental_class_mappings (
    rental_class_id VARCHAR(50) NOT NULL PRIMARY KEY, category VARCHAR(100) NOT NULL, subcategory VARCHAR(100) NOT NULL, short_common_name VARCHAR(50)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE pos_equipment (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, item_num VARCHAR(50) NOT NULL, key_field VARCHAR(50), name VARCHAR(255), loc VARCHAR(100),
    category VARCHAR(100), department VARCHAR(100), type_desc VARCHAR(100), qty INT DEFAULT 0, home_store VARCHAR(10), current_store VARCHAR(10),
    to_mtd DECIMAL(12,2), to_ytd DECIMAL(12,2), to_ltd DECIMAL(12,2), repair_cost_mtd DECIMAL(10,2), repair_cost_ltd DECIMAL(10,2),
    sell_price DECIMAL(10,2), retail_price DECIMAL(10,2),
    ${Array.from({ length: 10 }, (_, i) => `period_${i + 1} DECIMAL(10,2), rate_${i + 1} DECIMAL(10,2)`).join(', ')},
    reorder_min INT, reorder_max INT, last_purchase_date DATE, last_purchase_price DECIMAL(10,2), vendor_no_1 VARCHAR(50), vendor_no_2 VARCHAR(50),
    vendor_no_3 VARCHAR(50), qty_on_order INT, inactive BOOLEAN, rfid_rental_class_num VARCHAR(255), created_at DATETIME NOT NULL, updated_at DATETIME,
    identifier_type ENUM('RFID','Sticker','QR','Barcode','Bulk','None') DEFAULT 'None',
    UNIQUE KEY uq_item_num (item_num), INDEX ix_pos_equip_category (category)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE pos_transactions (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, contract_no VARCHAR(50) NOT NULL, store_no VARCHAR(10) NOT NULL, customer_no VARCHAR(50),
    stat VARCHAR(5), status VARCHAR(50), contract_date DATETIME, contract_time VARCHAR(10), close_date DATETIME, billed_date DATETIME,
    rent_amt DECIMAL(12,2), sale_amt DECIMAL(12,2), tax_amt DECIMAL(12,2), total DECIMAL(12,2), delivery_requested BOOLEAN DEFAULT 0,
    promised_delivery_date DATETIME, actual_delivery_date DATETIME, pickup_requested BOOLEAN DEFAULT 0, promised_pickup_date DATETIME,
    actual_pickup_date DATETIME, import_date DATETIME NOT NULL, import_batch VARCHAR(50),
    UNIQUE KEY uq_contract_store (contract_no, store_no), INDEX ix_pos_trans_contract_date (contract_date)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE pos_transaction_items (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, contract_no VARCHAR(50) NOT NULL, item_num VARCHAR(50), qty INT, hours INT, due_date DATETIME,
    due_time VARCHAR(10), line_status VARCHAR(10), price DECIMAL(10,2), \`desc\` VARCHAR(500), daily_amt DECIMAL(10,2), weekly_amt DECIMAL(10,2),
    monthly_amt DECIMAL(10,2), kit_field VARCHAR(255), meter_out DECIMAL(10,2), meter_in DECIMAL(10,2), downtime_hrs DECIMAL(10,2),
    retail_price DECIMAL(10,2), line_number INT, import_date DATETIME NOT NULL,
    UNIQUE KEY uq_contract_line (contract_no, line_number), INDEX ix_pos_items_item_num (item_num)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE pos_customers (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, \`key\` VARCHAR(50) NOT NULL, cnum VARCHAR(50), name VARCHAR(255), address VARCHAR(500),
    address2 VARCHAR(500), city VARCHAR(100), zip VARCHAR(20), phone VARCHAR(50), email VARCHAR(255), credit_limit DECIMAL(12,2),
    ytd_payments DECIMAL(12,2), ltd_payments DECIMAL(12,2), no_of_contracts INT, current_balance DECIMAL(12,2), open_date DATETIME,
    last_active_date DATETIME, last_contract VARCHAR(50), import_date DATETIME NOT NULL,
    UNIQUE KEY uq_customer_key (\`key\`), INDEX ix_pos_cust_cnum (cnum)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
];

/**
 * The same DDL for SQLite: RFID3 runs on MariaDB only, so this is what its statements mean there (inline
 * indexes become CREATE INDEX, AUTO_INCREMENT keys INTEGER PRIMARY KEY, ENUM a VARCHAR, table options dropped).
 */
export function rfid3DdlForSqlite(ddl: string): string[] {
  const indexes: string[] = [];
  const table = /CREATE TABLE (\w+)/.exec(ddl)![1]!;
  const body = ddl
    .replace(/\)\s*ENGINE=[\s\S]*$/, ')')
    .replace(/BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY/g, 'INTEGER PRIMARY KEY AUTOINCREMENT')
    .replace(/ENUM\([^)]*\)/g, 'VARCHAR(10)')
    .replace(/,\s*UNIQUE KEY \w+ \(([^)]*)\)/g, ', UNIQUE ($1)')
    .replace(/,\s*INDEX (\w+) \(([^)]*)\)/g, (_, name: string, cols: string) => {
      indexes.push(`CREATE INDEX ${name} ON ${table} (${cols})`);
      return '';
    });
  return [body, ...indexes];
}

/** Creates RFID3's own tables, as RFID3's DDL lays them out, in an empty database of either dialect. */
export async function createRfid3OwnTables(handle: DatabaseHandle): Promise<void> {
  for (const ddl of RFID3_DDL) {
    for (const statement of handle.dialect === 'sqlite' ? rfid3DdlForSqlite(ddl) : [ddl]) await sql.raw(statement).execute(handle.db);
  }
}
