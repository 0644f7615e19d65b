#!/usr/bin/env node
// pnpm eval [suite…] [--json] [--data DIR]: evaluates the models on the real data sets in ../shared/data,
// prints the figures (one JSON object with --json), and writes eval/RESULTS.md beside the references.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine, machineLine } from '../scripts/machine.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
// Every module in eval/suites that exports `suite = { name, run({dataDir, progress}), references: [[path, label, ref]], notes? }`
// is a suite; the others there are helpers.
const SUITES = {};
for (const file of readdirSync(join(here, 'suites')).filter((f) => f.endsWith('.mjs')).sort()) {
  const mod = await import(pathToFileURL(join(here, 'suites', file)).href);
  if (mod.suite) SUITES[mod.suite.name] = mod.suite;
}

const args = process.argv.slice(2);
const json = args.includes('--json');
const dataIdx = args.indexOf('--data');
const dataDir = dataIdx >= 0 ? resolve(args[dataIdx + 1]) : resolve(root, '..', 'shared', 'data');
const named = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--data');
const unknown = named.filter((s) => !SUITES[s]);
if (unknown.length) {
  console.error(`unknown suite ${unknown.join(', ')} (suites: ${Object.keys(SUITES).join(', ')})`);
  process.exit(2);
}
const chosen = named.length ? named : Object.keys(SUITES);
const progress = (msg) => process.stderr.write(`${msg}\n`);

const started = performance.now();
const result = {};
const suiteSeconds = {};
for (const name of chosen) {
  const t0 = performance.now();
  result[name] = await SUITES[name].run({ dataDir, progress });
  suiteSeconds[name] = (performance.now() - t0) / 1000;
  progress(`${name}: ${suiteSeconds[name].toFixed(1)} s`);
}
const seconds = (performance.now() - started) / 1000;

const get = (obj, path) => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
const fmt = (v) => (typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3)) : String(v));
// One section per suite, each with the machine and date it was measured on; sections of suites not run this
// time are kept as they are.
const file = join(here, 'RESULTS.md');
const sections = {};
if (existsSync(file)) {
  for (const part of readFileSync(file, 'utf8').split(/^(?=## )/m).slice(1)) sections[part.slice(3, part.indexOf('\n')).trim()] = part.trimEnd();
}
for (const name of chosen) {
  const lines = [`## ${name}`, '', `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()} in ${suiteSeconds[name].toFixed(1)} s.`, ''];
  lines.push('| figure | measured | reference |', '|---|---|---|');
  for (const [path, label, ref] of SUITES[name].references) lines.push(`| ${label} (\`${name}.${path}\`) | ${fmt(get(result[name], path))} | ${ref} |`);
  if (SUITES[name].notes) lines.push('', ...[].concat(SUITES[name].notes));
  sections[name] = lines.join('\n');
}
const lines = ['# Evaluation results', '', 'Written by `pnpm eval` (eval/run.mjs) from the data in `../shared/data`; rerun it to reproduce.', ''];
for (const name of Object.keys(sections).sort()) lines.push(sections[name], '');
writeFileSync(join(here, 'RESULTS.md'), lines.join('\n'));

if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  for (const name of chosen) {
    console.log(`\n${name}`);
    for (const [path, label, ref] of SUITES[name].references) console.log(`  ${label.padEnd(70)} ${fmt(get(result[name], path)).padStart(8)}   ref ${ref}`);
  }
  console.log(`\nwrote eval/RESULTS.md (${seconds.toFixed(1)} s, ${JSON.stringify(machine())})`);
}
