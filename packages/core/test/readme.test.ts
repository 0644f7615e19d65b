import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it, vi } from 'vitest';
import { runReadmeExample } from '../src/testing/readme.js';

it('the README usage example runs and answers from the simulated data', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  await runReadmeExample(readme, new URL('./', import.meta.url));
  const [status, body] = log.mock.calls[0]!;
  log.mockRestore();
  expect(status).toBe(200);
  expect((body as { units: number }).units).toBeGreaterThan(0);
});

it('the README services example binds, provides, requires and replaces a service as it says', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  await runReadmeExample(readme, new URL('./', import.meta.url), 1);
  const bodies = log.mock.calls.map((call) => call[0]);
  log.mockRestore();
  expect(bodies).toEqual([{ text: 'Hello, Ann (2026-06-01)' }, { text: 'hi Ann' }]);
});
