import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * The `package.json` inside an npm tarball (`.tgz`), read without unpacking it: a tar archive is a run of
 * 512-byte headers, each followed by its file's content padded to 512 bytes.
 */
export function readTarballManifest(path: string): Record<string, unknown> {
  const tar = gunzipSync(readFileSync(path));
  let longName: string | null = null;
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = null;
    const content = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    // GNU long names ('L') and pax headers ('x' with a path record) name the entry that follows.
    if (type === 'L') longName = content.toString('utf8').replace(/\0.*$/s, '');
    else if (type === 'x') longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(content.toString('utf8'))?.[1] ?? null;
    else if ((type === '0' || type === '') && /^[^/]+\/package\.json$/.test(name)) return JSON.parse(content.toString('utf8')) as Record<string, unknown>;
  }
  throw new Error(`${path} is not an npm package tarball: it has no <folder>/package.json`);
}
