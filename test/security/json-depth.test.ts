import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { canonicalJson } from '../../src/http/canonical-json.ts';
import { engines } from '../support/engines.ts';
import { createTestContext, type TestContext, type Tenant } from '../support/test-app.ts';
import { expectIssues } from '../foundation/helpers.ts';

/**
 * Finding 7: deeply nested JSON answered 500 (project `metadata` beyond a few thousand levels;
 * with an Idempotency-Key even a valid 7 KB body failed, in the canonical hash). Every body is
 * bounded to 32 levels, the body itself being level 1: deeper is 422 VALIDATION naming the path.
 */
const nestedObjects = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const nestedArrays = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

for (const engine of engines) {
  describe(`JSON bodies are bounded to 32 levels (${engine})`, () => {
    let ctx: TestContext;
    let tenant: Tenant;
    const postProject = (metadata: string, headers: Record<string, string> = {}) =>
      ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: `{"name":"Deep app","timezone":"UTC","metadata":${metadata}}`, headers });

    before(async () => {
      ctx = await createTestContext(engine);
      tenant = await ctx.tenant();
    });
    after(() => ctx.close());

    test('32 levels are accepted; 33 are refused with the path where the body went too deep', async () => {
      const ok = await postProject(nestedObjects(31));
      assert.equal(ok.statusCode, 201, ok.body);
      const issues = expectIssues(await postProject(nestedObjects(32)));
      assert.deepEqual(issues.map((i) => [i.path, i.code]), [[`metadata.${Array(31).fill('a').join('.')}`, 'too_deep']]);
    });

    test('thousands of levels: 422, not 500, with and without an Idempotency-Key (the 7 KB body that broke the hash)', async () => {
      for (const metadata of [nestedObjects(5_000), `{"list":${nestedArrays(3_500)}}`, nestedObjects(150_000)]) {
        for (const headers of [{}, { 'idempotency-key': `deep-${metadata.length}` }] as Array<Record<string, string>>) {
          const issues = expectIssues(await postProject(metadata, headers));
          assert.equal(issues.length, 1);
          assert.equal(issues[0]?.code, 'too_deep');
          assert.ok((issues[0]?.path.split('.').length ?? 0) <= 32);
        }
      }
      const arrays = expectIssues(await postProject(`{"list":${nestedArrays(3_500)}}`));
      assert.equal(arrays[0]?.path, `metadata.list.${Array(30).fill('0').join('.')}`);
    });

    test('every JSON route has the bound, an array body included; brackets inside strings do not count', async () => {
      const deep = nestedObjects(40);
      for (const [method, url] of [
        ['POST', '/v1/webhook-endpoints'],
        ['PATCH', '/v1/projects/prj_00000000-0000-4000-8000-000000000000'],
        ['POST', '/v1/projects/prj_00000000-0000-4000-8000-000000000000/social/oauth-url'],
      ] as const) {
        const issues = expectIssues(await ctx.call({ method, url, key: tenant.secret, body: deep }));
        assert.equal(issues[0]?.code, 'too_deep', url);
      }
      assert.equal(expectIssues(await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: nestedArrays(33) }))[0]?.path, Array(32).fill('0').join('.'));
      const bracketsInText = await postProject(`{"note":"${'[{'.repeat(500)}"}`);
      assert.equal(bracketsInText.statusCode, 201, bracketsInText.body);
    });
  });
}

describe('the idempotency hash', () => {
  test('canonical JSON is iterative: any depth hashes without overflowing the stack', () => {
    const deep = JSON.parse(nestedArrays(200_000)) as unknown;
    assert.equal(canonicalJson(deep).length, 400_000);
    assert.equal(canonicalJson({ b: [1, { d: 1, c: [null, undefined] }], a: 'x' }), '{"a":"x","b":[1,{"c":[null,null],"d":1}]}');
  });
});
