import { readFileSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolve as resolveModule } from 'import-meta-resolve';
import semver from 'semver';

/** The `@rfid3/core` this host runs on: where it is installed and what a plugin for it declares. */
export interface HostCore {
  /** Its package folder, symlinks resolved. */
  dir: string;
  version: string;
  /** The peer range a new plugin declares: this minor up to the next major (`>=0.1.0 <1.0.0`), as the first-party plugins do. */
  peerRange: string;
  /** The zod range core itself depends on; a plugin's schemas should come from the same major. */
  zodRange: string;
}

/** Finds the host's own `@rfid3/core` the way the host imports it (from `from`, the host's module URL). */
export function hostCore(from: string = import.meta.url): HostCore {
  const manifest = fileURLToPath(resolveModule('@rfid3/core/package.json', from));
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string; dependencies?: Record<string, string> };
  const v = semver.parse(pkg.version);
  if (!v) throw new Error(`@rfid3/core at ${dirname(manifest)} has no valid version ('${pkg.version}')`);
  return {
    dir: realpathSync(dirname(manifest)),
    version: pkg.version,
    peerRange: `>=${v.major}.${v.minor}.0 <${v.major + 1}.0.0`,
    zodRange: pkg.dependencies?.zod ?? '^4.0.0',
  };
}
