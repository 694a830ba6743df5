import assert from 'node:assert/strict';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp, type HttpTimeouts } from '../../src/http/app.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';

/**
 * Finding 9: slow bodies held connections forever for authenticated callers (`requestTimeout` 0).
 * Headers must arrive within a total time, the whole request within another, whatever pace the
 * client keeps: a client that trickles one byte at a time is cut all the same, with a 408 in the
 * envelope.
 */
const SHORT: HttpTimeouts = { headersMs: 400, requestMs: 800, idleMs: 10_000, keepAliveMs: 1_000, checkIntervalMs: 100 };
/** Longer than any of SHORT's limits plus checks: a connection still open by then was not cut. */
const GIVE_UP_MS = 8_000;

interface Trickle {
  response: string;
  bytesSent: number;
  closed: boolean;
}

/** Sends `head` then `trickle` one byte every 50 ms, until the server closes the connection (or GIVE_UP_MS). */
function trickle(port: number, head: string, slow: string): Promise<Trickle> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let response = '';
    let bytesSent = head.length;
    let index = 0;
    socket.on('data', (chunk) => {
      response += chunk.toString();
    });
    socket.write(head);
    const timer = setInterval(() => {
      if (index < slow.length && socket.writable) {
        socket.write(slow[index++] as string);
        bytesSent += 1;
      }
    }, 50);
    const giveUp = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      resolve({ response, bytesSent, closed: false });
    }, GIVE_UP_MS);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ response, bytesSent, closed: true });
    });
    socket.on('error', () => {});
  });
}

for (const engine of engines) {
  describe(`a slow client cannot hold a connection (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    let app: FastifyInstance;
    let port: number;

    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
      app = await buildApp(ctx, { logger: false, timeouts: SHORT });
      await app.listen({ port: 0, host: '127.0.0.1' });
      port = (app.server.address() as AddressInfo).port;
    });
    after(async () => {
      await app.close();
      await ctx.close();
    });

    test('the server defaults: headers 15 s, whole request 30 s, idle 60 s, keep-alive 72 s (none disabled)', () => {
      const server = ctx.app.server;
      assert.deepEqual([server.headersTimeout, server.requestTimeout, server.timeout, server.keepAliveTimeout], [15_000, 30_000, 60_000, 72_000]);
    });

    test('an authenticated POST whose body trickles in is cut at the request timeout with a 408 envelope', async () => {
      const body = JSON.stringify({ name: 'Slow body', timezone: 'UTC', tagline: 'x'.repeat(400) });
      const head = `POST /v1/projects HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${tenant.secret}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`;
      const result = await trickle(port, head, body);
      assert.ok(result.closed, `still open after ${GIVE_UP_MS} ms`);
      assert.ok(result.bytesSent < head.length + body.length, 'cut before the body was complete');
      assert.match(result.response, /^HTTP\/1\.1 408 /);
      const envelope = JSON.parse(result.response.slice(result.response.indexOf('\r\n\r\n') + 4)) as { error: { code: string; requestId: string } };
      assert.equal(envelope.error.code, 'VALIDATION');
      assert.match(result.response, new RegExp(`x-request-id: ${envelope.error.requestId}`, 'i'));
    });

    test('headers that trickle in are cut at the headers timeout', async () => {
      const headers = `GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ${'y'.repeat(200)}\r\n\r\n`;
      const result = await trickle(port, 'GET /healthz HTTP/1.1\r\n', headers.slice('GET /healthz HTTP/1.1\r\n'.length));
      assert.ok(result.closed, `still open after ${GIVE_UP_MS} ms`);
      assert.ok(result.bytesSent < headers.length);
      assert.match(result.response, /^HTTP\/1\.1 408 /);
    });
  });
}
