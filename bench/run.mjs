#!/usr/bin/env node
// pnpm bench [suite…] [--json] [--name=value…]: speed and memory, measured here and never typed in. Every module in bench/suites
// that exports `bench = { name, title?, run({ dataDir, log, options }) → { results, rows: [[label, figure]] } }` is a suite (`options`: the --name=value ones).
// bench/RESULTS.md keeps one section per suite with the machine it ran on; running some suites rewrites
// only their sections. Each suite runs in its own process so that its peak memory is its own. A suite whose
// answer says `failed` (the drills) still has its section written, and makes this command exit 1.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine, machineLine } from '../scripts/machine.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = resolve(here, '..', '..', 'shared', 'data');
const args = process.argv.slice(2);
const log = (m) => process.stderr.write(`${m}\n`);

async function loadSuites() {
  const suites = {};
  for (const file of readdirSync(join(here, 'suites'))
    .filter((f) => f.endsWith('.mjs'))
    .sort()) {
    const mod = await import(pathToFileURL(join(here, 'suites', file)).href);
    if (mod.bench) suites[mod.bench.name] = mod.bench;
  }
  return suites;
}

// Child mode: run one suite and print its figures as JSON on stdout.
if (args[0] === '--child') {
  const suite = (await loadSuites())[args[1]];
  const started = performance.now();
  const out = await suite.run({ dataDir, log, options: JSON.parse(args[2] ?? '{}') });
  // The kernel's high-water mark of this process (KiB), not a sample that a busy event loop would miss.
  out.results.peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  out.results.seconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

const json = args.includes('--json');
// `--name=value` and `--name` (true) options are handed to every suite run (`pnpm bench scale --items=5000,50000 --keep`).
const options = Object.fromEntries(
  args.filter((a) => /^--[^=]+/.test(a) && a !== '--json').map((a) => (a.includes('=') ? [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a.slice(2), 'true'])),
);
const suites = await loadSuites();
const named = args.filter((a) => !a.startsWith('--'));
const unknown = named.filter((s) => !suites[s]);
if (unknown.length) {
  console.error(`unknown bench suite ${unknown.join(', ')} (suites: ${Object.keys(suites).join(', ')})`);
  process.exit(2);
}
const chosen = named.length ? named : Object.keys(suites);
const m = machine();
const date = new Date().toISOString().slice(0, 10);

// Sections already in the file for suites not run this time are kept as they are.
const file = join(here, 'RESULTS.md');
const sections = {};
if (existsSync(file)) {
  for (const part of readFileSync(file, 'utf8')
    .split(/^(?=## )/m)
    .slice(1))
    sections[part.slice(3, part.indexOf('\n')).trim()] = part.trimEnd();
}
const all = {};
const failedSuites = [];
for (const name of chosen) {
  log(`== ${name}`);
  const out = JSON.parse(
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', name, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 << 20,
    }).toString(),
  );
  all[name] = out.results;
  if (out.failed) failedSuites.push(name);
  const heading = suites[name].title ?? name;
  sections[heading] = [
    `## ${heading}`,
    '',
    `Measured ${date} on ${machineLine(m)}; the suite ran ${out.results.seconds.toFixed(1)} s with a peak resident memory of ${out.results.peakRssMiB} MiB.`,
    '',
    '| benchmark | figure |',
    '|---|---|',
    ...out.rows.map(([label, figure]) => `| ${label} | ${figure} |`),
  ].join('\n');
}
const md = ['# Benchmark results', '', 'Written by `pnpm bench` (bench/run.mjs); rerun it to reproduce. Each suite runs in its own process.', ''];
for (const name of Object.keys(sections).sort()) md.push(sections[name], '');
writeFileSync(file, md.join('\n'));
if (json) process.stdout.write(`${JSON.stringify({ ...all, machine: m })}\n`);
else console.log(chosen.map((n) => sections[suites[n].title ?? n]).join('\n\n'));
if (failedSuites.length) {
  console.error(`failed: ${failedSuites.join(', ')}`);
  process.exitCode = 1;
}
