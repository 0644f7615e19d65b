import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { CliError } from '../cli-io.js';
import { hostCore, type HostCore } from './host-core.js';
import { pluginTemplate } from './templates.js';

const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
/** The same rule `definePlugin` applies to an id. */
const PLUGIN_ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export interface ScaffoldOptions {
  /** npm package name (`rfid3-plugin-hello`, `@acme/rfid3-plugin-hello`, or just `hello`). */
  name: string;
  /** Folder to create (default: `./<name without scope>` under `cwd`); it must not exist or be empty. */
  dir?: string;
  /** Plugin id (default: the name without scope and without a leading `rfid3-plugin-` or `plugin-`). */
  id?: string;
  /** devDependency spec of `@rfid3/core` (default: `file:` the host's own core, which is not on a registry yet). */
  coreSpec?: string;
  cwd: string;
  /** The host's core (found from the host when absent). */
  core?: HostCore;
}

export interface ScaffoldResult {
  dir: string;
  packageName: string;
  pluginId: string;
  coreRange: string;
  coreSpec: string;
  files: string[];
}

/** Writes a new plugin package that builds with tsup and tests itself with core's `startTestHost`. */
export function scaffoldPlugin(options: ScaffoldOptions): ScaffoldResult {
  const packageName = options.name.trim();
  if (!PACKAGE_NAME.test(packageName) || packageName.length > 214) {
    throw new CliError(`'${packageName}' is not an npm package name (lower case; letters, digits, '-', '.', '_'; optionally @scope/name)`);
  }
  const bare = packageName.replace(/^@[^/]+\//, '');
  const pluginId = options.id ?? bare.replace(/^(rfid3-plugin-|plugin-)/, '');
  if (!PLUGIN_ID.test(pluginId)) {
    throw new CliError(`plugin id '${pluginId}' must be lower-case words joined by dashes (e.g. acme-weather): pass one with --id`);
  }
  const dir = resolve(options.cwd, options.dir ?? bare);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new CliError(`${dir} already exists and is not empty: choose another --dir`);
  const core = options.core ?? hostCore();
  // Relative, with forward slashes, as npm writes file: specs; the plugin folder need not stay beside the host.
  const coreSpec = options.coreSpec ?? `file:${relative(dir, core.dir).split(sep).join('/') || '.'}`;
  const files = pluginTemplate({ packageName, pluginId, coreRange: core.peerRange, coreSpec, zodRange: core.zodRange });
  for (const [path, text] of Object.entries(files)) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
  return { dir, packageName, pluginId, coreRange: core.peerRange, coreSpec, files: Object.keys(files) };
}
