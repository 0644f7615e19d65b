import type { z } from 'zod';
import type { FieldError } from './problem.js';
import { HttpProblem } from './problem.js';

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

// A lone surrogate (a `\uD800` escape in JSON) cannot be stored as UTF-8; U+FFFD is what the body parser made of
// bytes that were not UTF-8. Neither is ever real RFID3 text, and MariaDB's utf8mb4 columns refuse the first.
const ILL_FORMED = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\uFFFD/;

/** Field errors for every string in `value` (nested objects and arrays included) that is not valid UTF-8 text. */
export function illFormedTextErrors(value: unknown, path: string[] = [], depth = 0): FieldError[] {
  const out: FieldError[] = [];
  collectIllFormed(value, [...path], depth, out);
  return out;
}

/** `illFormedTextErrors` on one path that grows and shrinks as it goes: nothing is made for text that is well formed. */
function collectIllFormed(value: unknown, path: string[], depth: number, out: FieldError[]): void {
  if (typeof value === 'string') {
    if (ILL_FORMED.test(value)) out.push({ field: path.join('.'), message: 'is not valid UTF-8 text (an invalid byte sequence or a lone surrogate)' });
    return;
  }
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(String(i));
      collectIllFormed(value[i], path, depth + 1, out);
      path.pop();
    }
    return;
  }
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    path.push(k);
    collectIllFormed((value as Record<string, unknown>)[k], path, depth + 1, out);
    path.pop();
  }
}

/**
 * Validates each row of a batch on its own, so the valid rows can be kept while the bad ones are named.
 * Text that is not valid UTF-8 is refused in any field; `check` adds rules of the caller's own on a parsed
 * row (dates against the clock, say). `quick` is a parse of the schema's plainest input written by hand: it gives
 * the schema's very output for a row it can vouch for, and undefined for any other row, which the schema then
 * parses (and names what is wrong); it spares a batch of thousands of plain rows the schema's general walk.
 */
export function validateRows<S extends z.ZodType>(
  schema: S,
  rows: readonly unknown[],
  options: { check?: (row: z.output<S>) => FieldError[]; quick?: (raw: unknown) => z.output<S> | undefined } = {},
): { valid: { index: number; row: z.output<S> }[]; rejected: RejectedRow[] } {
  const valid: { index: number; row: z.output<S> }[] = [];
  const rejected: RejectedRow[] = [];
  const { quick } = options;
  rows.forEach((raw, index) => {
    const plain = quick?.(raw);
    const r: z.ZodSafeParseResult<z.output<S>> = plain === undefined ? schema.safeParse(raw) : { success: true, data: plain };
    const ill = illFormedTextErrors(raw);
    const more = r.success ? (options.check?.(r.data) ?? []) : fieldErrors(r.error, '');
    const errors = more.length === 0 ? ill : ill.length === 0 ? more : [...ill, ...more];
    if (errors.length === 0 && r.success) valid.push({ index, row: r.data });
    else rejected.push({ index, errors });
  });
  return { valid, rejected };
}

/** Rejected rows' errors named by their full path under `prefix` (`body.items.3.price`). */
export function rejectedFieldErrors(rejected: readonly RejectedRow[], prefix: string): FieldError[] {
  return rejected.flatMap((r) => r.errors.map((e) => ({ field: [prefix, String(r.index), e.field].filter(Boolean).join('.'), message: e.message })));
}

/**
 * Input a library call was given that its schema refuses (`runtime.predict(id, query)`), every bad field named by
 * its path (`query.weeks`). A library error, not an HTTP one: the host answers it with 400 problem+json naming the
 * same fields (`validationProblem`).
 */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';

  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; ') || 'invalid input');
  }

  /** The first bad field (`query.weeks`). */
  get field(): string {
    return this.errors[0]?.field ?? '';
  }
}

/** A `ValidationError`, also one thrown by a plugin built against another copy of `@rfid3/core` (recognised by shape). */
export function isValidationError(err: unknown): err is ValidationError {
  if (err instanceof ValidationError) return true;
  const e = err as { name?: unknown; errors?: unknown } | null;
  return typeof e === 'object' && e !== null && e.name === 'ValidationError' && Array.isArray(e.errors);
}

/** The 400 problem that answers a `ValidationError` over HTTP (null for any other error). */
export function validationProblem(err: unknown): HttpProblem | null {
  return isValidationError(err) ? HttpProblem.badRequest(err.message, err.errors) : null;
}

/** Parses input or throws a `ValidationError` naming every bad field under `prefix`. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(fieldErrors(result.error, prefix));
}

/** Parses input or throws a 400 problem naming every bad field. */
export function parseOrProblem<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.output<S> {
  try {
    return parseOrThrow(schema, value, prefix);
  } catch (err) {
    throw validationProblem(err) ?? err;
  }
}
