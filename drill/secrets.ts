import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type DatabaseHandle } from '../src/db/database.ts';
import { startEmulator, type RunningEmulator } from '../src/emulator/main.ts';
import { codeVerifierOf } from '../src/social/authorize-url.ts';
import { createVault } from '../src/vault/vault.ts';
import { consent } from '../test/support/consent.ts';
import { ManualClock } from '../test/support/manual-clock.ts';
import { createScratchDatabase, freePorts, runCli, startServerProcess, waitFor, type ScratchDatabase, type ServerProcess } from '../test/support/server-process.ts';
import { dumpDatabase, startReceiver, type Receiver } from '../test/webhooks/helpers.ts';
import { Violations, type Drill, type DrillReport } from './harness.ts';

/**
 * Secrets: a full flow against a real `layers serve` (logging at trace) on both platforms:
 * connect, a refresh the platform refuses while echoing the token, a refresh, a reauth, a denied
 * consent, a reconnect link created (with Idempotency-Key) and clicked, a revoke, a webhook endpoint
 * created and rotated with Idempotency-Key, a delivery.
 * Then every secret that existed (each platform token the emulator issued, each authorization
 * code, each PKCE verifier, the API key's secret, each signing secret, the link's token) is looked for in the
 * database (the SQLite files byte for byte, WAL included; every Postgres row), in everything the
 * server printed, in every response but the one that created it, and in every webhook delivery.
 */
const SECRET_KEY = 'secrets-drill-secret-key-0123456789abcdefghij';
const RETURN_URL = 'https://app.example.com/connected';

interface Secret {
  kind: string;
  value: string;
  /** The response label that legitimately carried it (its creation), if any. */
  createdBy: string | null;
}

interface Recorded {
  label: string;
  text: string;
}

export const secretsDrill: Drill = {
  name: 'secrets',
  kind: 'processes',
  async run({ engine }): Promise<DrillReport> {
    const violations = new Violations();
    const dir = mkdtempSync(path.join(tmpdir(), 'layers-secrets-drill-'));
    const scratch: ScratchDatabase | null = engine === 'postgres' ? await createScratchDatabase(process.env.TEST_DATABASE_URL as string, 'drill_secrets') : null;
    const databaseUrl = scratch ? scratch.url : `sqlite:${path.join(dir, 'layers.db')}`;
    const emulator: RunningEmulator = await startEmulator({ port: 0, host: '127.0.0.1' });
    const receiver: Receiver = await startReceiver();
    const env = { DATABASE_URL: databaseUrl, LAYERS_SECRET_KEY: SECRET_KEY, DATA_DIR: dir, LOG_LEVEL: 'trace', EMULATOR_URL: emulator.url, WEBHOOK_POLL_INTERVAL_MS: '50' };
    let server: ServerProcess | null = null;
    let database: DatabaseHandle | null = null;
    const logs: string[] = [];
    const responses: Recorded[] = [];
    const secrets: Secret[] = [];
    try {
      const org = await runCli<{ id: string }>(['admin', 'org', 'create', '--name', 'Secrets drill'], env);
      const { key } = await runCli<{ key: string }>(['admin', 'key', 'create', '--org', org.id, '--scopes', '*', '--return-domains', 'app.example.com', '--tier', 'internal'], env);
      secrets.push({ kind: 'API key secret', value: key, createdBy: null }, { kind: 'API key secret (random part)', value: key.slice(-43), createdBy: null });
      const [port] = (await freePorts(1)) as [number];
      server = await startServerProcess(port, env, 30_000, (text) => logs.push(text));
      const base = server.url;
      database = openDatabase(databaseUrl);
      const db = database.db;
      const vault = createVault({ masterSecret: SECRET_KEY, clock: new ManualClock() });

      const call = async (label: string, method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
        const res = await fetch(`${base}${route}`, {
          method,
          redirect: 'manual',
          headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await res.text();
        responses.push({ label, text: `${res.status} ${JSON.stringify([...res.headers])}\n${text}` });
        return { status: res.status, json: () => JSON.parse(text), location: res.headers.get('location') };
      };
      const controlCall = async (method: string, route: string, body?: unknown) => {
        const res = await fetch(`${emulator.url}/_control${route}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
        return res.json() as Promise<any>;
      };
      /** oauth-url or reauth-url → consent → callback; keeps the PKCE verifier and the code. */
      const consentFlow = async (label: string, route: string, body: Record<string, unknown>, username: string, decision: 'approve' | 'deny' = 'approve') => {
        const minted = await call(`${label} mint`, 'POST', route, { ...body, returnUrl: RETURN_URL });
        const { state, authorizeUrl } = minted.json() as { state: string; authorizeUrl: string };
        const verifier = await codeVerifierOf({ db, vault }, await db.selectFrom('oauth_states').selectAll().where('id', '=', state).executeTakeFirstOrThrow());
        if (verifier) secrets.push({ kind: 'PKCE verifier', value: verifier, createdBy: null });
        const redirect = await consent(authorizeUrl, { username, decision });
        const code = redirect.searchParams.get('code');
        if (code) secrets.push({ kind: 'authorization code', value: code, createdBy: null });
        await call(`${label} callback`, 'GET', `${redirect.pathname}${redirect.search}`, undefined, { authorization: '' });
        return (await call(`${label} status`, 'GET', `/v1/social/oauth-status/${state}`)).json() as { status: string; socialAccountId: string | null };
      };

      const projectId = (await call('project', 'POST', '/v1/projects', { name: 'Secrets drill', timezone: 'UTC' })).json().id as string;
      const created = await call('endpoint create', 'POST', '/v1/webhook-endpoints', { url: receiver.url, events: ['social_account.connected', 'social_account.needs_reauth', 'social_account.revoked', 'test.ping'] }, { 'idempotency-key': 'drill-create' });
      const endpointId = created.json().endpoint.id as string;
      secrets.push({ kind: 'webhook signing secret', value: created.json().signingSecret, createdBy: 'endpoint create' });
      const rotated = await call('endpoint rotate', 'POST', `/v1/webhook-endpoints/${endpointId}/rotate-secret`, undefined, { 'idempotency-key': 'drill-rotate' });
      secrets.push({ kind: 'webhook signing secret', value: rotated.json().signingSecret, createdBy: 'endpoint rotate' });

      const tiktok = await consentFlow('tiktok connect', `/v1/projects/${projectId}/social/oauth-url`, { platform: 'tiktok' }, 'secrets_tt');
      const instagram = await consentFlow('instagram connect', `/v1/projects/${projectId}/social/oauth-url`, { platform: 'instagram' }, 'secrets_ig');
      if (tiktok.status !== 'completed' || instagram.status !== 'completed') violations.add(`connects ended ${tiktok.status} / ${instagram.status}`);
      await consentFlow('denied', `/v1/projects/${projectId}/social/oauth-url`, { platform: 'tiktok' }, 'secrets_deny', 'deny');

      // TikTok: the access token dies; the live check refreshes, first into a refusal that echoes the refresh token.
      const issued = (await controlCall('GET', '/tokens/tiktok')).tokens as Array<{ token: string; kind: string }>;
      const refreshToken = issued.find((t) => t.kind === 'refresh')?.token ?? '';
      await controlCall('POST', '/users/tiktok/secrets_tt/expire');
      await controlCall('POST', '/faults', { platform: 'tiktok', endpoint: 'refresh', status: 400, body: { error: 'invalid_request', error_description: `refresh_token ${refreshToken} is malformed` } });
      await call('tiktok refused refresh', 'GET', `/v1/social-accounts/${tiktok.socialAccountId}/health?check=live`);
      const refreshed = await call('tiktok refresh', 'GET', `/v1/social-accounts/${tiktok.socialAccountId}/health?check=live`);
      if (refreshed.json().status !== 'connected') violations.add(`the TikTok refresh left the account ${refreshed.json().status}`);

      // Instagram: the token dies for good; reauth binds fresh tokens to the same account.
      await controlCall('POST', '/users/instagram/secrets_ig/revoke', { subcode: 460 });
      await call('instagram live check', 'GET', `/v1/social-accounts/${instagram.socialAccountId}/health?check=live`);
      const reauth = await consentFlow('instagram reauth', `/v1/projects/${projectId}/social/reauth-url`, { socialAccountId: instagram.socialAccountId }, 'secrets_ig');
      if (reauth.status !== 'completed') violations.add(`the reauth ended ${reauth.status}`);

      // A reconnect link: its token is in the create response (and its replay) only, never in a log line or a row.
      const linkBody = { socialAccountId: tiktok.socialAccountId, returnUrl: RETURN_URL };
      const link = await call('reconnect link create', 'POST', `/v1/projects/${projectId}/social/reconnect-links`, linkBody, { 'idempotency-key': 'drill-link' });
      await call('reconnect link create', 'POST', `/v1/projects/${projectId}/social/reconnect-links`, linkBody, { 'idempotency-key': 'drill-link' });
      const linkUrl = new URL(link.json().url as string);
      secrets.push({ kind: 'reconnect link token', value: linkUrl.pathname.split('/').pop() as string, createdBy: 'reconnect link create' });
      const clicked = await call('reconnect link click', 'GET', linkUrl.pathname, undefined, { authorization: '' });
      const linkRedirect = await consent(clicked.location as string, { username: 'secrets_tt' });
      await call('reconnect link callback', 'GET', `${linkRedirect.pathname}${linkRedirect.search}`, undefined, { authorization: '' });
      const linkAfter = (await call('reconnect link read', 'GET', `/v1/social/reconnect-links/${link.json().linkId}`)).json();
      if (linkAfter.status !== 'used') violations.add(`the reconnect link ended ${linkAfter.status}`);

      await call('ping', 'POST', `/v1/webhook-endpoints/${endpointId}/test`);
      await call('revoke', 'DELETE', `/v1/social-accounts/${instagram.socialAccountId}`);
      if (!(await waitFor(() => receiver.received.some((hook) => hook.body.type === 'social_account.revoked'), 15_000))) violations.add('the webhook deliveries did not arrive');
      await server.stop();
      server = null;

      for (const platform of ['tiktok', 'instagram']) {
        for (const token of (await controlCall('GET', `/tokens/${platform}`)).tokens as Array<{ token: string; kind: string }>) {
          secrets.push({ kind: `${platform} ${token.kind} token`, value: token.token, createdBy: null });
        }
      }

      const places: Array<[string, string]> = [
        ['database', await databaseText(database, scratch ? null : path.join(dir, 'layers.db'))],
        ['server output (trace logs)', logs.join('')],
        ['webhook deliveries', receiver.received.map((hook) => `${JSON.stringify(hook.headers)}\n${hook.rawBody}`).join('\n')],
      ];
      for (const secret of secrets) {
        for (const [place, text] of places) if (text.includes(secret.value)) violations.add(`${secret.kind} found in the ${place}`);
        for (const response of responses) {
          if (response.label !== secret.createdBy && response.text.includes(secret.value)) violations.add(`${secret.kind} found in the "${response.label}" response`);
        }
      }
      const kinds = new Map<string, number>();
      for (const secret of secrets) kinds.set(secret.kind, (kinds.get(secret.kind) ?? 0) + 1);
      return {
        figures: [
          ['secrets tracked', [...kinds].map(([k, n]) => `${n} ${k}`).join(', ')],
          ['database bytes searched', places[0]?.[1].length ?? 0],
          ['log bytes searched (LOG_LEVEL=trace)', places[1]?.[1].length ?? 0],
          ['responses searched', responses.length],
          ['webhook deliveries searched', receiver.received.length],
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

/** SQLite: the files' bytes, WAL and shared memory included. Postgres: every row of every table. */
async function databaseText(database: DatabaseHandle, sqliteFile: string | null): Promise<string> {
  if (!sqliteFile) return dumpDatabase(database);
  return [sqliteFile, `${sqliteFile}-wal`, `${sqliteFile}-shm`]
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file).toString('latin1'))
    .join('\n');
}
