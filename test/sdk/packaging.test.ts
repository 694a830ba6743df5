import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { signatureHeader } from '../../src/webhooks/signature.ts';
import { startLiveServer, type LiveServer } from './live-server.ts';
import { PYTHON, PYTHON_SDK } from './python-support.ts';

/**
 * The SDKs as users get them: `npm pack` of sdk/typescript installed into an empty project and run
 * with Node 20 (the oldest supported, the system's /usr/bin/node) and Node 24; `pip install` of
 * sdk/python into an empty directory with no index and no build isolation (nothing downloaded).
 * Each calls whoami on a live server, checks a webhook signature and reads a LayersError. The
 * package sizes are reported as test diagnostics.
 */

const REPO = path.resolve(import.meta.dirname, '../..');
const TS_SDK = path.join(REPO, 'sdk/typescript');
const NODE_20 = process.env.NODE20_PATH ?? '/usr/bin/node';
const SECRET = 'whsec_packaging_check';
const BODY = '{"id":"evt_01","type":"test.ping","data":{}}';

function run(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: options.cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env }, timeout: 180_000, maxBuffer: 10 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? 1 : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

function directorySize(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(path.join(entry.parentPath, entry.name)).size, 0);
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

describe('the SDKs as packages', { timeout: 480_000 }, () => {
  let server: LiveServer;
  let workDir: string;
  let header: string;

  before(async () => {
    server = await startLiveServer('sqlite');
    workDir = mkdtempSync(path.join(tmpdir(), 'layers-packages-'));
    header = signatureHeader([SECRET], Math.floor(Date.now() / 1000), BODY);
  });
  after(async () => {
    await server?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  test('npm pack of @layers-social/sdk installs into an empty project and runs on Node 20 and Node 24', async (t) => {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', workDir], { cwd: TS_SDK });
    assert.equal(packed.code, 0, packed.stderr);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> }>;
    assert.ok(info);
    const files = info.files.map((f) => f.path).sort();
    for (const expected of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/generated/openapi.d.ts']) assert.ok(files.includes(expected), `${expected} in ${files.join(', ')}`);
    assert.deepEqual(files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md'].includes(f)), [], 'only the compiled package ships');
    t.diagnostic(`@layers-social/sdk: ${kb(info.size)} packed, ${kb(info.unpackedSize)} unpacked, ${files.length} files`);

    const app = path.join(workDir, 'ts-app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'partner-app', private: true, type: 'module' }));
    // --offline: an SDK with no dependencies needs nothing from a registry.
    const installed = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(workDir, info.filename)], { cwd: app });
    assert.equal(installed.code, 0, installed.stderr);
    assert.deepEqual(readdirSync(path.join(app, 'node_modules')).sort(), ['.package-lock.json', '@layers-social'], 'no runtime dependencies');

    writeFileSync(
      path.join(app, 'check.js'),
      `import { Layers, LayersError, verifyWebhookSignature } from '@layers-social/sdk';
const layers = new Layers({ apiKey: process.env.LAYERS_API_KEY, baseUrl: process.env.LAYERS_BASE_URL });
const me = await layers.whoami();
let code = null;
try { await layers.projects.get({ projectId: 'prj_00000000-0000-4000-8000-000000000000' }); } catch (error) { code = error instanceof LayersError ? error.code : String(error); }
const verified = await verifyWebhookSignature(process.env.BODY, process.env.SIGNATURE, process.env.SECRET);
console.log(JSON.stringify({ node: process.version, organizationId: me.organizationId, code, verified }));
`,
    );
    const env = { LAYERS_API_KEY: server.secret, LAYERS_BASE_URL: server.url, BODY, SIGNATURE: header, SECRET };
    for (const node of [NODE_20, process.execPath]) {
      const result = await run(node, ['check.js'], { cwd: app, env });
      assert.equal(result.code, 0, `${node}: ${result.stderr}`);
      const out = JSON.parse(result.stdout) as { node: string; organizationId: string; code: string; verified: boolean };
      assert.deepEqual({ ...out, node: out.node.split('.')[0] }, { node: node === NODE_20 ? 'v20' : 'v24', organizationId: server.organizationId, code: 'NOT_FOUND', verified: true });
    }

    // The shipped declarations are usable from a strict TypeScript project.
    writeFileSync(
      path.join(app, 'typed.ts'),
      `import { Layers, type Project, type SocialAccount } from '@layers-social/sdk';
const layers = new Layers({ apiKey: 'lp_test_x' });
export async function names(): Promise<string[]> {
  const project: Project = await layers.projects.get({ projectId: 'prj_x' });
  const accounts: SocialAccount[] = [];
  for await (const account of layers.social.accounts.list({ projectId: project.id, status: 'reauth_required' })) accounts.push(account);
  // @ts-expect-error: returnUrl is required
  await layers.social.createReauthUrl({ projectId: project.id, socialAccountId: 'sa_x' });
  return accounts.map((a) => a.handle);
}
`,
    );
    writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'dom'], types: [], strict: true, noEmit: true }, files: ['typed.ts'] }),
    );
    const tsc = await run(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app });
    assert.equal(tsc.code, 0, tsc.stdout + tsc.stderr);
  });

  test('pip builds layers-social with nothing from the internet, and its wheel installs into an empty directory with no index', async (t) => {
    // A copy, so the build's scratch files (build/, *.egg-info) stay out of the repository.
    const source = path.join(workDir, 'python-source');
    cpSync(PYTHON_SDK, source, { recursive: true, filter: (from) => !from.includes('__pycache__') });
    const wheels = path.join(workDir, 'wheels');
    // The build backend (setuptools) comes from the machine's configured index: PyPI is not
    // reachable here, so don't retry it (PIP_RETRIES reaches pip's isolated build environment too).
    const quiet = { PIP_RETRIES: '0', PIP_DISABLE_PIP_VERSION_CHECK: '1' };
    const built = await run(PYTHON, ['-m', 'pip', 'wheel', '--no-deps', '--wheel-dir', wheels, source], { cwd: workDir, env: quiet });
    assert.equal(built.code, 0, built.stdout + built.stderr);
    assert.doesNotMatch(built.stderr, /Deprecat/i, 'the package metadata is current for the build backend');
    const [wheel] = readdirSync(wheels).filter((f) => f.endsWith('.whl'));
    assert.ok(wheel, readdirSync(wheels).join(', '));
    assert.match(wheel, /^layers_social-0\.1\.0-py3-none-any\.whl$/);

    const target = path.join(workDir, 'site');
    const installed = await run(PYTHON, ['-m', 'pip', 'install', '--no-index', '--no-deps', '--target', target, path.join(wheels, wheel)], { cwd: workDir, env: quiet });
    assert.equal(installed.code, 0, installed.stdout + installed.stderr);
    const packageDir = path.join(target, 'layers_social');
    t.diagnostic(`layers-social: ${kb(statSync(path.join(wheels, wheel)).size)} wheel, ${kb(directorySize(packageDir))} installed`);
    assert.deepEqual(
      readdirSync(target).filter((f) => !f.endsWith('.dist-info')).sort(),
      ['layers_social'],
      'nothing but the package (no dependencies)',
    );

    const script = [
      'import json, os, layers_social',
      'from layers_social import Layers, LayersError, verify_webhook_signature',
      'layers = Layers(api_key=os.environ["LAYERS_API_KEY"], base_url=os.environ["LAYERS_BASE_URL"])',
      'try:',
      '    layers.projects.get(project_id="prj_00000000-0000-4000-8000-000000000000")',
      '    code = None',
      'except LayersError as error:',
      '    code = error.code',
      'print(json.dumps({"file": layers_social.__file__, "organizationId": layers.whoami()["organizationId"], "code": code,',
      '                  "verified": verify_webhook_signature(os.environ["BODY"].encode(), os.environ["SIGNATURE"], os.environ["SECRET"])}))',
    ].join('\n');
    const result = await run(PYTHON, ['-c', script], {
      cwd: workDir,
      env: { PYTHONPATH: target, LAYERS_API_KEY: server.secret, LAYERS_BASE_URL: server.url, BODY, SIGNATURE: header, SECRET },
    });
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout) as { file: string; organizationId: string; code: string; verified: boolean };
    assert.ok(out.file.startsWith(target), `imported the installed copy, not the repository's: ${out.file}`);
    assert.deepEqual({ ...out, file: undefined }, { file: undefined, organizationId: server.organizationId, code: 'NOT_FOUND', verified: true });
  });
});
