import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { PLATFORMS } from '../../src/platforms/registry.ts';

describe('configuration from the environment', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'layers-config-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const base = { DATA_DIR: dataDir, LAYERS_SECRET_KEY: 'k'.repeat(43) };

  test('defaults: 127.0.0.1:8080, SQLite under the data directory, emulator on 8090', () => {
    const config = loadConfig(base);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.databaseUrl, `sqlite:${path.join(dataDir, 'layers.db')}`);
    assert.equal(config.publicBaseUrl, 'http://127.0.0.1:8080');
    assert.equal(config.emulatorPort, 8090);
    assert.equal(config.redisUrl, null);
    assert.deepEqual(config.livePlatforms, Object.fromEntries(PLATFORMS.map((platform) => [platform, null])));
  });

  test('a wildcard bind address still gives browsers a usable public URL', () => {
    assert.equal(loadConfig({ ...base, HOST: '0.0.0.0', PORT: '9000' }).publicBaseUrl, 'http://localhost:9000');
    assert.equal(loadConfig({ ...base, PUBLIC_BASE_URL: 'https://api.example.com/' }).publicBaseUrl, 'https://api.example.com');
  });

  test('every invalid variable is named in one readable error', () => {
    assert.throws(
      () => loadConfig({ ...base, PORT: 'eighty', DATABASE_URL: 'mysql://db', REDIS_URL: 'http://redis' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /PORT/.test(error.message) &&
        /DATABASE_URL: must be sqlite:<path> or postgres:\/\//.test(error.message) &&
        /REDIS_URL/.test(error.message),
    );
  });

  test('production refuses to start without LAYERS_SECRET_KEY', () => {
    assert.throws(() => loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'production' }), /LAYERS_SECRET_KEY: required when NODE_ENV=production/);
  });

  test('development generates a key into the data directory once, readable only by its owner, and reuses it', () => {
    const dir = path.join(dataDir, 'fresh');
    const first = loadConfig({ DATA_DIR: dir });
    const file = path.join(dir, 'secret.key');
    assert.equal(first.generatedSecretKeyPath, file);
    assert.ok(existsSync(file));
    assert.equal(statSync(file).mode & 0o077, 0, 'no group or other permissions');
    assert.equal(readFileSync(file, 'utf8').trim(), first.secretKey);
    assert.equal(loadConfig({ DATA_DIR: dir }).secretKey, first.secretKey);
  });

  test('half a platform app is an error; a whole one turns the live adapter on', () => {
    assert.throws(() => loadConfig({ ...base, INSTAGRAM_CLIENT_ID: '123' }), /INSTAGRAM_CLIENT_SECRET: required when INSTAGRAM_CLIENT_ID is set/);
    const config = loadConfig({ ...base, TIKTOK_CLIENT_KEY: 'key', TIKTOK_CLIENT_SECRET: 'secret' });
    assert.deepEqual(config.livePlatforms.tiktok, {
      clientId: 'key',
      clientSecret: 'secret',
      authBaseUrl: 'https://www.tiktok.com',
      apiBaseUrl: 'https://open.tiktokapis.com',
    });
  });

  test('a platform\'s own settings ride on its live app, checked at start', () => {
    const live = { ...base, TIKTOK_CLIENT_KEY: 'key', TIKTOK_CLIENT_SECRET: 'secret' };
    const config = loadConfig({ ...live, TIKTOK_VERIFIED_MEDIA_URL_PREFIX: 'https://media.example.com/media/' });
    assert.deepEqual(config.livePlatforms.tiktok?.settings, { verifiedMediaUrlPrefix: 'https://media.example.com/media/' });
    assert.throws(() => loadConfig({ ...live, TIKTOK_VERIFIED_MEDIA_URL_PREFIX: 'http://media.example.com/' }), /TIKTOK_VERIFIED_MEDIA_URL_PREFIX: must be an https URL prefix/);
    assert.equal(loadConfig({ ...base, TIKTOK_VERIFIED_MEDIA_URL_PREFIX: 'https://media.example.com/' }).livePlatforms.tiktok, null, 'no live app, nothing to carry it');
  });
});
