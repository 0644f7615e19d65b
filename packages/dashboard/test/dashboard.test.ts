import { join } from 'node:path';
import type { Runtime } from '@rfid3/core';
import { startTestHost, type TestHost, type TestHostOptions } from '@rfid3/core/testing';
import { ApiKeyStore, createApp } from '@rfid3/host-server';
import demandPlugin from '@rfid3/plugin-demand';
import maintenancePlugin from '@rfid3/plugin-maintenance';
import packPlugin from '@rfid3/plugin-pack';
import pricingPlugin from '@rfid3/plugin-pricing';
import qualityPlugin from '@rfid3/plugin-quality';
import restockPlugin from '@rfid3/plugin-restock';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetsDir } from '../index.js';
import { ARTIFACTS_DIR, chromiumInstalled, chromiumRequired, launchChromium, listen, settled, watchConsole } from './browser.js';
import { restockFixturePlugin } from './restock-fixture.js';

const VIEWS = ['', 'demand', 'maintenance', 'quality', 'pricing', 'restock', 'packs', 'models'];

interface ServedHost {
  host: TestHost;
  url: string;
  close(): Promise<void>;
}

/** A host over simulated data, as `pnpm rfid3 demo` leaves it: models trained and recent forecasts replayed. */
async function serveHost(
  plugins: TestHostOptions['plugins'],
  simulate: TestHostOptions['simulate'],
  train = true,
): Promise<ServedHost> {
  const host = await startTestHost({ plugins, simulate });
  const names = train ? host.runtime.plugins.flatMap((p) => p.jobs) : [];
  // `.propose` last, as `rfid3 demo` does: reads never write, so pending decisions come from the proposal jobs.
  for (const suffix of ['.retrain', '.backfill', '.propose']) {
    for (const name of names.filter((n) => n.endsWith(suffix))) {
      const record = await host.runtime.jobs.waitFor(host.runtime.jobs.enqueue(name, {}).id);
      if (record.status === 'failed') throw new Error(`${name} failed: ${record.error}`);
    }
  }
  const server = await listen(createApp(host.runtime).callback());
  return {
    host,
    url: server.url,
    async close() {
      await server.close();
      await host.close();
    },
  };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return (await res.json()) as T;
}

interface ForecastPoint {
  date: string;
  value: number;
  lower: number;
  upper: number;
}

/** `M x,y L x,y … Z` → the points, in order. */
function pathPoints(d: string): { x: number; y: number }[] {
  return d
    .replace(/^M/, '')
    .replace(/Z$/, '')
    .split('L')
    .map((pair) => {
      const [x, y] = pair.split(',').map(Number);
      return { x: x!, y: y! };
    });
}

describe.skipIf(!chromiumInstalled && !chromiumRequired)('the dashboard in Chromium', { timeout: 300_000 }, () => {
  let browser: Browser;
  let full: ServedHost;

  beforeAll(async () => {
    browser = await launchChromium();
    full = await serveHost([demandPlugin, maintenancePlugin, qualityPlugin, pricingPlugin, restockPlugin, packPlugin], true);
    const index = await fetch(`${full.url}/`);
    if (!(await index.text()).includes('id="view"')) {
      throw new Error(`the host is not serving the built dashboard: run 'pnpm --filter @rfid3/dashboard build' (expected ${assetsDir}/index.html)`);
    }
    // Every plugin's training and backfill runs first, as `pnpm rfid3 demo` does: minutes on a busy 2-core machine.
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await full?.close();
  });

  it('loads every view with no console errors, and shows the live accuracy figures', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleLog = watchConsole(page);
    for (const view of VIEWS) {
      await page.goto(`${full.url}/#/${view}`);
      await settled(page);
      // A card that failed shows the problem's own words, never an empty box.
      for (const text of await page.locator('[data-state="error"] .notice').allTextContents()) expect(text.trim().length).toBeGreaterThan(10);
      await page.screenshot({ path: join(ARTIFACTS_DIR, `desktop-${view || 'overview'}.png`), fullPage: true });
    }
    expect(consoleLog.errors).toEqual([]);

    await page.goto(`${full.url}/#/`);
    await settled(page);
    const accuracy = await getJson<{ byModel: { mae: number }[] }>(`${full.url}/api/predictive/demand/accuracy`);
    expect(accuracy.byModel.length).toBeGreaterThan(0);
    const mae = accuracy.byModel[accuracy.byModel.length - 1]!.mae;
    expect(await page.locator('#accuracy .big').textContent()).toContain(`MAE ${mae.toLocaleString('en-US', { maximumFractionDigits: 2 })}`);
    const status = await getJson<{ data: { lastScan: string } }>(`${full.url}/api/predictive/health/system-status`);
    expect(await page.locator('#freshness').textContent()).toContain(status.data.lastScan);
    const prices = await getJson<{ recommendations: { decision?: { status: string } | null }[] }>(`${full.url}/api/predictive/pricing/recommendations`);
    const pendingPrices = prices.recommendations.filter((r) => r.decision?.status === 'pending').length;
    expect(await page.locator('#pending-prices').textContent()).toMatch(new RegExp(`^${pendingPrices} price change`));
    const packs = await getJson<{ create: { decision?: { status: string } | null }[]; dissolve: { decision?: { status: string } | null }[] }>(
      `${full.url}/api/predictive/packs/recommendations`,
    );
    const pendingPacks = [...packs.create, ...packs.dissolve].filter((r) => r.decision?.status === 'pending').length;
    expect(await page.locator('#pending-packs').textContent()).toMatch(new RegExp(`^${pendingPacks} pack change`));
    await page.close();
  });

  it('draws the forecast chart and its 80 % interval band from the live forecast', async () => {
    const all = await getJson<{ series: { key: string }[] }>(`${full.url}/api/predictive/demand/forecast?weeks=1`);
    const category = all.series.map((s) => s.key).sort()[0]!;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleLog = watchConsole(page);
    const fetched = page.waitForResponse((r) => r.url().includes('/api/predictive/demand/forecast') && r.url().includes('weeks=3'));
    await page.goto(`${full.url}/#/demand?category=${encodeURIComponent(category)}&weeks=3`);
    await fetched;
    await settled(page);
    const api = await getJson<{ series: { key: string; points: ForecastPoint[] }[] }>(
      `${full.url}/api/predictive/demand/forecast?weeks=3&category=${encodeURIComponent(category)}&store=all`,
    );
    expect(api.series).toHaveLength(1);
    const points = api.series[0]!.points;
    expect(points).toHaveLength(21);
    expect(points.some((p) => p.upper > p.lower)).toBe(true);

    const chart = page.locator(`[data-series="${api.series[0]!.key}"] svg.chart`);
    const attrs = await chart.evaluate((svg) => ({
      yMax: Number(svg.dataset.yMax),
      top: Number(svg.dataset.plotTop),
      bottom: Number(svg.dataset.plotBottom),
      left: Number(svg.dataset.plotLeft),
      right: Number(svg.dataset.plotRight),
      band: svg.querySelector('path.band80')?.getAttribute('d') ?? '',
      line: svg.querySelector('path.line')?.getAttribute('d') ?? '',
    }));
    const toValue = (y: number) => ((attrs.bottom - y) / (attrs.bottom - attrs.top)) * attrs.yMax;
    const tolerance = 0.01 + attrs.yMax * 1e-4;
    const band = pathPoints(attrs.band);
    expect(band).toHaveLength(2 * points.length);
    const upper = band.slice(0, points.length);
    const lower = band.slice(points.length).reverse();
    points.forEach((p, i) => {
      expect(Math.abs(toValue(upper[i]!.y) - Math.max(0, p.upper)), `upper ${p.date}`).toBeLessThanOrEqual(tolerance);
      expect(Math.abs(toValue(lower[i]!.y) - Math.max(0, p.lower)), `lower ${p.date}`).toBeLessThanOrEqual(tolerance);
      expect(lower[i]!.x).toBeCloseTo(upper[i]!.x, 2);
    });
    // Days run left to right across the whole plot.
    expect(upper[0]!.x).toBeCloseTo(attrs.left, 1);
    expect(upper[points.length - 1]!.x).toBeCloseTo(attrs.right, 1);
    expect(upper.every((pt, i) => i === 0 || pt.x > upper[i - 1]!.x)).toBe(true);
    const line = pathPoints(attrs.line);
    points.forEach((p, i) => expect(Math.abs(toValue(line[i]!.y) - Math.max(0, p.value))).toBeLessThanOrEqual(tolerance));
    // The band is drawn from these numbers only: the highest upper bound sets the axis.
    expect(attrs.yMax).toBeGreaterThanOrEqual(Math.max(...points.map((p) => p.upper)));

    await page.screenshot({ path: join(ARTIFACTS_DIR, 'desktop-demand-category.png'), fullPage: true });

    // One rental class, two weeks: one chart of 14 days, titled by the class.
    const rentalClass = (await full.host.runtime.inventory.rentalClasses())[0]!.rentalClass;
    await page.goto(`${full.url}/#/demand?rental_class=${encodeURIComponent(rentalClass)}&weeks=2`);
    await settled(page);
    const classCards = page.locator('section.series');
    expect(await classCards.count()).toBe(1);
    expect(await classCards.first().getAttribute('data-series')).toBe(rentalClass);
    expect(await classCards.first().locator('svg.chart').getAttribute('data-points')).toBe('14');
    expect(await classCards.first().locator('h2').textContent()).toBe(`Rental class ${rentalClass}`);
    expect(consoleLog.errors).toEqual([]);
    await page.close();
  });

  it('opens an item of the maintenance schedule on its failure probability', async () => {
    const schedule = await fetch(`${full.url}/api/predictive/maintenance/schedule?days=30`);
    expect(schedule.status, 'maintenance/schedule must answer for this test').toBe(200);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleLog = watchConsole(page);
    await page.goto(`${full.url}/#/maintenance?days=30`);
    await settled(page);
    const link = page.locator('#maintenance-schedule a[href^="#/maintenance?item="]').first();
    const item = decodeURIComponent((await link.getAttribute('href'))!.split('item=')[1]!);
    const fetched = page.waitForResponse((r) => r.url().includes(`/maintenance/probability/${encodeURIComponent(item)}`));
    await link.click();
    expect((await fetched).status()).toBe(200);
    await settled(page);
    const card = page.locator('#maintenance-item');
    expect(await card.getAttribute('data-state')).toBe('ready');
    expect(await card.locator('h2').textContent()).toBe(`Failure probability of ${item}`);
    expect(await page.inputValue('input[name="item"]')).toBe(item);
    expect(consoleLog.errors).toEqual([]);
    await page.close();
  });

  it('approves a purchase that the restock plugin recommends, and the overview counts one fewer pending', async () => {
    const runtime = full.host.runtime;
    // The demo's proposal job normally leaves purchases waiting; when this business has none, the test proposes one.
    if ((await runtime.decisions.listOpen({ type: 'restock' })).every((d) => d.status !== 'pending')) {
      const recs = await getJson<{ recommendations: { rentalClass: string }[] }>(`${full.url}/api/predictive/inventory/optimization-recommendations?limit=1`);
      expect(recs.recommendations.length).toBeGreaterThan(0);
      await runtime.decisions.propose({ type: 'restock', target: { type: 'rental_class', id: recs.recommendations[0]!.rentalClass }, confidence: 0.7, amountUsd: 120, quantity: 2, unitCostUsd: 60, action: { quantity: 2 } });
    }
    const key = (await new ApiKeyStore({ database: runtime.database }).create('restock buyer', 'approve')).key;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleLog = watchConsole(page);
    // The overview counts every pending purchase; the restock table opens at its first 25 rows.
    await page.goto(`${full.url}/#/`);
    await settled(page);
    const before = Number(await page.locator('#pending-count').textContent());
    expect(before).toBeGreaterThan(0);
    await page.goto(`${full.url}/#/restock`);
    await settled(page);
    const pendingRows = page.locator('#restock-decisions tr').filter({ has: page.getByRole('button', { name: 'Approve' }) });
    expect(await pendingRows.count()).toBeGreaterThan(0);
    const first = pendingRows.first();
    const rentalClass = (await first.locator('td').first().textContent())!.trim();
    await first.getByRole('button', { name: 'Approve' }).click();
    await page.fill('#key-input', key);
    await page.getByRole('button', { name: 'Keep for this session' }).click();
    const row = page.locator('#restock-decisions tr', { hasText: rentalClass });
    await expect.poll(() => row.locator('[data-result]').getAttribute('data-result')).toBe('approved');
    const decisions = await full.host.runtime.database.db
      .selectFrom('automated_decisions')
      .selectAll()
      .where('decision_type', '=', 'restock')
      .where('target_id', '=', rentalClass)
      .where('status', '=', 'approved')
      .execute();
    expect(decisions).toHaveLength(1);
    expect(decisions[0]!.decided_by).toBe('restock buyer');

    await page.goto(`${full.url}/#/`);
    await settled(page);
    expect(Number(await page.locator('#pending-count').textContent())).toBe(before - 1);
    expect(consoleLog.errors).toEqual([]);
    await page.close();
  });

  it('holds its layout at a phone width of 390 px on every view', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const page = await context.newPage();
    const consoleLog = watchConsole(page);
    for (const view of VIEWS) {
      await page.goto(`${full.url}/#/${view}`);
      await settled(page);
      const layout = await page.evaluate(() => {
        const width = document.documentElement.clientWidth;
        const offenders: string[] = [];
        for (const el of document.querySelectorAll('body *')) {
          // Tables and the tab strip scroll inside their own box; the page itself must not.
          if (el.parentElement?.closest('.table-wrap, .tabs') || el.closest('dialog:not([open])')) continue;
          const r = el.getBoundingClientRect();
          if (r.width > 0 && r.right > width + 0.5) offenders.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(r.right)}`);
        }
        return { width, scrollWidth: document.documentElement.scrollWidth, offenders: offenders.slice(0, 5) };
      });
      expect(layout.width, `#/${view}`).toBe(390);
      expect(layout.offenders, `#/${view}`).toEqual([]);
      expect(layout.scrollWidth, `#/${view}`).toBeLessThanOrEqual(390);
      if (['', 'demand', 'maintenance', 'restock'].includes(view)) await page.screenshot({ path: join(ARTIFACTS_DIR, `phone-${view || 'overview'}.png`), fullPage: true });
    }
    expect(consoleLog.errors).toEqual([]);
    await context.close();
  });
});

describe.skipIf(!chromiumInstalled && !chromiumRequired)('approving and rejecting restock decisions in Chromium', { timeout: 300_000 }, () => {
  let browser: Browser;
  let served: ServedHost;
  let runtime: Runtime;
  let operateKey: string;

  beforeAll(async () => {
    browser = await launchChromium();
    served = await serveHost([demandPlugin, restockFixturePlugin], { items: 60, days: 60 }, false);
    runtime = served.host.runtime;
    operateKey = (await new ApiKeyStore({ database: runtime.database }).create('dashboard test', 'approve')).key;
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('approves with the approve key entered once, rejects with a reason, and both land in automated_decisions', async () => {
    const propose = (item: string) =>
      runtime.decisions.propose({ type: 'restock', target: { type: 'rental_class', id: item }, confidence: 0.7, amountUsd: 2400, quantity: 40, unitCostUsd: 60, action: { quantity: 40 } });
    const toApprove = await propose('61885');
    const toReject = await propose('72410');
    expect([toApprove.status, toReject.status]).toEqual(['pending', 'pending']);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleLog = watchConsole(page);
    await page.goto(`${served.url}/#/restock`);
    await settled(page);
    const row = (item: string) => page.locator('#restock-decisions tr', { hasText: item });

    // No key yet: Approve asks for it first.
    await row('61885').getByRole('button', { name: 'Approve' }).click();
    await page.locator('#key-dialog').waitFor({ state: 'visible' });
    await page.fill('#key-input', operateKey);
    await page.getByRole('button', { name: 'Keep for this session' }).click();
    await expect.poll(() => row('61885').locator('[data-result]').getAttribute('data-result')).toBe('approved');
    const approved = await runtime.database.db.selectFrom('automated_decisions').selectAll().where('id', '=', toApprove.id).executeTakeFirstOrThrow();
    expect(approved.status).toBe('approved');
    expect(approved.decided_by).toBe('dashboard test');

    // The key is kept for the session: Reject goes straight through, with the reason typed in.
    page.once('dialog', (d) => void d.accept('sub-rent for the June peak instead'));
    await row('72410').getByRole('button', { name: 'Reject' }).click();
    await expect.poll(() => row('72410').locator('[data-result]').getAttribute('data-result')).toBe('rejected');
    const rejected = await runtime.database.db.selectFrom('automated_decisions').selectAll().where('id', '=', toReject.id).executeTakeFirstOrThrow();
    expect(rejected.status).toBe('rejected');
    expect(rejected.override_reason).toBe('sub-rent for the June peak instead');
    expect(rejected.decided_by).toBe('dashboard test');

    // After a reload both show their new status and no button is left to press.
    await page.reload();
    await settled(page);
    expect(await page.locator('#key-button').textContent()).toBe('Key set');
    expect(await page.locator('#restock-decisions button.approve').count()).toBe(0);
    expect(await row('61885').locator('.badge').textContent()).toBe('approved');
    expect(consoleLog.errors).toEqual([]);
    await page.close();
  });

  it('says which plugin to install when a view’s plugin is not loaded', async () => {
    const page = await browser.newPage();
    const consoleLog = watchConsole(page);
    await page.goto(`${served.url}/#/pricing`);
    await settled(page);
    const notice = page.locator('#pricing-recommendations .notice-missing');
    expect(await notice.locator('strong').textContent()).toBe('Not available: @rfid3/plugin-pricing is not loaded');
    expect(await notice.textContent()).toContain('install it beside the host');
    expect(consoleLog.errors).toEqual([]);
    expect(consoleLog.apiProblems.length).toBeGreaterThan(0);
    await page.close();
  });

  it('shows a refused key as the problem the host returned, and forgets it', async () => {
    const pending = await runtime.decisions.propose({ type: 'restock', target: { type: 'rental_class', id: '90001' }, confidence: 0.7, amountUsd: 1500, action: { quantity: 10 } });
    const context = await browser.newContext();
    await context.addInitScript(() => sessionStorage.setItem('rfid3.operateKey', 'rfid3_00000000_notarealkeynotarealkeynotarealkey00'));
    const page = await context.newPage();
    await page.goto(`${served.url}/#/restock`);
    await settled(page);
    await page.locator('#restock-decisions tr', { hasText: '90001' }).getByRole('button', { name: 'Approve' }).click();
    const notice = page.locator('#restock-decisions .notice');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('401');
    expect(await page.evaluate(() => sessionStorage.getItem('rfid3.operateKey'))).toBeNull();
    expect((await runtime.decisions.get(pending.id))!.status).toBe('pending');
    await context.close();
  });
});
