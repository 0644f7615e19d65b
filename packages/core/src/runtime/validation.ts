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

/** Parses input or throws a 400 problem naming every bad field. */
export function parseOrProblem<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = fieldErrors(result.error, prefix);
  throw HttpProblem.badRequest(errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
}
