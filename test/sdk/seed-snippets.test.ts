import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { engines } from '../support/engines.ts';
import { api } from '../support/server-process.ts';
import { startLiveServer, type LiveServer } from './live-server.ts';
import { runPython } from './python-support.ts';

/**
 * The examples of Layers' reauth-url page (test/sdk/seed/, copied byte for byte) run unchanged
 * against a live server: the curl request, the TypeScript SDK call, the Python SDK call and the
 * `reconcile-needs-reauth.ts` loop. Only the key and the base URL come from the environment. The
 * ids the page hard-codes exist: the project is created under its id, the TikTok account is
 * connected through the emulator and re-keyed to its id, then revoked upstream and found dead by
 * a live health check (`reauth_required`); the page's return host is put on the key's allowlist
 * with the operator CLI.
 */

const REPO = path.resolve(import.meta.dirname, '../..');
const SEED_DIR = path.join(import.meta.dirname, 'seed');
const SDK_ENTRY = pathToFileURL(path.join(REPO, 'sdk/typescript/src/index.ts')).href;
const SEED_PROJECT = 'prj_254a4ce1-f4ca-42b1-9e36-17ca45ef3d39';
const SEED_ACCOUNT = 'sa_9c1e42a0-b7f3-4e5d-a2c1-8b4f5e6c7d8e';
const SEED_RETURN_URL = 'https://app.gicgrowth.com/reconnect/tiktok/return';
const CREATOR = 'gic_creator';
const STATE = /^st_[0-9A-HJKMNP-TV-Z]{26}$/;

interface Minted {
  authorizeUrl: string;
  state: string;
  expiresAt: string;
}

interface OAuthStatus {
  kind: string;
  status: string;
  socialAccountId: string | null;
  projectId: string;
  platform: string;
  expiresAt: string;
}

const snippet = (name: string) => readFileSync(path.join(SEED_DIR, name), 'utf8');

/** The only changes allowed: the page's base URL and key placeholder become the live ones. */
function localize(text: string, server: LiveServer): string {
  return text.replaceAll('https://api.layers.com', server.url).replaceAll('lp_...', server.secret);
}

function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: REPO, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? 1 : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

for (const engine of engines) {
  describe(`the seed page's examples run unchanged (${engine})`, { timeout: 300_000 }, () => {
    let server: LiveServer;
    let workDir: string;
    let otherAccount: string;
    let tsMinted: Minted;

    const status = (state: string) => api<OAuthStatus>(server.url, 'GET', `/v1/social/oauth-status/${state}`, server.secret);

    /** A state the page's call minted: a pending reauth of the page's account, on the emulator's TikTok consent page. */
    async function assertReauthMinted(minted: Minted, where: string): Promise<void> {
      assert.match(minted.state, STATE, where);
      const authorize = new URL(minted.authorizeUrl);
      assert.ok(minted.authorizeUrl.startsWith(server.emulatorUrl), `${where}: ${minted.authorizeUrl}`);
      assert.equal(authorize.searchParams.get('state'), minted.state, where);
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256', where);
      const expiresIn = Date.parse(minted.expiresAt) - Date.now();
      assert.ok(expiresIn > 9 * 60_000 && expiresIn <= 10 * 60_000, `${where}: expiresAt ${minted.expiresAt}`);
      const { kind, status: current, socialAccountId, projectId, platform } = await status(minted.state);
      assert.deepEqual(
        { kind, status: current, socialAccountId, projectId, platform },
        { kind: 'reauth', status: 'pending', socialAccountId: SEED_ACCOUNT, projectId: SEED_PROJECT, platform: 'tiktok' },
        where,
      );
    }

    async function connect(username: string): Promise<string> {
      const { authorizeUrl, state } = await api<Minted>(server.url, 'POST', `/v1/projects/${SEED_PROJECT}/social/oauth-url`, server.secret, {
        platform: 'tiktok',
        returnUrl: 'http://localhost:3000/connected',
      });
      assert.equal(await server.consent(authorizeUrl, username), 'http://localhost:3000/connected');
      const done = await status(state);
      assert.equal(done.status, 'completed');
      return done.socialAccountId as string;
    }

    before(async () => {
      server = await startLiveServer(engine, { projectId: SEED_PROJECT, allow: ['app.gicgrowth.com'] });
      workDir = mkdtempSync(path.join(tmpdir(), 'layers-seed-'));

      // The page's account: connected, re-keyed to the page's id, then its grant revoked upstream.
      const connected = await connect(CREATOR);
      await server.db.transaction().execute(async (trx) => {
        await trx.updateTable('social_accounts').set({ id: SEED_ACCOUNT }).where('id', '=', connected).execute();
        await trx.updateTable('oauth_states').set({ social_account_id: SEED_ACCOUNT }).where('social_account_id', '=', connected).execute();
      });
      await server.revokeUpstream('tiktok', CREATOR);
      const health = await api<{ status: string; reauthReason: string }>(server.url, 'GET', `/v1/social-accounts/${SEED_ACCOUNT}/health?check=live`, server.secret);
      assert.deepEqual([health.status, health.reauthReason], ['reauth_required', 'token_revoked']);

      // A healthy account beside it, which the reconcile loop must leave alone.
      otherAccount = await connect('gic_other_creator');
    });
    after(async () => {
      await server?.close();
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    test('curl', async () => {
      const command = localize(snippet('reauth-url.curl.snippet'), server);
      const curl = await run('bash', ['-c', `${command.trimEnd()} --silent --show-error`], {});
      assert.equal(curl.code, 0, curl.stderr);
      await assertReauthMinted(JSON.parse(curl.stdout) as Minted, 'curl');
    });

    test('TypeScript: layers.social.createReauthUrl, then window.location.assign(authorizeUrl)', async () => {
      const file = path.join(workDir, 'reauth-url.mts');
      writeFileSync(
        file,
        [
          `import { Layers } from ${JSON.stringify(SDK_ENTRY)};`,
          'const layers = new Layers({ apiKey: process.env.LAYERS_API_KEY!, baseUrl: process.env.LAYERS_BASE_URL });',
          'const assigned: string[] = [];',
          'const window = { location: { assign: (url: string) => void assigned.push(url) } };',
          snippet('reauth-url.ts.snippet'),
          'console.log(JSON.stringify({ assigned, authorizeUrl, state }));',
        ].join('\n'),
      );
      const node = await run(process.execPath, [file], { LAYERS_API_KEY: server.secret, LAYERS_BASE_URL: server.url });
      assert.equal(node.code, 0, node.stderr);
      const out = JSON.parse(node.stdout) as { assigned: string[]; authorizeUrl: string; state: string };
      assert.deepEqual(out.assigned, [out.authorizeUrl], 'the browser is sent to the authorize URL, once');
      const { expiresAt } = await status(out.state);
      tsMinted = { authorizeUrl: out.authorizeUrl, state: out.state, expiresAt };
      await assertReauthMinted(tsMinted, 'TypeScript');
    });

    test('Python: layers.social.create_reauth_url', async () => {
      const script = [
        'import json, os',
        'from layers_social import Layers',
        'layers = Layers(api_key=os.environ["LAYERS_API_KEY"], base_url=os.environ["LAYERS_BASE_URL"])',
        snippet('reauth-url.py.snippet'),
        'print(json.dumps({"authorizeUrl": result["authorizeUrl"], "state": result["state"], "expiresAt": result["expiresAt"]}))',
      ].join('\n');
      const python = await runPython(['-c', script], { env: { LAYERS_API_KEY: server.secret, LAYERS_BASE_URL: server.url } });
      assert.equal(python.code, 0, python.stderr);
      await assertReauthMinted(JSON.parse(python.stdout) as Minted, 'Python');
    });

    test('reconcile-needs-reauth.ts mints a reauth URL for the reauth_required account, and only for it', async () => {
      const file = path.join(workDir, 'reconcile-needs-reauth.mts');
      writeFileSync(
        file,
        [
          'const projectId = process.env.PROJECT_ID!;',
          'const LAYERS_API_KEY = process.env.LAYERS_API_KEY!;',
          'const APP_BASE_URL = "https://app.gicgrowth.com";',
          'const pending: Array<{ socialAccountId: string; state: string; authorizeUrl: string }> = [];',
          'async function persistReauthPending(record: { socialAccountId: string; state: string; authorizeUrl: string }) { pending.push(record); }',
          localize(snippet('reconcile-needs-reauth.ts.snippet'), server),
          'console.log(JSON.stringify(pending));',
        ].join('\n'),
      );
      const node = await run(process.execPath, [file], { LAYERS_API_KEY: server.secret, PROJECT_ID: SEED_PROJECT });
      assert.equal(node.code, 0, node.stderr);
      const pending = JSON.parse(node.stdout) as Array<{ socialAccountId: string; state: string; authorizeUrl: string }>;
      assert.deepEqual(pending.map((p) => p.socialAccountId), [SEED_ACCOUNT], `not ${otherAccount}, which is connected`);
      const [record] = pending as [(typeof pending)[0]];
      await assertReauthMinted({ ...record, expiresAt: (await status(record.state)).expiresAt }, 'reconcile loop');
    });

    test('the person consents on the URL the TypeScript example opened: the same socialAccountId is connected again, and the browser lands on the page’s returnUrl', async () => {
      const landing = await server.consent(tsMinted.authorizeUrl, CREATOR);
      assert.equal(landing, SEED_RETURN_URL);
      assert.equal((await status(tsMinted.state)).status, 'completed');
      const accounts = await api<{ items: Array<{ socialAccountId: string; status: string }> }>(
        server.url,
        'GET',
        `/v1/projects/${SEED_PROJECT}/social-accounts`,
        server.secret,
      );
      assert.deepEqual(
        accounts.items.map((a) => [a.socialAccountId, a.status]).sort(),
        [
          [SEED_ACCOUNT, 'connected'],
          [otherAccount, 'connected'],
        ].sort(),
      );
    });
  });
}
