import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';

/** A request id as docs/reference/conventions.md defines it: `req_` + 26 Crockford base32 characters. */
export const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;

export interface ErrorBody {
  error: { code: string; message: string; requestId: string; details?: Record<string, unknown> };
}

/**
 * Asserts the response is the §3 error envelope with this status and code, that `requestId`
 * equals the `X-Request-Id` header, and that nothing but the documented fields is present.
 * Returns `details` (or `{}` when absent).
 */
export function expectError(res: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  assert.equal(res.statusCode, status, `expected ${status} ${code}, got ${res.statusCode}: ${res.body}`);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json() as ErrorBody;
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, code, res.body);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  assert.match(body.error.requestId, REQUEST_ID);
  assert.equal(res.headers['x-request-id'], body.error.requestId);
  for (const field of Object.keys(body.error)) {
    assert.ok(['code', 'message', 'requestId', 'details'].includes(field), `unexpected error field ${field}`);
  }
  assert.doesNotMatch(res.body, /\n\s+at /, 'an error body must not carry a stack trace');
  return body.error.details ?? {};
}

export interface Issue {
  path: string;
  code: string;
  message: string;
}

/** Asserts a 422 VALIDATION and returns its issues, each checked for the `{ path, code, message }` shape. */
export function expectIssues(res: LightMyRequestResponse): Issue[] {
  const details = expectError(res, 422, 'VALIDATION');
  const issues = details.issues as Issue[];
  assert.ok(Array.isArray(issues) && issues.length > 0, 'details.issues[] must list the failures');
  for (const issue of issues) {
    assert.equal(typeof issue.path, 'string');
    assert.equal(typeof issue.code, 'string');
    assert.equal(typeof issue.message, 'string');
  }
  return issues;
}

/** The issue paths of a 422, sorted. */
export function issuePaths(res: LightMyRequestResponse): string[] {
  return expectIssues(res)
    .map((issue) => issue.path)
    .sort();
}

/** Polls until `check` stops throwing (work done after the response, e.g. the audit log). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** A 100-character string, the shortest valid appDescription. */
export const DESCRIPTION_100 = 'An app that helps people plan meals, shop for groceries and cook at home with less waste every day!'.padEnd(100, '!');

/** A valid create-project body with every field set. */
export function fullProjectBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Meal Planner',
    timezone: 'Europe/Paris',
    customerExternalId: 'cust-001',
    ownerEmail: 'owner@example.com',
    primaryLanguage: 'pt-BR',
    appName: 'MealPal',
    appDescription: DESCRIPTION_100,
    tagline: 'Plan. Shop. Cook.',
    brandVoice: 'warm',
    targetGender: 'all',
    metadata: { plan: 'gold', seats: 3, nested: { tags: ['a', 'b'] } },
    ...overrides,
  };
}

/** A key of the same shape as `secret` whose every character after the lookup id differs. */
export function withWrongSecret(secret: string): string {
  const head = secret.slice(0, secret.length - 43);
  const tail = secret.slice(-43);
  const flipped = Array.from(tail, (ch) => (ch === 'A' ? 'B' : 'A')).join('');
  return head + flipped;
}

/**
 * Runs `work` and counts the turns of the event loop meanwhile (one immediate runs per turn): work
 * done in one synchronous stretch, as a lone SQLite statement is, lets none through.
 */
export async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let counting = true;
  const count = () => {
    turns += 1;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  try {
    return { result: await work(), turns };
  } finally {
    counting = false;
  }
}
