import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadHostConfig } from '../src/config.js';
import { tempDir } from './helpers.js';

describe('host config', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('rfid3-config-');
  });
  afterEach(() => tmp.remove());

  const write = (name: string, value: unknown) => {
    const path = join(tmp.dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };

  it('has defaults for everything, with the SQLite file under the working directory', () => {
    const config = loadHostConfig({ cwd: tmp.dir, env: {} });
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', logLevel: 'info', openReads: true, bodyLimitBytes: 1024 * 1024, plugins: null, configFile: null });
    expect(config.databaseUrl).toBe(`sqlite:${join(tmp.dir, 'data', 'rfid3.db')}`);
    expect(config.redisUrl).toBeUndefined();
  });

  it('reads rfid3.config.json from the working directory, and the environment overrides it', () => {
    write('rfid3.config.json', { port: 9000, logLevel: 'debug', openReads: false, plugins: ['acme-x', { package: 'acme-y', config: { a: 1 } }] });
    const fromFile = loadHostConfig({ cwd: tmp.dir, env: {} });
    expect(fromFile).toMatchObject({ port: 9000, logLevel: 'debug', openReads: false, baseDir: tmp.dir });
    expect(fromFile.plugins).toEqual([{ package: 'acme-x' }, { package: 'acme-y', config: { a: 1 } }]);
    const env = {
      PORT: '9100',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RFID3_OPEN_READS: 'true',
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'mysql://root@127.0.0.1:3306/test',
    };
    const fromEnv = loadHostConfig({ cwd: tmp.dir, env });
    expect(fromEnv).toMatchObject({
      port: 9100,
      host: '127.0.0.1',
      logLevel: 'warn',
      openReads: true,
      redisUrl: 'redis://127.0.0.1:6379',
      databaseUrl: 'mysql://root@127.0.0.1:3306/test',
    });
    expect(loadHostConfig({ cwd: tmp.dir, env, overrides: { port: 0 } }).port).toBe(0);
  });

  it('finds the file through RFID3_CONFIG and resolves its relative paths from its own folder', () => {
    const path = write('site.json', { databaseUrl: 'sqlite:./db/site.db' });
    const config = loadHostConfig({ cwd: '/', env: { RFID3_CONFIG: path } });
    expect(config.configFile).toBe(path);
    expect(config.baseDir).toBe(tmp.dir);
    expect(config.databaseUrl).toBe(`sqlite:${join(tmp.dir, 'db', 'site.db')}`);
  });

  it('plugins add to the first-party set unless pluginsMode is replace, which needs a list', () => {
    write('rfid3.config.json', { plugins: ['acme-x'] });
    expect(loadHostConfig({ cwd: tmp.dir, env: {} })).toMatchObject({ plugins: [{ package: 'acme-x' }], pluginsMode: 'add' });
    write('rfid3.config.json', { plugins: [], pluginsMode: 'replace' });
    expect(loadHostConfig({ cwd: tmp.dir, env: {} })).toMatchObject({ plugins: [], pluginsMode: 'replace' });
    write('rfid3.config.json', { pluginsMode: 'replace' });
    expect(() => loadHostConfig({ cwd: tmp.dir, env: {} })).toThrow(/pluginsMode 'replace' .*no "plugins" list/);
    write('rfid3.config.json', { pluginsMode: 'only' });
    expect(() => loadHostConfig({ cwd: tmp.dir, env: {} })).toThrow(/rfid3\.config\.json: pluginsMode: /);
  });

  it('names the field in every error', () => {
    const path = write('bad.json', { port: 'x', plugins: [{ pkg: 'acme' }], prot: 1 });
    expect(() => loadHostConfig({ cwd: tmp.dir, env: {}, configPath: path })).toThrow(/bad\.json: port: .*plugins\.0: expected a package name.*Unrecognized key: "prot"/);
    expect(() => loadHostConfig({ cwd: tmp.dir, env: {}, configPath: write('broken.json', '{ "port": ') })).toThrow(/broken\.json: not valid JSON/);
    expect(() => loadHostConfig({ cwd: tmp.dir, env: {}, configPath: 'missing.json' })).toThrow(/config file not found: .*missing\.json/);
    expect(() => loadHostConfig({ cwd: tmp.dir, env: { PORT: '80a' } })).toThrow(/^PORT: '80a'/);
    expect(() => loadHostConfig({ cwd: tmp.dir, env: { RFID3_OPEN_READS: 'maybe' } })).toThrow(/^RFID3_OPEN_READS:/);
    expect(() => loadHostConfig({ cwd: tmp.dir, env: { LOG_LEVEL: 'loud' } })).toThrow(/^LOG_LEVEL:/);
    expect(() => loadHostConfig({ cwd: tmp.dir, env: { DATABASE_URL: 'postgres://x@y/z' } })).toThrow(/^DATABASE_URL: unsupported database URL scheme/);
  });
});
