import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmulator } from '../src/emulator/main.ts';
import { LOAD_CPU, pin, SERVER_CPU } from './pinning.ts';
import { cpuMicros, ioCalls } from './process-stats.ts';
import { startReceiver } from '../test/webhooks/helpers.ts';
import { api, createScratchDatabase, freePorts, inParallel, runCli, startServerProcess, waitFor, type ScratchDatabase } from '../test/support/server-process.ts';

/**
 * Webhook delivery throughput: events per second reaching a local receiver (answering 200 at
 * once) from one `layers serve` child process pinned to one core (the receiver on the other), on
 * SQLite and on Postgres. The deliveries are queued while the endpoint is paused; the clock runs
 * from PATCH status active until the last distinct event arrived. Postgres is left out when it is
 * not reachable. Beside the rate, the server process's CPU time per event over the same span (from
 * /proc): on a shared machine the rate moves with other load, the CPU a delivery costs much less;
 * and its read and write system calls per event, which that load does not move at all.
 */

/** 10,000: a burst of 2,000 (the default until the fourth pass) drained in under a second, mostly start-up (the first claims, the JIT). */
const EVENTS = Number(process.env['BENCH_WEBHOOK_EVENTS'] ?? 10_000);
/** Endpoints the events are spread over (each keeps its own order); BENCH_WEBHOOK_ENDPOINTS=1 is one endpoint's chain alone. */
const ENDPOINTS = Number(process.env['BENCH_WEBHOOK_ENDPOINTS'] ?? 16);
const SECRET_KEY = 'bench-webhooks-secret-key-0123456789abcdef';
const PG_ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DRAIN_TIMEOUT_MS = 120_000;

type Engine = 'sqlite' | 'postgres';

export async function benchWebhookThroughput(): Promise<Measured[]> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'layers-bench-webhooks-'));
  const emulator = await startEmulator({ port: 0, host: '127.0.0.1' });
  const rows: Measured[] = [];
  try {
    const engines = (process.env['BENCH_ENGINES'] ?? 'sqlite,postgres').split(',');
    if (engines.includes('sqlite')) rows.push(await measure('sqlite', `sqlite:${path.join(tmp, 'sqlite', 'layers.db')}`, path.join(tmp, 'sqlite'), emulator.url));
    let scratch: ScratchDatabase | null = null;
    try {
      if (engines.includes('postgres')) scratch = await createScratchDatabase(PG_ADMIN_URL, 'bench_webhooks');
    } catch (error) {
      process.stderr.write(`  webhook throughput (postgres) skipped: ${PG_ADMIN_URL.replace(/\/\/[^@/]*@/, '//***@')} not reachable (${(error as Error).message})\n`);
    }
    if (scratch) {
      try {
        rows.push(await measure('postgres', scratch.url, path.join(tmp, 'postgres'), emulator.url));
      } finally {
        await scratch.drop();
      }
    }
  } finally {
    await emulator.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

/** One line of the results: the rate, and what each event cost the server. */
export function throughputLine(row: Measured): string {
  const io = row.serverIoCallsPerEvent === null ? '' : `, ${row.serverIoCallsPerEvent.toFixed(2)} I/O calls/event`;
  return `${row.name.padEnd(34)}  ${String(row.eventsPerSecond).padStart(6)} events/s, server CPU ${row.serverCpuMicrosPerEvent} µs/event${io}`;
}

interface Measured {
  name: string;
  eventsPerSecond: number;
  /** The server process's CPU time (user and system) per event delivered, in microseconds. */
  serverCpuMicrosPerEvent: number;
  /** The server process's read and write system calls per event delivered (the HTTP cases' `I/O calls/req`). */
  serverIoCallsPerEvent: number | null;
}

async function measure(engine: Engine, databaseUrl: string, dataDir: string, emulatorUrl: string): Promise<Measured> {
  const name = `webhook deliveries (${engine}, ${ENDPOINTS} endpoint${ENDPOINTS === 1 ? '' : 's'})`;
  process.stderr.write(`  ${name} …\n`);
  const env = {
    DATABASE_URL: databaseUrl,
    LAYERS_SECRET_KEY: SECRET_KEY,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    EMULATOR_URL: emulatorUrl,
    WEBHOOK_POLL_INTERVAL_MS: '50',
    // BENCH_CPU_PROFILE=<dir>: the server runs under `node --cpu-prof` (bench/profile-summary.ts reads the profile).
    ...(process.env['BENCH_CPU_PROFILE'] ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.resolve(process.env['BENCH_CPU_PROFILE'])}` } : {}),
  };
  const org = await runCli<{ id: string }>(['admin', 'org', 'create', '--name', 'Webhook bench'], env);
  const { key } = await runCli<{ key: string }>(['admin', 'key', 'create', '--org', org.id, '--scopes', '*', '--tier', 'internal', '--return-domains', 'localhost'], env);
  const receiver = await startReceiver();
  const [port] = (await freePorts(1)) as [number];
  const server = await startServerProcess(port, env);
  // As the HTTP cases: the server alone on its core, the receiver (this process) on the other.
  pin(server.pid, SERVER_CPU);
  try {
    // Paused endpoints keep their queues: fill them (events round-robin over the endpoints), then let them flow.
    const endpoints: string[] = [];
    for (let i = 0; i < ENDPOINTS; i++) {
      const { endpoint } = await api<{ endpoint: { id: string } }>(server.url, 'POST', '/v1/webhook-endpoints', key, { url: receiver.url, events: ['test.ping'] }, 201);
      await api(server.url, 'PATCH', `/v1/webhook-endpoints/${endpoint.id}`, key, { status: 'paused' });
      endpoints.push(endpoint.id);
    }
    const endpointOf = new Map<string, string>();
    await inParallel(EVENTS, 16, async (i) => {
      const endpointId = endpoints[i % ENDPOINTS] as string;
      const delivery = await api<{ eventId: string }>(server.url, 'POST', `/v1/webhook-endpoints/${endpointId}/test`, key, undefined, 202);
      endpointOf.set(delivery.eventId, endpointId);
    });

    const started = performance.now();
    const cpuBefore = cpuMicros(server.pid) ?? 0;
    const ioBefore = ioCalls(server.pid);
    await Promise.all(endpoints.map((id) => api(server.url, 'PATCH', `/v1/webhook-endpoints/${id}`, key, { status: 'active' })));
    const distinct = new Set<string>();
    let counted = 0;
    const drained = await waitFor(
      () => {
        for (; counted < receiver.received.length; counted++) distinct.add((receiver.received[counted] as { eventId: string }).eventId);
        return distinct.size >= EVENTS;
      },
      DRAIN_TIMEOUT_MS,
      2,
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = (cpuMicros(server.pid) ?? 0) - cpuBefore;
    const ioAfter = ioCalls(server.pid);
    if (!drained) throw new Error(`${name}: only ${distinct.size} of ${EVENTS} events arrived within ${DRAIN_TIMEOUT_MS} ms`);
    // Per endpoint, events arrive in the order they were created (event ids are time-ordered).
    const lastOf = new Map<string, string>();
    for (const { eventId } of receiver.received) {
      const endpointId = endpointOf.get(eventId) as string;
      const last = lastOf.get(endpointId);
      if (last !== undefined && eventId < last) throw new Error(`${name}: endpoint ${endpointId} received ${eventId} after ${last}`);
      lastOf.set(endpointId, eventId);
    }
    return {
      name,
      eventsPerSecond: Math.round(EVENTS / seconds),
      serverCpuMicrosPerEvent: Math.round(cpu / EVENTS),
      serverIoCallsPerEvent: ioBefore === null || ioAfter === null ? null : (ioAfter - ioBefore) / EVENTS,
    };
  } finally {
    await server.stop();
    await receiver.close();
  }
}

if (import.meta.main) {
  pin(process.pid, LOAD_CPU);
  const rows = await benchWebhookThroughput();
  for (const row of rows) console.log(throughputLine(row));
}
