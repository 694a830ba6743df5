import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { Layers, LayersError } from '../../sdk/typescript/src/index.ts';
import { engines } from '../support/engines.ts';
import { waitFor } from '../support/server-process.ts';
import { startWebhookReceiver, type ReceivedWebhook } from '../support/webhook-receiver.ts';
import { startLiveServer, type LiveServer } from './live-server.ts';
import { PYTHON, PYTHON_SDK } from './python-support.ts';

/**
 * Both SDKs drive the whole story against a running server: connect (consent on the emulator), the
 * grant revoked upstream, the `social_account.needs_reauth` webhook verified with the SDK's own
 * verifier, reauth on the same socialAccountId, a video uploaded, scheduled and seen published on
 * the creator's profile; errors surface as LayersError carrying the server's code.
 */

const RETURN_URL = 'http://localhost:3000/connected';
const VIDEO = path.join(import.meta.dirname, '../fixtures/media/video.mp4');
const VIDEO_SHA256 = createHash('sha256').update(readFileSync(VIDEO)).digest('hex');

interface ProfileItem {
  caption: string;
  kind: string;
  mediaSha256: string[];
}

/** What the creator's profile on the emulator shows. */
async function profileOf(server: LiveServer, platform: string, username: string): Promise<ProfileItem[]> {
  const response = await fetch(`${server.emulatorUrl}/_control/published/${platform}/${username}`);
  assert.equal(response.status, 200);
  return ((await response.json()) as { items: ProfileItem[] }).items;
}
const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;

interface ErrorSeen {
  status: number;
  code: string;
  requestId: string | null;
  details: Record<string, unknown>;
}

/** Waits for the endpoint to receive `type` about `socialAccountId`. */
async function delivered(received: ReceivedWebhook[], type: string, socialAccountId: string): Promise<ReceivedWebhook> {
  const find = () => received.find((r) => r.body.type === type && r.body.data['socialAccountId'] === socialAccountId);
  assert.ok(await waitFor(() => find() !== undefined, 15_000, 50), `no ${type} delivery for ${socialAccountId}`);
  return find() as ReceivedWebhook;
}

async function errorOf(call: () => Promise<unknown>): Promise<ErrorSeen> {
  try {
    await call();
  } catch (error) {
    assert.ok(error instanceof LayersError, String(error));
    return { status: error.status, code: error.code, requestId: error.requestId, details: error.details };
  }
  assert.fail('expected a LayersError');
}

for (const engine of engines) {
  describe(`the reconnect story through the SDKs (${engine})`, { timeout: 300_000 }, () => {
    let server: LiveServer;
    let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

    before(async () => {
      // One after the other: were the server to fail to start, the receiver is still closed by `after`.
      receiver = await startWebhookReceiver();
      server = await startLiveServer(engine);
    });
    after(async () => {
      await server?.close();
      await receiver?.close();
    });

    test('TypeScript SDK', async () => {
      const layers = new Layers({ apiKey: server.secret, baseUrl: server.url });
      const username = `ts_story_${engine}`;
      assert.equal((await layers.whoami()).organizationId, server.organizationId);
      const project = await layers.projects.create({ name: 'Story TypeScript', timezone: 'Europe/Paris' });
      assert.deepEqual((await layers.projects.list({ search: 'story TYPE' })).items.map((p) => p.id), [project.id]);
      const { signingSecret } = await layers.webhooks.endpoints.create({
        url: receiver.url,
        events: ['social_account.connected', 'social_account.needs_reauth'],
        projectId: project.id,
      });

      // Connect.
      const minted = await layers.social.createOAuthUrl({ projectId: project.id, platform: 'tiktok', returnUrl: RETURN_URL });
      assert.equal(await server.consent(minted.authorizeUrl, username), RETURN_URL);
      const connected = await layers.social.waitForOAuth(minted.state, { timeoutMs: 15_000, intervalMs: 100 });
      assert.equal(connected.status, 'completed');
      const accountId = connected.socialAccountId as string;
      const listed: Array<[string, string]> = [];
      for await (const account of layers.social.accounts.list({ projectId: project.id })) listed.push([account.socialAccountId, account.status]);
      assert.deepEqual(listed, [[accountId, 'connected']]);

      // Revoked upstream: a live health check finds it, the webhook says so, signed.
      await server.revokeUpstream('tiktok', username);
      const health = await layers.social.getHealth({ socialAccountId: accountId, check: 'live' });
      assert.deepEqual([health.status, health.needsReauth, health.reauthReason], ['reauth_required', true, 'token_revoked']);
      const { items } = await layers.social.listAccounts({ projectId: project.id, status: 'reauth_required' });
      assert.deepEqual(items.map((a) => a.socialAccountId), [accountId]);
      const webhook = await delivered(receiver.received, 'social_account.needs_reauth', accountId);
      const signature = webhook.headers['x-layers-signature'] as string;
      assert.equal(await layers.webhooks.verifySignature(webhook.rawBody, signature, signingSecret), true);
      assert.equal(await layers.webhooks.verifySignature(webhook.rawBody.replace('token_revoked', 'scopes_missing'), signature, signingSecret), false);
      assert.equal(webhook.body.data['reauthReason'], 'token_revoked');

      // Reauth on the same id.
      const again = await layers.social.createReauthUrl({ projectId: project.id, socialAccountId: accountId, returnUrl: RETURN_URL });
      assert.equal(await server.consent(again.authorizeUrl, username), RETURN_URL);
      const reauthed = await layers.social.waitForOAuth(again.state, { timeoutMs: 15_000, intervalMs: 100 });
      assert.deepEqual([reauthed.status, reauthed.kind, reauthed.socialAccountId], ['completed', 'reauth', accountId]);
      assert.equal((await layers.social.getHealth({ socialAccountId: accountId })).status, 'connected');

      // Upload a video, schedule it a moment ahead, and see it on the creator's profile.
      const [container] = await layers.content.upload({ projectId: project.id, files: [{ data: VIDEO }], caption: 'Story time' });
      assert.equal(container?.status, 'completed');
      const scheduled = await layers.publishing.schedule({
        containerId: container.id,
        scheduledFor: new Date(Date.now() + 1_000).toISOString(),
        targets: [{ socialAccountId: accountId, mode: 'publish' }],
      });
      const [postId] = scheduled.scheduledPostIds;
      assert.ok(postId);
      let post = await layers.publishing.getScheduledPost({ scheduledPostId: postId });
      assert.ok(await waitFor(async () => (post = await layers.publishing.getScheduledPost({ scheduledPostId: postId })).status === 'published', 60_000, 200), JSON.stringify(post));
      assert.ok(post.externalId);
      const listedPosts = await layers.publishing.listScheduledPosts({ projectId: project.id, status: ['published'] });
      assert.deepEqual(listedPosts.items.map((p) => p.id), [postId]);
      assert.deepEqual((await profileOf(server, 'tiktok', username)).map((item) => [item.caption, item.mediaSha256]), [['Story time', [VIDEO_SHA256]]]);
      const final = await errorOf(() => layers.publishing.cancel({ scheduledPostId: postId }));
      assert.equal(final.status, 409, JSON.stringify(final));

      // Errors carry the server's code.
      const notAllowed = await errorOf(() => layers.social.createReauthUrl({ projectId: project.id, socialAccountId: accountId, returnUrl: 'https://evil.example/x' }));
      assert.deepEqual([notAllowed.status, notAllowed.code, notAllowed.details['host']], [403, 'RETURN_URL_NOT_ALLOWED', 'evil.example']);
      assert.match(notAllowed.requestId ?? '', REQUEST_ID);
      const unknownState = await errorOf(() => layers.social.getOAuthStatus({ state: 'st_01HXZB4P9K2M3N4P5QRS6TVW7X' }));
      assert.deepEqual([unknownState.status, unknownState.code], [404, 'NOT_FOUND']);
      const invalid = await errorOf(() => layers.projects.create({ name: 'x', timezone: 'UTC' }));
      assert.deepEqual([invalid.status, invalid.code], [422, 'VALIDATION']);
      assert.deepEqual((invalid.details['issues'] as Array<{ path: string }>).map((i) => i.path), ['name']);
      const revoked = await layers.social.revoke({ socialAccountId: accountId });
      assert.deepEqual([revoked.status, revoked.disconnectedReason], ['disconnected', 'revoked_by_partner']);
      const gone = await errorOf(() => layers.social.createReauthUrl({ projectId: project.id, socialAccountId: accountId, returnUrl: RETURN_URL }));
      assert.deepEqual([gone.status, gone.code], [404, 'NOT_FOUND']);
    });

    test('Python SDK', async () => {
      const username = `py_story_${engine}`;
      const child = spawn(PYTHON, [path.join(import.meta.dirname, 'story.py')], {
        cwd: PYTHON_SDK,
        env: {
          PATH: process.env.PATH ?? '',
          PYTHONPATH: path.join(PYTHON_SDK, 'src'),
          PYTHONDONTWRITEBYTECODE: '1',
          LAYERS_API_KEY: server.secret,
          LAYERS_BASE_URL: server.url,
          WEBHOOK_URL: receiver.url,
          CREATOR: username,
          VIDEO,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const reply = (value: unknown) => child.stdin.write(`${JSON.stringify(value)}\n`);

      let seen: Record<string, any> | undefined;
      for await (const line of createInterface({ input: child.stdout })) {
        const message = JSON.parse(line) as Record<string, any>;
        if (message['done']) {
          seen = message['done'];
          break;
        }
        if (message['need'] === 'consent') reply({ location: await server.consent(message['authorizeUrl'], message['username']) });
        else if (message['need'] === 'revoke_upstream') reply(await server.revokeUpstream(message['platform'], message['username']).then(() => ({})));
        else if (message['need'] === 'webhook') {
          const webhook = await delivered(receiver.received, message['type'], message['socialAccountId']);
          reply({ rawBody: webhook.rawBody, signature: webhook.headers['x-layers-signature'] });
        } else assert.fail(`unexpected line from story.py: ${line}`);
      }
      child.stdin.end();
      assert.equal(await exited, 0, stderr);
      assert.ok(seen, stderr);

      assert.equal(seen['whoami'].organizationId, server.organizationId);
      assert.deepEqual(seen['searched'], [seen['projectId']]);
      const accountId = seen['connect'].socialAccountId;
      assert.deepEqual(seen['connect'], { status: 'completed', kind: 'connect', socialAccountId: accountId });
      assert.equal(seen['connectLanding'], RETURN_URL);
      assert.deepEqual(seen['listed'], [[accountId, 'connected']]);
      assert.deepEqual(seen['health'], { status: 'reauth_required', needsReauth: true, reauthReason: 'token_revoked' });
      assert.deepEqual(seen['needsReauthListed'], [accountId]);
      assert.equal(seen['webhook'].verified, true);
      assert.equal(seen['webhook'].tampered, false);
      assert.equal(seen['webhook'].event.type, 'social_account.needs_reauth');
      assert.equal(seen['webhook'].event.data.socialAccountId, accountId);
      assert.equal(seen['reauthLanding'], RETURN_URL);
      assert.deepEqual(seen['reauth'], { status: 'completed', kind: 'reauth', socialAccountId: accountId });
      assert.equal(seen['healthAfter'], 'connected');
      assert.equal(seen['uploaded'].status, 'completed');
      assert.equal(seen['published'].status, 'published');
      assert.ok(seen['published'].externalId);
      assert.deepEqual(seen['listedPublished'], [seen['published'].id]);
      assert.deepEqual((await profileOf(server, 'tiktok', username)).map((item) => [item.caption, item.mediaSha256]), [['Story time (Python)', [VIDEO_SHA256]]]);
      const errors = seen['errors'] as Record<string, ErrorSeen>;
      assert.deepEqual([errors['returnUrlNotAllowed']?.status, errors['returnUrlNotAllowed']?.code, errors['returnUrlNotAllowed']?.details['host']], [403, 'RETURN_URL_NOT_ALLOWED', 'evil.example']);
      assert.match(errors['returnUrlNotAllowed']?.requestId ?? '', REQUEST_ID);
      assert.deepEqual([errors['unknownState']?.status, errors['unknownState']?.code], [404, 'NOT_FOUND']);
      assert.deepEqual([errors['validation']?.status, errors['validation']?.code], [422, 'VALIDATION']);
      assert.deepEqual([seen['revoked'].status, seen['revoked'].disconnectedReason], ['disconnected', 'revoked_by_partner']);
      assert.equal(errors['cancelPublished']?.status, 409);
      assert.deepEqual([errors['reauthAfterRevoke']?.status, errors['reauthAfterRevoke']?.code], [404, 'NOT_FOUND']);
    });
  });
}
