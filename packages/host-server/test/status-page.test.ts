import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from './helpers.js';
import { serve, testRuntime } from './helpers.js';

describe('the status page, when the dashboard is not built', () => {
  let app: RunningApp;
  beforeAll(async () => {
    // As if `@rfid3/dashboard` had not been built: its assets folder holds no index.html.
    app = await serve(await testRuntime(), { dashboardDir: '/nonexistent/rfid3-dashboard-not-built' });
  });
  afterAll(() => app.close());

  it('serves a self-contained HTML page at / that reads live figures from system-status', async () => {
    const res = await fetch(`${app.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain("fetch('/api/predictive/health/system-status'");
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    const nonce = /script-src 'nonce-([^']+)'/.exec(res.headers.get('content-security-policy') ?? '')?.[1];
    expect(nonce).toBeTruthy();
    expect(html).toContain(`<script nonce="${nonce}">`);
  });
});
