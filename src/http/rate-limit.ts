import type { Redis } from 'ioredis';
import ipaddr from 'ipaddr.js';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { REQUESTS_PER_MINUTE, type EndpointClass, type Tier } from '../api-keys/tiers.ts';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the budget refills. */
  resetSeconds: number;
}

/**
 * Budgets of the routes without authentication, per client address (docs/security.md):
 * `callback` is the browser-facing OAuth callback and reconnect-link clicks (a click starts the
 * consent the callback ends), `upload` the direct-upload URLs (a slideshow is
 * 10 files, retries included), `public` everything else (health, metrics, docs, media, unmatched paths).
 */
export type AddressClass = 'callback' | 'upload' | 'public';
export type AddressLimits = Record<AddressClass, number>;
export const DEFAULT_ADDRESS_LIMITS: AddressLimits = { callback: 60, upload: 120, public: 600 };

export interface RateLimiter {
  consume(apiKeyId: string, tier: Tier, endpointClass: EndpointClass): Promise<RateLimitDecision>;
  consumeAddress(address: string, addressClass: AddressClass): Promise<RateLimitDecision>;
}

const WINDOW_SECONDS = 60;

/**
 * Per key and endpoint class, a budget of the tier's requests per one-minute window; per client
 * address and class for the unauthenticated routes. With Redis the budgets are shared by every
 * server process of the deployment; if Redis is unreachable each process falls back to its own
 * in-memory budget rather than failing requests.
 */
export function createRateLimiter(redis: Redis | null, addressLimits: AddressLimits = DEFAULT_ADDRESS_LIMITS): RateLimiter {
  const limiters = new Map<string, RateLimiterAbstract>();
  const limiterFor = (name: string, points: number): RateLimiterAbstract => {
    let limiter = limiters.get(name);
    if (!limiter) {
      const options = { points, duration: WINDOW_SECONDS, keyPrefix: `layers:rl:${name}` };
      limiter = redis
        ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) })
        : new RateLimiterMemory(options);
      limiters.set(name, limiter);
    }
    return limiter;
  };

  return {
    consume(apiKeyId, tier, endpointClass) {
      const limit = REQUESTS_PER_MINUTE[tier][endpointClass];
      return consumeBudget(limiterFor(`${tier}:${endpointClass}`, limit), apiKeyId, limit);
    },
    consumeAddress(address, addressClass) {
      const limit = addressLimits[addressClass];
      return consumeBudget(limiterFor(`address:${addressClass}`, limit), addressBucket(address), limit);
    },
  };
}

async function consumeBudget(limiter: RateLimiterAbstract, key: string, limit: number): Promise<RateLimitDecision> {
  try {
    const res = await limiter.consume(key);
    return { allowed: true, limit, remaining: res.remainingPoints, resetSeconds: Math.ceil(res.msBeforeNext / 1000) };
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    return { allowed: false, limit, remaining: 0, resetSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
  }
}

/**
 * Whose budget a client address spends: an IPv4 address (IPv4-mapped IPv6 included) is one
 * client; an IPv6 address counts by its /64, the smallest network a site is given, so one
 * client cannot take a fresh budget per address of its prefix.
 */
export function addressBucket(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((part) => part.toString(16)).join(':')}::/64`;
}
