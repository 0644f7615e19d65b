// Demand: the bike-sharing backtest of the ensemble (CLI protocol), and forecasting 1,500 series of two years'
// daily history (500 rental classes × 3 stores) 28 days ahead with intervals, on worker threads (one per core).
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { addDays } from '@rfid3/core';
import { Rng } from '@rfid3/core/simulator';
import { readSeriesCsv } from '@rfid3/host-server';
import { backtestDemand, BULK_DEMAND_SPEC, createDemandModel } from '@rfid3/plugin-demand';

const DAYS = 730;
const END = '2026-05-31';
const WEEKLY = [0.35, 0.55, 0.7, 0.9, 1.35, 1.85, 1.3];

/** Series `index` of the synthetic catalogue: Poisson counts around a class level × weekday × season. */
function series(index) {
  const rng = new Rng(1000 + index);
  const level = rng.lognormal(Math.log(3), 1);
  const amplitude = rng.uniform(0.1, 0.6);
  const start = addDays(END, -(DAYS - 1));
  const dates = Array.from({ length: DAYS }, (_, i) => addDays(start, i));
  const values = dates.map((d, i) => {
    const doy = i % 365;
    const mean = level * WEEKLY[new Date(`${d}T00:00:00Z`).getUTCDay()] * (1 + amplitude * Math.cos((2 * Math.PI * (doy - 170)) / 365.25));
    return rng.poisson(mean);
  });
  return { values, dates };
}

function forecastRange(from, to) {
  let points = 0;
  let widthSum = 0;
  for (let i = from; i < to; i++) {
    const s = series(i);
    const model = createDemandModel(BULK_DEMAND_SPEC, 28);
    const fc = model.predict(model.fit(s), { horizon: 28 });
    points += fc.mean.length;
    widthSum += fc.intervals[0].upper[6] - fc.intervals[0].lower[6];
  }
  return { series: to - from, points, widthSum };
}

if (!isMainThread && workerData?.demandBench) {
  parentPort.postMessage(forecastRange(workerData.from, workerData.to));
}

export const bench = {
  name: 'demand',
  async run({ dataDir, log }) {
    const results = { loadAverageAtStart: loadavg()[0] };
    if (existsSync(join(dataDir, 'bike_day.csv'))) {
      log('bike-sharing backtest of the ensemble (initial 365, step 28, horizon 28), with and without weather');
      const plain = readSeriesCsv(join(dataDir, 'bike_day.csv'), { date: 'dteday', value: 'cnt' });
      const weather = readSeriesCsv(join(dataDir, 'bike_day.csv'), { date: 'dteday', value: 'cnt', regressors: ['temp', 'hum', 'windspeed', 'weathersit'] });
      let t = performance.now();
      const a = backtestDemand(plain, { initial: 365, step: 28, horizon: 28 });
      const plainMs = performance.now() - t;
      t = performance.now();
      backtestDemand(weather, { initial: 365, step: 28, horizon: 28 });
      const weatherMs = performance.now() - t;
      results.bikeBacktest = { folds: a.folds, plainMs, weatherMs };
    }

    const total = 1500;
    const workers = Math.max(1, Math.min(2, availableParallelism()));
    log(`forecasting ${total} series × ${DAYS} days, 28 days ahead, on ${workers} worker thread(s)`);
    const t0 = performance.now();
    const chunk = Math.ceil(total / workers);
    const parts = await Promise.all(
      Array.from(
        { length: workers },
        (_, w) =>
          new Promise((resolve, reject) => {
            const worker = new Worker(new URL(import.meta.url), { workerData: { demandBench: true, from: w * chunk, to: Math.min(total, (w + 1) * chunk) } });
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
      ),
    );
    const seconds = (performance.now() - t0) / 1000;
    const done = parts.reduce((s, p) => s + p.series, 0);
    results.bulkForecast = { series: done, historyDays: DAYS, horizon: 28, workers, seconds, seriesPerSecond: done / seconds, spec: 'BULK_DEMAND_SPEC' };

    results.loadAverageAtEnd = loadavg()[0];
    // Other processes on the same cores slow every figure here: the load average says how much.
    const rows = [[`1-minute load average at start / end (${availableParallelism()} cores)`, `${results.loadAverageAtStart.toFixed(1)} / ${results.loadAverageAtEnd.toFixed(1)}`]];
    if (results.bikeBacktest) {
      rows.push([
        `bike-sharing backtest of the ensemble + 2 baselines, ${results.bikeBacktest.folds} folds × 28 days, no regressors (target < 5 s)`,
        `${(results.bikeBacktest.plainMs / 1000).toFixed(1)} s`,
      ]);
      rows.push(['the same with 4 weather regressors', `${(results.bikeBacktest.weatherMs / 1000).toFixed(1)} s`]);
    }
    rows.push([
      `forecast ${done.toLocaleString('en-US')} series × ${DAYS} days of history, 28 days ahead with 80/95 % intervals, ${workers} worker threads (target < 60 s)`,
      `${seconds.toFixed(1)} s (${results.bulkForecast.seriesPerSecond.toFixed(0)} series/s)`,
    ]);
    return { results, rows };
  },
};
