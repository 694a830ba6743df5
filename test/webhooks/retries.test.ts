import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createWebhookSender } from '../../src/webhooks/http-sender.ts';
import { engines } from '../support/engines.ts';
import { buildTestApp, createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { createEndpoint, getDelivery, getEndpoint, sendTestPing, startReceiver, type Answer, type Receiver } from './helpers.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** docs/reference/webhooks.md and retry-schedule.ts: waits after attempts 1…7, each ±10 % jitter; 8 attempts in all. */
const BACKOFF = [MINUTE, 5 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 6 * HOUR, 14 * HOUR];

for (const engine of engines) {
  describe(`webhook delivery retries (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    const receivers: Receiver[] = [];
    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
    });
    after(async () => {
      await Promise.all(receivers.map((r) => r.close()));
      await ctx.close();
    });

    async function endpointAnswering(answer: (n: number) => Answer) {
      let n = 0;
      const receiver = await startReceiver(() => answer(++n));
      receivers.push(receiver);
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
      return { receiver, endpointId: endpoint.id };
    }

    test('a 500 is retried after 1 m, 5 m, 30 m, 1 h, 2 h, 6 h, 14 h (±10 %), never early; after 8 attempts the delivery is abandoned', async () => {
      const { receiver, endpointId } = await endpointAnswering(() => 500);
      const queued = await sendTestPing(ctx, tenant.secret, endpointId);
      assert.equal(queued.status, 'pending');
      assert.equal(queued.attempts, 0);
      const firstAt = ctx.clock.now().getTime();
      await ctx.deliveries.runOnce();
      assert.equal(receiver.received.length, 1);

      for (let attempt = 1; attempt <= 7; attempt++) {
        const delivery = await getDelivery(ctx, tenant.secret, endpointId, queued.id);
        assert.equal(delivery.status, 'pending', `after attempt ${attempt}`);
        assert.equal(delivery.attempts, attempt);
        assert.equal(delivery.lastResponseStatus, 500);
        assert.match(delivery.lastError ?? '', /500/);
        const wait = Date.parse(delivery.nextAttemptAt as string) - Date.parse(delivery.lastAttemptAt as string);
        const base = BACKOFF[attempt - 1] as number;
        assert.ok(wait >= base * 0.9 && wait <= base * 1.1, `wait after attempt ${attempt}: ${wait} ms, expected ${base} ms ±10 %`);

        // Nothing goes out before its time…
        ctx.clock.advance(Date.parse(delivery.nextAttemptAt as string) - ctx.clock.now().getTime() - 1000);
        assert.equal(await ctx.deliveries.runOnce(), 0);
        assert.equal(receiver.received.length, attempt, `attempt ${attempt + 1} must wait for nextAttemptAt`);
        // …and it goes out once the time comes.
        ctx.clock.advance(1000);
        assert.equal(await ctx.deliveries.runOnce(), 1);
        assert.equal(receiver.received.length, attempt + 1);
      }

      const abandoned = await getDelivery(ctx, tenant.secret, endpointId, queued.id);
      assert.equal(abandoned.status, 'abandoned');
      assert.equal(abandoned.attempts, 8);
      assert.equal(abandoned.nextAttemptAt, null);
      const span = ctx.clock.now().getTime() - firstAt;
      assert.ok(span > 20 * HOUR && span < 27 * HOUR, `about a day from first to last attempt: ${(span / HOUR).toFixed(1)} h`);
      assert.equal(new Set(receiver.received.map((h) => h.eventId)).size, 1, 'every attempt carries the same X-Layers-Event-Id');

      ctx.clock.advance(30 * 24 * HOUR);
      assert.equal(await ctx.deliveries.runOnce(), 0);
      assert.equal(receiver.received.length, 8, 'an abandoned delivery is never sent again');
      assert.equal((await getEndpoint(ctx, tenant.secret, endpointId)).consecutiveFailures, 8);
    });

    test('429 and 408 are retried; 400 (and other 4xx) fail after one attempt and are not retried', async () => {
      const cases: Array<{ status: number; expected: 'pending' | 'failed' }> = [
        { status: 429, expected: 'pending' },
        { status: 408, expected: 'pending' },
        { status: 400, expected: 'failed' },
        { status: 404, expected: 'failed' },
        { status: 410, expected: 'failed' },
      ];
      const started = ctx.clock.now().getTime();
      for (const { status, expected } of cases) {
        const { receiver, endpointId } = await endpointAnswering(() => status);
        const queued = await sendTestPing(ctx, tenant.secret, endpointId);
        await ctx.deliveries.runOnce();
        const delivery = await getDelivery(ctx, tenant.secret, endpointId, queued.id);
        assert.equal(delivery.status, expected, `after a ${status}`);
        assert.equal(delivery.attempts, 1);
        assert.equal(delivery.lastResponseStatus, status);
        if (expected === 'pending') {
          const wait = Date.parse(delivery.nextAttemptAt as string) - ctx.clock.now().getTime();
          assert.ok(wait >= 0.9 * MINUTE && wait <= 1.1 * MINUTE, `retry of a ${status} after about a minute: ${wait}`);
          ctx.clock.advance(1.1 * MINUTE);
          await ctx.deliveries.runOnce();
          assert.equal(receiver.received.length, 2, `a ${status} is tried again`);
        } else {
          assert.equal(delivery.nextAttemptAt, null);
          ctx.clock.advance(2 * 24 * HOUR);
          await ctx.deliveries.runOnce();
          assert.equal(receiver.received.length, 1, `a ${status} is never retried`);
          assert.equal((await getDelivery(ctx, tenant.secret, endpointId, queued.id)).status, 'failed');
        }
      }
      assert.ok(ctx.clock.now().getTime() > started);
    });

    test('a timeout is retried (sender timeout 200 ms; the receiver never answers)', async () => {
      const { receiver, endpointId } = await endpointAnswering(() => 'hang');
      const impatient = await buildTestApp(ctx.database, ctx.clock, { webhookSender: createWebhookSender({ blockPrivateAddresses: false, timeoutMs: 200 }) });
      try {
        const queued = await sendTestPing(ctx, tenant.secret, endpointId);
        const startedAt = Date.now();
        await impatient.deliveries.runOnce();
        assert.ok(Date.now() - startedAt < 5_000, 'the attempt gives up at the timeout');
        assert.equal(receiver.received.length, 1);
        const delivery = await getDelivery(ctx, tenant.secret, endpointId, queued.id);
        assert.equal(delivery.status, 'pending');
        assert.equal(delivery.attempts, 1);
        assert.equal(delivery.lastResponseStatus, null);
        assert.match(delivery.lastError ?? '', /did not answer/);
        assert.ok(Date.parse(delivery.nextAttemptAt as string) - ctx.clock.now().getTime() >= 0.9 * MINUTE);
        ctx.clock.advance(1.1 * MINUTE);
        await impatient.deliveries.runOnce();
        assert.equal(receiver.received.length, 2, 'tried again after the backoff');
        assert.equal((await getDelivery(ctx, tenant.secret, endpointId, queued.id)).attempts, 2);
      } finally {
        await impatient.close();
        // Nothing of this endpoint stays queued for the later tests' workers.
        await ctx.call({ method: 'DELETE', url: `/v1/webhook-endpoints/${endpointId}`, key: tenant.secret });
      }
    });

    test('a network error (nothing listening) is retried', async () => {
      const closed = await startReceiver();
      const url = closed.url;
      await closed.close();
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url, events: ['test.ping'] });
      const queued = await sendTestPing(ctx, tenant.secret, endpoint.id);
      await ctx.deliveries.runOnce();
      const delivery = await getDelivery(ctx, tenant.secret, endpoint.id, queued.id);
      assert.equal(delivery.status, 'pending');
      assert.equal(delivery.attempts, 1);
      assert.match(delivery.lastError ?? '', /Network error/);
      assert.notEqual(delivery.nextAttemptAt, null);
    });

    test("a 2xx after failures → succeeded, and the endpoint's consecutiveFailures resets to 0", async () => {
      const { receiver, endpointId } = await endpointAnswering((n) => (n <= 2 ? 502 : 204));
      const queued = await sendTestPing(ctx, tenant.secret, endpointId);
      await ctx.deliveries.runOnce();
      assert.equal((await getEndpoint(ctx, tenant.secret, endpointId)).consecutiveFailures, 1);
      ctx.clock.advance(1.1 * MINUTE);
      await ctx.deliveries.runOnce();
      assert.equal((await getEndpoint(ctx, tenant.secret, endpointId)).consecutiveFailures, 2);
      ctx.clock.advance(5.5 * MINUTE);
      await ctx.deliveries.runOnce();
      assert.equal(receiver.received.length, 3);
      const delivery = await getDelivery(ctx, tenant.secret, endpointId, queued.id);
      assert.equal(delivery.status, 'succeeded');
      assert.equal(delivery.attempts, 3);
      assert.equal(delivery.lastResponseStatus, 204);
      assert.equal(delivery.lastError, null);
      assert.equal(delivery.nextAttemptAt, null);
      assert.equal((await getEndpoint(ctx, tenant.secret, endpointId)).consecutiveFailures, 0);
      ctx.clock.advance(24 * HOUR);
      await ctx.deliveries.runOnce();
      assert.equal(receiver.received.length, 3, 'a succeeded delivery is not sent again');
    });
  });
}
