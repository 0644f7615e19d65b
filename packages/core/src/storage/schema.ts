import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Table types. Dates are strings on every dialect (`YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`: mysql2 runs
 * with `dateStrings`), flags are 0/1 numbers (MariaDB's BOOLEAN is TINYINT(1); SQLite binds no booleans),
 * and JSON columns hold text on SQLite and JSON on MariaDB (read them with `parseJsonColumn`).
 */
export type JsonColumn = ColumnType<unknown, string, string>;
type Json = JsonColumn;
type Flag = number | null;

// ---- The RFID3 tables, read as they are (BRIEF §3). Columns an older RFID3 lacks may be absent. ----

/** A row of RFID3's `id_item_master`: one tagged item, its class, status, grade and home store. */
export interface IdItemMasterTable {
  tag_id: string;
  serial_number: string | null;
  client_name: string | null;
  rental_class_num: string | null;
  common_name: string | null;
  quality: string | null;
  bin_location: string | null;
  status: string | null;
  last_contract_num: string | null;
  last_scanned_by: string | null;
  notes: string | null;
  status_notes: string | null;
  longitude: number | null;
  latitude: number | null;
  date_last_scanned: string | null;
  date_created: string | null;
  date_updated: string | null;
  home_store: string | null;
  current_store: string | null;
  identifier_type: string | null;
  item_num: number | null;
  turnover_ytd: number | null;
  turnover_ltd: number | null;
  repair_cost_ltd: number | null;
  sell_price: number | null;
  retail_price: number | null;
  manufacturer: string | null;
}

/** The flags an inspection may record on an item. */
export const INSPECTION_FLAGS = [
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
] as const;
/** One inspection flag (one of `INSPECTION_FLAGS`). */
export type InspectionFlag = (typeof INSPECTION_FLAGS)[number];
/** An inspection flag that is a boolean column of `id_transactions` (all but `other`, which is free text). */
export type InspectionFlagColumn = Exclude<InspectionFlag, 'other'>;
/** The boolean flag columns of `id_transactions`, in `INSPECTION_FLAGS`'s order (every flag but `other`). */
export const INSPECTION_FLAG_COLUMNS: readonly InspectionFlagColumn[] = INSPECTION_FLAGS.filter((f): f is InspectionFlagColumn => f !== 'other');

/** A row of RFID3's `id_transactions`: one scan of a tag. */
export interface IdTransactionsTable {
  id: Generated<number>;
  contract_number: string | null;
  tag_id: string;
  scan_type: string;
  scan_date: string;
  client_name: string | null;
  common_name: string | null;
  bin_location: string | null;
  status: string | null;
  scan_by: string | null;
  location_of_repair: string | null;
  quality: string | null;
  dirty_or_mud: Flag;
  leaves: Flag;
  oil: Flag;
  mold: Flag;
  stain: Flag;
  oxidation: Flag;
  other: string | null;
  rip_or_tear: Flag;
  sewing_repair_needed: Flag;
  grommet: Flag;
  rope: Flag;
  buckle: Flag;
  wet: Flag;
  service_required: Flag;
  date_created: string | null;
  date_updated: string | null;
  serial_number: string | null;
  rental_class_num: string | null;
  longitude: number | null;
  latitude: number | null;
  notes: string | null;
}

/** A row of Point of Rental's `pos_equipment`: one equipment item with its rates, quantity, turnover and reorder levels. */
export interface PosEquipmentTable {
  id: Generated<number>;
  item_num: string;
  name: string | null;
  category: string | null;
  department: string | null;
  qty: number | null;
  home_store: string | null;
  current_store: string | null;
  to_mtd: number | null;
  to_ytd: number | null;
  to_ltd: number | null;
  repair_cost_mtd: number | null;
  repair_cost_ltd: number | null;
  sell_price: number | null;
  retail_price: number | null;
  rate_1: number | null;
  rate_2: number | null;
  rate_3: number | null;
  rate_4: number | null;
  rate_5: number | null;
  rate_6: number | null;
  rate_7: number | null;
  rate_8: number | null;
  rate_9: number | null;
  rate_10: number | null;
  period_1: number | null;
  period_2: number | null;
  period_3: number | null;
  period_4: number | null;
  period_5: number | null;
  period_6: number | null;
  period_7: number | null;
  period_8: number | null;
  period_9: number | null;
  period_10: number | null;
  reorder_min: number | null;
  reorder_max: number | null;
  qty_on_order: number | null;
  vendor_no_1: string | null;
  vendor_no_2: string | null;
  vendor_no_3: string | null;
  last_purchase_date: string | null;
  last_purchase_price: number | null;
  rfid_rental_class_num: string | null;
}

/** A row of Point of Rental's `pos_transactions`: one contract. */
export interface PosTransactionsTable {
  id: Generated<number>;
  contract_no: string;
  store_no: string;
  customer_no: string | null;
  status: string | null;
  contract_date: string | null;
  close_date: string | null;
  rent_amt: number | null;
  sale_amt: number | null;
  total: number | null;
  promised_delivery_date: string | null;
  actual_delivery_date: string | null;
  promised_pickup_date: string | null;
  actual_pickup_date: string | null;
  import_date: string | null;
}

/** RFID3's rental class → category map (`user_rental_class_mappings` overrides it where present). */
export interface RentalClassMappingsTable {
  rental_class_id: string;
  category: string;
  subcategory: string;
  short_common_name: string | null;
}

/** A row of Point of Rental's `pos_transaction_items`: one line of a contract. */
export interface PosTransactionItemsTable {
  id: Generated<number>;
  contract_no: string;
  item_num: string;
  qty: number | null;
  due_date: string | null;
  line_status: string | null;
  price: number | null;
  desc: string | null;
  daily_amt: number | null;
  weekly_amt: number | null;
  monthly_amt: number | null;
  kit_field: string | null;
  meter_out: number | null;
  meter_in: number | null;
  downtime_hrs: number | null;
  line_number: number | null;
}

// ---- The design's own tables ----

/** A row of `analytics_predictions`: one recorded prediction, later matched with what happened. */
export interface AnalyticsPredictionsTable {
  id: Generated<number>;
  prediction_type: string;
  target_type: string;
  target_id: string;
  store: string | null;
  /** When the prediction was made. */
  prediction_date: string;
  /** The day it is about. */
  target_date: string | null;
  horizon_days: number | null;
  predicted_value: number;
  confidence: number;
  interval_level: number | null;
  lower_bound: number | null;
  upper_bound: number | null;
  probability: number | null;
  model_name: string;
  model_version: string;
  model_type: string;
  source: string;
  input_features: Json | null;
  drivers: Json | null;
  actual_value: number | null;
  /** |actual − predicted|, once the actual is known. */
  absolute_error: number | null;
  /** 1 when the actual fell inside [lower_bound, upper_bound]. */
  within_interval: number | null;
  actual_recorded_at: string | null;
  feedback: string | null;
  created_at: string;
  /** The job that wrote it (a retried job replaces its rows), or null. */
  job_id: string | null;
}

/** A row of `ml_model_performance`: one metric of one model version. */
export interface MlModelPerformanceTable {
  id: Generated<number>;
  model_name: string;
  model_version: string;
  model_type: string;
  metric_name: string;
  metric_value: number;
  /** `validation` (registry decisions), `live` (from matched predictions), `backtest`, … */
  evaluation: string;
  sample_size: number | null;
  details: Json | null;
  evaluated_at: string;
}

/** A row of `ml_feature_store`: one feature value of one entity as of one day. */
export interface MlFeatureStoreTable {
  id: Generated<number>;
  entity_type: string;
  entity_id: string;
  feature_name: string;
  as_of: string;
  feature_value: number | null;
  feature_json: Json | null;
  computed_at: string;
}

/** A row of `external_data_factors`: one external factor on one day at one location. */
export interface ExternalDataFactorsTable {
  id: Generated<number>;
  factor_type: string;
  factor_name: string;
  factor_date: string;
  location: string;
  value: number | null;
  value_json: Json | null;
  source: string;
  /** 1 when the value is a forecast made before `factor_date`, 0 when observed. */
  is_forecast: number;
  fetched_at: string;
}

/** A row of `automated_decisions`: one decision with its safeguards, state and impact. */
export interface AutomatedDecisionsTable {
  id: Generated<number>;
  decision_type: string;
  target_type: string;
  target_id: string;
  confidence: number;
  amount_usd: number | null;
  predicted_impact: number | null;
  actual_impact: number | null;
  proposed_action: Json;
  original_action: Json | null;
  safeguard_verdict: string;
  safeguard_reasons: Json;
  requires_approval: number;
  auto_approved: number;
  status: string;
  decided_by: string | null;
  decided_at: string | null;
  human_override: Json | null;
  override_reason: string | null;
  executed_at: string | null;
  failure_reason: string | null;
  model_version: string | null;
  rationale: string | null;
  created_at: string;
  updated_at: string;
  scope: string | null;
  quantity: number | null;
  unit_cost_usd: number | null;
  baseline_price: number | null;
  proposed_price: number | null;
  proposed_by: string | null;
  proposed_by_key: string | null;
  overridden_by: string | null;
  overridden_by_key: string | null;
  decided_by_key: string | null;
  executed_by: string | null;
  executed_by_key: string | null;
  /** Set while the decision is open (pending or approved): unique, so a target has one open decision. */
  open_key: string | null;
}

/** Append-only: one row per transition of a decision (propose, override, approve, reject, execute, fail, supersede). */
export interface DecisionTransitionsTable {
  id: Generated<number>;
  decision_id: number;
  action: string;
  from_status: string | null;
  to_status: string;
  actor: string;
  actor_key: string | null;
  actor_role: string;
  amount_before: number | null;
  amount_after: number | null;
  changes: Json | null;
  reason: string | null;
  at: string;
}

/** A row of `rfid3_model_registry`: one version of a model with its fitted state. */
export interface ModelRegistryTable {
  id: Generated<number>;
  model_name: string;
  version: number;
  model_type: string;
  status: string;
  artifact: string;
  config: Json | null;
  validation_metric: string;
  validation_value: number;
  lower_is_better: number;
  training_rows: number | null;
  notes: string | null;
  created_at: string;
  activated_at: string | null;
  /** The job that registered it: a retried job finds its version instead of adding another. */
  job_id: string | null;
}

/** A row of `rfid3_api_keys`: an API key's name, role, prefix, hash and dates. */
export interface ApiKeysTable {
  id: Generated<number>;
  name: string;
  role: string;
  key_prefix: string;
  key_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  approve_limit_usd: number | null;
}

/** Every table core reads or writes, by name: the type Kysely is typed with. */
export interface RFID3Database {
  id_item_master: IdItemMasterTable;
  id_transactions: IdTransactionsTable;
  pos_equipment: PosEquipmentTable;
  pos_transactions: PosTransactionsTable;
  pos_transaction_items: PosTransactionItemsTable;
  rental_class_mappings: RentalClassMappingsTable;
  user_rental_class_mappings: RentalClassMappingsTable;
  analytics_predictions: AnalyticsPredictionsTable;
  ml_model_performance: MlModelPerformanceTable;
  ml_feature_store: MlFeatureStoreTable;
  external_data_factors: ExternalDataFactorsTable;
  automated_decisions: AutomatedDecisionsTable;
  rfid3_decision_transitions: DecisionTransitionsTable;
  rfid3_model_registry: ModelRegistryTable;
  rfid3_api_keys: ApiKeysTable;
}

/** Core's tables: what `DatabaseHandle.db` knows. A plugin adds its own with `db.withTables<PluginTables>()`. */
export type CoreTables = RFID3Database;

/** A row as a core table gives it back (`Row<'analytics_predictions'>`). */
export type Row<T extends keyof RFID3Database> = Selectable<RFID3Database[T]>;
/** A row as inserted into a core table: generated and nullable columns may be left out. */
export type NewRow<T extends keyof RFID3Database> = Insertable<RFID3Database[T]>;
/** The columns an UPDATE of a core table may set, all optional. */
export type RowUpdate<T extends keyof RFID3Database> = Updateable<RFID3Database[T]>;

/** RFID3's own tables, read as they are (never altered). */
export const RFID3_SOURCE_TABLES = ['id_item_master', 'id_transactions', 'rental_class_mappings', 'pos_equipment', 'pos_transactions', 'pos_transaction_items'] as const;
/** The tables the design adds beside RFID3's. */
export const DESIGN_TABLES = ['analytics_predictions', 'ml_model_performance', 'ml_feature_store', 'external_data_factors', 'automated_decisions'] as const;
