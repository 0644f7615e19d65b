// `node bench/scale-stage.mjs <stage> <database url>`: one pipeline stage of `pnpm bench scale` in a process of its
// own, so that its peak resident memory is its own. Prints one JSON line: the stage's seconds (runtime start-up
// excluded), the process's peak RSS (MiB) and what the stage did. Stages:
//   train       every plugin's `.retrain` job (demand, maintenance, quality: features are built inside each)
//   score       every item scored: `GET /maintenance/schedule` and `GET /quality/replacement-recommendations`
//   precompute  every precomputable endpoint, and the demand forecast of every category with its rental classes
import { createRuntime, silentLogger } from '@rfid3/core';
import { loadPlugins } from '@rfid3/host-server';

const [stage, databaseUrl] = process.argv.slice(2);
const logger = silentLogger();
const plugins = await loadPlugins(null, { baseDir: process.cwd(), logger });
const runtime = await createRuntime({ config: { databaseUrl, logLevel: 'silent' }, logger, plugins });
const admin = { principal: { keyId: 'bench', name: 'bench', role: 'admin' } };
const started = performance.now();
const done = {};
try {
  if (stage === 'train') {
    for (const name of runtime.plugins.flatMap((p) => p.jobs).filter((n) => n.endsWith('.retrain'))) {
      const t = performance.now();
      const record = await runtime.jobs.waitFor(runtime.jobs.enqueue(name, {}).id);
      if (record.status === 'failed') throw new Error(`${name} failed: ${record.error}`);
      done[name] = { seconds: (performance.now() - t) / 1000, trained: record.result?.trained ?? null };
    }
  } else if (stage === 'score') {
    for (const path of ['/maintenance/schedule', '/quality/replacement-recommendations']) {
      const t = performance.now();
      const res = await runtime.call('GET', path, admin);
      done[path] = { seconds: (performance.now() - t) / 1000, status: res.status };
    }
  } else if (stage === 'precompute') {
    const precomputable = runtime.endpoints
      .all()
      .map((m) => m.endpoint)
      .filter((e) => e.method === 'GET' && !/[:*]/.test(e.path) && !/^\/(health|models|jobs)\b/.test(e.path))
      .filter((e) => !e.input?.query?.safeParse || e.input.query.safeParse({}).success)
      .map((e) => e.path);
    const categories = await runtime.inventory.categories();
    const paths = [...precomputable, ...categories.map((c) => `/demand/forecast?weeks=4&by_class=true&category=${encodeURIComponent(c)}`)];
    let failed = 0;
    for (const path of paths) {
      try {
        await runtime.call('GET', path, admin);
      } catch (err) {
        failed++;
        process.stderr.write(`precompute ${path}: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
    done.paths = paths.length;
    done.categories = categories.length;
    done.rentalClasses = (await runtime.inventory.rentalClasses()).length;
    done.failed = failed;
  } else {
    throw new Error(`unknown stage '${stage}' (train, score, precompute)`);
  }
  await runtime.predictionStore.flush();
} finally {
  await runtime.close();
}
process.stdout.write(`${JSON.stringify({ stage, seconds: (performance.now() - started) / 1000, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), ...done })}\n`);
