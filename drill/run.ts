import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Engine } from '../src/db/database.ts';
import { engines } from '../test/support/engines.ts';
import { claimRun, globalTeardown } from '../test/support/global-setup.ts';
import { crashDrill } from './crash.ts';
import { fuzzDrill } from './fuzz.ts';
import type { Drill, DrillReport } from './harness.ts';
import { isolationDrill } from './isolation.ts';
import { publishCrashDrill } from './publish-crash.ts';
import { secretsDrill } from './secrets.ts';
import { stateGuessingDrill } from './state-guessing.ts';

/**
 * `npm run drill` (full) and `npm run drill -- --quick` (inside `npm test`): every drill on
 * SQLite, and on Postgres when TEST_DATABASE_URL is set. Per engine, the drills that drive real
 * server processes (mostly waiting: for a start, for a lease to lapse) run alongside the
 * in-process ones, and the engines side by side. Prints each drill's figures and every violation
 * as it finishes; exits 1 on any violation. `--only isolation,fuzz` runs some drills, `--seed N`
 * replays the random inputs of an earlier run.
 */
const DRILLS: Drill[] = [isolationDrill, fuzzDrill, stateGuessingDrill, crashDrill, publishCrashDrill, secretsDrill];

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, seed: { type: 'string' } },
});
const only = values.only ? new Set(values.only.split(',')) : null;
const seed = values.seed ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const quick = values.quick ?? false;
const selected = DRILLS.filter((drill) => !only || only.has(drill.name));

console.log(`drills (${quick ? 'quick' : 'full'}, seed ${seed}) on ${engines.join(' and ')}: ${selected.map((d) => d.name).join(', ')}`);
if (!process.env.TEST_DATABASE_URL) console.log('  (Postgres skipped: set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)');

async function runOne(drill: Drill, engine: Engine): Promise<boolean> {
  const lines: string[] = [];
  const t0 = performance.now();
  let report: DrillReport;
  try {
    report = await drill.run({ engine, quick, seed, log: (message) => lines.push(`    · ${message}`) });
  } catch (error) {
    console.log([`✖ ${drill.name} (${engine}) broke: ${(error as Error).stack ?? String(error)}`, ...lines].join('\n'));
    return false;
  }
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  const out = [`${report.violations.count === 0 ? '✔' : '✖'} ${drill.name} (${engine}, ${seconds} s)`, ...lines];
  for (const [name, value] of report.figures) out.push(`    ${name}: ${typeof value === 'number' ? value.toLocaleString('en-US') : value}`);
  out.push(`    violations: ${report.violations.count}`);
  for (const violation of report.violations.shown) out.push(`      - ${violation}`);
  console.log(out.join('\n'));
  return report.violations.count === 0;
}

// Like a test run: Postgres schemas carry this run's id and are dropped once, at the end, never
// while another file (or another run on the same database) may be introspecting the catalog.
process.env.LAYERS_TEST_RUN ??= randomBytes(4).toString('hex');
await claimRun();
const started = performance.now();
const lanes = (engines as Engine[]).flatMap((engine) =>
  (['processes', 'in-process'] as const).map(async (kind) => {
    const passed: boolean[] = [];
    for (const drill of selected.filter((d) => d.kind === kind)) passed.push(await runOne(drill, engine));
    return passed;
  }),
);
const results = await Promise.all(lanes);
await globalTeardown();
const failed = results.flat().filter((ok) => !ok).length;
console.log(`${failed === 0 ? 'all drills passed' : `${failed} drill run(s) failed`} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed === 0 ? 0 : 1);
