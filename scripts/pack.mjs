#!/usr/bin/env node
// Packs the publishable workspace packages into npm tarballs, as `npm publish` would ship them
// (`pnpm pack` rewrites `workspace:*` ranges to the versions). Build first (`pnpm build`).
//
//   node scripts/pack.mjs OUTDIR [@rfid3/core @rfid3/plugin-demand …]
//
// Prints one JSON object: package name → absolute tarball path. Importable too: `packWorkspace(dir, names?)`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The workspace's publishable packages: name → folder. */
export function workspacePackages() {
  const out = {};
  for (const d of readdirSync(join(root, 'packages'))) {
    const pj = JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8'));
    if (!pj.private) out[pj.name] = join(root, 'packages', d);
  }
  return out;
}

/** Packs the named packages (all publishable ones by default) into `outDir`; returns name → tarball path. */
export function packWorkspace(outDir, names) {
  const all = workspacePackages();
  const wanted = names?.length ? names : Object.keys(all);
  mkdirSync(outDir, { recursive: true });
  const dest = resolve(outDir);
  const tarballs = {};
  for (const name of wanted) {
    const dir = all[name];
    if (!dir) throw new Error(`${name} is not a publishable package of this workspace (${Object.keys(all).join(', ')})`);
    const before = new Set(readdirSync(dest));
    execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    const made = readdirSync(dest).filter((f) => f.endsWith('.tgz') && !before.has(f));
    const file = made[0] ?? readdirSync(dest).find((f) => f.startsWith(name.replace('@', '').replace('/', '-')) && f.endsWith('.tgz'));
    if (!file) throw new Error(`pnpm pack of ${name} wrote no tarball into ${dest}`);
    tarballs[name] = join(dest, file);
  }
  return tarballs;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [outDir, ...names] = process.argv.slice(2);
  if (!outDir) {
    console.error('usage: node scripts/pack.mjs OUTDIR [package names…]');
    process.exit(2);
  }
  console.log(JSON.stringify(packWorkspace(outDir, names), null, 2));
}
