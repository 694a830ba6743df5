import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { signatureHeader } from '../../src/webhooks/signature.ts';
import { Layers, LayersError, verifyWebhookSignature, type LayersOptions } from '../../sdk/typescript/src/index.ts';

/**
 * The TypeScript SDK against a scripted `fetch`: what it sends, how it reads errors, when it
 * retries and how long it waits (an injected `sleep` records the waits instead of waiting).
 */

interface Sent {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

type Answer = Response | Error | ((sent: Sent, signal: AbortSignal | undefined) => Promise<Response>);

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PROJECT = 'prj_254a4ce1-f4ca-42b1-9e36-17ca45ef3d39';
const ACCOUNT = 'sa_9c1e42a0-b7f3-4e5d-a2c1-8b4f5e6c7d8e';

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

function apiError(status: number, code: string, extraHeaders: Record<string, string> = {}, details?: Record<string, unknown>): Response {
  const requestId = `req_01J${String(status).padStart(23, '0')}`;
  return json(status, { error: { code, message: `${code} happened`, requestId, ...(details ? { details } : {}) } }, { 'x-request-id': requestId, ...extraHeaders });
}

/** A client whose fetch answers from `answers` in order, and whose sleeps are recorded, not waited. */
function scripted(answers: Answer[], options: Partial<LayersOptions> = {}) {
  const sent: Sent[] = [];
  const sleeps: number[] = [];
  let clock = 1_700_000_000_000;
  const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const entry: Sent = { method: init.method ?? 'GET', url: new URL(String(input)), headers, body: init.body ? JSON.parse(String(init.body)) : undefined };
    sent.push(entry);
    const answer = answers.shift();
    if (!answer) throw new Error(`unexpected request ${entry.method} ${entry.url}`);
    if (answer instanceof Error) throw answer;
    return typeof answer === 'function' ? answer(entry, init.signal ?? undefined) : answer;
  };
  const layers = new Layers({
    apiKey: 'lp_test_ABCDEFGHIJKLMNOP_secret',
    baseUrl: 'https://api.example.test/',
    fetch,
    random: () => 0,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
    ...options,
  });
  return { layers, sent, sleeps, left: () => answers.length };
}

async function rejection(promise: Promise<unknown>): Promise<LayersError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LayersError, `expected a LayersError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('TypeScript SDK: requests', () => {
  test('sends the key, JSON, encoded path parameters and the body fields (not the path ones)', async () => {
    const { layers, sent } = scripted([json(200, { authorizeUrl: 'https://x', state: 'st_1', expiresAt: 'z' })], { organization: 'org_1' });
    const result = await layers.social.createReauthUrl({ projectId: PROJECT, socialAccountId: ACCOUNT, returnUrl: 'https://app.example.com/r' });
    assert.equal(result.authorizeUrl, 'https://x');
    const [request] = sent;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url.href, `https://api.example.test/v1/projects/${PROJECT}/social/reauth-url`);
    assert.equal(request?.headers.authorization, 'Bearer lp_test_ABCDEFGHIJKLMNOP_secret');
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.equal(request?.headers['x-layers-organization'], 'org_1');
    assert.deepEqual(request?.body, { socialAccountId: ACCOUNT, returnUrl: 'https://app.example.com/r' });
  });

  test('query parameters: booleans as "true"/"false", undefined left out, path segments encoded', async () => {
    const { layers, sent } = scripted([json(200, { items: [], nextCursor: null }), json(200, {})]);
    await layers.social.listAccounts({ projectId: 'prj a/b', leased: false, status: 'reauth_required', platform: undefined });
    await layers.social.getHealth({ socialAccountId: ACCOUNT, check: 'live' });
    assert.equal(sent[0]?.url.pathname, '/v1/projects/prj%20a%2Fb/social-accounts');
    assert.deepEqual([...(sent[0]?.url.searchParams ?? [])], [['leased', 'false'], ['status', 'reauth_required']]);
    assert.equal(sent[1]?.url.search, '?check=live');
    assert.equal(sent[1]?.method, 'GET');
    assert.equal(sent[1]?.body, undefined);
  });

  test('an Idempotency-Key (UUID v4) on routes that replay it, none on oauth-url, reauth-url or GETs; the caller’s own wins', async () => {
    const { layers, sent } = scripted([json(201, {}), json(200, {}), json(200, {}), json(200, {}), json(201, {}), json(200, {})]);
    await layers.projects.create({ name: 'Acme', timezone: 'UTC' });
    await layers.social.createOAuthUrl({ projectId: PROJECT, platform: 'tiktok', returnUrl: 'https://app.example.com/r' });
    await layers.social.revoke({ socialAccountId: ACCOUNT });
    await layers.projects.get({ projectId: PROJECT });
    await layers.projects.create({ name: 'Acme', timezone: 'UTC' }, { idempotencyKey: 'signup-42' });
    await layers.social.createReauthUrl({ projectId: PROJECT, socialAccountId: ACCOUNT, returnUrl: 'https://app.example.com/r' }, { idempotencyKey: 'mine' });
    const keys = sent.map((request) => request.headers['idempotency-key']);
    assert.match(keys[0] ?? '', UUID_V4);
    assert.equal(keys[1], undefined);
    assert.match(keys[2] ?? '', UUID_V4);
    assert.notEqual(keys[0], keys[2]);
    assert.equal(keys[3], undefined);
    assert.equal(keys[4], 'signup-42');
    assert.equal(keys[5], 'mine');
  });
});

describe('TypeScript SDK: errors', () => {
  test('a LayersError carries the server’s status, code, message, requestId, details and headers', async () => {
    const { layers } = scripted([apiError(403, 'RETURN_URL_NOT_ALLOWED', { 'x-ratelimit-remaining': '7' }, { host: 'evil.example', returnUrl: 'https://evil.example/' })]);
    const error = await rejection(layers.social.createOAuthUrl({ projectId: PROJECT, platform: 'tiktok', returnUrl: 'https://evil.example/' }));
    assert.equal(error.status, 403);
    assert.equal(error.code, 'RETURN_URL_NOT_ALLOWED');
    assert.equal(error.message, 'RETURN_URL_NOT_ALLOWED happened');
    assert.match(error.requestId ?? '', /^req_/);
    assert.deepEqual(error.details, { host: 'evil.example', returnUrl: 'https://evil.example/' });
    assert.equal(error.headers.get('x-ratelimit-remaining'), '7');
    assert.equal(error.retryAfterSeconds, null);
    assert.equal(error.name, 'LayersError');
  });

  test('a body that is not the envelope (a proxy’s page), or a 2xx that is not JSON, is UNEXPECTED_RESPONSE with the status', async () => {
    const { layers } = scripted([new Response('<html>Bad gateway</html>', { status: 404, headers: { 'content-type': 'text/html' } })]);
    const error = await rejection(layers.whoami());
    assert.equal(error.status, 404);
    assert.equal(error.code, 'UNEXPECTED_RESPONSE');
    assert.match(error.message, /Bad gateway/);
    const success = scripted([new Response('<html>Welcome</html>', { status: 200, headers: { 'content-type': 'text/html' } })]);
    const notJson = await rejection(success.layers.whoami());
    assert.deepEqual([notJson.status, notJson.code], [200, 'UNEXPECTED_RESPONSE']);
  });
});

describe('TypeScript SDK: retries', () => {
  test('a GET is retried after 5xx with exponential backoff (0.5 s, 1 s, 2 s ceilings, jittered), 3 retries at most', async () => {
    const low = scripted([apiError(500, 'INTERNAL'), apiError(502, 'PLATFORM_ERROR'), apiError(500, 'INTERNAL'), apiError(500, 'INTERNAL')]);
    const error = await rejection(low.layers.whoami());
    assert.equal(error.code, 'INTERNAL');
    assert.equal(low.sent.length, 4);
    assert.deepEqual(low.sleeps, [250, 500, 1000], 'random() = 0: half of each ceiling');

    const high = scripted([apiError(500, 'INTERNAL'), apiError(500, 'INTERNAL'), json(200, { organizationId: 'org_1' })], { random: () => 0.999999 });
    assert.equal((await high.layers.whoami()).organizationId, 'org_1');
    assert.deepEqual(high.sleeps.map(Math.round), [500, 1000], 'random() → 1: the whole ceiling');
  });

  test('the backoff is capped at 30 s', async () => {
    const { layers, sleeps } = scripted(Array.from({ length: 10 }, () => apiError(503, 'INTERNAL')), { maxRetries: 9, random: () => 0.999999 });
    await rejection(layers.whoami());
    assert.deepEqual(sleeps.map(Math.round), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  test('a mutation is retried with the same Idempotency-Key on every attempt', async () => {
    const { layers, sent, sleeps } = scripted([apiError(500, 'INTERNAL'), new TypeError('fetch failed'), json(201, { id: PROJECT })]);
    assert.equal((await layers.projects.create({ name: 'Acme', timezone: 'UTC' })).id, PROJECT);
    assert.equal(sent.length, 3);
    const keys = new Set(sent.map((request) => request.headers['idempotency-key']));
    assert.equal(keys.size, 1);
    assert.match([...keys][0] ?? '', UUID_V4);
    assert.equal(sleeps.length, 2);
  });

  test('oauth-url and reauth-url, which never replay, are not repeated after a 5xx or a network error', async () => {
    const server = scripted([apiError(500, 'INTERNAL')]);
    const error = await rejection(server.layers.social.createReauthUrl({ projectId: PROJECT, socialAccountId: ACCOUNT, returnUrl: 'https://a.example/' }));
    assert.equal(error.code, 'INTERNAL');
    assert.equal(server.sent.length, 1);

    const network = scripted([new TypeError('fetch failed')]);
    const lost = await rejection(network.layers.social.createOAuthUrl({ projectId: PROJECT, platform: 'tiktok', returnUrl: 'https://a.example/' }));
    assert.equal(lost.status, 0);
    assert.equal(lost.code, 'NETWORK_ERROR');
    assert.ok(lost.cause instanceof TypeError);
    assert.equal(network.sent.length, 1);
  });

  test('a 429 waits Retry-After (any route: the server refused before doing anything)', async () => {
    const { layers, sent, sleeps } = scripted([
      apiError(429, 'RATE_LIMITED', { 'retry-after': '2' }, { endpointClass: 'oauth', retryAfterSeconds: 2 }),
      json(200, { authorizeUrl: 'https://x', state: 'st_1', expiresAt: 'z' }),
    ]);
    await layers.social.createReauthUrl({ projectId: PROJECT, socialAccountId: ACCOUNT, returnUrl: 'https://a.example/' });
    assert.equal(sent.length, 2);
    assert.deepEqual(sleeps, [2000]);
  });

  test('a 429 asking for more than 30 s is reported at once, with retryAfterSeconds', async () => {
    const { layers, sent, sleeps } = scripted([apiError(429, 'RATE_LIMITED', { 'retry-after': '45' }, { endpointClass: 'read', retryAfterSeconds: 45 })]);
    const error = await rejection(layers.whoami());
    assert.equal(error.status, 429);
    assert.equal(error.code, 'RATE_LIMITED');
    assert.equal(error.retryAfterSeconds, 45);
    assert.equal(sent.length, 1);
    assert.deepEqual(sleeps, []);
  });

  test('a kill switch (503 KILL_SWITCH) and a 4xx are never retried', async () => {
    const killed = scripted([apiError(503, 'KILL_SWITCH', {}, { scope: 'key' })]);
    assert.equal((await rejection(killed.layers.whoami())).code, 'KILL_SWITCH');
    assert.equal(killed.sent.length, 1);
    const missing = scripted([apiError(404, 'NOT_FOUND')]);
    assert.equal((await rejection(missing.layers.projects.get({ projectId: PROJECT }))).code, 'NOT_FOUND');
    assert.equal(missing.sent.length, 1);
  });

  test('network errors on a GET are retried, then reported as NETWORK_ERROR; maxRetries: 0 turns retries off', async () => {
    const { layers, sent } = scripted([new TypeError('a'), new TypeError('b'), new TypeError('c'), new TypeError('d')]);
    const error = await rejection(layers.whoami());
    assert.equal(error.code, 'NETWORK_ERROR');
    assert.equal(sent.length, 4);
    const single = scripted([apiError(500, 'INTERNAL')], { maxRetries: 0 });
    await rejection(single.layers.whoami());
    assert.equal(single.sent.length, 1);
  });

  test('an attempt that outlives timeoutMs is a TIMEOUT', async () => {
    const hang = (_: Sent, signal: AbortSignal | undefined) =>
      new Promise<Response>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
    const { layers } = scripted([hang], { timeoutMs: 20, maxRetries: 0 });
    const error = await rejection(layers.whoami());
    assert.equal(error.status, 0);
    assert.equal(error.code, 'TIMEOUT');
  });
});

describe('TypeScript SDK: pagination and polling', () => {
  const page = (ids: string[], nextCursor: string | null) => json(200, { items: ids.map((socialAccountId) => ({ socialAccountId })), nextCursor });

  test('await gives one page; for await walks every page, passing each nextCursor; nothing is sent before either', async () => {
    const { layers, sent } = scripted([page(['a', 'b'], 'c1'), page(['a', 'b'], 'c1'), page(['c'], 'c2'), page(['d'], null)]);
    const request = layers.social.accounts.list({ projectId: PROJECT, limit: 2 });
    assert.equal(sent.length, 0);
    const first = await layers.social.listAccounts({ projectId: PROJECT, limit: 2 });
    assert.deepEqual(first.items.map((a) => a.socialAccountId), ['a', 'b']);
    assert.equal(first.nextCursor, 'c1');
    const all: string[] = [];
    for await (const account of request) all.push(account.socialAccountId);
    assert.deepEqual(all, ['a', 'b', 'c', 'd']);
    assert.deepEqual(
      sent.map((r) => r.url.searchParams.get('cursor')),
      [null, null, 'c1', 'c2'],
    );
    assert.ok(sent.every((r) => r.url.searchParams.get('limit') === '2'));
  });

  test('waitForOAuth polls until the state is final and returns it', async () => {
    const status = (s: string) => json(200, { state: 'st_X', status: s, socialAccountId: ACCOUNT });
    const { layers, sent, sleeps } = scripted([status('pending'), status('pending'), status('completed')]);
    const done = await layers.social.waitForOAuth('st_X', { intervalMs: 1_500 });
    assert.equal(done.status, 'completed');
    assert.equal(sent.length, 3);
    assert.deepEqual(sleeps, [1_500, 1_500]);
    assert.ok(sent.every((r) => r.url.pathname === '/v1/social/oauth-status/st_X'));
  });

  test('waitForOAuth gives up after timeoutMs with a TIMEOUT LayersError', async () => {
    const pending = () => json(200, { state: 'st_X', status: 'pending' });
    const { layers, sent } = scripted(Array.from({ length: 20 }, pending));
    const error = await rejection(layers.social.waitForOAuth('st_X', { timeoutMs: 5_000, intervalMs: 2_000 }));
    assert.equal(error.code, 'TIMEOUT');
    assert.deepEqual(error.details, { state: 'st_X', status: 'pending' });
    assert.equal(sent.length, 4, 'polled at 0, 2, 4 and 5 s');
  });
});

describe('TypeScript SDK: webhook signatures (WebCrypto)', () => {
  const secret = 'whsec_test_secret_value';
  const body = JSON.stringify({ id: 'evt_1', type: 'social_account.needs_reauth', data: { reauthReason: 'token_revoked' } });
  const t = 1_700_000_000;

  test('accepts what the server signs, as a string or bytes', async () => {
    const header = signatureHeader([secret], t, body);
    assert.equal(await verifyWebhookSignature(body, header, secret, { nowSeconds: t + 10 }), true);
    assert.equal(await verifyWebhookSignature(new TextEncoder().encode(body), header, secret, { nowSeconds: t }), true);
    const { layers } = scripted([]);
    assert.equal(await layers.webhooks.verifySignature(body, header, secret, { toleranceSeconds: 60, nowSeconds: t - 59 }), true);
  });

  test('during a rotation, either secret’s v1 is enough', async () => {
    const header = signatureHeader(['whsec_new', secret], t, body);
    assert.equal(await verifyWebhookSignature(body, header, secret, { nowSeconds: t }), true);
    assert.equal(await verifyWebhookSignature(body, header, 'whsec_new', { nowSeconds: t }), true);
  });

  test('refuses a changed body, another secret, an old or future timestamp, and malformed headers', async () => {
    const header = signatureHeader([secret], t, body);
    assert.equal(await verifyWebhookSignature(body.replace('token_revoked', 'refresh_expired'), header, secret, { nowSeconds: t }), false);
    assert.equal(await verifyWebhookSignature(body, header, 'whsec_other', { nowSeconds: t }), false);
    assert.equal(await verifyWebhookSignature(body, header, secret, { nowSeconds: t + 301 }), false);
    assert.equal(await verifyWebhookSignature(body, header, secret, { nowSeconds: t - 301 }), false);
    assert.equal(await verifyWebhookSignature(body, header, secret, { nowSeconds: t + 61, toleranceSeconds: 60 }), false);
    for (const malformed of ['', 'v1=abc', `t=${t}`, `t=abc,${header.split(',')[1]}`, header.replace('v1=', 'v0=')]) {
      assert.equal(await verifyWebhookSignature(body, malformed, secret, { nowSeconds: t }), false, malformed);
    }
    assert.equal(await verifyWebhookSignature(body, null, secret), false);
  });
});
