import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { openDatabase, type DatabaseHandle, type Engine } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/main.ts';
import { consent } from '../support/consent.ts';
import { createScratchDatabase, freePorts, runCli, startServerProcess, type ScratchDatabase, type ServerProcess } from '../support/server-process.ts';

/**
 * A real `layers serve` process, as an SDK user meets it: an organization, a project and a
 * sandbox key made with the operator CLI, the platform emulator beside it, and the steps a test
 * plays for the person and the platform (consenting in the browser, revoking the grant upstream).
 */
export interface LiveServer {
  url: string;
  emulatorUrl: string;
  organizationId: string;
  projectId: string;
  apiKeyId: string;
  secret: string;
  /** The server's database, for what only an operator could do (re-keying rows to the seed's ids). */
  db: Kysely<Database>;
  cli<T = Record<string, unknown>>(args: string[]): Promise<T>;
  /** Plays the person: consents as `username` on `authorizeUrl`, follows the platform's redirect to the server's callback, returns where the server sends the browser. */
  consent(authorizeUrl: string, username: string): Promise<string>;
  /** Plays the platform: the person withdraws the app's access (every token of the grant dies). */
  revokeUpstream(platform: 'tiktok' | 'instagram', username: string): Promise<void>;
  output(): string;
  close(): Promise<void>;
}

export interface LiveServerOptions {
  /** The project's id, instead of a random one. */
  projectId?: string;
  /** Return-URL hosts the key may use, added with `layers admin key allow`. */
  allow?: string[];
}

export async function startLiveServer(engine: Engine, options: LiveServerOptions = {}): Promise<LiveServer> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step();
  };
  try {
    const emulator: RunningEmulator = await startEmulator({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => emulator.close());
    const dataDir = mkdtempSync(path.join(tmpdir(), 'layers-sdk-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    let databaseUrl = `sqlite:${path.join(dataDir, 'layers.db')}`;
    if (engine === 'postgres') {
      const scratch: ScratchDatabase = await createScratchDatabase(process.env.TEST_DATABASE_URL as string, 'sdk');
      cleanups.push(() => scratch.drop());
      databaseUrl = scratch.url;
    }
    const env = {
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      LAYERS_SECRET_KEY: 'sdk-live-server-secret-0123456789abcdef',
      EMULATOR_URL: emulator.url,
      LOG_LEVEL: 'warn',
      WEBHOOK_POLL_INTERVAL_MS: '50',
    };
    const cli = <T = Record<string, unknown>>(args: string[]) => runCli<T>(args, env);

    // The organization exists before the server starts, so it creates no demo tenant.
    const org = await cli<{ id: string }>(['admin', 'org', 'create', '--name', 'SDK partner']);
    const [project, key] = await Promise.all([
      cli<{ id: string }>(['admin', 'project', 'create', '--org', org.id, '--name', 'GIC Growth']),
      cli<{ id: string; key: string }>(['admin', 'key', 'create', '--org', org.id, '--scopes', '*', '--return-domains', 'localhost', '--tier', 'internal', '--name', 'sdk']),
    ]);
    if (options.allow?.length) await cli(['admin', 'key', 'allow', '--key', key.id, '--add', options.allow.join(',')]);

    const database: DatabaseHandle = openDatabase(databaseUrl);
    cleanups.push(() => database.destroy());
    let projectId = project.id;
    if (options.projectId) {
      await database.db.updateTable('projects').set({ id: options.projectId }).where('id', '=', project.id).execute();
      projectId = options.projectId;
    }

    const [port] = (await freePorts(1)) as [number];
    const server: ServerProcess = await startServerProcess(port, env);
    cleanups.push(() => server.stop());

    return {
      url: server.url,
      emulatorUrl: emulator.url,
      organizationId: org.id,
      projectId,
      apiKeyId: key.id,
      secret: key.key,
      db: database.db,
      cli,
      async consent(authorizeUrl, username) {
        const callback = await consent(authorizeUrl, { username });
        const response = await fetch(callback, { redirect: 'manual' });
        const location = response.headers.get('location');
        if (response.status !== 302 || !location) throw new Error(`callback answered ${response.status}: ${await response.text()}`);
        return location;
      },
      async revokeUpstream(platform, username) {
        const response = await fetch(`${emulator.url}/_control/users/${platform}/${username}/revoke`, { method: 'POST' });
        if (!response.ok) throw new Error(`emulator revoke answered ${response.status}: ${await response.text()}`);
      },
      output: () => server.output(),
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
