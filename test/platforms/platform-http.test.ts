import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpointUrl, type PlatformEndpoints, type PlatformHttpOptions } from '../../src/platforms/http-client.ts';
import { createPlatformAdapter } from '../../src/platforms/oauth-core.ts';
import { PLATFORM_MODULES } from '../../src/platforms/registry.ts';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { expectPlatformError } from './emulator-harness.ts';

const TOKENS: TokenSet = {
  accessToken: 'act.secret-access',
  refreshToken: 'rft.secret-refresh',
  accessTokenExpiresAt: '2026-11-24T14:00:00.000Z',
  refreshTokenExpiresAt: '2027-05-23T12:00:00.000Z',
  issuedAt: '2026-11-24T12:00:00.000Z',
  grantedScopes: ['user.info.basic'],
};

const CLIENT_SECRET = 'client-secret-value';

/** Unreachable hosts for every host a module declares. */
function unreachableEndpoints(hosts: readonly string[]): PlatformEndpoints {
  const endpoints: PlatformEndpoints = { clientId: 'client', clientSecret: CLIENT_SECRET };
  for (const host of hosts) endpoints[host as `${string}BaseUrl`] = `https://${host.toLowerCase()}.invalid`;
  return endpoints;
}

/** fetch as it fails when the host refuses the connection. */
const refusingFetch: typeof fetch = async () => {
  throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
};

/** fetch against a host that never answers: settles only when the request's signal aborts. */
const silentFetch: typeof fetch = (_input, init) =>
  new Promise((_resolve, reject) => {
    init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
  });

for (const module of PLATFORM_MODULES) {
  const name = module.displayName;
  const ENDPOINTS = unreachableEndpoints(Object.keys(module.app.hosts));
  const create = (options: PlatformHttpOptions) => createPlatformAdapter(module, options);
  describe(`${name} adapter without a usable network`, () => {
    const clock = new ManualClock();

    it('classifies a refused connection as transient network_error', async () => {
      const adapter = create({ endpoints: ENDPOINTS, clock, fetch: refusingFetch });
      const error = await expectPlatformError(adapter.refresh(TOKENS), { kind: 'transient', platformCode: 'network_error' });
      assert.equal(error.httpStatus, null);
      assert.match(error.message, /ECONNREFUSED/);
    });

    it('classifies a timeout as transient timeout, after timeoutMs', async () => {
      const adapter = create({ endpoints: ENDPOINTS, clock, fetch: silentFetch, timeoutMs: 30 });
      const started = performance.now();
      const error = await expectPlatformError(adapter.fetchProfile(TOKENS), { kind: 'transient', platformCode: 'timeout' });
      assert.ok(performance.now() - started >= 25);
      for (const secret of [TOKENS.accessToken, ENDPOINTS.clientSecret]) assert.ok(!error.message.includes(secret));
    });

    it('classifies a 200 that is not JSON as other invalid_response', async () => {
      const adapter = create({ endpoints: ENDPOINTS, clock, fetch: async () => new Response('<html>proxy</html>') });
      await expectPlatformError(adapter.refresh(TOKENS), { kind: 'other', platformCode: 'invalid_response' });
    });
  });
}

describe('endpointUrl', () => {
  it('keeps the base path prefix, drops a trailing slash, encodes the query', () => {
    assert.equal(endpointUrl('http://h/tiktok/open/', '/v2/oauth/token/'), 'http://h/tiktok/open/v2/oauth/token/');
    assert.equal(endpointUrl('https://graph.instagram.com', '/me', { fields: 'a,b' }), 'https://graph.instagram.com/me?fields=a%2Cb');
  });
});
