import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEmulator, type RunningEmulator } from '../../src/emulator/main.ts';
import type { DeliveryView } from '../../src/webhooks/deliveries.ts';
import { engines } from '../support/engines.ts';
import {
  api,
  createScratchDatabase,
  freePorts,
  inParallel,
  runCli,
  startServerProcess,
  waitFor,
  type ScratchDatabase,
  type ServerProcess,
} from '../support/server-process.ts';
import { startReceiver, type EndpointView, type Receiver } from './helpers.ts';

/**
 * docs/reference/webhooks.md: "Deliveries are durable: a server restart loses none." A real `layers serve` process
 * is SIGKILLed while it works through 1,000 queued deliveries; a second one with the same
 * environment finishes them. Delivery is at least once: the receiver dedupes on X-Layers-Event-Id.
 */

const EVENTS = 1_000;
const KILL_AFTER = 300;
// The worker's lease is 20 s (delivery-worker.ts): what the killed process had claimed waits that long.
const FINISH_WITHIN_MS = 90_000;

for (const engine of engines) {
  describe(`webhook deliveries survive a SIGKILL of the server (${engine})`, { timeout: 150_000 }, () => {
    let emulator: RunningEmulator;
    let scratch: ScratchDatabase | null = null;
    let dataDir: string;
    let env: Record<string, string>;
    let receiver: Receiver;
    const servers: ServerProcess[] = [];

    before(async () => {
      emulator = await startEmulator({ port: 0, host: '127.0.0.1' });
      dataDir = mkdtempSync(path.join(tmpdir(), 'layers-durability-'));
      scratch = engine === 'postgres' ? await createScratchDatabase(process.env.TEST_DATABASE_URL as string, 'wh_durability') : null;
      env = {
        DATABASE_URL: scratch ? scratch.url : `sqlite:${path.join(dataDir, 'layers.db')}`,
        LAYERS_SECRET_KEY: 'durability-test-secret-key-0123456789abcdef',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        EMULATOR_URL: emulator.url,
        WEBHOOK_POLL_INTERVAL_MS: '50',
      };
      // A small random delay per answer, so the kill lands while deliveries are in flight.
      receiver = await startReceiver(() => ({ status: 200, delayMs: 2 + Math.floor(Math.random() * 15) }));
    });

    after(async () => {
      for (const server of servers) await server.stop();
      await receiver?.close();
      await emulator?.close();
      await scratch?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    test(`${EVENTS} queued deliveries, SIGKILL after ~${KILL_AFTER} arrived, restart: every event arrives, none stays pending`, async (t) => {
      const org = await runCli<{ id: string }>(['admin', 'org', 'create', '--name', `Durability ${engine}`], env);
      const { key } = await runCli<{ key: string }>(
        ['admin', 'key', 'create', '--org', org.id, '--scopes', '*', '--return-domains', 'localhost', '--tier', 'internal'],
        env,
      );
      const [port] = (await freePorts(1)) as [number];
      const first = await startServerProcess(port, env);
      servers.push(first);

      const { endpoint } = await api<{ endpoint: EndpointView }>(first.url, 'POST', '/v1/webhook-endpoints', key, { url: receiver.url, events: ['test.ping'] }, 201);
      // Queue everything first (paused), then let the worker go, so the kill lands mid-queue.
      await api(first.url, 'PATCH', `/v1/webhook-endpoints/${endpoint.id}`, key, { status: 'paused' });
      const queuedEvents = new Set<string>();
      const queueStarted = Date.now();
      await inParallel(EVENTS, 16, async () => {
        const delivery = await api<DeliveryView>(first.url, 'POST', `/v1/webhook-endpoints/${endpoint.id}/test`, key, undefined, 202);
        queuedEvents.add(delivery.eventId);
      });
      assert.equal(queuedEvents.size, EVENTS);
      t.diagnostic(`${engine}: queued ${EVENTS} test pings in ${Date.now() - queueStarted} ms`);
      assert.equal(receiver.received.length, 0, 'nothing is sent while the endpoint is paused');

      await api(first.url, 'PATCH', `/v1/webhook-endpoints/${endpoint.id}`, key, { status: 'active' });
      assert.ok(await waitFor(() => receiver.received.length >= KILL_AFTER, 30_000, 2), `the first process sent ${receiver.received.length} in 30 s`);
      await first.kill();
      const atKill = new Set(receiver.received.map((h) => h.eventId)).size;
      t.diagnostic(`${engine}: SIGKILL after ${receiver.received.length} requests (${atKill} distinct events)`);
      assert.ok(atKill < EVENTS, 'the kill landed before the queue was done');

      const restartedAt = Date.now();
      const second = await startServerProcess(port, env);
      servers.push(second);
      const distinct = () => new Set(receiver.received.map((h) => h.eventId));
      const allArrived = await waitFor(() => distinct().size >= EVENTS, FINISH_WITHIN_MS, 50);
      const seen = distinct();
      assert.ok(allArrived, `after the restart only ${seen.size} of ${EVENTS} distinct events arrived within ${FINISH_WITHIN_MS} ms`);
      t.diagnostic(`${engine}: all ${EVENTS} events arrived ${Date.now() - restartedAt} ms after the restart`);

      assert.equal(seen.size, EVENTS);
      assert.deepEqual([...seen].sort(), [...queuedEvents].sort(), 'exactly the queued events, each at least once');
      for (const hook of receiver.received) {
        assert.equal(hook.body.type, 'test.ping');
        assert.equal(hook.body.id, hook.eventId);
      }

      const pendingEmpty = await waitFor(
        async () =>
          (await api<{ items: DeliveryView[] }>(second.url, 'GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries?status=pending&limit=10`, key)).items.length === 0,
        // Deliveries the killed process had claimed (and maybe sent) are retried once its 20 s lease lapses.
        30_000,
        200,
      );
      assert.ok(pendingEmpty, 'GET …/deliveries?status=pending is eventually empty');
      t.diagnostic(`${engine}: no delivery pending ${Date.now() - restartedAt} ms after the restart`);
      let succeeded = 0;
      let cursor: string | null = null;
      for (let page = 0; page < 20; page++) {
        const res: { items: DeliveryView[]; nextCursor: string | null } = await api(
          second.url,
          'GET',
          `/v1/webhook-endpoints/${endpoint.id}/deliveries?status=succeeded&limit=200${cursor ? `&cursor=${cursor}` : ''}`,
          key,
        );
        succeeded += res.items.length;
        cursor = res.nextCursor;
        if (!cursor) break;
      }
      assert.equal(succeeded, EVENTS, 'every delivery ends succeeded');
      // Counted last: re-sends of what the killed process had in flight come after its lease lapsed.
      const duplicates = receiver.received.length - seen.size;
      t.diagnostic(`${engine}: ${receiver.received.length} requests for ${seen.size} events: ${duplicates} duplicate(s) (at least once)`);
      assert.ok(duplicates <= 100, `duplicates are limited to what the killed process had claimed (${duplicates})`);
    });
  });
}
