#!/usr/bin/env node
// The `layers` command (and what `npm start` runs). The CLI is TypeScript run by Node 24 (type
// stripping); the system Node may be older, so on an older Node this re-runs the CLI on the Node 24
// pinned in devDependencies.
import { spawnSync } from 'node:child_process';
import { createRequire, enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const major = Number(process.versions.node.split('.')[0]);
if (major >= 24) {
  // Node's compile cache keeps each source file's type-stripped code, checked against the file's
  // content: from the second start on, Node does not load its TypeScript stripper at all, about 20 MB
  // less resident memory for the process's lifetime (docs/performance.md, Memory). In the checkout's
  // node_modules rather than Node's default, the shared OS temporary directory, where another local
  // user could plant code (NODE_COMPILE_CACHE still chooses).
  enableCompileCache(process.env.NODE_COMPILE_CACHE || fileURLToPath(new URL('../node_modules/.cache/node-compile-cache', import.meta.url)));
  await import(entry);
} else {
  const node24 = createRequire(import.meta.url).resolve('node/bin/node');
  const result = spawnSync(node24, [entry, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exitCode = result.status ?? 1;
}
