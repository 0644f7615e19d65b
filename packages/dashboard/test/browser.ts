import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

/** Debian's Chromium (never a downloaded browser); CHROMIUM_PATH points elsewhere if needed. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const chromiumInstalled = existsSync(CHROMIUM_PATH);
/** CI sets RFID3_REQUIRE_SERVICES=1: there a missing Chromium fails the suite instead of skipping it. */
export const chromiumRequired = process.env.RFID3_REQUIRE_SERVICES === '1';
if (!chromiumInstalled && !chromiumRequired) {
  console.warn(`skipping the dashboard's browser tests: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
}

export const ARTIFACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');

export async function launchChromium(): Promise<Browser> {
  if (!chromiumInstalled) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH} (RFID3_REQUIRE_SERVICES=1 needs it): apt-get install -y chromium, or set CHROMIUM_PATH`);
  }
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export function listen(handler: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server: Server = createServer(handler);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((ok) => {
            server.closeAllConnections();
            server.close(() => ok());
          }),
      });
    });
  });
}

/**
 * Console errors and uncaught exceptions of a page. Chromium also logs "Failed to load resource" for every
 * 4xx answer; an API answer that was a problem+json (a plugin not loaded or an endpoint not built yet) is
 * shown by the view as a message, so those are kept apart and are not errors of the page.
 */
export function watchConsole(page: Page): { errors: string[]; apiProblems: string[] } {
  const problemUrls = new Set<string>();
  const errors: string[] = [];
  const apiProblems: string[] = [];
  page.on('response', (res) => {
    if (res.status() >= 400 && new URL(res.url()).pathname.startsWith('/api/') && (res.headers()['content-type'] ?? '').startsWith('application/problem+json')) {
      problemUrls.add(res.url());
    }
  });
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() !== 'error') return;
    const url = msg.location().url;
    if (/^Failed to load resource/.test(msg.text()) && problemUrls.has(url)) apiProblems.push(url);
    else errors.push(`${msg.text()} (${url})`);
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  return { errors, apiProblems };
}

/** Waits until the view has rendered and none of its cards is still loading. */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const view = document.getElementById('view');
      return !!view && !!view.querySelector('h1') && !view.querySelector('[data-state="loading"]');
    },
    undefined,
    { timeout: 120_000 },
  );
}
