import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ApiError } from '../errors.ts';

/**
 * Prometheus metrics at GET /metrics: request counts and latency by route template and status.
 * Each app gets its own registry so several apps (tests, the bench) can live in one process.
 * With `token` (METRICS_TOKEN) the route asks for `Authorization: Bearer <token>`; without,
 * it is public, like /healthz, and rate limited per address (docs/security.md).
 */
export function installMetrics(app: FastifyInstance, options: { token: string | null }): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests served', labelNames, registers: [registry] });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });

  // A callback, not an async function: it runs on every request and waits for nothing.
  app.addHook('onResponse', (request, reply, done) => {
    // Unmatched URLs share one label so a scanner cannot blow up the series count.
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    requests.inc(labels);
    latency.observe(labels, reply.elapsedTime / 1000);
    done();
  });

  const expected = options.token === null ? null : digest(`Bearer ${options.token}`);
  app.get('/metrics', async (request, reply) => {
    if (expected && !timingSafeEqual(digest(request.headers.authorization ?? ''), expected)) {
      throw new ApiError(401, 'UNAUTHENTICATED', 'GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>".');
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}

/** Fixed-length digests, so the comparison takes the same time whatever was presented. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
