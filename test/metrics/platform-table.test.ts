import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { POST_METRICS } from '../../src/platforms/metrics.ts';
import { PLATFORM_MODULES } from '../../src/platforms/registry.ts';

test('docs/reference/metrics.md says what each platform module measures', () => {
  const doc = readFileSync(new URL('../../docs/reference/metrics.md', import.meta.url), 'utf8');
  const header = ['views', 'reach', 'likes', 'comments', 'shares', 'saves', 'followers'];
  assert.deepEqual(header.slice(0, POST_METRICS.length), [...POST_METRICS]);
  assert.ok(doc.includes(`| platform | ${header.join(' | ')} |`), 'the table has one column per metric');
  for (const module of PLATFORM_MODULES) {
    const row = doc.split('\n').find((line) => line.startsWith(`| [${module.displayName}]`));
    assert.ok(row, `a row for ${module.displayName}`);
    const marks = row.split('|').slice(2, 2 + header.length).map((cell) => cell.trim() === '✓');
    const measured = header.map((metric) => (metric === 'followers' ? module.metrics?.followers === true : (module.metrics?.postMetrics ?? []).includes(metric as never)));
    assert.deepEqual(marks, measured, module.displayName);
  }
});
