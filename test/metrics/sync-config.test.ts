import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'layers-metrics-config-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));
const base = { DATA_DIR: dataDir, LAYERS_SECRET_KEY: 'k'.repeat(43) };

test('METRICS_SYNC_INTERVAL_SECONDS: 30 minutes by default, a minute to a day when set', () => {
  assert.equal(loadConfig(base).metricsSyncIntervalMs, 30 * 60 * 1000);
  assert.equal(loadConfig({ ...base, METRICS_SYNC_INTERVAL_SECONDS: '3600' }).metricsSyncIntervalMs, 3_600_000);
  for (const refused of ['10', '86401', 'hourly']) {
    assert.throws(() => loadConfig({ ...base, METRICS_SYNC_INTERVAL_SECONDS: refused }), (error: unknown) => error instanceof ConfigError && /METRICS_SYNC_INTERVAL_SECONDS/.test(error.message));
  }
});
