import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { CodeSample } from '../../src/http/code-samples.ts';
import { SDK_OPERATIONS } from '../../src/http/sdk-operations.ts';
import { Layers, LayersError } from '../../sdk/typescript/src/index.ts';
import { createTestContext, type TestContext } from '../support/test-app.ts';
import { runPython } from './python-support.ts';

/**
 * The reference's three samples per route (x-codeSamples) are one request written three ways: run
 * against a recording server, the curl sample, the TypeScript SDK sample and the Python SDK sample
 * send the same method, path, query and body (and an Idempotency-Key exactly where the route
 * replays one). The TypeScript samples also type-check against the SDK's generated types.
 */

const REPO = path.resolve(import.meta.dirname, '../..');
const SDK_ENTRY = pathToFileURL(path.join(REPO, 'sdk/typescript/src/index.ts')).href;
const API_KEY = 'lp_test_SAMPLESAMPLESAMPL_c2FtcGxlLXNlY3JldC1mb3ItY29kZS1zYW1wbGVzLTAx';
const MARKER = '/__sample/';

interface Operation {
  method: string;
  path: string;
  operationId: string;
  samples: CodeSample[];
}

interface Recorded {
  method: string;
  path: string;
  query: string[];
  body: unknown;
  authorization: string | undefined;
  idempotencyKey: string | undefined;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: REPO, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? 1 : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/** Records every request, grouped by the marker request sent before each sample. */
async function startRecorder() {
  const bySample = new Map<string, Recorded[]>();
  let current: Recorded[] = [];
  const read = (request: IncomingMessage) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://recorder');
    const text = await read(request);
    if (url.pathname.startsWith(MARKER)) {
      current = [];
      bySample.set(decodeURIComponent(url.pathname.slice(MARKER.length)), current);
    } else {
      current.push({
        method: request.method ?? '',
        path: decodeURIComponent(url.pathname),
        query: [...url.searchParams].map(([k, v]) => `${k}=${v}`).sort(),
        body: text ? JSON.parse(text) : undefined,
        authorization: request.headers.authorization,
        idempotencyKey: request.headers['idempotency-key'] as string | undefined,
      });
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ items: [], nextCursor: null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    take() {
      const taken = new Map(bySample);
      bySample.clear();
      return taken;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('x-codeSamples: curl, TypeScript and Python from one table', () => {
  let ctx: TestContext;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let operations: Operation[];
  let workDir: string;

  before(async () => {
    recorder = await startRecorder();
    // The document's server URL is where the curl samples point: here, the recorder.
    ctx = await createTestContext('sqlite', { publicBaseUrl: recorder.url });
    const doc = (await ctx.call({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { operationId?: string; 'x-codeSamples'?: CodeSample[] }>>;
    };
    operations = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/v1/'))
      .flatMap(([p, item]) =>
        Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path: p, operationId: op.operationId ?? '', samples: op['x-codeSamples'] ?? [] })),
      );
    workDir = mkdtempSync(path.join(tmpdir(), 'layers-samples-'));
  });
  after(async () => {
    await ctx.close();
    await recorder.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('every /v1 operation has an operationId and the three samples; every table row is a documented route', () => {
    assert.ok(operations.length >= 23);
    for (const op of operations) {
      assert.ok(op.operationId, `${op.method} ${op.path} has no operationId: add its row to SDK_OPERATIONS`);
      assert.deepEqual(op.samples.map((s) => s.label), ['curl', 'TypeScript', 'Python'], `${op.method} ${op.path}`);
    }
    assert.equal(new Set(operations.map((op) => op.operationId)).size, operations.length, 'operationIds are unique');
    assert.deepEqual(Object.keys(SDK_OPERATIONS).sort(), operations.map((op) => `${op.method} ${op.path}`).sort());
  });

  test('/docs shows the three samples side by side in each operation’s description', async () => {
    const spec = (await ctx.call({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, { description?: string }>> };
    const reauth = spec.paths['/v1/projects/{projectId}/social/reauth-url']?.post?.description ?? '';
    assert.match(reauth, /<table><thead><tr><th>curl<\/th><th>TypeScript<\/th><th>Python<\/th><\/tr>/);
    assert.match(reauth, /layers\.social\.createReauthUrl\(\{/);
    assert.match(reauth, /layers\.social\.create_reauth_url\(/);
    assert.match(reauth, /curl [^<]*\/social\/reauth-url/);
    // /openapi.json itself keeps descriptions for prose: the samples live in x-codeSamples there.
    const doc = (await ctx.call({ method: 'GET', url: '/openapi.json' })).json() as typeof spec;
    assert.doesNotMatch(doc.paths['/v1/projects/{projectId}/social/reauth-url']?.post?.description ?? '', /<table>/);
  });

  test('the three samples of each route send the same request', async () => {
    const sample = (op: Operation, label: string) => op.samples.find((s) => s.label === label)?.source ?? '';
    const marker = (op: Operation) => `${recorder.url}${MARKER}${op.operationId}`;

    const curlScript = ['set -e', ...operations.flatMap((op) => [`curl -sf -o /dev/null "${marker(op)}"`, `${sample(op, 'curl')} -sf -o /dev/null`])].join('\n');
    const curl = await run('bash', ['-c', curlScript], { LAYERS_API_KEY: API_KEY });
    assert.equal(curl.code, 0, curl.output);
    const fromCurl = recorder.take();

    const tsFile = path.join(workDir, 'samples.ts');
    writeFileSync(
      tsFile,
      [
        `import { Layers } from ${JSON.stringify(SDK_ENTRY)};`,
        `const layers = new Layers({ apiKey: process.env.LAYERS_API_KEY as string, baseUrl: process.env.BASE_URL });`,
        ...operations.map((op) => `await fetch(${JSON.stringify(marker(op))});\n{\n${sample(op, 'TypeScript')}\nvoid result;\n}`),
      ].join('\n'),
    );
    const ts = await run(process.execPath, [tsFile], { LAYERS_API_KEY: API_KEY, BASE_URL: recorder.url });
    assert.equal(ts.code, 0, ts.output);
    const fromTypeScript = recorder.take();

    const pyScript = [
      'import os, urllib.request',
      'from layers_social import Layers',
      'layers = Layers(api_key=os.environ["LAYERS_API_KEY"], base_url=os.environ["BASE_URL"])',
      ...operations.map((op) => `urllib.request.urlopen(${JSON.stringify(marker(op))}).read()\n${sample(op, 'Python')}`),
    ].join('\n');
    const py = await runPython(['-c', pyScript], { env: { LAYERS_API_KEY: API_KEY, BASE_URL: recorder.url } });
    assert.equal(py.code, 0, py.stderr);
    const fromPython = recorder.take();

    for (const op of operations) {
      const [curlRequest, ...curlExtra] = fromCurl.get(op.operationId) ?? [];
      const name = `${op.method} ${op.path}`;
      assert.ok(curlRequest && curlExtra.length === 0, `${name}: the curl sample sends one request`);
      assert.equal(curlRequest.method, op.method, name);
      assert.equal(curlRequest.authorization, `Bearer ${API_KEY}`, name);
      for (const [language, recorded] of [['TypeScript', fromTypeScript], ['Python', fromPython]] as const) {
        const requests = recorded.get(op.operationId) ?? [];
        assert.equal(requests.length, 1, `${name}: the ${language} sample sends one request`);
        const [sdkRequest] = requests as [Recorded];
        const comparable = (r: Recorded) => ({ method: r.method, path: r.path, query: r.query, body: r.body, authorization: r.authorization, idempotencyKey: r.idempotencyKey !== undefined });
        assert.deepEqual(comparable(sdkRequest), comparable(curlRequest), `${name}: ${language} and curl differ`);
      }
    }
  });

  test('every example is a request the server takes as well-formed (whatever else it answers, never 400 or 422)', async () => {
    const tenant = await ctx.tenant();
    // The SDK's fetch goes straight into the app, as an HTTP request would.
    const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
      const url = new URL(String(input));
      const res = await ctx.app.inject({
        method: (init.method ?? 'GET') as 'GET',
        url: `${url.pathname}${url.search}`,
        headers: Object.fromEntries(new Headers(init.headers).entries()),
        ...(init.body ? { payload: String(init.body) } : {}),
      });
      return new Response(res.body, { status: res.statusCode, headers: res.headers as Record<string, string> });
    };
    const layers = new Layers({ apiKey: tenant.secret, baseUrl: 'http://in-process', fetch, maxRetries: 0 });
    for (const [route, operation] of Object.entries(SDK_OPERATIONS)) {
      const method = operation.method.split('.').reduce<any>((target, name) => target[name], layers) as (...args: unknown[]) => PromiseLike<unknown>;
      const owner = operation.method.split('.').slice(0, -1).reduce<any>((target, name) => target[name], layers);
      const args = Object.keys(operation.example).length > 0 ? [operation.example] : [];
      try {
        await method.apply(owner, args);
      } catch (error) {
        assert.ok(error instanceof LayersError, `${route}: ${String(error)}`);
        assert.ok(![400, 422].includes(error.status), `${route}: the example is malformed: ${error.code} ${error.message} ${JSON.stringify(error.details)}`);
      }
    }
  });

  test('the TypeScript samples type-check against the SDK', async () => {
    const file = path.join(workDir, 'typecheck.ts');
    writeFileSync(
      file,
      [
        `import type { Layers } from ${JSON.stringify(path.join(REPO, 'sdk/typescript/src/index.ts'))};`,
        'declare const layers: Layers;',
        ...operations.map((op) => `export async function ${op.operationId}() {\n${op.samples[1]?.source}\nreturn result;\n}`),
      ].join('\n'),
    );
    const config = path.join(workDir, 'tsconfig.json');
    writeFileSync(
      config,
      JSON.stringify({
        compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'dom'], types: [], strict: true, noEmit: true, allowImportingTsExtensions: true, skipLibCheck: true },
        files: [file],
      }),
    );
    const tsc = await run(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', config], {});
    assert.equal(tsc.code, 0, tsc.output);
  });
});
