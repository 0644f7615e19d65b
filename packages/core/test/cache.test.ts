import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoreMetrics, LayeredCache, cacheKey, connectRedis, stableStringify } from '../src/index.js';
import { externalServices } from '../src/testing/index.js';
import { describeEach, sleep } from './support/targets.js';

const services = await externalServices();
/** Every key this file writes starts with this; afterAll deletes them. */
const FILE_PREFIX = `rfid3test:cache:${randomBytes(6).toString('hex')}:`;
const admin: Redis | null = services.redisUrl ? await connectRedis(services.redisUrl) : null;

async function keysUnder(prefix: string): Promise<string[]> {
  if (!admin) return [];
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found.sort();
}

afterAll(async () => {
  if (admin) {
    const keys = await keysUnder(FILE_PREFIX);
    if (keys.length) await admin.del(...keys);
    expect(await keysUnder(FILE_PREFIX)).toEqual([]);
    await admin.quit();
  }
  await services.cleanup();
});

interface CacheTarget {
  name: 'memory' | 'redis';
  url: string | null;
}
const targets: CacheTarget[] = [
  { name: 'memory', url: 'memory' },
  { name: 'redis', url: services.redisUrl },
];

let testNo = 0;

/** Opens caches for one test under a prefix of its own, and closes them afterwards. */
function cacheFactory(target: CacheTarget) {
  const opened: LayeredCache[] = [];
  const state = { prefix: '' };
  beforeEach(() => {
    state.prefix = `${FILE_PREFIX}${++testNo}:`;
  });
  afterEach(async () => {
    for (const c of opened.splice(0)) await c.close();
  });
  return {
    state,
    async open(options: { metrics?: CoreMetrics; defaultTtlSeconds?: number; redis?: Redis } = {}) {
      const redis = options.redis ?? (target.name === 'redis' ? await connectRedis(target.url!) : undefined);
      const cache = new LayeredCache({
        l1MaxEntries: 1000,
        defaultTtlSeconds: options.defaultTtlSeconds ?? 60,
        keyPrefix: state.prefix,
        redis,
        metrics: options.metrics,
      });
      opened.push(cache);
      return cache;
    },
  };
}

describeEach(targets, 'LayeredCache', (target) => {
  const caches = cacheFactory(target);

  it('stores and returns JSON values, and misses unknown keys', async () => {
    const cache = await caches.open();
    const value = { units: [1, 2.5, 0], store: null, note: 'naïve' };
    expect(await cache.get('nothing')).toBeUndefined();
    await cache.set('k', value);
    expect(await cache.get('k')).toEqual(value);
    await cache.delete('k');
    expect(await cache.get('k')).toBeUndefined();
    if (target.name === 'redis') {
      // A second process (empty L1) sees what the first wrote, through Redis.
      await cache.set('shared', value);
      const other = await caches.open();
      expect(await other.get('shared')).toEqual(value);
    }
  });

  it('expires an entry after its TTL (0.2 s) and uses the default TTL when none is given', async () => {
    const cache = await caches.open({ defaultTtlSeconds: 0.2 });
    await cache.set('short', 'v', 0.2);
    await cache.set('default', 'd');
    await cache.set('long', 'w', 30);
    expect(await cache.get('short')).toBe('v');
    if (target.name === 'redis') {
      const pttl = await admin!.pttl(`${caches.state.prefix}short`);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(200);
    }
    await sleep(350);
    expect(await cache.get('short')).toBeUndefined();
    expect(await cache.get('default')).toBeUndefined();
    expect(await cache.get('long')).toBe('w');
    if (target.name === 'redis') expect(await admin!.exists(`${caches.state.prefix}short`)).toBe(0);
  });

  it('treats a TTL of 0 as "do not keep", not as "keep forever", without counting a Redis error', async () => {
    const cache = await caches.open();
    await cache.set('zero', 'v', 0);
    await sleep(20);
    expect(await cache.get('zero')).toBeUndefined();
    expect(cache.stats().l2.errors).toBe(0);
  });

  it('wrap computes once for concurrent misses, then serves the stored value until it expires', async () => {
    const cache = await caches.open();
    let calls = 0;
    const compute = async () => {
      calls++;
      await sleep(50);
      return { forecast: [3, 4, 5], call: calls };
    };
    const answers = await Promise.all(Array.from({ length: 10 }, () => cache.wrap('fc', 0.3, compute)));
    expect(calls).toBe(1);
    expect(answers.filter((a) => !a.hit)).toHaveLength(1);
    for (const a of answers) expect(a.value).toEqual({ forecast: [3, 4, 5], call: 1 });
    expect(await cache.wrap('fc', 0.3, compute)).toEqual({ value: { forecast: [3, 4, 5], call: 1 }, hit: true });
    expect(calls).toBe(1);
    await sleep(400);
    const after = await cache.wrap('fc', 0.3, compute);
    expect(after).toEqual({ value: { forecast: [3, 4, 5], call: 2 }, hit: false });
  });

  it('wrap shares a failure with every concurrent caller, caches nothing, and computes again next time', async () => {
    const cache = await caches.open();
    let calls = 0;
    const failing = async () => {
      calls++;
      await sleep(20);
      throw new Error('model exploded');
    };
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => cache.wrap('bad', 10, failing)));
    expect(calls).toBe(1);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(await cache.get('bad')).toBeUndefined();
    expect(await cache.wrap('bad', 10, async () => 7)).toEqual({ value: 7, hit: false });
  });

  it('deletePrefix removes matching keys from both layers and leaves the rest', async () => {
    const cache = await caches.open();
    await cache.set('pred:demand.daily:a', 1);
    await cache.set('pred:demand.daily:b', 2);
    await cache.set('pred:demand.weekly:a', 3);
    await cache.set('other', 4);
    expect(await cache.deletePrefix('pred:demand.daily:')).toBe(2);
    expect(await cache.get('pred:demand.daily:a')).toBeUndefined();
    expect(await cache.get('pred:demand.daily:b')).toBeUndefined();
    expect(await cache.get('pred:demand.weekly:a')).toBe(3);
    expect(await cache.get('other')).toBe(4);
    if (target.name === 'redis') {
      const p = caches.state.prefix;
      expect(await keysUnder(p)).toEqual([`${p}other`, `${p}pred:demand.weekly:a`]);
      const fresh = await caches.open();
      expect(await fresh.get('pred:demand.daily:a')).toBeUndefined();
      expect(await fresh.get('pred:demand.weekly:a')).toBe(3);
    }
  });

  it('counts hits and misses per layer in stats() and in CoreMetrics', async () => {
    const metrics = new CoreMetrics();
    const cache = await caches.open({ metrics });
    await cache.set('k', 1);
    await cache.get('k'); // L1 hit
    await cache.get('k'); // L1 hit
    await cache.get('missing'); // L1 miss (and L2 miss with Redis)
    const stats = cache.stats();
    expect(stats.l1).toEqual({ hits: 2, misses: 1, size: 1 });
    expect(await metrics.total('rfid3_cache_hits_total', { layer: 'l1' })).toBe(2);
    expect(await metrics.total('rfid3_cache_misses_total', { layer: 'l1' })).toBe(1);
    if (target.name === 'redis') {
      expect(stats.l2).toMatchObject({ enabled: true, hits: 0, misses: 1, errors: 0, connected: true, recentErrors: 0, healthy: true });
      expect(await metrics.total('rfid3_cache_misses_total', { layer: 'l2' })).toBe(1);
    } else {
      expect(stats.l2.enabled).toBe(false);
      expect(await metrics.total('rfid3_cache_misses_total', { layer: 'l2' })).toBe(0);
    }
  });
});

describeEach(
  targets.filter((t) => t.name === 'redis'),
  'LayeredCache over a shared Redis',
  (target) => {
    const caches = cacheFactory(target);

    it('an L2 hit repopulates L1 with the remaining TTL, and counts as an L2 hit', async () => {
      const writer = await caches.open();
      const metrics = new CoreMetrics();
      const reader = await caches.open({ metrics });
      await writer.set('k', { v: 1 }, 0.5);
      await sleep(200);
      expect(await reader.get('k')).toEqual({ v: 1 }); // L1 miss, L2 hit
      expect(reader.stats().l2.hits).toBe(1);
      expect(reader.stats().l1.size).toBe(1);
      await admin!.del(`${caches.state.prefix}k`); // gone from Redis: only L1 can answer now
      expect(await reader.get('k')).toEqual({ v: 1 });
      expect(reader.stats()).toMatchObject({ l1: { hits: 1, misses: 1 }, l2: { hits: 1, misses: 0 } });
      expect(await metrics.total('rfid3_cache_hits_total', { layer: 'l2' })).toBe(1);
      expect(await metrics.total('rfid3_cache_hits_total', { layer: 'l1' })).toBe(1);
      // L1 took Redis's remaining ~300 ms, not a fresh default TTL.
      await sleep(400);
      expect(await reader.get('k')).toBeUndefined();
    });

    it('wrap on a second instance is answered from Redis without computing', async () => {
      const a = await caches.open();
      const b = await caches.open();
      let calls = 0;
      const compute = async () => ++calls;
      expect(await a.wrap('w', 30, compute)).toEqual({ value: 1, hit: false });
      expect(await b.wrap('w', 30, compute)).toEqual({ value: 1, hit: true });
      expect(calls).toBe(1);
    });

    it('deletePrefix treats glob characters in the prefix literally', async () => {
      const cache = await caches.open();
      await cache.set('q[1]:a', 1);
      await cache.set('q1:a', 2);
      await cache.set('q*:a', 3);
      await cache.set('qx:a', 4);
      await cache.deletePrefix('q[1]');
      await cache.deletePrefix('q*');
      const fresh = await caches.open();
      expect(await fresh.get('q[1]:a')).toBeUndefined();
      expect(await fresh.get('q*:a')).toBeUndefined();
      expect(await fresh.get('q1:a')).toBe(2);
      expect(await fresh.get('qx:a')).toBe(4);
    });

    it('degrades to L1 without throwing when Redis goes away', async () => {
      const redis = await connectRedis(target.url);
      const cache = await caches.open({ redis });
      await cache.set('before', 'kept');
      redis.disconnect();
      await sleep(20);
      expect(await cache.get('before')).toBe('kept');
      await expect(cache.set('after', 'local')).resolves.toBeUndefined();
      expect(await cache.get('after')).toBe('local');
      expect(await cache.get('never')).toBeUndefined();
      await expect(cache.deletePrefix('aft')).resolves.toBe(1);
      expect(await cache.wrap('w', 10, async () => 42)).toEqual({ value: 42, hit: false });
      expect(cache.stats().l2.errors).toBeGreaterThanOrEqual(3);
    });

    it('connectRedis fails fast with the URL (password hidden) when nothing listens', async () => {
      await expect(connectRedis('redis://user:secret@127.0.0.1:1')).rejects.toThrow(/cannot reach Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:1/);
    });
  },
);

describe('cacheKey', () => {
  it('changes when the model version changes', () => {
    const q = { rentalClass: '61234', weeks: 4 };
    expect(cacheKey('pred:demand.daily', 'demand.daily@3', q)).not.toBe(cacheKey('pred:demand.daily', 'demand.daily@4', q));
    expect(cacheKey('pred:demand.daily', 'demand.daily@3', q)).toMatch(/^pred:demand\.daily:demand\.daily@3:[0-9a-f]{20}$/);
  });

  it('is stable under key order (nested too) and ignores undefined fields', () => {
    const a = cacheKey('n', 'v1', { weeks: 4, filter: { store: '3607', category: 'tents' }, list: [1, 2] });
    const b = cacheKey('n', 'v1', { list: [1, 2], filter: { category: 'tents', store: '3607' }, weeks: 4, extra: undefined });
    expect(a).toBe(b);
    expect(stableStringify({ b: 1, a: [{ d: 2, c: 1 }] })).toBe('{"a":[{"c":1,"d":2}],"b":1}');
  });

  it('differs for different values and for different array orders', () => {
    expect(cacheKey('n', 'v1', { weeks: 4 })).not.toBe(cacheKey('n', 'v1', { weeks: 5 }));
    expect(cacheKey('n', 'v1', { weeks: 4 })).not.toBe(cacheKey('n', 'v1', { weeks: '4' }));
    expect(cacheKey('n', 'v1', { l: [1, 2] })).not.toBe(cacheKey('n', 'v1', { l: [2, 1] }));
  });

  it('keeps the keys earlier versions made (entries in Redis outlive a host), also when asked again', () => {
    // Made by the map/filter/sort version of stableStringify that the loops replaced.
    const query = { v: 2, query: { weeks: 4, measure: 'units_out', byStore: false, asOf: '2026-12-06', store: undefined } };
    for (let i = 0; i < 3; i++) expect(cacheKey('pred:demand.daily', 'demand.daily@3', query)).toBe('pred:demand.daily:demand.daily@3:3e137b037db0bbd373a7');
    // Holes, undefined, functions, dates, integer-like and non-ASCII keys, written as before.
    // biome-ignore lint/suspicious/noSparseArray: a hole is one of the cases
    const odd = [1, , undefined, () => 1, { b: undefined, a: () => 2, é: 1, Z: new Date(0), '10': 1, '9': 2 }];
    expect(stableStringify(odd)).toBe('[1,,null,,{"10":1,"9":2,"Z":{},"a":undefined,"é":1}]');
  });

  it('gives a repeated question the same key whichever way it is written, and tells apart what JSON alone would not', () => {
    const a = { v: 2, query: { weeks: 4, store: undefined, byStore: false, list: ['a', 'b'] } };
    const b = { query: { list: ['a', 'b'], byStore: false, weeks: 4 }, v: 2 };
    for (let i = 0; i < 3; i++) expect(cacheKey('n', 'v1', a)).toBe(cacheKey('n', 'v1', b));
    // A date is `{}` in the stable text (as it always was), never its ISO string; a hole is not `null`.
    const date = new Date(0);
    expect(cacheKey('n', 'v1', { d: date })).toBe(cacheKey('n', 'v1', { d: {} }));
    expect(cacheKey('n', 'v1', { d: date })).not.toBe(cacheKey('n', 'v1', { d: date.toISOString() }));
    expect(cacheKey('n', 'v1', { d: date.toISOString() })).not.toBe(cacheKey('n', 'v1', { d: {} }));
    // biome-ignore lint/suspicious/noSparseArray: a hole is one of the cases
    expect(cacheKey('n', 'v1', { l: [1, , 2] })).not.toBe(cacheKey('n', 'v1', { l: [1, null, 2] }));
  });
});
