import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packages = readdirSync(join(root, 'packages'));
const plugins = packages.filter((p) => p.startsWith('plugin-'));
const manifest = (dir: string, pkg: string) => JSON.parse(readFileSync(join(dir, 'packages', pkg, 'package.json'), 'utf8'));

/** A copy of the workspace's manifests and changesets config, with one pending changeset for core. */
function workspaceWith(bump: 'minor' | 'major'): string {
  const dir = mkdtempSync(join(tmpdir(), 'rfid3-changesets-'));
  for (const f of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(root, f), join(dir, f));
  mkdirSync(join(dir, '.changeset'));
  cpSync(join(root, '.changeset', 'config.json'), join(dir, '.changeset', 'config.json'));
  for (const p of packages) {
    mkdirSync(join(dir, 'packages', p), { recursive: true });
    cpSync(join(root, 'packages', p, 'package.json'), join(dir, 'packages', p, 'package.json'));
  }
  writeFileSync(join(dir, '.changeset', 'core-change.md'), `---\n"@rfid3/core": ${bump}\n---\n\nA ${bump} change to core.\n`);
  execFileSync(process.execPath, [join(root, 'node_modules', '@changesets', 'cli', 'bin.js'), 'version'], { cwd: dir, stdio: 'pipe' });
  return dir;
}

describe('independent versions with changesets', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('every plugin peer-depends on @rfid3/core with a range, and declares the same range as its coreRange', async () => {
    for (const p of plugins) {
      const m = manifest(root, p);
      expect(m.peerDependencies['@rfid3/core'], p).toMatch(/^>=\d+\.\d+\.\d+ <\d+\.\d+\.\d+$/);
      expect(m.version, p).toMatch(/^\d+\.\d+\.\d+$/);
      const mod = await import(pathToFileURL(join(root, 'packages', p, 'dist', 'index.js')).href);
      expect(mod.default.coreRange, p).toBe(m.peerDependencies['@rfid3/core']);
      expect(mod.default.version, p).toBe(m.version);
    }
  });

  it('a core minor release leaves every plugin major (and version) alone', () => {
    dir = workspaceWith('minor');
    expect(manifest(dir, 'core').version).toBe('0.2.0');
    for (const p of plugins) {
      expect(manifest(dir, p).version, p).toBe(manifest(root, p).version);
      expect(manifest(dir, p).peerDependencies['@rfid3/core'], p).toBe(manifest(root, p).peerDependencies['@rfid3/core']);
    }
  });

  it('a core major release, outside the plugins’ range, does bump them (so the check above can fail)', () => {
    dir = workspaceWith('major');
    expect(manifest(dir, 'core').version).toBe('1.0.0');
    for (const p of plugins) expect(manifest(dir, p).version.split('.')[0], p).not.toBe(manifest(root, p).version.split('.')[0]);
  });
});
