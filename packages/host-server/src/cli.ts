#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCli } from './run-cli.js';

export { runCli, type CliIo } from './run-cli.js';

/** True when this file is the program Node was asked to run (the `rfid3` bin), not a module imported by a test. */
function isMain(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
  // Let whatever is still queued for stdout and stderr reach a slow reader, then exit explicitly: a finished
  // command must not linger on a timer some library left behind.
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((ok) => s.write('', () => ok()))));
  process.exit(code);
}
