import { describe, expect, it } from 'vitest';
import { MissingPeerError } from '../src/index.js';
import { importPeer, installSpec, requirePeer } from '../src/optional-peers.js';
import pkg from '../package.json' with { type: 'json' };

const notFound = (code: string, name: string) => Object.assign(new Error(`Cannot find package '${name}' imported from /app/x.js`), { code });

describe('optional peer dependencies (the drivers)', () => {
  it('are peers marked optional in package.json, not dependencies, so an embedder installs none of them', () => {
    for (const name of ['better-sqlite3', 'mysql2', 'ioredis', 'bullmq', 'prom-client', 'pino', 'csv-parse']) {
      expect(pkg.peerDependencies[name as keyof typeof pkg.peerDependencies], name).toBeTruthy();
      expect(pkg.peerDependenciesMeta[name as keyof typeof pkg.peerDependenciesMeta], name).toEqual({ optional: true });
      expect(Object.keys(pkg.dependencies)).not.toContain(name);
    }
    expect(Object.keys(pkg.dependencies)).not.toContain('date-holidays');
  });

  it('a missing one becomes a MissingPeerError naming the package and the range to install', async () => {
    const err = await importPeer('better-sqlite3', "the database URL 'sqlite:./x.db'", () => Promise.reject(notFound('ERR_MODULE_NOT_FOUND', 'better-sqlite3'))).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MissingPeerError);
    expect((err as MissingPeerError).packageName).toBe('better-sqlite3');
    expect((err as Error).message).toBe(
      `the database URL 'sqlite:./x.db' needs the package 'better-sqlite3', which is not installed: run \`npm install better-sqlite3@${pkg.peerDependencies['better-sqlite3']}\``,
    );
    expect(installSpec('mysql2')).toBe(`mysql2@${pkg.peerDependencies.mysql2}`);
  });

  it('any other failure (a package missing inside it, a broken build) passes through as it is', async () => {
    const inner = notFound('ERR_MODULE_NOT_FOUND', 'cluster-key-slot');
    await expect(importPeer('ioredis', 'x', () => Promise.reject(inner))).rejects.toBe(inner);
    const broken = new Error('Could not locate the bindings file');
    await expect(importPeer('better-sqlite3', 'x', () => Promise.reject(broken))).rejects.toBe(broken);
  });

  it('loads an installed one, asynchronously or with require', async () => {
    const mysql2 = await importPeer('mysql2', 'x', () => import('mysql2'));
    expect(typeof mysql2.createPool).toBe('function');
    expect(typeof requirePeer<typeof import('ioredis')>('ioredis', 'x').Redis).toBe('function');
  });
});
