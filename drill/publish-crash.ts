import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase, type DatabaseHandle } from '../src/db/database.ts';
import type { ScheduledPostsTable } from '../src/db/schema.ts';
import { startEmulator } from '../src/emulator/main.ts';
import { consent } from '../test/support/consent.ts';
import { startMediaServer } from '../test/support/media-server.ts';
import { api, createScratchDatabase, freePorts, runCli, startServerProcess, type ScratchDatabase, type ServerProcess } from '../test/support/server-process.ts';
import { seededRandom, Violations, type Drill, type DrillReport } from './harness.ts';

/**
 * Publish crash: posts to TikTok (video, pushed in chunks) and Instagram (an image the platform
 * fetches from the server) are published by a real `layers serve` that is SIGKILLed at random
 * moments, and restarted, until every post is final. Nothing may be lost (a post not final, or
 * `published` without its item on the profile), nothing may be on a creator's profile twice, and
 * every post must be final within its retry window (5 attempts over about 30 minutes).
 *
 * A dead process's claims are taken over once their lease (60 s) runs out; instead of waiting a
 * minute per kill, the drill ages the leases the killed process held (it is dead: nobody else can
 * hold them), which is what the table looks like a minute later.
 */
const RETRY_WINDOW_MS = 31 * 60_000;
const POSTS_PER_ACCOUNT = 2;
/** The last process may take its time, but not stand still: longer than a first retry (1 min). */
const STALL_MS = 90_000;
const RETURN_URL = 'https://app.example.com/connected';

interface ProfileItem {
  caption: string;
  mediaSha256: string[];
}

export const publishCrashDrill: Drill = {
  name: 'publish-crash',
  kind: 'processes',
  async run({ engine, quick, seed, log }): Promise<DrillReport> {
    const violations = new Violations();
    const random = seededRandom(seed);
    const posts = quick ? 8 : 50;
    const maxKills = quick ? 2 : 20;
    const emulator = await startEmulator({ port: 0, host: '127.0.0.1' });
    const origin = await startMediaServer();
    const dir = mkdtempSync(path.join(tmpdir(), 'layers-publish-crash-'));
    const scratch: ScratchDatabase | null = engine === 'postgres' ? await createScratchDatabase(process.env.TEST_DATABASE_URL as string, 'drill_publish') : null;
    const [port] = (await freePorts(1)) as [number];
    const env = {
      DATABASE_URL: scratch ? scratch.url : `sqlite:${path.join(dir, 'layers.db')}`,
      LAYERS_SECRET_KEY: 'publish-crash-drill-secret-0123456789abcdefgh',
      DATA_DIR: dir,
      LOG_LEVEL: 'error',
      EMULATOR_URL: emulator.url,
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      CALLBACK_RATE_LIMIT_PER_MINUTE: '1000000',
      PUBLIC_RATE_LIMIT_PER_MINUTE: '1000000',
    };
    let server: ServerProcess | null = null;
    let database: DatabaseHandle | null = null;
    const control = async (method: 'GET' | 'POST', route: string, body?: unknown) => {
      const res = await fetch(`${emulator.url}/_control${route}`, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`control ${method} ${route}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<unknown>;
    };
    try {
      const org = await runCli<{ id: string }>(['admin', 'org', 'create', '--name', `Publish crash ${engine}`], env);
      const { key } = await runCli<{ key: string }>(['admin', 'key', 'create', '--org', org.id, '--scopes', '*', '--return-domains', 'app.example.com', '--tier', 'internal'], env);
      server = await startServerProcess(port, env);
      const url = server.url;
      const projectId = (await api<{ id: string }>(url, 'POST', '/v1/projects', key, { name: 'Publish crash', timezone: 'UTC' }, 201)).id;

      // One container per platform; each post carries its own caption, so the profile tells them apart.
      const upload = async (file: string) =>
        (await api<{ id: string; status: string }>(url, 'POST', `/v1/projects/${projectId}/content/upload`, key, { media: [{ url: `${origin.url}/f/${file}` }], caption: 'drill' }, 201)).id;
      const containers = { tiktok: await upload('video.mp4'), instagram: await upload('image.jpg') };
      const accounts: Array<{ platform: 'tiktok' | 'instagram'; username: string; id: string }> = [];
      for (let i = 0; i < Math.ceil(posts / POSTS_PER_ACCOUNT); i++) {
        const platform = i % 2 === 0 ? 'tiktok' : 'instagram';
        const username = `pc_${engine.slice(0, 2)}_${seed % 10_000}_${i}`;
        await control('POST', `/users/${platform}/${username}`, platform === 'instagram' ? { accountType: 'BUSINESS' } : {});
        // Processing that takes a moment keeps posts in flight (ids stored, the platform working) when a kill lands.
        await control('POST', `/users/${platform}/${username}/processing`, { delaySeconds: random.int(1, quick ? 3 : 10) });
        const minted = await api<{ authorizeUrl: string; state: string }>(url, 'POST', `/v1/projects/${projectId}/social/oauth-url`, key, { platform, returnUrl: RETURN_URL });
        const redirect = await consent(minted.authorizeUrl, { username });
        await (await fetch(`${url}${redirect.pathname}${redirect.search}`, { redirect: 'manual' })).arrayBuffer();
        const status = await api<{ status: string; socialAccountId: string }>(url, 'GET', `/v1/social/oauth-status/${minted.state}`, key);
        if (status.status !== 'completed') throw new Error(`connecting ${username} ended ${status.status}`);
        accounts.push({ platform, username, id: status.socialAccountId });
      }

      // All due at one moment a little ahead (creating them takes a while), in rounds of one post per
      // account, so each account has a queue of its own; the server is stopped until then.
      const dueAt = new Date(Date.now() + (quick ? 3_000 : 8_000)).toISOString();
      const captionOf = new Map<string, { caption: string; platform: string; username: string }>();
      for (let round = 0, made = 0; made < posts; round++) {
        for (const account of accounts) {
          if (made >= posts) break;
          const caption = `drill ${engine} ${seed} post ${made}`;
          const created = await api<{ scheduledPostIds: string[] }>(
            url,
            'POST',
            `/v1/content/${containers[account.platform]}/schedule`,
            key,
            { scheduledFor: dueAt, targets: [{ socialAccountId: account.id, mode: 'publish', captionOverride: caption }] },
            201,
          );
          captionOf.set(created.scheduledPostIds[0] as string, { caption, platform: account.platform, username: account.username });
          made += 1;
        }
      }
      await server.stop();
      server = null;
      await sleep(Math.max(0, Date.parse(dueAt) - Date.now()));
      const started = Date.now();

      database = openDatabase(env.DATABASE_URL);
      const db = database.db;
      const open = async () => (await db.selectFrom('scheduled_posts').select('id').where('status', 'in', ['queued', 'publishing']).execute()).length;
      let kills = 0;
      let killsInFlight = 0;
      while (kills < maxKills && (await open()) > 0) {
        server ??= await startServerProcess(port, env);
        // Quick mode has two kills: both land after the publisher's first poll, so a post is in flight.
        await sleep(quick ? random.int(1_300, 2_500) : random.int(300, 2_000));
        const inFlight = await db.selectFrom('scheduled_posts').select('id').where('status', '=', 'publishing').execute();
        if (inFlight.length > 0) killsInFlight += 1;
        await server.kill();
        server = null;
        kills += 1;
        // The dead process's leases, aged as a minute would: its posts are due for the next one.
        const aged = await db
          .updateTable('scheduled_posts')
          .set({ locked_until: new Date(Date.now() - 1).toISOString() })
          .where('status', 'in', ['queued', 'publishing'])
          .where('locked_until', '>', new Date().toISOString())
          .executeTakeFirst();
        log(`kill ${kills}: ${inFlight.length} post(s) publishing, ${Number(aged.numUpdatedRows)} lease(s) aged, ${await open()} open`);
      }

      // A last process finishes the work; wait while the open posts shrink, up to STALL_MS without progress.
      server ??= await startServerProcess(port, env);
      let left = await open();
      let movedAt = Date.now();
      while (left > 0 && Date.now() - movedAt < STALL_MS) {
        await sleep(250);
        const now = await open();
        if (now !== left) movedAt = Date.now();
        left = now;
      }
      const elapsedMs = Date.now() - started;
      await server.stop();
      server = null;

      const rows: ScheduledPostsTable[] = await db.selectFrom('scheduled_posts').selectAll().execute();
      const profiles = new Map<string, ProfileItem[]>();
      for (const account of accounts) {
        const listing = (await control('GET', `/published/${account.platform}/${account.username}`)) as { items: ProfileItem[] };
        profiles.set(`${account.platform}:${account.username}`, listing.items);
      }
      const tally = new Map<string, number>();
      let lost = 0;
      let duplicated = 0;
      let uncertainOnProfile = 0;
      let slowest = 0;
      for (const row of rows) {
        const meant = captionOf.get(row.id);
        if (!meant) continue;
        const outcome = row.status === 'failed' ? `failed ${row.last_error_code}` : row.status;
        tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
        const items = (profiles.get(`${meant.platform}:${meant.username}`) ?? []).filter((item) => item.caption === meant.caption);
        if (items.length > 1) {
          duplicated += items.length - 1;
          violations.add(`${row.id} (${meant.platform}) is on the profile ${items.length} times`);
        }
        const finalAt = Date.parse(row.published_at ?? row.last_error_at ?? row.updated_at);
        slowest = Math.max(slowest, finalAt - Date.parse(row.created_at));
        if (row.status === 'queued' || row.status === 'publishing') {
          lost += 1;
          violations.add(`${row.id} (${meant.platform}) is still ${row.status} (attempts ${row.attempts}, state ${row.publish_state})`);
        } else if (row.status === 'published' && items.length === 0) {
          lost += 1;
          violations.add(`${row.id} (${meant.platform}) is published but not on the profile`);
        } else if (row.status === 'failed' && row.last_error_code !== 'PUBLISH_UNCERTAIN') {
          lost += 1;
          violations.add(`${row.id} (${meant.platform}) failed ${row.last_error_code}: ${row.last_error_message}`);
        } else if (row.status === 'failed' && items.length > 0) {
          uncertainOnProfile += 1;
        }
        if (finalAt - Date.parse(row.created_at) > RETRY_WINDOW_MS) violations.add(`${row.id} took ${Math.round((finalAt - Date.parse(row.created_at)) / 1000)} s to be final`);
      }
      const strays = [...profiles.values()].flat().filter((item) => ![...captionOf.values()].some((meant) => meant.caption === item.caption));
      for (const item of strays) violations.add(`the profile shows "${item.caption}", which no post asked for`);

      return {
        figures: [
          ['posts (TikTok video / Instagram image)', `${posts} (${[...captionOf.values()].filter((p) => p.platform === 'tiktok').length} / ${[...captionOf.values()].filter((p) => p.platform === 'instagram').length})`],
          ['SIGKILLs of the publishing server', kills],
          ['kills while a post was being published', killsInFlight],
          ['outcomes', [...tally].sort().map(([k, v]) => `${k} ${v}`).join(', ')],
          ['failed PUBLISH_UNCERTAIN that the platform had taken', uncertainOnProfile],
          ['posts lost', lost],
          ['duplicates on the profiles', duplicated],
          ['slowest post to final (s)', Math.round(slowest / 1000)],
          ['wall time from the first publish to all final (s)', Math.round(elapsedMs / 1000)],
        ],
        violations,
      };
    } finally {
      await server?.kill();
      await database?.destroy();
      await origin.close();
      await emulator.close();
      await scratch?.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
