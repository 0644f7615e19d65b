export { ingestScans, scanEventSchema, MAX_BATCH, type IngestResult, type ScanIngestResult, type RejectedRow } from './scans.js';
export { ingestPos, posContractSchema, type PosIngestResult } from './pos.js';
