// Takes the repository's docs/dashboard*.png from a served demo, in Debian's Chromium:
//   pnpm rfid3 demo && pnpm rfid3 serve          (seed 42)
//   node packages/dashboard/scripts/screenshots.mjs [http://127.0.0.1:8080] [docs]
// The demand and overview views and the business results at 1400 px; the restock view and the menu on a 390 px phone.
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const url = (process.argv[2] ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const docs = process.argv[3] ?? 'docs';
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});

/** Until the view has rendered and none of its cards is still loading. */
const settled = (page) =>
  page.waitForFunction(
    () => {
      const view = document.getElementById('view');
      return !!view && !!view.querySelector('h1') && !view.querySelector('[data-state="loading"]');
    },
    undefined,
    { timeout: 300_000 },
  );

async function shot(view, file, { phone = false, fullPage = false, menu = false } = {}) {
  const context = await browser.newContext(
    phone
      ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, colorScheme: 'light' }
      : { viewport: { width: 1400, height: 900 }, colorScheme: 'light' },
  );
  const page = await context.newPage();
  await page.goto(`${url}/#/${view}`);
  await settled(page);
  if (menu) await page.locator('#menu-button').tap();
  await page.screenshot({ path: join(docs, file), fullPage });
  console.log(`${join(docs, file)}: #/${view}${phone ? ' at 390 px' : ' at 1400 px'}`);
  await context.close();
}

await shot('demand', 'dashboard.png', { fullPage: true });
await shot('', 'dashboard-overview.png');
await shot('kpis', 'dashboard-kpis.png', { fullPage: true });
await shot('restock', 'dashboard-phone.png', { phone: true });
await shot('restock', 'dashboard-phone-menu.png', { phone: true, menu: true });
await browser.close();
