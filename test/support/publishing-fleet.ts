import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.ts';
import type { ScheduledPostsTable } from '../../src/db/schema.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/main.ts';
import { consent } from './consent.ts';
import { startMediaServer, type MediaServer } from './media-server.ts';
import { api, createScratchDatabase, freePorts, inParallel, runCli, startServerProcess, type ScratchDatabase, type ServerProcess } from './server-process.ts';

/**
 * Real `layers serve` processes over one scratch Postgres database publishing many due posts
 * together to the emulator: TikTok videos (pushed in chunks) and Instagram images (fetched from
 * the first process). For the multiprocess test (each post exactly once) and the publishing
 * benchmark (posts per second).
 */

type Platform = 'tiktok' | 'instagram';
/** TikTok lets one token start 6 uploads a minute: an account gets at most 5 posts here. */
const POSTS_PER_ACCOUNT = 5;
const RETURN_URL = 'https://app.example.com/connected';

export interface FleetPost {
  id: string;
  platform: Platform;
  username: string;
  caption: string;
}

export interface PublishingFleet {
  servers: ServerProcess[];
  posts: FleetPost[];
  /** When every post is due (the servers start on them at once). */
  dueAt: number;
  db: DatabaseHandle['db'];
  /** Waits until no post is open, or nothing moved for `stallMs`; returns when the last one turned final (ms since epoch). */
  settle(stallMs: number): Promise<{ open: number; finishedAt: number }>;
  rows(): Promise<ScheduledPostsTable[]>;
  /** The captions on each creator's profile, by `platform:username`. */
  profiles(): Promise<Map<string, string[]>>;
  close(): Promise<void>;
}

export async function startPublishingFleet(options: { adminUrl: string; posts: number; servers: number; label: string }): Promise<PublishingFleet> {
  const emulator: RunningEmulator = await startEmulator({ port: 0, host: '127.0.0.1' });
  const origin: MediaServer = await startMediaServer();
  const scratch: ScratchDatabase = await createScratchDatabase(options.adminUrl, 'fleet');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'layers-fleet-'));
  const ports = await freePorts(options.servers);
  const env = {
    DATABASE_URL: scratch.url,
    LAYERS_SECRET_KEY: 'publishing-fleet-secret-0123456789abcdefghij',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    EMULATOR_URL: emulator.url,
    // One deployment, one public address (the first process; they share DATA_DIR).
    PUBLIC_BASE_URL: `http://127.0.0.1:${ports[0]}`,
    CALLBACK_RATE_LIMIT_PER_MINUTE: '1000000',
    PUBLIC_RATE_LIMIT_PER_MINUTE: '1000000',
  };
  const servers: ServerProcess[] = [];
  let database: DatabaseHandle | null = null;
  const close = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await database?.destroy();
    await origin.close();
    await emulator.close();
    await scratch.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const org = await runCli<{ id: string }>(['admin', 'org', 'create', '--name', options.label], env);
    const { key } = await runCli<{ key: string }>(['admin', 'key', 'create', '--org', org.id, '--scopes', '*', '--return-domains', 'app.example.com', '--tier', 'internal'], env);
    const started = await Promise.allSettled(ports.map((port) => startServerProcess(port, env)));
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const url = (servers[0] as ServerProcess).url;
    const projectId = (await api<{ id: string }>(url, 'POST', '/v1/projects', key, { name: options.label, timezone: 'UTC' }, 201)).id;
    const upload = async (file: string) =>
      (await api<{ id: string }>(url, 'POST', `/v1/projects/${projectId}/content/upload`, key, { media: [{ url: `${origin.url}/f/${file}` }], caption: 'fleet' }, 201)).id;
    const containers: Record<Platform, string> = { tiktok: await upload('video.mp4'), instagram: await upload('image.jpg') };

    const accountCount = Math.ceil(options.posts / POSTS_PER_ACCOUNT);
    const accounts: Array<{ platform: Platform; username: string; id: string }> = new Array(accountCount);
    await inParallel(accountCount, 8, async (i) => {
      const platform: Platform = i % 2 === 0 ? 'tiktok' : 'instagram';
      const username = `fleet_${i}`;
      await fetch(`${emulator.url}/_control/users/${platform}/${username}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(platform === 'instagram' ? { accountType: 'BUSINESS' } : {}),
      });
      const minted = await api<{ authorizeUrl: string; state: string }>(url, 'POST', `/v1/projects/${projectId}/social/oauth-url`, key, { platform, returnUrl: RETURN_URL });
      const redirect = await consent(minted.authorizeUrl, { username });
      await (await fetch(`${url}${redirect.pathname}${redirect.search}`, { redirect: 'manual' })).arrayBuffer();
      const status = await api<{ status: string; socialAccountId: string }>(url, 'GET', `/v1/social/oauth-status/${minted.state}`, key);
      if (status.status !== 'completed') throw new Error(`connecting ${username} ended ${status.status}`);
      accounts[i] = { platform, username, id: status.socialAccountId };
    });

    // All due at one moment, far enough ahead for the scheduling to finish: up to 50 targets a request.
    const dueAt = Date.now() + 5_000 + options.posts * 10;
    const posts: FleetPost[] = [];
    let made = 0;
    for (let round = 0; made < options.posts; round++) {
      for (const platform of ['tiktok', 'instagram'] as const) {
        const mine = accounts.filter((account) => account.platform === platform);
        for (let start = 0; start < mine.length && made < options.posts; start += 50) {
          const batch = mine.slice(start, start + 50).slice(0, options.posts - made);
          const targets = batch.map((account, k) => ({ socialAccountId: account.id, mode: 'publish', captionOverride: `fleet ${round} ${start + k} ${platform}` }));
          const created = await api<{ scheduledPostIds: string[] }>(
            url,
            'POST',
            `/v1/content/${containers[platform]}/schedule`,
            key,
            { scheduledFor: new Date(dueAt).toISOString(), targets },
            201,
          );
          created.scheduledPostIds.forEach((id, k) => {
            const account = batch[k] as (typeof batch)[number];
            posts.push({ id, platform, username: account.username, caption: targets[k]?.captionOverride as string });
          });
          made += batch.length;
        }
      }
    }
    if (Date.now() > dueAt) throw new Error('scheduling took longer than the head start; the posts came due while being created');

    database = openDatabase(scratch.url);
    const db = database.db;
    const openCount = async () => (await db.selectFrom('scheduled_posts').select('id').where('status', 'in', ['queued', 'publishing']).execute()).length;
    return {
      servers,
      posts,
      dueAt,
      db,
      async settle(stallMs) {
        await sleep(Math.max(0, dueAt - Date.now()));
        let open = await openCount();
        let movedAt = Date.now();
        while (open > 0 && Date.now() - movedAt < stallMs) {
          await sleep(100);
          const now = await openCount();
          if (now !== open) movedAt = Date.now();
          open = now;
        }
        const last = await db.selectFrom('scheduled_posts').select((eb) => eb.fn.max('updated_at').as('at')).executeTakeFirstOrThrow();
        return { open, finishedAt: Date.parse(String(last.at)) };
      },
      rows: () => db.selectFrom('scheduled_posts').selectAll().execute(),
      async profiles() {
        const out = new Map<string, string[]>();
        for (const account of accounts) {
          const res = await fetch(`${emulator.url}/_control/published/${account.platform}/${account.username}`);
          const listing = (await res.json()) as { items: Array<{ caption: string }> };
          out.set(`${account.platform}:${account.username}`, listing.items.map((item) => item.caption));
        }
        return out;
      },
      close,
    };
  } catch (error) {
    const output = servers.map((server, i) => `--- server ${i} ---\n${server.output()}`).join('\n');
    await close();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
}
