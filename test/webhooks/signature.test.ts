import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { verifySignature } from '../support/webhook-receiver.ts';
import { createEndpoint, getEndpoint, sendTestPing, startReceiver, type EndpointView, type Hook, type Receiver } from './helpers.ts';

const HOUR = 3_600_000;

function parse(header: string): { t: number; v1: string[] } {
  const parts = header.split(',').map((p) => p.split('=') as [string, string]);
  return { t: Number(parts.find(([k]) => k === 't')?.[1]), v1: parts.filter(([k]) => k === 'v1').map(([, v]) => v) };
}

function sign(secret: string, t: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
}

for (const engine of engines) {
  describe(`webhook signatures (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let receiver: Receiver;
    let status = 200;
    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      receiver = await startReceiver(() => status);
    });
    after(async () => {
      await receiver.close();
      await ctx.close();
    });

    const nowSeconds = () => Math.floor(ctx.clock.now().getTime() / 1000);

    async function ping(endpointId: string): Promise<Hook> {
      const count = receiver.received.length;
      await sendTestPing(ctx, tenant.secret, endpointId);
      await ctx.deliveries.runOnce();
      assert.equal(receiver.received.length, count + 1);
      return receiver.received.at(-1) as Hook;
    }

    test('X-Layers-Signature is t=<now>,v1=HMAC-SHA256(secret, "<t>.<raw body>"); it verifies within 5 minutes, not with another secret or body', async () => {
      const { endpoint, signingSecret } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
      const hook = await ping(endpoint.id);
      const header = String(hook.headers['x-layers-signature']);
      const { t, v1 } = parse(header);
      assert.equal(t, nowSeconds());
      assert.deepEqual(v1, [sign(signingSecret, t, hook.rawBody)]);
      assert.ok(verifySignature(header, hook.rawBody, signingSecret, nowSeconds()));
      assert.ok(verifySignature(header, hook.rawBody, signingSecret, nowSeconds() + 299), 'still fresh just under 5 minutes later');
      assert.ok(!verifySignature(header, hook.rawBody, signingSecret, nowSeconds() + 301), 'a replayed request is stale after 5 minutes');
      assert.ok(!verifySignature(header, hook.rawBody.replace('test.ping', 'test.pong'), signingSecret, nowSeconds()), 'a changed body fails');
      assert.ok(!verifySignature(header, hook.rawBody, `whsec_${'A'.repeat(43)}`, nowSeconds()));
      assert.equal(hook.headers['content-type'], 'application/json');
      assert.equal(hook.headers['x-layers-event-id'], hook.body.id);
      assert.equal(hook.headers['x-layers-event-type'], 'test.ping');
    });

    test('a retry is signed afresh at its own time and keeps its X-Layers-Event-Id', async () => {
      const { endpoint, signingSecret } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
      status = 503;
      const first = await ping(endpoint.id);
      status = 200;
      ctx.clock.advance(2 * 60_000);
      await ctx.deliveries.runOnce();
      const retry = receiver.received.at(-1) as Hook;
      assert.notEqual(retry, first);
      assert.equal(retry.headers['x-layers-event-id'], first.headers['x-layers-event-id']);
      assert.equal(retry.rawBody, first.rawBody, 'the same event body');
      assert.equal(parse(String(retry.headers['x-layers-signature'])).t, nowSeconds());
      assert.ok(verifySignature(String(retry.headers['x-layers-signature']), retry.rawBody, signingSecret, nowSeconds()));
    });

    test('after rotate-secret both secrets sign (two v1= values) for 24 hours, then only the new one', async () => {
      const { endpoint, signingSecret: oldSecret } = await createEndpoint(ctx, tenant.secret, { url: receiver.url, events: ['test.ping'] });
      const rotated = await ctx.call({ method: 'POST', url: `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, key: tenant.secret });
      assert.equal(rotated.statusCode, 200, rotated.body);
      const { endpoint: view, signingSecret: newSecret } = rotated.json() as { endpoint: EndpointView; signingSecret: string };
      assert.equal(view.id, endpoint.id);
      assert.match(newSecret, /^whsec_/);
      assert.notEqual(newSecret, oldSecret);
      assert.ok(!JSON.stringify(await getEndpoint(ctx, tenant.secret, endpoint.id)).includes('whsec_'));

      const during = await ping(endpoint.id);
      const header = String(during.headers['x-layers-signature']);
      const { t, v1 } = parse(header);
      assert.equal(v1.length, 2, header);
      assert.deepEqual(new Set(v1), new Set([sign(oldSecret, t, during.rawBody), sign(newSecret, t, during.rawBody)]));
      assert.ok(verifySignature(header, during.rawBody, oldSecret, nowSeconds()), 'receivers still on the old secret keep verifying');
      assert.ok(verifySignature(header, during.rawBody, newSecret, nowSeconds()), 'receivers already on the new secret verify');

      ctx.clock.advance(23 * HOUR);
      assert.equal(parse(String((await ping(endpoint.id)).headers['x-layers-signature'])).v1.length, 2, 'still two 23 hours later');

      ctx.clock.advance(HOUR + 1000);
      const later = await ping(endpoint.id);
      const laterHeader = String(later.headers['x-layers-signature']);
      assert.equal(parse(laterHeader).v1.length, 1, laterHeader);
      assert.ok(verifySignature(laterHeader, later.rawBody, newSecret, nowSeconds()));
      assert.ok(!verifySignature(laterHeader, later.rawBody, oldSecret, nowSeconds()), 'the old secret no longer signs after 24 hours');
    });
  });
}
