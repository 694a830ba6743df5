import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

/** The settings the security review added, each validated at start like every other one. */
describe('security settings from the environment', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'layers-security-config-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const base = { DATA_DIR: dataDir, LAYERS_SECRET_KEY: 'k'.repeat(43) };
  const refused = (env: Record<string, string>, name: string) =>
    assert.throws(() => loadConfig({ ...base, ...env }), (e: unknown) => e instanceof ConfigError && e.message.includes(name), JSON.stringify(env));

  test('defaults: no proxy trusted, callback 60 and other public routes 600 per minute per address, /metrics open, audit kept 90 days', () => {
    const config = loadConfig(base);
    assert.equal(config.trustProxy, false);
    assert.deepEqual(config.addressLimits, { callback: 60, upload: 120, public: 600 });
    assert.equal(config.metricsToken, null);
    assert.equal(config.auditRetentionDays, 90);
  });

  test('TRUST_PROXY: true, false, a hop count, or proxy addresses and CIDRs; anything else is refused by name', () => {
    assert.equal(loadConfig({ ...base, TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(loadConfig({ ...base, TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,::1' }).trustProxy, ['10.0.0.0/8', '192.168.1.7', '::1']);
    for (const bad of ['yes', 'loadbalancer.internal', '10.0.0.0/99', '-1']) refused({ TRUST_PROXY: bad }, 'TRUST_PROXY');
  });

  test('budgets and token are validated', () => {
    assert.deepEqual(
      loadConfig({ ...base, CALLBACK_RATE_LIMIT_PER_MINUTE: '20', UPLOAD_RATE_LIMIT_PER_MINUTE: '30', PUBLIC_RATE_LIMIT_PER_MINUTE: '5000' }).addressLimits,
      { callback: 20, upload: 30, public: 5000 },
    );
    refused({ CALLBACK_RATE_LIMIT_PER_MINUTE: '0' }, 'CALLBACK_RATE_LIMIT_PER_MINUTE');
    refused({ PUBLIC_RATE_LIMIT_PER_MINUTE: 'lots' }, 'PUBLIC_RATE_LIMIT_PER_MINUTE');
    refused({ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN');
    assert.equal(loadConfig({ ...base, METRICS_TOKEN: 'a-long-enough-token' }).metricsToken, 'a-long-enough-token');
  });
});
