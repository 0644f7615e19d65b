import { z } from 'zod';

/**
 * Schemas of the parts many answers share (decisions, jobs, model versions, accuracy rows), for endpoints'
 * `output` declarations and so for the OpenAPI document and the clients' types generated from it.
 */

/** A JSON object whose keys the answer does not fix (a decision's action, a model's validation details). */
export const jsonObjectSchema = z.record(z.string(), z.unknown());

/** The body of a 202 answer for a queued job (`jobAccepted`). */
export const jobAcceptedSchema = z.object({
  jobId: z.string(),
  job: z.string().describe('the job name, `<plugin>.<job>`'),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  statusUrl: z.string().describe('where to follow it: GET it for the job record'),
});

/** A job record as the job endpoints answer it: state, progress, result or error, timings and the worker that ran it. */
export const jobRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  progress: z.number().describe('fraction done, 0 … 1'),
  message: z.string().optional(),
  result: z.unknown().optional().describe("the handler's result (JSON), once it succeeded"),
  error: z.string().optional(),
  enqueuedAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  worker: z.string().optional(),
});

const verdict = z.enum(['auto_approve', 'review', 'manual', 'reject']);
const decisionStatus = z.enum(['pending', 'approved', 'rejected', 'executed', 'failed']);
/** One safeguard's verdict on a decision, with its reason. */
export const safeguardOutcomeSchema = z.object({ safeguard: z.string(), verdict, reason: z.string() });

/** A decision of the ledger (`DecisionRecord`). */
export const decisionRecordSchema = z.object({
  id: z.number().int(),
  decisionType: z.string(),
  target: z.object({ type: z.string(), id: z.string() }),
  scope: z.string().nullable(),
  confidence: z.number(),
  amountUsd: z.number().nullable(),
  quantity: z.number().nullable(),
  unitCostUsd: z.number().nullable(),
  baselinePrice: z.number().nullable(),
  proposedPrice: z.number().nullable(),
  predictedImpact: z.number().nullable(),
  actualImpact: z.number().nullable(),
  action: jsonObjectSchema,
  originalAction: jsonObjectSchema.nullable(),
  verdict,
  safeguards: z.array(safeguardOutcomeSchema),
  requiresApproval: z.boolean(),
  autoApproved: z.boolean(),
  status: decisionStatus,
  open: z.boolean(),
  proposedBy: z.string().nullable(),
  overriddenBy: z.string().nullable(),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  humanOverride: jsonObjectSchema.nullable(),
  overrideReason: z.string().nullable(),
  executedBy: z.string().nullable(),
  executedAt: z.string().nullable(),
  failureReason: z.string().nullable(),
  modelVersion: z.string().nullable(),
  rationale: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** One change of a decision's status in its history: from, to, who and when. */
export const decisionTransitionSchema = z.object({
  id: z.number().int(),
  decisionId: z.number().int(),
  action: z.string(),
  from: decisionStatus.nullable(),
  to: decisionStatus,
  actor: z.string(),
  actorKey: z.string().nullable(),
  actorRole: z.string(),
  amountBefore: z.number().nullable(),
  amountAfter: z.number().nullable(),
  changes: jsonObjectSchema.nullable(),
  reason: z.string().nullable(),
  at: z.string(),
});

/** A model version of the registry (`ModelVersionInfo`). */
export const modelVersionSchema = z.object({
  modelName: z.string(),
  version: z.number().int(),
  versionTag: z.string().describe('`modelName@version`, stored with every prediction'),
  modelType: z.string(),
  status: z.enum(['active', 'candidate', 'retired']),
  validation: z.object({ metric: z.string(), value: z.number(), lowerIsBetter: z.boolean() }),
  trainingRows: z.number().nullable(),
  notes: z.string().nullable(),
  createdAt: z.string(),
  activatedAt: z.string().nullable(),
});

/** Accuracy of stored predictions matched with actuals, per model version (and horizon) (`AccuracyRow`). */
export const accuracyRowSchema = z.object({
  predictionType: z.string(),
  modelName: z.string(),
  modelVersion: z.string(),
  horizon: z.number().nullable(),
  n: z.number().int(),
  mae: z.number(),
  smape: z.number().describe('percent'),
  coverage: z.number().nullable(),
  intervalLevel: z.number().nullable(),
  meanWidth: z.number().nullable(),
  intervalScore: z.number().nullable(),
});

/** A driver of a prediction: what moved it and by how much. */
export const driverSchema = z.object({ name: z.string(), effect: z.number(), detail: z.string().optional() });
