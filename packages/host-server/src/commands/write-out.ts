import type { CliIo } from '../cli-io.js';

/**
 * Writes a command's result and waits until a real stream has flushed it: the `rfid3` bin calls
 * `process.exit` when the command returns, and a large `--json` answer still queued for a slow pipe
 * reader would otherwise be cut at the pipe buffer (64 KiB).
 */
export async function writeOut(io: CliIo, text: string): Promise<void> {
  const stream = io.stdout as { write(chunk: string, cb?: (err?: Error | null) => void): unknown; writableLength?: number };
  if (typeof stream.writableLength !== 'number') {
    stream.write(text);
    return;
  }
  await new Promise<void>((ok) => stream.write(text, () => ok()));
}
