import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@rfid3/core/testing';
import { expect, it, vi } from 'vitest';

it('the README example plans services within capacity and gives an item’s probability and remaining life', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  await runReadmeExample(readme, new URL('./', import.meta.url));
  const [saving, orders, probability, life] = log.mock.calls[0]!;
  log.mockRestore();
  expect(saving).toBeGreaterThan(0);
  expect(orders).toBeGreaterThan(0);
  expect(orders).toBeLessThanOrEqual(14 * 5);
  expect(probability).toBeGreaterThan(0);
  expect(probability).toBeLessThan(1);
  expect(life.lower).toBeLessThanOrEqual(life.median);
  expect(life.median).toBeLessThanOrEqual(life.upper);
});
