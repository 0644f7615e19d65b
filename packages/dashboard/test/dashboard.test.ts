import { join } from 'node:path';
import type { JobContext, Runtime } from '@rfid3/core';
import { definePlugin } from '@rfid3/core';
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
import { bareClassNumbers, countMoneyWithDollar, dollars, expandAll, moneyValues, moneyWithoutDollar, namesInAnswer, readPage } from './checks.js';
import { actualsOf } from '../src/views/demand.js';
import { alertWhy, purchaseWhy } from '../src/views/restock.js';
import { restockFixturePlugin } from './restock-fixture.js';
import { JOBS_POLL_MS } from '../src/views/domains.js';
import { type Answer, apiUrl, fillPath, type GetPath, type Query, type ReadArgs } from '../src/api.js';

const VIEWS = ['', 'kpis', 'demand', 'maintenance', 'quality', 'pricing', 'restock', 'packs', 'models'];

interface ServedHost {
  host: TestHost;
  url: string;
  close(): Promise<void>;
}

/** A host over simulated data, as `pnpm rfid3 demo` leaves it: models trained and recent forecasts replayed. */
async function serveHost(plugins: TestHostOptions['plugins'], simulate: TestHostOptions['simulate'], train = true): Promise<ServedHost> {
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

/**
 * `GET <path>` of the host at `base`, called as the dashboard calls it (`api.read`): the path's `{…}` parameters and
 * query as the OpenAPI document declares them, and the answer typed by the endpoint's response schema.
 */
async function read<R extends GetPath>(base: string, path: R, ...args: ReadArgs<R>): Promise<Answer<R>> {
  const [params, query] = path.includes('{') ? [args[0], args[1]] : [{}, args[0]];
  return getJson<Answer<R>>(`${base}${apiUrl(fillPath(path, params as Record<string, string | number>), query as Query)}`);
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

describe('what the views read from an answer, without a browser', () => {
  it('reads recent actual demand under value, actual or units, in date order, and nothing when it is absent', () => {
    const recent = [{ date: '2026-05-30', units: 4 }, { date: '2026-05-29', actual: 2 }, { date: '2026-05-31', value: 0 }, { date: '2026-05-28' }, { value: 3 }];
    expect(actualsOf({ recent })).toEqual([
      { date: '2026-05-29', value: 2 },
      { date: '2026-05-30', value: 4 },
      { date: '2026-05-31', value: 0 },
    ]);
    expect(actualsOf({ key: 'Tents', points: [] })).toEqual([]);
    expect(actualsOf({ recent: [] })).toEqual([]);
    expect(actualsOf({ recent: 'soon' })).toEqual([]);
  });

  it('gives a purchase or an alert without words of its own a why line from its figures, and keeps one that has them', () => {
    const alert = { rentalClass: '60027', unitsOwned: 9, peakDay: '2026-06-19', peakOnRentP50: 12, peakOnRentP90: 15, shortfallProbability: 0.64, expectedStockoutDays: 2.31 };
    expect(alertWhy(alert)).toBe('Expected peak on rent 12 (up to 15) of 9 owned on Fri, Jun 19; 64 % chance of running short; about 2.3 days turning rentals away');
    expect(purchaseWhy({ ...alert, reason: '3 units ordered now avoid 1.9 of the 2.3 stockout days' })).toBe(
      'Expected peak on rent 12 (up to 15) of 9 owned on Fri, Jun 19; 64 % chance of running short; about 2.3 days turning rentals away. 3 units ordered now avoid 1.9 of the 2.3 stockout days',
    );
    expect(purchaseWhy({ ...alert, why: 'sold out on 6 of the last 8 Saturdays' })).toBe('sold out on 6 of the last 8 Saturdays');
  });
});

describe.skipIf(!chromiumInstalled && !chromiumRequired)('the dashboard in Chromium', { timeout: 300_000 }, () => {
  let browser: Browser;
  let full: ServedHost;
  /** The true name of every class: the inventory's, and the packs' as the pack plugin reports them. */
  const catalog = new Map<string, string>();

  beforeAll(async () => {
    browser = await launchChromium();
    // This small business has no price move whose gain range clears zero; moving on P(gain) alone lets the
    // pricing-gain-range safeguard leave those moves to a person, whom the phone test plays.
    const pricing = { plugin: pricingPlugin, config: { minProbability: 0.6, requirePositiveGainRange: false } };
    full = await serveHost([demandPlugin, maintenancePlugin, qualityPlugin, pricing, restockPlugin, packPlugin], true);
    const index = await fetch(`${full.url}/`);
    if (!(await index.text()).includes('id="view"')) {
      throw new Error(`the host is not serving the built dashboard: run 'pnpm --filter @rfid3/dashboard build' (expected ${assetsDir}/index.html)`);
    }
    for (const c of await full.host.runtime.inventory.rentalClasses()) if (c.commonName) catalog.set(c.rentalClass, c.commonName);
    const packs = await read(full.url, 'pack/performance-analysis');
    for (const p of packs.packs) {
      if (p.name) catalog.set(p.rentalClass, p.name);
      for (const c of p.components) if (c.name && !catalog.has(c.rentalClass)) catalog.set(c.rentalClass, c.name);
    }
    // Every plugin's training and backfill runs first, as `pnpm rfid3 demo` does: minutes on a busy 2-core machine.
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await full?.close();
  });

  it('loads every view with no console errors, and says how good the forecasts are in plain words', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleLog = watchConsole(page);
    for (const view of VIEWS) {
      await page.goto(`${full.url}/#/${view}`);
      await settled(page);
      // A card that failed shows the problem's own words, never an empty box.
      for (const text of await page.locator('[data-state="error"] .notice').allTextContents()) expect(text.trim().length).toBeGreaterThan(10);
    }
    expect(consoleLog.errors).toEqual([]);

    await page.goto(`${full.url}/#/`);
    await settled(page);
    const accuracy = await read(full.url, 'demand/accuracy');
    expect(accuracy.byModel.length).toBeGreaterThan(0);
    const live = accuracy.byModel[accuracy.byModel.length - 1]!;
    // The demo's forecasts carry ranges, so the sentence says how often they held.
    expect(live.coverage).not.toBeNull();
    expect(live.intervalLevel).not.toBeNull();
    const [coverage, level] = [live.coverage!, live.intervalLevel!];
    const sentence = (await page.locator('#accuracy-sentence').textContent())!;
    // "Forecasts are off by about 5 units a day; the 80 % ranges held 94 % of the time — wider than needed."
    const aboutMae = live.mae >= 3 ? String(Math.round(live.mae)) : String(Math.round(live.mae * 10) / 10);
    expect(sentence).toContain(`off by about ${aboutMae} units a day`);
    expect(sentence).toContain(`the ${Math.round(level * 100)} % ranges held ${Math.round(coverage * 100)} % of the time`);
    expect(sentence).toContain(coverage > level + 0.05 ? 'wider than needed' : coverage < level - 0.05 ? 'too narrow' : 'as often as they promise');
    // No model terms in the main text: they sit folded in the details.
    const mainText = await page.locator('#accuracy').evaluate((el) => (el as HTMLElement).innerText);
    expect(mainText).not.toMatch(/\bMAE\b|sMAPE|coverage/i);
    const status = await read(full.url, 'health/system-status');
    expect(await page.locator('#freshness').textContent()).toContain(status.data.lastScan);
    const prices = await read(full.url, 'pricing/recommendations');
    const pendingPrices = prices.recommendations.filter((r) => r.decision?.status === 'pending').length;
    expect(await page.locator('#pending-prices').textContent()).toMatch(new RegExp(`^${pendingPrices} price change`));
    const packs = await read(full.url, 'pack/recommendations');
    const pendingPacks = [...packs.create, ...packs.dissolve].filter((r) => r.decision?.status === 'pending').length;
    expect(await page.locator('#pending-packs').textContent()).toMatch(new RegExp(`^${pendingPacks} pack change`));
    // Critical shortfalls lead the attention list, each with its item's name.
    const alerts = await read(full.url, 'restock/restock-alerts');
    const critical = alerts.alerts.filter((a) => a.severity === 'critical');
    if (critical.length) {
      const first = page.locator('#alert-list li').first();
      expect(await first.getAttribute('class')).toBe('bad');
      expect(critical.map((a) => a.rentalClass)).toContain(await first.locator('.cls').getAttribute('data-class'));
    }
    await page.close();
  });

  // Which answers each view reads, for the money check; the catalog check needs none.
  const VIEW_ANSWERS: Record<string, string[]> = {
    kpis: ['kpis'],
    maintenance: ['maintenance/schedule?days=30'],
    quality: ['quality/replacement-recommendations'],
    pricing: ['pricing/recommendations'],
    restock: ['restock/optimization-recommendations', 'restock/restock-alerts'],
    packs: ['pack/performance-analysis', 'pack/recommendations'],
  };

  it('shows every view at 1400 px and 390 px without sideways scrolling, Approve in reach, every class named and every price in dollars', async () => {
    // Names any answer of the API gives: a class no answer names may show as unnamed, and is reported.
    const named = new Map<string, string>();
    for (const path of [
      'restock/optimization-recommendations',
      'restock/restock-alerts',
      'pack/performance-analysis',
      'pack/recommendations',
      'maintenance/schedule?days=30',
      'quality/replacement-recommendations',
      'pricing/recommendations',
    ]) {
      namesInAnswer(await getJson(`${full.url}/api/predictive/${path}`), named);
    }
    const unnamedByApi = new Set<string>();
    for (const width of [1400, 390]) {
      const phone = width < 720;
      const context = await browser.newContext(
        phone ? { viewport: { width, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : { viewport: { width, height: 900 } },
      );
      const page = await context.newPage();
      const consoleLog = watchConsole(page);
      for (const view of VIEWS) {
        const where = `#/${view} at ${width} px`;
        await page.goto(`${full.url}/#/${view}`);
        await settled(page);
        await page.screenshot({ path: join(ARTIFACTS_DIR, `${phone ? 'phone' : 'desktop'}-${view || 'overview'}.png`), fullPage: !phone });
        await expandAll(page);
        const r = await readPage(page);
        expect(r.innerWidth, where).toBe(width);
        expect(r.scrollWidth, `${where}: the page scrolls sideways`).toBeLessThanOrEqual(r.innerWidth);
        expect(r.approveOutside, `${where}: Approve buttons out of reach`).toEqual([]);

        // Every class shown carries its true name; one the API names nowhere says so instead.
        for (const c of r.classes) {
          if (c.name === null) {
            expect(named.has(c.id), `${where}: ${c.id} is shown unnamed though the API names it '${named.get(c.id)}'`).toBe(false);
            unnamedByApi.add(c.id);
          } else if (catalog.has(c.id)) expect(c.name, `${where}: class ${c.id}`).toBe(catalog.get(c.id));
        }
        expect(bareClassNumbers(r.textWithoutClasses, catalog.keys()), `${where}: class numbers without their name`).toEqual([]);

        // Money: every amount the page marks as money starts with $, and no money value of the answers shows without it.
        for (const t of r.moneyTexts) expect(t, where).toMatch(/^(?:[+−-]?\$\d|—$)/);
        const values = (await Promise.all((VIEW_ANSWERS[view] ?? []).map((p) => getJson(`${full.url}/api/predictive/${p}`)))).flatMap(moneyValues);
        expect(moneyWithoutDollar(r.text, values), `${where}: money without $`).toEqual([]);
        if (values.length) {
          expect(r.moneyTexts.length, where).toBeGreaterThan(0);
          expect(countMoneyWithDollar(r.text, values), `${where}: none of the answers' amounts shown in dollars`).toBeGreaterThan(0);
        }

        // A recommendation that can be approved says why.
        const whys = await page.locator('#view tr:has(button.approve)').evaluateAll((rows) => rows.map((row) => row.querySelector('.why')?.textContent?.trim() ?? ''));
        for (const w of whys) expect(w.length, `${where}: a recommendation without a why line`).toBeGreaterThan(10);
        if (view === 'restock') {
          // Critical first, in both lists.
          for (const id of ['#restock-alerts', '#restock-decisions']) {
            const ranks = await page
              .locator(`${id} tbody tr`)
              .evaluateAll((rows) =>
                rows.map((row) => ['critical', 'high', 'medium', 'low'].indexOf(row.querySelector('.sev')?.textContent?.trim() ?? 'none')).map((i) => (i < 0 ? 9 : i)),
              );
            expect(ranks.length, id).toBeGreaterThan(0);
            expect(ranks, `${where} ${id}: most urgent first`).toEqual([...ranks].sort((a, b) => a - b));
          }
        }
        if (['restock', 'pricing', 'packs'].includes(view)) {
          const pending = (
            await Promise.all(
              ({ restock: ['restock/optimization-recommendations'], pricing: ['pricing/recommendations'], packs: ['pack/recommendations'] } as Record<string, string[]>)[view]!.map(
                (p) => getJson<Record<string, unknown>>(`${full.url}/api/predictive/${p}`),
              ),
            )
          )
            .flatMap((a) => Object.values(a).filter(Array.isArray).flat() as { decision?: { status?: string } | null }[])
            .filter((x) => x?.decision?.status === 'pending').length;
          expect(r.approveCount, `${where}: one Approve per pending decision`).toBe(pending);
        }
      }
      expect(consoleLog.errors).toEqual([]);
      await context.close();
    }
    if (unnamedByApi.size) console.info(`classes no API answer names, shown as unnamed: ${[...unnamedByApi].sort().join(', ')}`);
  });

  it('gives a phone a menu instead of a strip of tabs, and a wide screen every view as a tab', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await page.goto(`${full.url}/#/`);
    await settled(page);
    expect(await page.locator('#tabs').isVisible()).toBe(false);
    const menu = page.locator('#menu-button');
    expect(await menu.isVisible()).toBe(true);
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    await menu.click();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    const links = page.locator('#tabs a');
    expect(await links.count()).toBe(VIEWS.length);
    for (const box of await links.evaluateAll((as) => as.map((a) => a.getBoundingClientRect().toJSON() as DOMRect))) {
      expect(box.width).toBeGreaterThan(0);
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.right).toBeLessThanOrEqual(390);
    }
    await page.locator('#tabs a[data-view="pricing"]').click();
    await settled(page);
    expect(await page.evaluate(() => location.hash)).toBe('#/pricing');
    expect(await page.locator('#tabs').isVisible()).toBe(false);
    expect(await menu.textContent()).toContain('Pricing');
    await context.close();

    const wide = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await wide.goto(`${full.url}/#/`);
    await settled(wide);
    expect(await wide.locator('#menu-button').isVisible()).toBe(false);
    for (const box of await wide.locator('#tabs a').evaluateAll((as) => as.map((a) => a.getBoundingClientRect().toJSON() as DOMRect))) {
      expect(box.width).toBeGreaterThan(0);
      expect(box.right).toBeLessThanOrEqual(1400);
    }
    await wide.close();
  });

  it('draws the forecast chart and its 80 % interval band from the live forecast', async () => {
    const all = await read(full.url, 'demand/forecast', { weeks: 1 });
    const category = all.series.map((s) => s.key).sort()[0]!;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleLog = watchConsole(page);
    const fetched = page.waitForResponse((r) => r.url().includes('/api/predictive/demand/forecast') && r.url().includes('weeks=3'));
    await page.goto(`${full.url}/#/demand?category=${encodeURIComponent(category)}&weeks=3`);
    await fetched;
    await settled(page);
    const api = await read(full.url, 'demand/forecast', { weeks: 3, category, store: 'all' });
    expect(api.series).toHaveLength(1);
    const declared = api.series[0]!.points;
    expect(declared).toHaveLength(21);
    // The 80 % range is drawn when every day has one, as this business's forecasts do.
    expect(declared.every((p) => p.lower !== null && p.upper !== null)).toBe(true);
    const points = declared.map((p) => ({ ...p, lower: p.lower ?? 0, upper: p.upper ?? 0 }));
    expect(points.some((p) => p.upper > p.lower)).toBe(true);

    const attrs = await readChart(page, api.series[0]!.key);
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
    // Days run left to right to the right edge; from the left edge unless recent actuals are drawn first.
    const sentActuals = ((api.series[0] as { recent?: unknown[] }).recent ?? []).length;
    if (sentActuals) expect(upper[0]!.x).toBeGreaterThan(attrs.left + 1);
    else expect(upper[0]!.x).toBeCloseTo(attrs.left, 1);
    expect(upper[points.length - 1]!.x).toBeCloseTo(attrs.right, 1);
    expect(upper.every((pt, i) => i === 0 || pt.x > upper[i - 1]!.x)).toBe(true);
    const line = pathPoints(attrs.line);
    points.forEach((p, i) => expect(Math.abs(toValue(line[i]!.y) - Math.max(0, p.value))).toBeLessThanOrEqual(tolerance));
    // The band is drawn from these numbers (and the recent actuals): the highest of them sets the axis.
    expect(attrs.yMax).toBeGreaterThanOrEqual(Math.max(...points.map((p) => p.upper)));
    // What went out lately is drawn when the answer carries it (`recent`), and its absence is no error.
    const sentRecent = (api.series[0] as { recent?: unknown[] }).recent;
    if (Array.isArray(sentRecent) && sentRecent.length) {
      expect(attrs.actualPoints).toBe(sentRecent.length);
      expect(await page.locator('#no-actuals').count()).toBe(0);
    } else {
      expect(attrs.actualPoints).toBe(0);
      expect(await page.locator('#no-actuals').count()).toBe(1);
    }

    // One rental class, two weeks: one chart of 14 days, titled by the class's number and name.
    const rentalClass = (await full.host.runtime.inventory.rentalClasses())[0]!;
    await page.goto(`${full.url}/#/demand?rental_class=${encodeURIComponent(rentalClass.rentalClass)}&weeks=2`);
    await settled(page);
    const classCards = page.locator('section.series');
    expect(await classCards.count()).toBe(1);
    expect(await classCards.first().getAttribute('data-series')).toBe(rentalClass.rentalClass);
    expect(await classCards.first().locator('svg.chart').getAttribute('data-points')).toBe('14');
    expect(await classCards.first().locator('h2').textContent()).toBe(`${rentalClass.rentalClass} ${rentalClass.commonName}`);
    expect(consoleLog.errors).toEqual([]);
    await page.close();
  });

  it('draws the recent actual demand before the forecast when the answer carries it', async () => {
    // The forecast endpoint does not send actuals yet; the answer is given them at the network edge, from
    // the simulated business's own scans, as a plugin that sends them would.
    const all = await read(full.url, 'demand/forecast', { weeks: 1 });
    const category = all.series.map((s) => s.key).sort()[0]!;
    const to = all.dataThrough;
    const from = new Date(Date.parse(`${to}T00:00:00Z`) - 13 * 86_400_000).toISOString().slice(0, 10);
    const rows = await full.host.runtime.inventory.dailyUnitsOut({ level: 'category', category, from, to });
    const byDay = new Map(rows.map((r) => [r.day, r.units]));
    const recent = Array.from({ length: 14 }, (_, i) => {
      const date = new Date(Date.parse(`${from}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10);
      return { date, value: byDay.get(date) ?? 0 };
    });
    // Sent as `units` per day, one of the names the chart accepts beside `value` and `actual`.
    const sent = recent.map((p) => ({ date: p.date, units: p.value }));
    expect(recent.some((p) => p.value > 0)).toBe(true);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.route('**/api/predictive/demand/forecast?*', async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { series: Record<string, unknown>[] };
      for (const s of body.series) if (s.key === category) s.recent = sent;
      await route.fulfill({ response: res, json: body });
    });
    await page.goto(`${full.url}/#/demand?category=${encodeURIComponent(category)}&weeks=2`);
    await settled(page);
    const attrs = await readChart(page, category);
    expect(attrs.actualPoints).toBe(14);
    const toValue = (y: number) => ((attrs.bottom - y) / (attrs.bottom - attrs.top)) * attrs.yMax;
    const drawn = pathPoints(attrs.actual);
    expect(drawn).toHaveLength(14);
    recent.forEach((p, i) => expect(Math.abs(toValue(drawn[i]!.y) - p.value), p.date).toBeLessThanOrEqual(0.01 + attrs.yMax * 1e-4));
    // Actuals start at the left edge and end before the first forecast day.
    const forecast = pathPoints(attrs.line);
    expect(drawn[0]!.x).toBeCloseTo(attrs.left, 1);
    expect(drawn[13]!.x).toBeLessThan(forecast[0]!.x);
    expect(attrs.yMax).toBeGreaterThanOrEqual(Math.max(...recent.map((p) => p.value)));
    const legend = (await page.locator(`[data-series="${category}"] .legend`).textContent())!;
    for (const words of ['what went out', 'forecast', '80 % range']) expect(legend).toContain(words);
    expect(await page.locator('#no-actuals').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'desktop-demand-actuals.png'), fullPage: true });
    await page.close();
  });

  it('opens an item of the maintenance schedule on its repair risk, in words', async () => {
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
    const answer = (await (await fetched).json()) as { probability: { withinDays: number; days: number }; rentalClass: string };
    await settled(page);
    const card = page.locator('#maintenance-item');
    expect(await card.getAttribute('data-state')).toBe('ready');
    expect(await card.locator('h2').textContent()).toBe(`Repair risk of ${item}`);
    expect(await card.locator('.sentence').textContent()).toContain(
      `${Math.round(answer.probability.withinDays * 100)} % chance it needs a repair within ${answer.probability.days} days`,
    );
    expect(await card.locator('.cls').first().getAttribute('data-class')).toBe(answer.rentalClass);
    // The survival model's internals are folded away.
    expect(await card.evaluate((el) => (el as HTMLElement).innerText)).not.toMatch(/weibull|hazard/i);
    expect(await page.inputValue('input[name="item"]')).toBe(item);
    expect(consoleLog.errors).toEqual([]);
    await page.close();
  });

  it('approves a purchase that the restock plugin recommends, and the overview counts one fewer pending', async () => {
    const runtime = full.host.runtime;
    // The demo's proposal job normally leaves purchases waiting; when this business has none, the test proposes one.
    if ((await runtime.decisions.listOpen({ type: 'restock' })).every((d) => d.status !== 'pending')) {
      const recs = await read(full.url, 'restock/optimization-recommendations');
      expect(recs.recommendations.length).toBeGreaterThan(0);
      await runtime.decisions.propose({
        type: 'restock',
        target: { type: 'rental_class', id: recs.recommendations[0]!.rentalClass },
        confidence: 0.7,
        amountUsd: 120,
        quantity: 2,
        unitCostUsd: 60,
        action: { quantity: 2 },
      });
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
    const rentalClass = (await first.locator('td.primary .cls').getAttribute('data-class'))!;
    await first.getByRole('button', { name: 'Approve' }).click();
    await page.fill('#key-input', key);
    await page.getByRole('button', { name: 'Keep for this session' }).click();
    const row = page.locator('#restock-decisions tr').filter({ has: page.locator(`td.primary .cls[data-class="${rentalClass}"]`) });
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

  it('approves a price change on a phone through the decision ledger, with an approve key', async () => {
    const runtime = full.host.runtime;
    const prices = await read(full.url, 'pricing/recommendations');
    const pending = prices.recommendations.filter((r) => r.decision?.status === 'pending');
    expect(pending.length, 'the pricing proposal job leaves price changes for review on this business').toBeGreaterThan(0);
    const key = (await new ApiKeyStore({ database: runtime.database }).create('price reviewer', 'approve')).key;
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const consoleLog = watchConsole(page);
    await page.goto(`${full.url}/#/pricing`);
    await settled(page);
    await expandAll(page);
    // The first card with an Approve button; its class says which recorded decision it stands for.
    const first = page
      .locator('#pricing-recommendations tr')
      .filter({ has: page.getByRole('button', { name: 'Approve' }) })
      .first();
    const rentalClass = (await first.locator('td.primary .cls').getAttribute('data-class'))!;
    const target = pending.find((r) => r.rentalClass === rentalClass);
    expect(target, `class ${rentalClass} has a pending price decision`).toBeDefined();
    const row = page.locator('#pricing-recommendations tr').filter({ has: page.locator(`td.primary .cls[data-class="${rentalClass}"]`) });
    const approve = row.getByRole('button', { name: 'Approve' });
    await approve.scrollIntoViewIfNeeded();
    const box = (await approve.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    await approve.tap();
    await page.fill('#key-input', key);
    await page.getByRole('button', { name: 'Keep for this session' }).tap();
    await expect.poll(() => row.locator('[data-result]').getAttribute('data-result')).toBe('approved');
    const record = await runtime.database.db.selectFrom('automated_decisions').selectAll().where('id', '=', target!.decision!.id).executeTakeFirstOrThrow();
    expect(record.status).toBe('approved');
    expect(record.decided_by).toBe('price reviewer');
    expect(consoleLog.errors).toEqual([]);
    await context.close();
  });

  it('shows how the business is doing with the figures GET kpis returns, reached from the menu, a measured decision beside its prediction', async () => {
    const runtime = full.host.runtime;
    const kpis = () => read(full.url, 'kpis');
    const figure = (page: Page, id: string) => page.locator(`#kpi-${id} [data-kpi="${id}"]`).textContent() as Promise<string>;
    const text = (page: Page, id: string) => page.locator(`#kpi-${id}`).evaluate((el) => (el as HTMLElement).innerText);
    const pct = (x: number) => `${Math.round(x * 100)} %`;

    // On a phone, from the menu.
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const phone = await context.newPage();
    const consoleLog = watchConsole(phone);
    await phone.goto(`${full.url}/#/`);
    await settled(phone);
    await phone.locator('#menu-button').tap();
    await phone.locator('#tabs a[data-view="kpis"]').tap();
    await settled(phone);
    expect(await phone.evaluate(() => location.hash)).toBe('#/kpis');
    const k = await kpis();
    expect(await phone.locator('#view h1').textContent()).toBe('How the business is doing');
    for (const id of ['stockouts', 'turns', 'revenue', 'acceptance', 'accuracy', 'repairs', 'premature']) {
      expect(await phone.locator(`#kpi-${id}`).getAttribute('data-state'), id).toBe('ready');
      // Each figure says in one line what it means.
      expect((await phone.locator(`#kpi-${id} .kpi-explain`).textContent())!.length, id).toBeGreaterThan(30);
    }
    expect(await figure(phone, 'stockouts')).toContain(k.stockouts.total.current.toLocaleString('en-US'));
    // On a phone the weeks are folded under the total; opened, they hold every week the answer gave.
    expect(await phone.locator('#kpi-stockouts details.kpi-weeks').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await expandAll(phone);
    const weeks = await phone.locator('#kpi-stockouts tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).innerText));
    expect(weeks).toHaveLength(k.stockouts.weeks.length);
    // Newest week first, each with its own count and the same week a year earlier (or no data).
    [...k.stockouts.weeks].reverse().forEach((w, i) => {
      expect(weeks[i]).toContain(`${w.soldOutClassDays.toLocaleString('en-US')} (`);
      expect(weeks[i]).toContain(w.yearEarlier ? `${w.yearEarlier.soldOutClassDays.toLocaleString('en-US')} (` : 'no data');
    });
    if (k.inventoryTurns.perYear !== null) expect(await figure(phone, 'turns')).toContain(k.inventoryTurns.perYear.toLocaleString('en-US', { maximumFractionDigits: 1 }));
    expect(await text(phone, 'turns')).toContain(`${k.inventoryTurns.unitsRented.toLocaleString('en-US')} units sent out`);
    // A year before is compared only where the data reaches it.
    const before = k.inventoryTurns.previous;
    expect(await text(phone, 'turns')).toContain(
      before
        ? `The year before: ${before.perYear === null ? 'not known' : `${before.perYear.toLocaleString('en-US', { maximumFractionDigits: 1 })} times`}`
        : 'No year before to compare with yet',
    );
    if (k.revenuePerRental.perContract !== null) expect(await figure(phone, 'revenue')).toContain(dollars(k.revenuePerRental.perContract));
    expect(await text(phone, 'revenue')).toContain(`${dollars(k.revenuePerRental.revenue)} from ${k.revenuePerRental.contracts.toLocaleString('en-US')} contracts`);
    const a = k.recommendationAcceptance;
    expect(await figure(phone, 'acceptance')).toBe(a.rate === null ? 'none decided yet' : pct(a.rate));
    expect(await text(phone, 'acceptance')).toContain(`${a.accepted} approved and ${a.rejected} rejected by a person`);
    expect(await text(phone, 'acceptance')).toContain(`${a.pending} waiting for a decision`);
    const r = k.unplannedRepairs;
    if (r.costShare !== null) expect(await figure(phone, 'repairs')).toContain(pct(r.costShare));
    expect(await text(phone, 'repairs')).toContain(dollars(r.unplannedCost));
    expect(await figure(phone, 'premature')).toContain(String(k.prematureReplacements.count));
    expect(await text(phone, 'premature')).toContain(`of the ${k.prematureReplacements.retired} item`);
    if (k.decisionAccuracy.matched === 0) {
      expect(await figure(phone, 'accuracy')).toBe('none measured yet');
      expect(await phone.locator('#kpi-accuracy-none').count()).toBe(1);
    }
    const r390 = await readPage(phone);
    expect(r390.scrollWidth).toBeLessThanOrEqual(390);
    expect(consoleLog.errors).toEqual([]);
    await context.close();

    // A restock carried out and measured: the accuracy card shows it beside its prediction, with the item's name.
    const open = new Set((await runtime.decisions.listOpen({ type: 'restock' })).map((d) => d.target.id));
    const cls = [...catalog.keys()].find((c) => !open.has(c) && /^\d+$/.test(c))!;
    const proposed = await runtime.decisions.propose({
      type: 'restock',
      target: { type: 'rental_class', id: cls },
      confidence: 0.5,
      amountUsd: 120,
      quantity: 2,
      unitCostUsd: 60,
      predictedImpact: 250.5,
      action: { quantity: 2 },
    });
    const buyer = { name: 'kpi buyer', keyId: 'kpi-test-key', role: 'approve' as const, approveLimitUsd: 10_000 };
    if (proposed.status === 'pending') await runtime.decisions.approve(proposed.id, buyer);
    await runtime.decisions.execute(proposed.id, buyer);
    await runtime.decisions.recordActualImpact(proposed.id, 198.25);
    const after = await kpis();
    expect(after.decisionAccuracy.matched).toBeGreaterThan(0);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${full.url}/#/kpis`);
    await settled(page);
    expect(await figure(page, 'accuracy')).toContain(pct(after.decisionAccuracy.accuracy!));
    expect(await text(page, 'accuracy')).toContain(`predicted ${dollars(after.decisionAccuracy.predicted)}, actual ${dollars(after.decisionAccuracy.actual)}`);
    const row = page.locator('#kpi-accuracy tbody tr').filter({ has: page.locator(`.cls[data-class="${cls}"]`) });
    expect(await row.count()).toBe(1);
    expect(await row.locator('.cls-name').textContent()).toBe(catalog.get(cls));
    const cells = await row.locator('.money').allTextContents();
    expect(cells).toEqual([dollars(250.5), dollars(198.25)]);
    expect(await figure(page, 'acceptance')).toBe(pct(after.recommendationAcceptance.rate!));
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'desktop-kpis-measured.png'), fullPage: true });
    await page.close();
  });
});

/** The chart of a series as drawn: its scale and paths. */
async function readChart(page: Page, key: string) {
  return page.locator(`[data-series="${key}"] svg.chart`).evaluate((svg) => ({
    yMax: Number((svg as SVGElement).dataset.yMax),
    top: Number((svg as SVGElement).dataset.plotTop),
    bottom: Number((svg as SVGElement).dataset.plotBottom),
    left: Number((svg as SVGElement).dataset.plotLeft),
    right: Number((svg as SVGElement).dataset.plotRight),
    actualPoints: Number((svg as SVGElement).dataset.actualPoints),
    band: svg.querySelector('path.band80')?.getAttribute('d') ?? '',
    line: svg.querySelector('path.line')?.getAttribute('d') ?? '',
    actual: svg.querySelector('path.actual')?.getAttribute('d') ?? '',
  }));
}

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
      runtime.decisions.propose({
        type: 'restock',
        target: { type: 'rental_class', id: item },
        confidence: 0.7,
        amountUsd: 2400,
        quantity: 40,
        unitCostUsd: 60,
        action: { quantity: 40 },
      });
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

describe.skipIf(!chromiumInstalled && !chromiumRequired)('running jobs on the Models & health view in Chromium', { timeout: 120_000 }, () => {
  let browser: Browser;
  let served: ServedHost;
  /** The running job's context, for the test to move its progress, and what ends it. */
  let running: JobContext | null = null;
  let finish: () => void = () => undefined;
  const jobFixture = definePlugin({
    id: 'jobfix',
    version: '0.0.0',
    coreRange: '>=0.1.0 <1.0.0',
    register({ job }) {
      job('score-items', async (_payload, ctx) => {
        ctx.progress(0.4, 'scored 400 of 1,000 items');
        running = ctx;
        await new Promise<void>((resolve) => (finish = resolve));
        return { scored: 1000 };
      });
    },
  });

  beforeAll(async () => {
    browser = await launchChromium();
    served = await serveHost([jobFixture], false, false);
  }, 120_000);
  afterAll(async () => {
    finish();
    await browser?.close();
    await served?.close();
  });

  it('shows a running job with its progress bar and message, follows it while it runs, and stops asking once it is done', async () => {
    const { runtime } = served.host;
    const id = runtime.jobs.enqueue('jobfix.score-items', {}).id;
    await expect.poll(() => running !== null).toBe(true);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleLog = watchConsole(page);
    let asked = 0;
    page.on('request', (req) => {
      if (req.url().includes('/api/predictive/jobs?state=active')) asked++;
    });
    await page.goto(`${served.url}/#/models`);
    await settled(page);
    const job = page.locator(`#running-jobs .job[data-job-id="${id}"]`);
    const bar = job.locator('progress');
    expect(await bar.evaluate((p) => (p as HTMLProgressElement).value)).toBeCloseTo(0.4, 5);
    expect(await bar.evaluate((p) => (p as HTMLProgressElement).max)).toBe(1);
    expect(await job.textContent()).toContain('scored 400 of 1,000 items');
    expect(await job.locator('.job-head').textContent()).toContain('40');
    expect(await job.locator('.job-head strong').textContent()).toContain('jobfix');

    // The view asks again while the job runs: the bar and the message move without a reload.
    running!.progress(0.75, 'scored 750 of 1,000 items');
    await expect.poll(() => bar.evaluate((p) => (p as HTMLProgressElement).value), { timeout: 10_000 }).toBeCloseTo(0.75, 5);
    expect(await job.locator('.job-message').textContent()).toBe('scored 750 of 1,000 items');

    // Done: the card says so, and stops asking.
    finish();
    await expect.poll(() => page.locator('#running-jobs').textContent(), { timeout: 10_000 }).toContain('No job is running.');
    const askedWhenDone = asked;
    await page.waitForTimeout(JOBS_POLL_MS + 1_000);
    expect(asked).toBe(askedWhenDone);
    expect(consoleLog.errors).toEqual([]);
    await page.close();
  });
});
