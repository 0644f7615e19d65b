// The dashboard on a phone, with every first-party plugin loaded: bytes on the wire, and time to a usable
// overview and demand view in Debian's Chromium emulating a 390 px phone on a slow 4G link (150 ms latency, 1.6 Mbit/s down) with a 4× slower CPU.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startTestHost } from '@rfid3/core/testing';
import { createApp } from '@rfid3/host-server';
import demandPlugin from '@rfid3/plugin-demand';
import maintenancePlugin from '@rfid3/plugin-maintenance';
import packPlugin from '@rfid3/plugin-pack';
import pricingPlugin from '@rfid3/plugin-pricing';
import qualityPlugin from '@rfid3/plugin-quality';
import restockPlugin from '@rfid3/plugin-restock';
import { quantile } from './util.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const RUNS = 5;
const NETWORK = { offline: false, latency: 150, downloadThroughput: (1.6e6 / 8) | 0, uploadThroughput: (750e3 / 8) | 0 };

const settledScript = () => {
  const view = document.getElementById('view');
  return !!view && !!view.querySelector('h1') && !view.querySelector('[data-state="loading"]');
};

export const bench = {
  name: 'dashboard',
  async run({ log }) {
    // playwright-core is a devDependency of the dashboard package, resolved from there.
    const requireFromDashboard = createRequire(join(root, 'packages', 'dashboard', 'package.json'));
    const { assetsDir } = await import(pathToFileURL(join(root, 'packages', 'dashboard', 'index.js')).href);
    if (!existsSync(join(assetsDir, 'index.html'))) throw new Error('the dashboard is not built: pnpm --filter @rfid3/dashboard build');
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium`);
    const playwright = await import(pathToFileURL(requireFromDashboard.resolve('playwright-core')).href);
    const chromium = playwright.chromium ?? playwright.default.chromium;

    log('host: every first-party plugin on a simulated business (400 items, 400 days), trained and backfilled as the demo does');
    const host = await startTestHost({ plugins: [demandPlugin, maintenancePlugin, qualityPlugin, pricingPlugin, restockPlugin, packPlugin], simulate: true });
    const jobs = host.runtime.plugins.flatMap((p) => p.jobs);
    for (const suffix of ['.retrain', '.backfill']) {
      for (const job of jobs.filter((j) => j.endsWith(suffix))) await host.runtime.jobs.waitFor(host.runtime.jobs.enqueue(job, {}).id);
    }
    const server = createServer(createApp(host.runtime).callback());
    await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${server.address().port}`;
    // Warm the server's caches: the figure is the page's cost, not the first model fit or analysis.
    for (const path of [
      'demand/forecast?weeks=4',
      'demand/accuracy',
      'inventory/optimization-recommendations',
      'inventory/restock-alerts',
      'pricing/recommendations',
      'packs/recommendations',
    ]) {
      await fetch(`${url}/api/predictive/${path}`);
    }

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const results = { runs: RUNS, network: '150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up', cpuSlowdown: 4 };
    try {
      const overview = [];
      const demand = [];
      const dcl = [];
      let bytes = { assets: 0, api: 0 };
      for (let i = 0; i < RUNS; i++) {
        log(`cold load ${i + 1}/${RUNS}`);
        // A fresh context each run: nothing cached, as on a phone's first visit.
        const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 });
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', NETWORK);
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
        const wire = { assets: 0, api: 0 };
        const urls = new Map();
        cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
        cdp.on('Network.loadingFinished', (e) => {
          const u = urls.get(e.requestId) ?? '';
          if (u.includes('/api/')) wire.api += e.encodedDataLength;
          else wire.assets += e.encodedDataLength;
        });
        let t = performance.now();
        await page.goto(`${url}/#/`, { waitUntil: 'domcontentloaded' });
        dcl.push(performance.now() - t);
        await page.waitForFunction(settledScript, undefined, { timeout: 60_000 });
        overview.push(performance.now() - t);
        t = performance.now();
        await page.goto(`${url}/#/demand?weeks=4`);
        await page.waitForFunction(settledScript, undefined, { timeout: 60_000 });
        await page.waitForSelector('svg.chart path.band80');
        demand.push(performance.now() - t);
        if (i === 0) bytes = wire;
        await context.close();
      }
      results.domContentLoadedMsP50 = quantile(dcl, 0.5);
      results.overviewReadyMsP50 = quantile(overview, 0.5);
      results.overviewReadyMsMax = Math.max(...overview);
      results.demandViewReadyMsP50 = quantile(demand, 0.5);
      results.firstVisitBytes = bytes;
    } finally {
      await browser.close();
      await new Promise((ok) => server.close(ok));
      await host.close();
    }
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    const ms = (n) => `${Math.round(n).toLocaleString('en-US')} ms`;
    const rows = [
      ['dashboard first visit on a slow-4G phone: page assets on the wire (HTML, script, style, icon; compressed, with headers)', kb(results.firstVisitBytes.assets)],
      ['… API answers on the wire for the overview and the demand view', kb(results.firstVisitBytes.api)],
      [`overview usable (every card loaded), median of ${RUNS} cold loads`, `${ms(results.overviewReadyMsP50)} (max ${ms(results.overviewReadyMsMax)})`],
      ['HTML parsed (DOMContentLoaded), median', ms(results.domContentLoadedMsP50)],
      ['demand view with every category chart drawn (forecast cached), median', ms(results.demandViewReadyMsP50)],
    ];
    return { results, rows };
  },
};
