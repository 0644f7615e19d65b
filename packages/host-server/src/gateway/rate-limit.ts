import { createHash } from 'node:crypto';
import { HttpProblem, createRedisClient } from '@rfid3/core';
import type { Redis } from 'ioredis';
import type { Next, ParameterizedContext } from 'koa';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface RateWindow {
  /** Requests allowed per window. */
  points: number;
  durationSeconds: number;
}

export interface RateLimitConfig {
  enabled: boolean;
  /** Every caller, by client IP (the socket's, or X-Forwarded-For's when `trustProxy`). */
  perIp: RateWindow;
  /** Callers that present an API key, by key (valid or not, so guessing keys is limited too). */
  perKey: RateWindow;
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  enabled: true,
  perIp: { points: 600, durationSeconds: 60 },
  perKey: { points: 3000, durationSeconds: 60 },
};

export interface RateLimiter {
  /** Koa middleware: 429 problem+json with `Retry-After` once a window is used up. */
  middleware(ctx: ParameterizedContext, next: Next): Promise<void>;
  store: 'redis' | 'memory';
  close(): Promise<void>;
}

/** The key a caller presents, hashed: the limiter's store never holds a usable key. */
function presentedKey(ctx: ParameterizedContext): string | null {
  const auth = ctx.get('Authorization');
  const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  const key = m?.[1] ?? (ctx.get('X-API-Key').trim() || null);
  return key ? createHash('sha256').update(key).digest('hex').slice(0, 32) : null;
}

export interface RateLimiterStoreOptions {
  /** A Redis connection to share (the runtime's L2); the limiter does not close it. */
  redis?: Redis;
  /** Otherwise the limiter opens its own connection to this URL (and counts in memory until it is up). */
  redisUrl?: string;
  keyPrefix?: string;
}

/**
 * Per-IP and per-key limits (rate-limiter-flexible): in Redis when a connection or `redisUrl` is given, so
 * that every host behind a load balancer shares the same counts; in memory otherwise. While Redis is not
 * connected the in-memory insurance limiter answers at once (nothing waits for Redis), and a command Redis
 * does not answer in the client's timeout falls back to it too, so limits still hold during an outage,
 * per host.
 */
export function createRateLimiter(config: RateLimitConfig, options: RateLimiterStoreOptions = {}): RateLimiter {
  const prefix = options.keyPrefix ?? 'rfid3:rl';
  let redis: Redis | undefined;
  let ownsRedis = false;
  const make = (name: string, w: RateWindow): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix: `${prefix}:${name}`, points: w.points, duration: w.durationSeconds });
    if (!redis) return memory;
    return new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${prefix}:${name}`,
      points: w.points,
      duration: w.durationSeconds,
      insuranceLimiter: memory,
      rejectIfRedisNotReady: true,
    });
  };
  if (config.enabled) {
    redis = options.redis ?? (options.redisUrl ? createRedisClient(options.redisUrl) : undefined);
    ownsRedis = !options.redis && Boolean(redis);
  }
  const perIp = make('ip', config.perIp);
  const perKey = make('key', config.perKey);

  const refuse = (res: RateLimiterRes, what: string, w: RateWindow) => {
    const retryAfter = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    return new HttpProblem({
      status: 429,
      title: 'Too Many Requests',
      detail: `rate limit of ${w.points} requests per ${w.durationSeconds} s ${what} reached; retry in ${retryAfter} s`,
      headers: { 'Retry-After': String(retryAfter), 'RateLimit-Policy': `${w.points};w=${w.durationSeconds}` },
    });
  };

  return {
    store: redis ? 'redis' : 'memory',
    async middleware(ctx, next) {
      if (!config.enabled) return next();
      const key = presentedKey(ctx);
      try {
        const r = await perIp.consume(ctx.ip || 'unknown');
        ctx.set('RateLimit-Remaining', String(r.remainingPoints));
      } catch (err) {
        if (err instanceof RateLimiterRes) throw refuse(err, 'per client address', config.perIp);
        throw err;
      }
      if (key) {
        try {
          await perKey.consume(key);
        } catch (err) {
          if (err instanceof RateLimiterRes) throw refuse(err, 'per API key', config.perKey);
          throw err;
        }
      }
      await next();
    },
    async close() {
      if (redis && ownsRedis) await redis.quit().catch(() => redis!.disconnect());
    },
  };
}
