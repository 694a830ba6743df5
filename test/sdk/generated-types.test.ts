import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { GENERATED_TYPES_PATH, generateTypes } from '../../sdk/typescript/scripts/generate-types.ts';

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
