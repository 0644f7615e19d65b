import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@rfid3/core/testing';
import { expect, it, vi } from 'vitest';

it('the README example prints the reorder point, order-up-to and ABC/XYZ classes', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  await runReadmeExample(readme, new URL('./', import.meta.url));
  const calls = log.mock.calls;
  log.mockRestore();
  expect(calls[0]).toEqual([133, 183]);
  expect(calls[1]![0]).toEqual(['chairs: AX', 'tents: AZ']);
});
