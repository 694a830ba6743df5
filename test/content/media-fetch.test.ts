import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createMediaFetch } from '../../src/content/media-fetch.ts';
import { MediaRefusal } from '../../src/content/intake.ts';
import { startMediaServer, type MediaServer } from '../support/media-server.ts';

/** The address policy of media URLs in production: https only, public addresses only, every hop. */
describe('fetching media URLs in production', () => {
  let origin: MediaServer;
  before(async () => {
    origin = await startMediaServer();
  });
  after(async () => origin.close());
  const production = createMediaFetch({ production: true });
  const refusal = async (url: string): Promise<MediaRefusal> => {
    const error = await production(url, AbortSignal.timeout(5_000)).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof MediaRefusal, `expected a refusal, got ${String(error)}`);
    return error;
  };

  test('http is refused', async () => {
    assert.equal((await refusal(`${origin.url}/f/image.jpg`)).code, 'insecure_url');
  });

  test('private, loopback and link-local addresses are refused, literal or resolved', async () => {
    for (const url of ['https://127.0.0.1/x.jpg', 'https://10.1.2.3/x.jpg', 'https://[::1]/x.jpg', 'https://169.254.169.254/latest/meta-data', 'https://[::ffff:127.0.0.1]/x.jpg']) {
      const error = await refusal(url);
      assert.equal(error.code, 'blocked_address', `${url}: ${error.message}`);
    }
    // A name is checked on the address the connection would use (after DNS).
    const resolved = await refusal('https://localhost:9/x.jpg');
    assert.equal(resolved.code, 'blocked_address', resolved.message);
  });

  test('in development the same local origin is fetched (tests serve fixtures locally)', async () => {
    const fetched = await createMediaFetch({ production: false })(`${origin.url}/redirect/2/image.jpg`, AbortSignal.timeout(5_000));
    assert.equal(fetched.contentType, 'image/jpeg');
    fetched.body.resume();
  });
});
