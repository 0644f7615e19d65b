import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@rfid3/core/testing';
import { expect, it, vi } from 'vitest';

it('the README example forecasts two weeks of a category with an interval and a model version', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  await runReadmeExample(readme, new URL('./', import.meta.url));
  const [version, date, value, interval] = log.mock.calls[0]!;
  log.mockRestore();
  expect(version).toBe('demand.daily@1');
  expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  expect(interval.lower).toBeLessThanOrEqual(value);
  expect(interval.upper).toBeGreaterThanOrEqual(value);
  expect(interval.level).toBe(0.8);
});
