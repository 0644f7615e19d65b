import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadHostConfig } from '../src/config.js';
import { tempDir } from './helpers.js';

describe('host config of the gateway, webhooks, poller and scheduler', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('rfid3-config-gw-');
  });
  afterEach(() => tmp.remove());
  const file = (value: unknown) => writeFileSync(join(tmp.dir, 'rfid3.config.json'), JSON.stringify(value));

  it('reads rate limits, CORS, webhooks, the poller and the scheduler from the file', () => {
    file({
      rateLimit: { perIp: { points: 100, durationSeconds: 10 } },
      cors: { origins: ['https://office.example.com'] },
      trustProxy: true,
      webhooks: { urls: ['https://hooks.example.com/a'], secret: 'sixteen-chars-at-least', highValueUsd: 2000 },
      poller: { baseUrl: 'https://vendor.example.com/api/v1/data', username: 'u', password: 'p' },
      scheduler: { nightly: '0 3 * * *' },
    });
    const c = loadHostConfig({ cwd: tmp.dir, env: {} });
    expect(c.rateLimit).toEqual({ perIp: { points: 100, durationSeconds: 10 } });
    expect(c.cors.origins).toEqual(['https://office.example.com']);
    expect(c.trustProxy).toBe(true);
    expect(c.webhooks).toMatchObject({ urls: ['https://hooks.example.com/a'], highValueUsd: 2000 });
    expect(c.poller).toMatchObject({ baseUrl: 'https://vendor.example.com/api/v1/data', username: 'u' });
    expect(c.scheduler).toEqual({ nightly: '0 3 * * *' });
  });

  it('lets the environment set CORS origins, webhooks and the vendor login', () => {
    const c = loadHostConfig({
      cwd: tmp.dir,
      env: {
        RFID3_CORS_ORIGINS: 'https://a.example, https://b.example',
        RFID3_WEBHOOK_URLS: 'https://h.example/1,https://h.example/2',
        RFID3_WEBHOOK_SECRET: 'from-the-environment',
        RFID3_VENDOR_URL: 'https://vendor.example/api',
        RFID3_VENDOR_USER: 'rfid',
        RFID3_VENDOR_PASSWORD: 'secret',
        RFID3_TRUST_PROXY: 'yes',
      },
    });
    expect(c.cors.origins).toEqual(['https://a.example', 'https://b.example']);
    expect(c.webhooks).toEqual({ urls: ['https://h.example/1', 'https://h.example/2'], secret: 'from-the-environment' });
    expect(c.poller).toEqual({ baseUrl: 'https://vendor.example/api', username: 'rfid', password: 'secret' });
    expect(c.trustProxy).toBe(true);
  });

  it('refuses a short webhook secret, a bad webhook URL and a vendor URL without its login, naming the field', () => {
    file({ webhooks: { urls: ['https://hooks.example.com/a'], secret: 'short' } });
    expect(() => loadHostConfig({ cwd: tmp.dir, env: {} })).toThrow(/webhooks\.secret/);
    file({});
    expect(() => loadHostConfig({ cwd: tmp.dir, env: { RFID3_WEBHOOK_URLS: 'ftp://x' } })).toThrow(ConfigError);
    expect(() => loadHostConfig({ cwd: tmp.dir, env: { RFID3_VENDOR_URL: 'https://v.example' } })).toThrow(/RFID3_VENDOR_USER/);
    file({ rateLimit: { perIp: { points: 0, durationSeconds: 60 } } });
    expect(() => loadHostConfig({ cwd: tmp.dir, env: {} })).toThrow(/rateLimit\.perIp\.points/);
  });
});
