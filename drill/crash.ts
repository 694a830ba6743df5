import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase, type DatabaseHandle } from '../src/db/database.ts';
import { startEmulator } from '../src/emulator/main.ts';
import { consent } from '../test/support/consent.ts';
import { api, createScratchDatabase, freePorts, inParallel, runCli, startServerProcess, type ScratchDatabase, type ServerProcess } from '../test/support/server-process.ts';
import { startReceiver } from '../test/webhooks/helpers.ts';
import { seededRandom, Violations, type Drill, type DrillReport } from './harness.ts';

/**
 * Crash: a real `layers serve` process is SIGKILLed, trial after trial, while it delivers webhooks
 * and while OAuth callbacks are binding accounts (two states of one person among them). Then a
 * last process finishes the work. Nothing may be lost: every event in the outbox reaches the
 * endpoint (at least once; duplicates are counted), every event the API acknowledged is in the
 * outbox, a callback the browser saw succeed stays bound, and no person is bound twice.
 */
const PINGS_PER_TRIAL = 80;
/** The last process may take its time, but not stand still: longer than a lease (20 s) plus a first retry (1 min). */
const STALL_MS = 90_000;
const CALLBACKS_PER_TRIAL = 6;
const RETURN_URL = 'https://app.example.com/connected';

export const crashDrill: Drill = {
  name: 'crash',
  kind: 'processes',
  async run({ engine, quick, seed, log }): Promise<DrillReport> {
    const violations = new Violations();
    const trials = quick ? 2 : 20;
    const random = seededRandom(seed);
    const emulator = await startEmulator({ port: 0, host: '127.0.0.1' });
    // Each answer takes a few milliseconds, so one endpoint's chain is still running when the kill lands.
    const receiver = await startReceiver(async () => ({ status: 200, delayMs: 3 + Math.floor(Math.random() * 10) }));
    const dir = mkdtempSync(path.join(tmpdir(), 'layers-crash-drill-'));
    const scratch: ScratchDatabase | null = engine === 'postgres' ? await createScratchDatabase(process.env.TEST_DATABASE_URL as string, 'drill_crash') : null;
    const env = {
      DATABASE_URL: scratch ? scratch.url : `sqlite:${path.join(dir, 'layers.db')}`,
      LAYERS_SECRET_KEY: 'crash-drill-secret-key-0123456789abcdefghijk',
      DATA_DIR: dir,
      LOG_LEVEL: 'error',
      EMULATOR_URL: emulator.url,
      WEBHOOK_POLL_INTERVAL_MS: '50',
      // Every simulated browser is 127.0.0.1.
      CALLBACK_RATE_LIMIT_PER_MINUTE: '1000000',
      PUBLIC_RATE_LIMIT_PER_MINUTE: '1000000',
    };
    let server: ServerProcess | null = null;
    let database: DatabaseHandle | null = null;
    try {
      const org = await runCli<{ id: string }>(['admin', 'org', 'create', '--name', `Crash drill ${engine}`], env);
      const { key } = await runCli<{ key: string }>(['admin', 'key', 'create', '--org', org.id, '--scopes', '*', '--return-domains', 'app.example.com', '--tier', 'internal'], env);
      const [port] = (await freePorts(1)) as [number];
      server = await startServerProcess(port, env);
      const projectId = (await api<{ id: string }>(server.url, 'POST', '/v1/projects', key, { name: 'Crash drill', timezone: 'UTC' }, 201)).id;
      const endpointId = (
        await api<{ endpoint: { id: string } }>(server.url, 'POST', '/v1/webhook-endpoints', key, { url: receiver.url, events: ['social_account.connected', 'test.ping'] }, 201)
      ).endpoint.id;

      const acknowledged = new Set<string>();
      /** POST …/test `count` times, 8 at a time; a request the kill cuts is simply not acknowledged. */
      const queuePings = (url: string, count: number) =>
        inParallel(count, 8, async () => {
          const delivery = await api<{ eventId: string }>(url, 'POST', `/v1/webhook-endpoints/${endpointId}/test`, key, undefined, 202).catch(() => null);
          if (delivery) acknowledged.add(delivery.eventId);
        });
      const callbacks: Array<{ state: string; redirect: URL; username: string; answer: number | 'cut' }> = [];
      let killsDuringDeliveries = 0;
      for (let trial = 0; trial < trials; trial++) {
        const t0 = Date.now();
        server ??= await startServerProcess(port, env);
        const url = server.url;
        const t1 = Date.now();
        const pending: Array<{ state: string; redirect: URL; username: string }> = [];
        for (let k = 0; k < CALLBACKS_PER_TRIAL; k++) {
          const platform = k % 2 === 0 ? 'tiktok' : 'instagram';
          // States 0 and 2 are one TikTok person consenting twice: still one account.
          const username = `crash_${engine.slice(0, 2)}_${trial}_${k === 2 ? 0 : k}`;
          const minted = await api<{ authorizeUrl: string; state: string }>(url, 'POST', `/v1/projects/${projectId}/social/oauth-url`, key, { platform, returnUrl: RETURN_URL });
          pending.push({ state: minted.state, redirect: await consent(minted.authorizeUrl, { username }), username });
        }
        // Pings are queued while the callbacks run, so deliveries are under way when the kill lands.
        await queuePings(url, 40);
        const answers = pending.map((callback) =>
          fetch(`${url}${callback.redirect.pathname}${callback.redirect.search}`, { redirect: 'manual', signal: AbortSignal.timeout(30_000) })
            .then((res) => (res.status === 302 && res.headers.get('location') === RETURN_URL ? 302 : res.status))
            .catch(() => 'cut' as const),
        );
        const morePings = queuePings(url, PINGS_PER_TRIAL - 40);
        // The kill lands while callbacks bind: a moment after the first one answered (some are done, some not).
        const atFire = receiver.received.length;
        await Promise.race([Promise.race(answers), sleep(5_000)]);
        const before = receiver.received.length;
        await sleep(random.int(40, 190));
        // Deliveries were arriving since the callbacks fired, and acknowledged ones were still queued.
        const delivered = new Set(receiver.received.map((hook) => hook.eventId));
        if (receiver.received.length > atFire && [...acknowledged].some((id) => !delivered.has(id))) killsDuringDeliveries += 1;
        await server.kill();
        server = null;
        await morePings;
        const settled = await Promise.all(answers);
        pending.forEach((callback, i) => callbacks.push({ ...callback, answer: settled[i] as number | 'cut' }));
        log(`trial ${trial + 1}: start ${t1 - t0} ms, run ${Date.now() - t1} ms, received ${atFire} → ${before} → ${receiver.received.length}`);
      }

      // A last process finishes the work; states no callback ever claimed are tried again.
      const finalStart = Date.now();
      server = await startServerProcess(port, env);
      database = openDatabase(env.DATABASE_URL);
      const db = database.db;
      let retried = 0;
      for (const callback of callbacks) {
        const row = await db.selectFrom('oauth_states').select('status').where('id', '=', callback.state).executeTakeFirst();
        if (row?.status !== 'pending') continue;
        retried += 1;
        const res = await fetch(`${server.url}${callback.redirect.pathname}${callback.redirect.search}`, { redirect: 'manual' });
        await res.arrayBuffer();
      }
      const outbox = async () =>
        new Set(
          (await db.selectFrom('webhook_deliveries').select('event_id').where('endpoint_id', '=', endpointId).execute()).map((r) => r.event_id),
        );
      const received = () => new Set(receiver.received.map((hook) => hook.eventId));
      // Wait while the backlog shrinks; stop once it is gone or has not moved for STALL_MS.
      const remaining = async () => {
        const got = received();
        const pendingLeft = await db.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', endpointId).where('status', '=', 'pending').execute();
        return pendingLeft.length + [...(await outbox())].filter((id) => !got.has(id)).length;
      };
      let left = await remaining();
      let movedAt = Date.now();
      while (left > 0 && Date.now() - movedAt < STALL_MS) {
        await sleep(250);
        const now = await remaining();
        if (now !== left) movedAt = Date.now();
        left = now;
      }
      const drained = left === 0;
      log(`final process: drained in ${Date.now() - finalStart} ms`);
      await server.stop();
      server = null;

      const events = await outbox();
      const got = received();
      const lost = [...events].filter((id) => !got.has(id));
      const unacknowledgedLoss = [...acknowledged].filter((id) => !events.has(id));
      if (!drained) log(`the backlog stood still for ${STALL_MS / 1000} s`);
      if (lost.length > 0) {
        const rows = await db.selectFrom('webhook_deliveries').select(['status', 'attempts', 'last_error']).where('event_id', 'in', lost).execute();
        const why = [...new Set(rows.map((r) => `${r.status} after ${r.attempts} attempt(s)${r.last_error ? ` (${r.last_error})` : ''}`))].join('; ');
        violations.add(`${lost.length} events in the outbox never reached the endpoint (e.g. ${lost.slice(0, 3).join(', ')}): ${why}`);
      }
      if (unacknowledgedLoss.length > 0) violations.add(`${unacknowledgedLoss.length} events the API acknowledged (202) are not in the outbox`);

      const accounts = await db.selectFrom('social_accounts').selectAll().where('project_id', '=', projectId).execute();
      const byPerson = new Map<string, number>();
      for (const account of accounts) {
        if (account.status === 'disconnected') continue;
        const person = `${account.platform}:${account.platform_user_id}`;
        byPerson.set(person, (byPerson.get(person) ?? 0) + 1);
      }
      const doubleBindings = [...byPerson].filter(([, n]) => n > 1);
      for (const [person, n] of doubleBindings) violations.add(`${person} is bound ${n} times`);

      const states = await db.selectFrom('oauth_states').select(['id', 'status', 'social_account_id']).where('project_id', '=', projectId).execute();
      const stateById = new Map(states.map((s) => [s.id, s]));
      const tally = new Map<string, number>();
      for (const callback of callbacks) {
        const state = stateById.get(callback.state);
        tally.set(state?.status ?? 'missing', (tally.get(state?.status ?? 'missing') ?? 0) + 1);
        if (callback.answer === 302 && state?.status !== 'completed') violations.add(`the browser saw ${callback.state} succeed, but it is ${state?.status}`);
        if (state?.status === 'completed') {
          const account = accounts.find((a) => a.id === state.social_account_id);
          if (!account || account.handle !== callback.username) violations.add(`${callback.state} completed without its account (${callback.username})`);
        }
      }
      const connectedEvents = await db.selectFrom('webhook_events').select('payload').where('type', '=', 'social_account.connected').execute();
      const creations = new Map<string, number>();
      const anyEvent = new Set<string>();
      for (const { payload } of connectedEvents) {
        const data = (JSON.parse(payload) as { data: { socialAccountId: string; operation: string } }).data;
        anyEvent.add(data.socialAccountId);
        if (data.operation === 'creation') creations.set(data.socialAccountId, (creations.get(data.socialAccountId) ?? 0) + 1);
      }
      for (const account of accounts) {
        if (!anyEvent.has(account.id)) violations.add(`${account.id} was bound without its social_account.connected event`);
        if ((creations.get(account.id) ?? 0) > 1) violations.add(`${account.id} has ${creations.get(account.id)} creation events`);
      }

      const duplicates = receiver.received.length - got.size;
      return {
        figures: [
          ['trials (SIGKILL of a real server)', trials],
          ['kills while deliveries were arriving', killsDuringDeliveries],
          ['test pings acknowledged (202)', acknowledged.size],
          ['callbacks fired (two states of one person per trial)', callbacks.length],
          ['callback answers before the kill', callbacks.filter((c) => c.answer !== 'cut').length],
          ['states after the crashes', [...tally].sort().map(([k, v]) => `${k} ${v}`).join(', ')],
          ['unclaimed states completed after restart', retried],
          ['accounts bound', accounts.length],
          ['double bindings', doubleBindings.length],
          ['events in the outbox', events.size],
          ['events received (distinct)', got.size],
          ['events lost', lost.length + unacknowledgedLoss.length],
          ['duplicate deliveries (at least once)', duplicates],
        ],
        violations,
      };
    } finally {
      await server?.kill();
      await database?.destroy();
      await receiver.close();
      await emulator.close();
      await scratch?.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
