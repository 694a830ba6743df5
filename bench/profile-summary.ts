import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `node bench/profile-summary.ts <file.cpuprofile> [top] [lastSeconds]`: where a `node --cpu-prof`
 * profile spent its samples, by function (self time), by package (self time of everything under
 * node_modules/<package>, node: internals, or this repository's src/ and bench/) and the total
 * time (self and callees) of this repository's functions. With `lastSeconds`, only the samples of
 * the profile's last seconds count (the load, not the start-up and seeding before it).
 */

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const [file, topArg, lastArg] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/profile-summary.ts <file.cpuprofile> [top] [lastSeconds]');
const top = Number(topArg ?? 20);
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; endTime: number };

// Sample times (µs) are the running sum of the deltas; keep those within the last `lastArg` seconds.
const times: number[] = [];
profile.timeDeltas.reduce((at, delta) => (times.push(at + delta), at + delta), 0);
const cutoff = lastArg ? (times.at(-1) ?? 0) - Number(lastArg) * 1e6 : -Infinity;
const hitsOf = new Map<number, number>();
profile.samples.forEach((id, i) => {
  if ((times[i] ?? 0) >= cutoff) hitsOf.set(id, (hitsOf.get(id) ?? 0) + 1);
});
for (const node of profile.nodes) node.hitCount = hitsOf.get(node.id) ?? 0;
const total = [...hitsOf.values()].reduce((a, b) => a + b, 0);

function packageOf(url: string): string {
  if (!url) return '(native / gc / idle)';
  if (url.startsWith('node:')) return 'node: internals';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const repo = url.indexOf('/src/');
  return repo >= 0 ? url.slice(repo + 1).split('/').slice(0, 2).join('/') : path.basename(url);
}

const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const node of profile.nodes) {
  const hits = node.hitCount ?? 0;
  if (hits === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/')}:${lineNumber + 1}` : '';
  const name = `${functionName || '(anonymous)'} ${where}`.trim();
  byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
  byPackage.set(packageOf(url), (byPackage.get(packageOf(url)) ?? 0) + hits);
}

// Total time of this repository's functions: a node's own hits plus its subtree's, each function counted once per stack.
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const inclusive = new Map<string, number>();
for (const node of profile.nodes) {
  const hits = node.hitCount ?? 0;
  if (hits === 0) continue;
  const seen = new Set<string>();
  for (let at: number | undefined = node.id; at !== undefined; at = parentOf.get(at)) {
    const frame = (byId.get(at) as ProfileNode).callFrame;
    const repo = frame.url.match(/\/(src\/.*)$/)?.[1];
    if (!repo) continue;
    const name = `${frame.functionName || '(anonymous)'} ${repo}:${frame.lineNumber + 1}`;
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + hits);
  }
}

const print = (title: string, entries: Map<string, number>) => {
  console.log(`${title} (${total} samples)`);
  for (const [name, hits] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((hits / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
};
print('self time by function', byFunction);
console.log('');
print('self time by package', byPackage);
console.log('');
print('total time (self and callees) of src/ functions', inclusive);
