import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { REQUESTS_PER_MINUTE, type EndpointClass, type Tier } from '../api-keys/tiers.ts';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the budget refills. */
  resetSeconds: number;
}

export interface RateLimiter {
  consume(apiKeyId: string, tier: Tier, endpointClass: EndpointClass): Promise<RateLimitDecision>;
}

const WINDOW_SECONDS = 60;

/**
 * Per key and endpoint class, a budget of the tier's requests per one-minute window.
 * With Redis the budget is shared by every server process of the deployment; if Redis is
 * unreachable each process falls back to its own in-memory budget rather than failing requests.
 */
export function createRateLimiter(redis: Redis | null): RateLimiter {
  const limiters = new Map<string, RateLimiterAbstract>();
  const limiterFor = (tier: Tier, endpointClass: EndpointClass): RateLimiterAbstract => {
    const name = `${tier}:${endpointClass}`;
    let limiter = limiters.get(name);
    if (!limiter) {
      const options = { points: REQUESTS_PER_MINUTE[tier][endpointClass], duration: WINDOW_SECONDS, keyPrefix: `layers:rl:${name}` };
      limiter = redis
        ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) })
        : new RateLimiterMemory(options);
      limiters.set(name, limiter);
    }
    return limiter;
  };

  return {
    async consume(apiKeyId, tier, endpointClass) {
      const limit = REQUESTS_PER_MINUTE[tier][endpointClass];
      try {
        const res = await limiterFor(tier, endpointClass).consume(apiKeyId);
        return { allowed: true, limit, remaining: res.remainingPoints, resetSeconds: Math.ceil(res.msBeforeNext / 1000) };
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return { allowed: false, limit, remaining: 0, resetSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      }
    },
  };
}
