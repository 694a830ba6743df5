import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiError } from '../../src/errors.ts';
import { isBlockedAddress } from '../../src/outbound/address-guard.ts';
import { assertEndpointUrlAllowed } from '../../src/webhooks/endpoint-url.ts';
import { createWebhookSender } from '../../src/webhooks/http-sender.ts';
import { engines } from '../support/engines.ts';
import { buildTestApp, createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { createEndpoint, getDelivery, sendTestPing, startReceiver, type Receiver } from './helpers.ts';

const request = (url: string) => ({ url, body: '{"id":"evt_x","type":"test.ping","data":{}}', headers: { 'content-type': 'application/json' } });

for (const engine of engines) describe(`SSRF guard: a production sender refuses private, loopback and link-local destinations (${engine})`, () => {
  let receiver: Receiver;
  let ctx: TestContext;
  let tenant: Tenant;
  before(async () => {
    receiver = await startReceiver();
    ctx = await createTestContext(engine);
    tenant = await ctx.tenant();
  });
  after(async () => {
    await receiver.close();
    await ctx.close();
  });

  test('http://127.0.0.1, http://localhost (resolves to loopback) and http://[::1] → blocked; the receiver sees nothing', async () => {
    const guarded = createWebhookSender({ blockPrivateAddresses: true, timeoutMs: 2_000 });
    for (const url of [
      `http://127.0.0.1:${receiver.port}/hooks`,
      `http://localhost:${receiver.port}/hooks`,
      `http://[::1]:${receiver.port}/hooks`,
      `http://[::ffff:127.0.0.1]:${receiver.port}/hooks`,
      `http://2130706433:${receiver.port}/hooks`,
      `http://127.1:${receiver.port}/hooks`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.255.255.1/hooks',
      'http://192.168.0.1/hooks',
    ]) {
      const result = await guarded(request(url));
      assert.equal(result.kind, 'blocked', `${url}: ${JSON.stringify(result)}`);
    }
    assert.deepEqual(receiver.received, []);
  });

  test('the same sender without the guard (development) reaches the loopback receiver', async () => {
    const open = createWebhookSender({ blockPrivateAddresses: false, timeoutMs: 2_000 });
    const result = await open(request(`http://localhost:${receiver.port}/hooks`));
    assert.deepEqual(result, { kind: 'response', status: 200, body: 'ok' });
    assert.equal(receiver.received.length, 1);
  });

  test('the address guard covers the private ranges, IPv4-mapped IPv6 included, and lets public addresses through', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:10.0.0.1', '::ffff:7f00:1']) {
      assert.equal(isBlockedAddress(address), true, address);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111']) {
      assert.equal(isBlockedAddress(address), false, address);
    }
  });

  test('endpoint URLs: production refuses http and private IP literals; development allows http only for localhost', () => {
    const refused = (url: string, production: boolean) =>
      assert.throws(() => assertEndpointUrlAllowed(url, production), (e: unknown) => e instanceof ApiError && e.status === 400, `${url} (production ${production})`);
    for (const url of [
      'http://hooks.example.com/layers',
      'http://localhost:3000/hooks',
      'http://127.0.0.1:3000/hooks',
      'https://127.0.0.1/hooks',
      'https://10.0.0.5/hooks',
      'https://192.168.10.1/hooks',
      'https://172.20.0.1/hooks',
      'https://169.254.169.254/latest',
      'https://[::1]/hooks',
      'https://[fd00::1]/hooks',
      'https://localhost/hooks',
    ]) {
      refused(url, true);
    }
    refused('http://hooks.example.com/layers', false);
    refused('https://user:secret@hooks.example.com/layers', false);
    assert.doesNotThrow(() => assertEndpointUrlAllowed('https://hooks.example.com/layers', true));
    assert.doesNotThrow(() => assertEndpointUrlAllowed('https://93.184.216.34/hooks', true));
    assert.doesNotThrow(() => assertEndpointUrlAllowed('http://localhost:3000/hooks', false));
    assert.doesNotThrow(() => assertEndpointUrlAllowed('http://127.0.0.1:3000/hooks', false));
  });

  test('a worker with the production sender marks a delivery to loopback failed ("Refused"), once, and sends nothing', async () => {
    const production = await buildTestApp(ctx.database, ctx.clock, { webhookSender: createWebhookSender({ blockPrivateAddresses: true, timeoutMs: 2_000 }) });
    try {
      const { endpoint } = await createEndpoint(ctx, tenant.secret, { url: `http://localhost:${receiver.port}/hooks`, events: ['test.ping'] });
      const queued = await sendTestPing(ctx, tenant.secret, endpoint.id);
      const count = receiver.received.length;
      await production.deliveries.runOnce();
      const delivery = await getDelivery(ctx, tenant.secret, endpoint.id, queued.id);
      assert.equal(delivery.status, 'failed');
      assert.equal(delivery.attempts, 1);
      assert.equal(delivery.lastResponseStatus, null);
      assert.match(delivery.lastError ?? '', /^Refused: .*(loopback|private)/);
      ctx.clock.advance(24 * 3_600_000);
      await production.deliveries.runOnce();
      assert.equal(receiver.received.length, count);
    } finally {
      await production.close();
    }
  });
});
