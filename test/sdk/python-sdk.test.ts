import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { signatureHeader } from '../../src/webhooks/signature.ts';
import { PYTHON_SDK, runPython } from './python-support.ts';

/** The Python SDK's own unit tests (unittest, standard library), and what ties it to the server. */
describe('Python SDK', () => {
  test('its unit tests pass (requests, errors, retries, pagination, polling, signatures)', async () => {
    const run = await runPython(['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.', '-v']);
    assert.equal(run.code, 0, run.stderr);
    const ran = /Ran (\d+) tests?/.exec(run.stderr);
    assert.ok(ran && Number(ran[1]) >= 19, run.stderr);
    assert.match(run.stderr, /\nOK\n?$/);
  });

  test('its source parses as Python 3.9 (the oldest it supports)', async () => {
    const files = readdirSync(path.join(PYTHON_SDK, 'src/layers_social')).filter((f) => f.endsWith('.py'));
    assert.ok(files.length >= 8);
    const check = [
      'import ast, sys',
      'for name in sys.argv[1:]:',
      '    ast.parse(open(name, encoding="utf-8").read(), name, feature_version=(3, 9))',
    ].join('\n');
    const run = await runPython(['-c', check, ...files.map((f) => path.join('src/layers_social', f))]);
    assert.equal(run.code, 0, run.stderr);
  });

  test('verify_webhook_signature accepts what the server signs, and nothing else', async () => {
    const secret = 'whsec_python_cross_check';
    const body = JSON.stringify({ id: 'evt_01', type: 'social_account.needs_reauth', createdAt: '2026-01-01T00:00:00Z', data: { note: 'é ✓' } });
    const now = Math.floor(Date.now() / 1000);
    const header = signatureHeader(['whsec_rotated_in', secret], now, body);
    const script = [
      'import os, sys',
      'from layers_social import verify_webhook_signature as verify',
      'body = os.environ["BODY"].encode("utf-8")',
      'results = [verify(body, os.environ["HEADER"], os.environ["SECRET"]),',
      '           verify(body + b" ", os.environ["HEADER"], os.environ["SECRET"]),',
      '           verify(body, os.environ["HEADER"], "whsec_wrong")]',
      'print(results)',
    ].join('\n');
    const run = await runPython(['-c', script], { env: { BODY: body, HEADER: header, SECRET: secret } });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), '[True, False, False]');
  });
});
