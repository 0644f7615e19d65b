// The foundation's hot paths: the simulator, the forecast endpoint (cold, recomputed, cached), the prediction
// store and the bike-sharing backtest of the CLI.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, silentLogger, FakeClock } from '@rfid3/core';
import { simulate } from '@rfid3/core/simulator';
import { readSeriesCsv } from '@rfid3/host-server';
import { backtestDemand, demandPlugin } from '@rfid3/plugin-demand';
import { quantile } from './util.mjs';

export const bench = {
  name: 'foundation',
  async run({ dataDir, log }) {
    const results = {};
    // 1. The demo business: what `pnpm rfid3 demo` seeds.
    {
      log('simulator: 1,500 items × 730 days into SQLite');
      const dir = mkdtempSync(join(tmpdir(), 'rfid3-bench-'));
      const clock = new FakeClock('2026-06-01T12:00:00Z');
      const runtime = await createRuntime({
        config: { databaseUrl: `sqlite:${join(dir, 'bench.db')}` },
        clock,
        logger: silentLogger(),
        plugins: [{ plugin: demandPlugin, config: { matchActualsEveryMinutes: 0 } }],
      });
      const t0 = performance.now();
      const sim = await simulate(runtime.database, { seed: 42, items: 1500, days: 730, end: '2026-05-31' });
      const simMs = performance.now() - t0;
      results.simulator = { items: sim.counts.items, days: 730, scans: sim.counts.scans, seconds: simMs / 1000, scansPerSecond: Math.round(sim.counts.scans / (simMs / 1000)) };

      // 2. Forecasts on it: a cold answer (validates and registers the first model, fits every category), a
      //    recomputed answer (model fitted per series, nothing cached), and cached answers.
      log('forecast endpoint: cold, recomputed and cached answers');
      const call = () => runtime.call('GET', '/demand/forecast?weeks=4');
      let t = performance.now();
      await call();
      const coldMs = performance.now() - t;
      const recomputed = [];
      for (let i = 0; i < 10; i++) {
        await runtime.predictions.invalidate('demand.daily');
        t = performance.now();
        await call();
        recomputed.push(performance.now() - t);
      }
      const cached = [];
      for (let i = 0; i < 500; i++) {
        t = performance.now();
        await call();
        cached.push(performance.now() - t);
      }
      results.forecastEndpoint = {
        series: (await runtime.inventory.categories()).length,
        daysPerSeries: 28,
        coldMs,
        recomputedP50Ms: quantile(recomputed, 0.5),
        cachedP50Ms: quantile(cached, 0.5),
        cachedP95Ms: quantile(cached, 0.95),
      };

      // 3. Prediction store throughput: batched inserts into the file database.
      log('prediction store: 50,000 predictions in batches');
      const one = (await runtime.predict('demand.daily', { weeks: 1 })).predictions[0];
      const batch = Array.from({ length: 50_000 }, (_, i) => ({ ...one, target: { ...one.target, id: `bench-${i % 500}` } }));
      t = performance.now();
      runtime.predictionStore.record(batch);
      await runtime.predictionStore.flush();
      const writeMs = performance.now() - t;
      results.predictionStore = { rows: batch.length, seconds: writeMs / 1000, rowsPerSecond: Math.round(batch.length / (writeMs / 1000)) };
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    }

    // 4. The bike-sharing backtest of the CLI (model and both baselines, 13 folds × 28 days).
    if (existsSync(join(dataDir, 'bike_day.csv'))) {
      log('bike-sharing backtest (initial 365, step 28, horizon 28)');
      const series = readSeriesCsv(join(dataDir, 'bike_day.csv'), { date: 'dteday', value: 'cnt' });
      const runs = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        backtestDemand(series, { initial: 365, step: 28, horizon: 28 });
        runs.push(performance.now() - t);
      }
      results.bikeBacktest = { rows: series.values.length, medianMs: quantile(runs, 0.5) };
    }

    const f = (x, d = 1) => (x >= 100 ? x.toFixed(0) : x.toFixed(d));
    const rows = [
      [
        `simulator: ${results.simulator.items} items × ${results.simulator.days} days into a SQLite file`,
        `${f(results.simulator.seconds)} s, ${results.simulator.scans.toLocaleString('en-US')} scans (${results.simulator.scansPerSecond.toLocaleString('en-US')} scans/s)`,
      ],
      [
        `\`GET demand/forecast?weeks=4\` cold (validates and registers the first model; ${results.forecastEndpoint.series} series × 28 days)`,
        `${f(results.forecastEndpoint.coldMs)} ms`,
      ],
      ['`GET demand/forecast?weeks=4` recomputed (cache dropped), median of 10', `${f(results.forecastEndpoint.recomputedP50Ms)} ms`],
      [
        '`GET demand/forecast?weeks=4` from the cache, p50 / p95 of 500 (in process, no HTTP)',
        `${f(results.forecastEndpoint.cachedP50Ms, 2)} / ${f(results.forecastEndpoint.cachedP95Ms, 2)} ms`,
      ],
      [
        `prediction store: ${results.predictionStore.rows.toLocaleString('en-US')} predictions written in batches`,
        `${f(results.predictionStore.seconds, 2)} s (${results.predictionStore.rowsPerSecond.toLocaleString('en-US')} rows/s)`,
      ],
      ...(results.bikeBacktest ? [['bike-sharing backtest, model + 2 baselines, 13 folds × 28 days (median of 5)', `${f(results.bikeBacktest.medianMs)} ms`]] : []),
    ];
    return { results, rows };
  },
};
