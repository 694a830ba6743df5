import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { GENERATED_TYPES_PATH, generateTypes } from '../../sdk/typescript/scripts/generate-types.ts';
import { CODE_SAMPLES_DOC_PATH, codeSamplesMarkdown } from '../../src/http/code-samples-doc.ts';
import { serverOpenApiDocument } from '../../src/http/openapi-document.ts';

test('the TypeScript SDK’s checked-in types are what the server’s /openapi.json generates now (else: npm run sdk:types)', async () => {
  const checkedIn = await readFile(GENERATED_TYPES_PATH, 'utf8');
  const current = await generateTypes();
  if (current !== checkedIn) {
    const a = checkedIn.split('\n');
    const b = current.split('\n');
    const line = a.findIndex((text, i) => text !== b[i]);
    assert.fail(`sdk/typescript/src/generated/openapi.ts is stale from line ${line + 1}:\n  checked in: ${a[line]}\n  generated:  ${b[line]}\nRun \`npm run sdk:types\`.`);
  }
});

test('docs/reference/code-samples.md is what the server’s /openapi.json generates now (else: npm run docs:samples)', async () => {
  const checkedIn = await readFile(CODE_SAMPLES_DOC_PATH, 'utf8');
  assert.equal(checkedIn, codeSamplesMarkdown(await serverOpenApiDocument()), 'Run `npm run docs:samples`.');
});
