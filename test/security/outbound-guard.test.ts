import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { copyImage } from '../../src/media/media-store.ts';
import { isBlockedAddress } from '../../src/outbound/address-guard.ts';
import { BlockedAddressError, createOutboundFetch } from '../../src/outbound/dispatcher.ts';
import { createFilesystemBlobStore } from '../../src/storage/filesystem.ts';
import { createWebhookSender } from '../../src/webhooks/http-sender.ts';
import { engines, openTestDatabase, type TestDatabase } from '../support/engines.ts';
import { ManualClock } from '../support/manual-clock.ts';

/**
 * Finding 11: the production SSRF guard missed IPv4-compatible (::/96), NAT64 (64:ff9b::/96) and
 * 6to4 (2002::/16) forms of private addresses, and only webhook deliveries went through it.
 * Addresses are classified by ipaddr.js (anything but public unicast is refused), and every
 * outbound fetch on a partner's behalf (webhooks, avatar copies) goes through one guard.
 */
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

describe('the address guard refuses every non-public form, embedded IPv4 included', () => {
  test('IPv4 and IPv6 special ranges, and IPv6 forms that embed a private IPv4 address', () => {
    for (const address of [
      // IPv4: loopback, private, link-local, CGNAT, unspecified, broadcast, multicast, reserved, documentation, benchmarking
      '127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '255.255.255.255', '224.0.0.1',
      '240.0.0.1', '192.0.0.8', '192.0.2.1', '198.18.0.1', '198.51.100.1', '203.0.113.1',
      // IPv6 specials
      '::', '::1', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', 'fec0::1', '2001:db8::1', '100::1',
      // IPv4-mapped and the RFC 6145 translated form
      '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:7f00:1', '::ffff:0:a00:1',
      // IPv4-compatible (::/96)
      '::127.0.0.1', '::7f00:1', '::a00:1', '::c0a8:101', '::a9fe:a9fe',
      // NAT64 (64:ff9b::/96 and the local-use 64:ff9b:1::/48)
      '64:ff9b::7f00:1', '64:ff9b::a00:1', '64:ff9b::127.0.0.1', '64:ff9b::169.254.169.254', '64:ff9b:1::a00:1',
      // 6to4 (2002::/16) embedding 127.0.0.1, 10.0.0.1, 192.168.1.1
      '2002:7f00:1::', '2002:a00:1::1', '2002:c0a8:101::1',
      // Teredo
      '2001:0:4136:e378:8000:63bf:3fff:fdd2',
      // not an address at all
      'localhost', '', 'not-an-ip',
    ]) {
      assert.equal(isBlockedAddress(address), true, address);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e']) {
      assert.equal(isBlockedAddress(address), false, address);
    }
  });

  test('a production webhook sender refuses IPv6 literals that embed loopback, before connecting', async () => {
    const send = createWebhookSender({ blockPrivateAddresses: true, timeoutMs: 2_000 });
    for (const host of ['[::7f00:1]', '[64:ff9b::7f00:1]', '[2002:7f00:1::1]', '[::ffff:127.0.0.1]', '[fe80::1]']) {
      const result = await send({ url: `http://${host}:9/hooks`, body: '{}', headers: { 'content-type': 'application/json' } });
      assert.equal(result.kind, 'blocked', `${host}: ${JSON.stringify(result)}`);
    }
  });
});

for (const engine of engines) {
  describe(`avatar copies go through the same guard (${engine})`, () => {
    let database: TestDatabase;
    let cdn: Server;
    let cdnUrl: string;
    let redirector: Server;
    let redirectorUrl: string;
    const hits: string[] = [];
    const clock = new ManualClock();
    const mediaDir = mkdtempSync(path.join(tmpdir(), 'layers-avatars-'));
    const blobs = createFilesystemBlobStore(mediaDir);

    before(async () => {
      database = await openTestDatabase(engine);
      cdn = createServer((request, response) => {
        hits.push(request.url ?? '');
        response.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      });
      await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
      cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
      redirector = createServer((_request, response) => response.writeHead(302, { location: `${cdnUrl}/redirected.png` }).end());
      await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
      redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
    });
    after(async () => {
      await new Promise<void>((resolve) => cdn.close(() => resolve()));
      await new Promise<void>((resolve) => redirector.close(() => resolve()));
      await database.destroy();
      rmSync(mediaDir, { recursive: true, force: true });
    });

    test('production: an avatar URL on a private address is not fetched, directly or through a redirect; a trusted origin (the emulator) is', async () => {
      const guarded = createOutboundFetch({ blockPrivateAddresses: true });
      await assert.rejects(guarded(`${cdnUrl}/direct.png`), (error: unknown) => (error as Error).cause instanceof BlockedAddressError);
      assert.equal(await copyImage({ db: database.db, clock, blobs, fetch: guarded }, `${cdnUrl}/direct.png`), null);
      assert.equal(await copyImage({ db: database.db, clock, blobs, fetch: guarded }, `http://localhost:${new URL(cdnUrl).port}/by-name.png`), null);
      const viaRedirect = createOutboundFetch({ blockPrivateAddresses: true, trustedOrigins: [redirectorUrl] });
      assert.equal(await copyImage({ db: database.db, clock, blobs, fetch: viaRedirect }, `${redirectorUrl}/start.png`), null, 'the redirect target is checked too');
      assert.deepEqual(hits, [], 'the private server saw nothing');

      const trusted = createOutboundFetch({ blockPrivateAddresses: true, trustedOrigins: [cdnUrl] });
      const id = await copyImage({ db: database.db, clock, blobs, fetch: trusted }, `${cdnUrl}/emulator-avatar.png`);
      assert.match(id ?? '', /^med_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.deepEqual(hits, ['/emulator-avatar.png']);
    });

    test('an image larger than 5 MiB is not stored, whatever Content-Length claims', async () => {
      const liar = createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'image/png' });
        const chunk = Buffer.alloc(1024 * 1024, 1);
        for (let i = 0; i < 6; i++) response.write(chunk);
        response.end();
      });
      await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(liar.address() as AddressInfo).port}/huge.png`;
        assert.equal(await copyImage({ db: database.db, clock, blobs, fetch: createOutboundFetch({ blockPrivateAddresses: false }) }, url), null);
      } finally {
        liar.closeAllConnections();
        await new Promise<void>((resolve) => liar.close(() => resolve()));
      }
    });
  });
}
