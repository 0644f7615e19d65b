import type { z } from 'zod';
import type { FieldError } from '../contracts/problem.js';
import { HttpProblem } from '../contracts/problem.js';

/** Zod issues as field errors named by their full path (`query.weeks`, `body.lines.2.qty`). */
export function fieldErrors(error: z.ZodError, prefix: string): FieldError[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || prefix,
    message: issue.message,
  }));
}

/** A row of a batch that failed validation: its position and what is wrong with it (fields relative to the row). */
export interface RejectedRow {
  index: number;
  errors: FieldError[];
}

/** Validates each row of a batch on its own, so the valid rows can be kept while the bad ones are named. */
export function validateRows<S extends z.ZodType>(schema: S, rows: readonly unknown[]): { valid: { index: number; row: z.output<S> }[]; rejected: RejectedRow[] } {
  const valid: { index: number; row: z.output<S> }[] = [];
  const rejected: RejectedRow[] = [];
  rows.forEach((raw, index) => {
    const r = schema.safeParse(raw);
    if (r.success) valid.push({ index, row: r.data });
    else rejected.push({ index, errors: fieldErrors(r.error, '') });
  });
  return { valid, rejected };
}

/** Rejected rows' errors named by their full path under `prefix` (`body.items.3.price`). */
export function rejectedFieldErrors(rejected: readonly RejectedRow[], prefix: string): FieldError[] {
  return rejected.flatMap((r) => r.errors.map((e) => ({ field: [prefix, String(r.index), e.field].filter(Boolean).join('.'), message: e.message })));
}

/** Parses input or throws a 400 problem naming every bad field. */
export function parseOrProblem<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = fieldErrors(result.error, prefix);
  throw HttpProblem.badRequest(errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
}
