import type { LightMyRequestResponse } from 'fastify';
import { insertAccount } from '../test/social/helpers.ts';
import { createTestContext, type TestContext } from '../test/support/test-app.ts';
import { seededRandom, Violations, type Drill, type DrillReport, type Random } from './harness.ts';
import { bodyProperties, discoverOperations, fillPath, percentEncode, validValue, type OpenApiDocument, type Operation } from './openapi.ts';

/**
 * Fuzz: every documented route with a body or a query gets thousands of mutated inputs (2,000 in
 * the full drill, 100 in --quick): wrong types, huge sizes, unicode of every awkward kind, deep
 * nesting, prototype keys, broken JSON, odd headers. No answer may be a 5xx; every error must be
 * the envelope with `requestId` = X-Request-Id (the browser-facing callback may answer its own
 * HTML page instead, with X-Request-Id).
 */
const FULL_INPUTS = 2_000;
const QUICK_INPUTS = 100;
const ERROR_FIELDS = new Set(['code', 'message', 'requestId', 'details']);
const ERROR_CODES = new Set(['VALIDATION', 'UNAUTHENTICATED', 'FORBIDDEN_SCOPE', 'RETURN_URL_NOT_ALLOWED', 'NOT_FOUND', 'CONFLICT', 'IDEMPOTENCY_CONFLICT', 'RATE_LIMITED', 'INTERNAL', 'PLATFORM_ERROR', 'KILL_SWITCH']);

interface Input {
  path: string;
  query: string;
  body: string | Buffer | undefined;
  headers: Record<string, string>;
  /** What was mutated, for the report. */
  what: string[];
}

export const fuzzDrill: Drill = {
  name: 'fuzz',
  kind: 'in-process',
  async run({ engine, quick, seed }): Promise<DrillReport> {
    const violations = new Violations();
    const random = seededRandom(seed);
    const perRoute = quick ? QUICK_INPUTS : FULL_INPUTS;
    // Every fuzzed request comes from 127.0.0.1: the per-address budgets would stop the drill, not a bug.
    const ctx = await createTestContext(engine, { addressLimits: { callback: 10_000_000, upload: 10_000_000, public: 10_000_000 } });
    try {
      const ids = await fixtures(ctx);
      const { document, operations } = await discoverOperations(ctx.app);
      const targets = operations.filter((op) => op.body !== null || op.query.length > 0);
      const statuses = new Map<string, number>();
      let inputs = 0;
      for (const operation of targets) {
        for (let i = 0; i < perRoute; i++) {
          const input = mutate(operation, document, ids, random);
          const res = await ctx.app.inject({
            method: operation.method,
            url: `${input.path}${input.query}`,
            headers: input.headers,
            ...(input.body === undefined ? {} : { payload: input.body }),
          });
          inputs += 1;
          statuses.set(`${Math.floor(res.statusCode / 100)}xx`, (statuses.get(`${Math.floor(res.statusCode / 100)}xx`) ?? 0) + 1);
          const problem = check(res, operation);
          if (problem) violations.add(`${operation.method} ${operation.path} [${input.what.join('; ')}] → ${problem}`);
        }
      }
      return {
        figures: [
          ['routes with a body or query', targets.length],
          ['mutated inputs per route', perRoute],
          ['inputs sent', inputs],
          ['answers by class', [...statuses].sort().map(([k, v]) => `${k} ${v}`).join(', ')],
          ['seed', seed],
        ],
        violations,
      };
    } finally {
      await ctx.close();
    }
  },
};

/** What a route may answer: never a 5xx; errors in the envelope; X-Request-Id always. */
function check(res: LightMyRequestResponse, operation: Operation): string | null {
  const requestId = String(res.headers['x-request-id'] ?? '');
  if (!/^req_[0-9A-HJKMNP-TV-Z]{26}$/.test(requestId)) return `no X-Request-Id (${res.statusCode})`;
  if (res.statusCode >= 500) return `${res.statusCode}: ${res.body.slice(0, 300)}`;
  if (res.statusCode < 400) return null;
  const type = String(res.headers['content-type'] ?? '');
  if (type.startsWith('text/html') && !operation.authenticated) return null;
  if (!type.startsWith('application/json')) return `${res.statusCode} with content-type "${type}"`;
  let body: { error?: Record<string, unknown> };
  try {
    body = JSON.parse(res.body);
  } catch {
    return `${res.statusCode} body is not JSON: ${res.body.slice(0, 200)}`;
  }
  const error = body.error;
  if (!error || Object.keys(body).length !== 1) return `${res.statusCode} not the envelope: ${res.body.slice(0, 200)}`;
  if (!ERROR_CODES.has(String(error.code))) return `unknown error code ${String(error.code)}`;
  if (typeof error.message !== 'string' || error.message.length === 0) return 'error without a message';
  if (error.requestId !== requestId) return `requestId ${String(error.requestId)} ≠ X-Request-Id ${requestId}`;
  const extra = Object.keys(error).filter((k) => !ERROR_FIELDS.has(k));
  if (extra.length > 0) return `unexpected error fields ${extra.join(', ')}`;
  if (/\n\s+at /.test(res.body)) return 'a stack trace in the body';
  return null;
}

interface Ids extends Record<string, string> {
  secret: string;
  projectId: string;
  socialAccountId: string;
  endpointId: string;
  deliveryId: string;
  state: string;
}

async function fixtures(ctx: TestContext): Promise<Ids> {
  const tenant = await ctx.tenant({ orgName: 'Fuzzed', tier: 'internal', scopes: ['*'], returnDomains: ['app.example.com', 'localhost'] });
  const call = (method: 'POST', url: string, body?: unknown) => ctx.call({ method, url, key: tenant.secret, ...(body === undefined ? {} : { body }) });
  const projectId = (await call('POST', '/v1/projects', { name: 'Fuzzed app', timezone: 'UTC' })).json().id as string;
  const socialAccountId = await insertAccount(ctx, { organizationId: tenant.organizationId, projectId, platform: 'tiktok' });
  const endpointId = (await call('POST', '/v1/webhook-endpoints', { url: 'https://hooks.example.com/fuzz', events: ['test.ping'] })).json().endpoint.id as string;
  const deliveryId = (await call('POST', `/v1/webhook-endpoints/${endpointId}/test`)).json().id as string;
  const state = (await call('POST', `/v1/projects/${projectId}/social/oauth-url`, { platform: 'tiktok', returnUrl: 'https://app.example.com/back' })).json().state as string;
  return { secret: tenant.secret, projectId, socialAccountId, endpointId, deliveryId, state };
}

// ---- mutations ---------------------------------------------------------------------------------

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf'];

function evilString(random: Random): string {
  return random.pick<() => string>([
    () => '',
    () => ' ',
    () => 'x'.repeat(random.int(1, 5) * 10 ** random.int(1, 5)),
    () => '😀'.repeat(random.int(1, 2000)),
    () => '\u202etxt.exe',
    () => 'a\u200bb\ufeffc',
    () => 'nul\u0000byte',
    () => 'lone\ud800surrogate',
    () => '\udfff',
    () => 'ＡＢＣ１２３',
    () => 'é'.normalize('NFD'),
    () => '<script>alert(1)</script>',
    () => "'; drop table projects; --",
    () => '../../etc/passwd',
    () => '%00%zz%',
    () => '\\u0000',
    () => 'UTC\u0000',
    () => 'Europe/Nowhere',
    () => 'https://app.example.com\\@evil.com/',
    () => 'javascript:alert(1)',
    () => 'http://[::1]:80/',
    () => 'https://ａｐｐ.example.com/日本',
    () => 'sa_00000000-0000-4000-8000-000000000000',
    () => 'prj_' + 'f'.repeat(36),
    () => 'st_' + '7'.repeat(26),
    () => '2026-13-45T25:61:61Z',
    () => '1e309',
    () => '-0',
    () => 'NaN',
    () => String.fromCharCode(...Array.from({ length: 64 }, () => random.int(0, 0xffff))),
  ])();
}

function evilValue(random: Random, depth = 0): unknown {
  return random.pick<() => unknown>([
    () => null,
    () => true,
    () => false,
    () => 0,
    () => -1,
    () => 1.5,
    () => 2 ** 53 + 1,
    () => -(10 ** 308),
    () => 1e308,
    () => evilString(random),
    () => evilString(random),
    () => [],
    () => ({}),
    () => (depth < 2 ? Array.from({ length: random.int(1, 5) }, () => evilValue(random, depth + 1)) : []),
    () => Array.from({ length: random.int(1000, 20_000) }, (_, i) => i),
    () => Object.fromEntries(Array.from({ length: random.int(100, 3000) }, (_, i) => [`k${i}`, i])),
    () => nested(random.int(20, 40), random.chance(0.5)),
    () => protoObject(random),
  ])();
}

function nested(levels: number, arrays: boolean): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = arrays ? [value] : { a: value };
  return value;
}

function protoObject(random: Random): unknown {
  const key = random.pick(PROTOTYPE_KEYS);
  return JSON.parse(`{"${key}":{"polluted":true,"prototype":{"polluted":true}},"ok":1}`);
}

/** Sets `value` at a random place in `target` (an existing key, a new key, or a prototype key). */
function plant(target: Record<string, unknown>, random: Random, value: unknown): string {
  const keys = Object.keys(target);
  const key = random.chance(0.7) && keys.length > 0 ? random.pick(keys) : random.chance(0.5) ? random.pick(PROTOTYPE_KEYS) : `unknown_${random.int(0, 99)}`;
  // JSON.parse is how a body arrives: a `__proto__` key must be an own property, as on the wire.
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
  return `${key}=${describe(value)}`;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 40)}…(${text.length} chars)` : text;
}

function mutateJson(valid: unknown, random: Random, what: string[]): string | Buffer {
  const roll = random.next();
  if (roll < 0.55) {
    const body = (valid && typeof valid === 'object' ? structuredClone(valid) : {}) as Record<string, unknown>;
    for (let n = random.int(1, 3); n > 0; n--) what.push(plant(body, random, evilValue(random)));
    if (random.chance(0.2)) {
      const keys = Object.keys(body);
      const removed = keys.length > 0 ? random.pick(keys) : null;
      if (removed) {
        delete body[removed];
        what.push(`without ${removed}`);
      }
    }
    return JSON.stringify(body);
  }
  if (roll < 0.7) {
    const whole = evilValue(random);
    what.push(`body=${describe(whole)}`);
    return JSON.stringify(whole) ?? 'null';
  }
  const text = JSON.stringify(valid);
  return random.pick<() => string | Buffer>([
    () => (what.push('truncated'), text.slice(0, random.int(0, text.length - 1))),
    () => (what.push('trailing comma'), text.replace(/}$/, ',}')),
    () => (what.push('duplicate keys'), text.replace(/^{/, '{"name":"dup",').replace(/}$/, ',"name":"dup2"}')),
    () => (what.push('BOM'), `\ufeff${text}`),
    () => (what.push('comment'), `/* c */${text}`),
    () => (what.push('invalid UTF-8'), Buffer.concat([Buffer.from(text.slice(0, -1)), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('}')])),
    () => (what.push('long number'), text.replace(/}$/, `,"n":${'9'.repeat(random.int(300, 5000))}}`)),
    () => (what.push('deep brackets'), '['.repeat(random.int(33, 100_000))),
    () => (what.push('empty'), ''),
    () => (what.push('not JSON'), 'name=x&timezone=UTC'),
    () => (what.push('whitespace'), `${' '.repeat(random.int(1, 500_000))}${text}`),
  ])();
}

function mutateQuery(operation: Operation, random: Random, what: string[]): string {
  if (operation.query.length === 0 && random.chance(0.8)) return '';
  const params: string[] = [];
  for (let n = random.int(1, 4); n > 0; n--) {
    const name = operation.query.length > 0 && random.chance(0.8) ? random.pick(operation.query).name : random.pick([...PROTOTYPE_KEYS, 'unknown', 'limit[]', 'a[b][c]']);
    const value = random.pick<() => string>([
      () => percentEncode(evilString(random)),
      () => String(random.int(-5, 300)),
      () => random.pick(['true', 'false', '', 'null', '1e9', '0x10', '%', '%zz', '%00', '%E0%A4%A']),
      () => Buffer.from(JSON.stringify(random.chance(0.5) ? { at: evilString(random), id: '__proto__' } : evilValue(random)) ?? '').toString('base64url'),
    ])();
    params.push(`${name}=${value}`);
    if (random.chance(0.2)) params.push(`${name}=${value}`);
  }
  what.push(`?${params.join('&').slice(0, 80)}`);
  return `?${params.join('&')}`;
}

function mutateHeaders(operation: Operation, ids: Ids, random: Random, hasBody: boolean, what: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  if (operation.authenticated) {
    headers.authorization = random.chance(0.93)
      ? `Bearer ${ids.secret}`
      : random.pick([`Bearer ${ids.secret.replace('lp_test_', 'lp_live_')}`, 'Bearer lp_test_', `Basic ${ids.secret}`, `Bearer ${ids.secret}x`, '']);
  }
  if (hasBody) headers['content-type'] = 'application/json';
  if (random.chance(0.25)) {
    const [name, value] = random.pick<[string, string]>([
      ['content-type', random.pick(['text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json, text/html', '*/*', 'application/vnd.api+json', ''])],
      ['content-encoding', random.pick(['gzip', 'deflate', 'br', 'identity', 'x-unknown'])],
      ['idempotency-key', random.pick(['', ' ', 'k'.repeat(300), 'key\twith\ttabs', `fuzz-${random.int(0, 20)}`])],
      ['accept', random.pick(['text/html', 'application/xml', '*/*;q=0', 'x'.repeat(4000)])],
      ['x-forwarded-for', random.pick(['127.0.0.1', 'garbage', '::1, 10.0.0.1', '1.1.1.1'.repeat(200)])],
      ['x-request-id', 'req_FORGED'],
      ['cookie', 'a=b; __proto__=x'],
      ['x-huge', 'h'.repeat(random.int(1000, 12_000))],
    ]);
    headers[name] = value;
    what.push(`${name}: ${value.slice(0, 40)}`);
  }
  return headers;
}

function mutate(operation: Operation, document: OpenApiDocument, ids: Ids, random: Random): Input {
  const what: string[] = [];
  const pathValues: Record<string, string> = { ...ids, platform: random.pick(['tiktok', 'instagram']) };
  if (random.chance(0.05)) {
    const name = operation.pathParams.length > 0 ? random.pick(operation.pathParams) : null;
    if (name) {
      pathValues[name] = evilString(random).slice(0, 300);
      what.push(`{${name}}=${describe(pathValues[name])}`);
    }
  }
  let body: string | Buffer | undefined;
  if (operation.body) {
    const hints: Record<string, unknown> = {
      timezone: 'UTC',
      returnUrl: 'https://app.example.com/back',
      url: 'https://hooks.example.com/fuzz',
      socialAccountId: ids.socialAccountId,
      projectId: ids.projectId,
    };
    const valid = validValue(operation.body, document, hints);
    const known = bodyProperties(operation.body, document);
    // A valid body with optional fields filled sometimes, so mutations reach deeper code.
    if (random.chance(0.3) && valid && typeof valid === 'object') {
      for (const key of known) if (random.chance(0.3) && !(key in (valid as object))) (valid as Record<string, unknown>)[key] = hints[key] ?? evilValue(random);
    }
    body = random.chance(0.1) ? JSON.stringify(valid) : mutateJson(valid, random, what);
  }
  const query = operation.query.length > 0 || random.chance(0.1) ? mutateQuery(operation, random, what) : '';
  let path: string;
  try {
    path = fillPath(operation.path, pathValues);
  } catch {
    path = operation.path;
  }
  return { path, query, body, headers: mutateHeaders(operation, ids, random, body !== undefined, what), what };
}
