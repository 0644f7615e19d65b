import { CliError } from '../cli-io.js';

/** A whole number ≥ 1 from a command-line option, or an error naming the option. */
export function positiveInt(value: string, option: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new CliError(`${option}: '${value}' is not a whole number ≥ 1`);
  return Number(value);
}
