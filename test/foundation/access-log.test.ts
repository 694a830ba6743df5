import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { engines } from '../support/engines.ts';
import { waitFor } from '../support/server-process.ts';
import { createTestContext, type Tenant, type TestContext } from '../support/test-app.ts';

/**
 * What an operator reads at the default log level: one line per request, written once it is
 * answered, with the request id, the request, its status and its duration (src/http/logging.ts,
 * docs/operations.md), and nothing of a bearer token or an OAuth code that came in the URL.
 */
for (const engine of engines) {
  describe(`the access log: one line per request (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    const lines: Array<Record<string, unknown>> = [];
    before(async () => {
      const logStream = new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
          done();
        },
      });
      ctx = await createTestContext(engine, { logStream });
      tenant = await ctx.tenant();
    });
    after(() => ctx.close());

    const linesOf = (requestId: string) => lines.filter((line) => line['reqId'] === requestId);

    test('an answered request: one line with its id, method, path, address, status and duration', async () => {
      const res = await ctx.call({ method: 'GET', url: '/v1/whoami', key: tenant.secret });
      assert.equal(res.statusCode, 200);
      const [line, ...more] = linesOf(res.headers['x-request-id'] as string);
      assert.deepEqual(more, []);
      assert.ok(line);
      assert.equal(line['msg'], 'request completed');
      assert.equal(line['level'], 30);
      assert.deepEqual(line['req'], { method: 'GET', url: '/v1/whoami', remoteAddress: '127.0.0.1' });
      assert.deepEqual(line['res'], { statusCode: 200 });
      assert.equal(typeof line['responseTime'], 'number');
      assert.equal(lines.some((entry) => entry['msg'] === 'incoming request'), false);
    });

    test('refusals are logged the same way, with their status', async () => {
      for (const [url, status] of [['/v1/whoami', 401], ['/v1/no-such-route', 404]] as const) {
        const res = await ctx.call({ method: 'GET', url });
        assert.equal(res.statusCode, status);
        const logged = linesOf(res.headers['x-request-id'] as string);
        assert.equal(logged.length, 1, url);
        assert.deepEqual(logged[0]?.['res'], { statusCode: status });
      }
    });

    test('a token in the path and an OAuth code in the query are blanked; the rest of the URL is kept', async () => {
      const token = 'Q'.repeat(43);
      const code = 'oauth-code-that-must-not-be-logged';
      for (const url of [`/reconnect/${token}?utm_source=mail`, `/oauth/callback/tiktok?code=${code}&state=st_00000000000000000000000000`]) {
        const res = await ctx.call({ method: 'GET', url });
        const logged = linesOf(res.headers['x-request-id'] as string);
        assert.equal(logged.length, 1, url);
        const loggedUrl = (logged[0]?.['req'] as { url: string }).url;
        assert.ok(!loggedUrl.includes(token) && !loggedUrl.includes(code), loggedUrl);
      }
      assert.ok(lines.some((line) => (line['req'] as { url?: string } | undefined)?.url === '/reconnect/[redacted]?utm_source=mail'));
      assert.ok(lines.some((line) => (line['req'] as { url?: string } | undefined)?.url === '/oauth/callback/tiktok?code=%5Bredacted%5D&state=st_00000000000000000000000000'));
      assert.ok(!JSON.stringify(lines).includes(token) && !JSON.stringify(lines).includes(code));
    });

    test('a client that leaves before its request is answered: one "request aborted" line', async () => {
      await ctx.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = ctx.app.server.address() as AddressInfo;
      // A body announced at 100 bytes, 10 sent, then the connection closed once the server has the request.
      const received = new Promise<void>((resolve) => ctx.app.server.once('request', () => resolve()));
      const socket = connect(port, '127.0.0.1');
      socket.write(
        `POST /v1/projects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tenant.secret}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":"A`,
      );
      await received;
      socket.destroy();
      assert.ok(await waitFor(() => lines.some((line) => line['msg'] === 'request aborted'), 5_000), JSON.stringify(lines.slice(-3)));
      const aborted = lines.filter((line) => line['msg'] === 'request aborted');
      assert.equal(aborted.length, 1);
      assert.deepEqual(aborted[0]?.['req'], { method: 'POST', url: '/v1/projects', remoteAddress: '127.0.0.1' });
      assert.match(String(aborted[0]?.['reqId']), /^req_/);
    });
  });
}
