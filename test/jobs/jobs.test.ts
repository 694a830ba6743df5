import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { claimDue, leaseOf, renewLease } from '../../src/jobs/lease.ts';
import { periodicQueue } from '../../src/jobs/periodic.ts';
import { queueRunner } from '../../src/jobs/runner.ts';
import { engines, openTestDatabase, type TestDatabase } from '../support/engines.ts';
import { ManualClock } from '../support/manual-clock.ts';

const LEASE_MS = 20_000;

for (const engine of engines) {
  describe(`the job mechanism (${engine})`, () => {
    let database: TestDatabase;
    const clock = new ManualClock();
    before(async () => {
      database = await openTestDatabase(engine);
    });
    after(() => database.destroy());

    const addTasks = (names: string[]) =>
      database.db
        .insertInto('periodic_tasks')
        .values(names.map((id) => ({ id, next_run_at: clock.now().toISOString(), locked_until: null, last_run_at: null, last_error: null })))
        .execute();
    const claim = (limit: number, prefix: string) =>
      claimDue(database.db, database.engine, clock, {
        table: 'periodic_tasks',
        due: (eb) => eb.and([eb('next_run_at', '<=', clock.now().toISOString()), eb('id', 'like', `${prefix}%`)]),
        orderBy: ['next_run_at'],
        limit,
        leaseMs: LEASE_MS,
      });

    test('a claim leases due rows in due order; a second claimer gets none of them until the lease lapses', async () => {
      await addTasks(['claim-c', 'claim-a', 'claim-b']);
      const first = await claim(2, 'claim-');
      assert.deepEqual(first.map((row) => row.id), ['claim-a', 'claim-b']);
      assert.ok(first.every((row) => row.locked_until === new Date(clock.now().getTime() + LEASE_MS).toISOString()));
      assert.deepEqual((await claim(5, 'claim-')).map((row) => row.id), ['claim-c']);
      assert.deepEqual(await claim(5, 'claim-'), [], 'everything is leased');

      // The holder of claim-a died: its lease lapses and another process takes the row over.
      clock.advance(LEASE_MS + 1);
      const takeover = await claim(5, 'claim-');
      assert.deepEqual(takeover.map((row) => row.id), ['claim-a', 'claim-b', 'claim-c']);
    });

    test('a lease renews only while held; the lapsed holder can neither renew nor write its outcome', async () => {
      await addTasks(['renew-a']);
      const [row] = await claim(1, 'renew-');
      assert.ok(row);
      const lease = leaseOf('periodic_tasks', row);
      clock.advance(LEASE_MS / 2);
      const renewed = await renewLease(database.db, clock, 'periodic_tasks', row.id, lease, LEASE_MS);
      assert.ok(renewed && renewed.until > lease.until);
      assert.equal(await renewLease(database.db, clock, 'periodic_tasks', row.id, lease, LEASE_MS), null, 'the old token no longer matches');

      clock.advance(LEASE_MS + 1);
      const [taken] = await claim(1, 'renew-');
      assert.equal(taken?.id, 'renew-a');
      const stale = await database.db
        .updateTable('periodic_tasks')
        .set({ last_error: 'written by the lapsed holder' })
        .where('id', '=', row.id)
        .where('locked_until', '=', (renewed as { until: string }).until)
        .executeTakeFirst();
      assert.equal(Number(stale.numUpdatedRows), 0);
    });

    test('two processes running the same periodic task: it runs once per interval, and a failure is recorded and retried', async () => {
      let runs = 0;
      let fail = true;
      const task = {
        name: 'count-runs',
        intervalMs: 60_000,
        run: async () => {
          runs++;
          if (fail) throw new Error('first run fails');
        },
      };
      const a = queueRunner(periodicQueue({ db: database.db, engine: database.engine, clock }, [task], 1000));
      const b = queueRunner(periodicQueue({ db: database.db, engine: database.engine, clock }, [task], 1000));
      assert.deepEqual((await Promise.all([a.runOnce(), b.runOnce()])).sort(), [0, 1]);
      assert.equal(runs, 1);
      const row = await database.db.selectFrom('periodic_tasks').selectAll().where('id', '=', 'count-runs').executeTakeFirstOrThrow();
      assert.equal(row.last_error, 'first run fails');
      assert.equal(row.locked_until, null);
      assert.equal(row.next_run_at, new Date(clock.now().getTime() + 60_000).toISOString());

      assert.deepEqual(await Promise.all([a.runOnce(), b.runOnce()]), [0, 0], 'not due again before the interval');
      fail = false;
      clock.advance(60_000);
      await Promise.all([a.runOnce(), b.runOnce()]);
      assert.equal(runs, 2);
      const after = await database.db.selectFrom('periodic_tasks').selectAll().where('id', '=', 'count-runs').executeTakeFirstOrThrow();
      assert.equal(after.last_error, null);
    });

    test('a queue works one group at a time, in claim order, and other groups alongside', async () => {
      const rows = ['g1:1', 'g1:2', 'g2:1', 'g1:3', 'g2:2'];
      await addTasks(rows.map((id) => `order-${id}`));
      const worked: string[] = [];
      let running = 0;
      let maxRunningPerGroup = 0;
      const perGroup = new Map<string, number>();
      const runner = queueRunner({
        name: 'ordered',
        concurrency: 4,
        pollMs: 1000,
        claim: (limit: number, busy: readonly string[]) =>
          claimDue(database.db, database.engine, clock, {
            table: 'periodic_tasks',
            due: (eb) =>
              eb.and([
                eb('id', 'like', 'order-%'),
                eb('next_run_at', '<=', clock.now().toISOString()),
                ...busy.map((group) => eb('id', 'not like', `order-${group}:%`)),
              ]),
            orderBy: ['id'],
            limit,
            leaseMs: LEASE_MS,
          }),
        groupOf: (row: { id: string }) => row.id.slice('order-'.length).split(':')[0] as string,
        async work(claimed: Array<{ id: string }>) {
          for (const row of claimed) {
            const group = row.id.split(':')[0] as string;
            perGroup.set(group, (perGroup.get(group) ?? 0) + 1);
            running++;
            maxRunningPerGroup = Math.max(maxRunningPerGroup, perGroup.get(group) as number);
            await new Promise((resolve) => setTimeout(resolve, 5));
            worked.push(row.id);
            running--;
            perGroup.set(group, (perGroup.get(group) as number) - 1);
            await database.db.updateTable('periodic_tasks').set({ next_run_at: '9999' }).where('id', '=', row.id).execute();
          }
        },
      });
      assert.equal(await runner.runOnce(), 5);
      assert.equal(maxRunningPerGroup, 1, 'never two rows of one group at once');
      assert.deepEqual(worked.filter((id) => id.includes('g1')), ['order-g1:1', 'order-g1:2', 'order-g1:3']);
      assert.deepEqual(worked.filter((id) => id.includes('g2')), ['order-g2:1', 'order-g2:2']);
      assert.equal(running, 0);
    });
  });
}

describe('queue runner', () => {
  /** A queue of one-row groups whose work ends when the test says so. */
  function controlledQueue(groups: string[], options: { concurrency: number; claimWhenFree?: number; settle?: () => Promise<void> }) {
    const waiting = [...groups];
    const claims: Array<{ limit: number; busy: readonly string[] }> = [];
    const finish = new Map<string, () => void>();
    const started: string[] = [];
    const queue = {
      name: 'controlled',
      pollMs: 1000,
      ...options,
      async claim(limit: number, busy: readonly string[]) {
        claims.push({ limit, busy });
        return waiting.splice(0, limit).map((id) => ({ id }));
      },
      groupOf: (row: { id: string }) => row.id,
      work: ([row]: Array<{ id: string }>) =>
        new Promise<void>((resolve) => {
          started.push(row?.id as string);
          finish.set(row?.id as string, resolve);
        }),
    };
    return { queue, claims, started, finish: (group: string) => finish.get(group)?.() };
  }
  /** Lets the runner go as far as it can: every step of a controlled queue is a microtask, and each claim after the first waits for one turn of the event loop. */
  const aMoment = () => new Promise((resolve) => setTimeout(resolve, 1));

  test('with claimWhenFree, a run claims again once that many slots are free, not at each finished group', async () => {
    const { queue, claims, started, finish } = controlledQueue(['a', 'b', 'c', 'd', 'e', 'f', 'g'], { concurrency: 4, claimWhenFree: 2 });
    const run = queueRunner(queue).runOnce();
    await aMoment();
    assert.deepEqual(started, ['a', 'b', 'c', 'd']);
    finish('a');
    await aMoment();
    assert.equal(claims.length, 1, 'one free slot of four: no claim yet');
    finish('b');
    await aMoment();
    assert.deepEqual(claims.at(-1), { limit: 2, busy: ['c', 'd'] });
    assert.deepEqual(started, ['a', 'b', 'c', 'd', 'e', 'f']);
    for (const group of ['c', 'd', 'e', 'f']) finish(group);
    await aMoment();
    assert.deepEqual(started.at(-1), 'g', 'the last group is claimed once two slots are free');
    finish('g');
    assert.equal(await run, 7);
  });

  test('a group that finishes while a claim that left it out is under way is claimed again before the run ends', async () => {
    // b's second row is due, but the claim made while b was busy leaves it out; b finishes before
    // that claim answers, so nothing is being worked when it comes back empty.
    const due = [{ id: 'a:1' }, { id: 'b:1' }, { id: 'b:2' }];
    const finish = new Map<string, () => void>();
    const worked: string[] = [];
    let openClaim: (() => void) | null = null;
    const queue = {
      name: 'groups',
      concurrency: 2,
      pollMs: 1000,
      async claim(limit: number, busy: readonly string[]) {
        if (busy.length > 0 && openClaim === null) await new Promise<void>((resolve) => (openClaim = resolve));
        const claimed = due.filter((row) => !busy.includes(row.id.split(':')[0] as string)).slice(0, limit);
        for (const row of claimed) due.splice(due.indexOf(row), 1);
        return claimed;
      },
      groupOf: (row: { id: string }) => row.id.split(':')[0] as string,
      async work(rows: Array<{ id: string }>) {
        for (const row of rows) {
          await new Promise<void>((resolve) => finish.set(row.id, resolve));
          worked.push(row.id);
        }
      },
    };
    const run = queueRunner(queue).runOnce();
    await aMoment();
    finish.get('a:1')?.();
    await aMoment();
    assert.ok(openClaim, 'a claim leaving out the busy group b is under way');
    finish.get('b:1')?.();
    await aMoment();
    (openClaim as () => void)();
    await aMoment();
    finish.get('b:2')?.();
    assert.equal(await run, 3);
    assert.deepEqual(worked, ['a:1', 'b:1', 'b:2']);
  });

  test('a row due again as soon as it is worked is worked once more, then left for the next run', async () => {
    // Work that moves neither the row's due time nor its due condition: every claim finds it due.
    let claims = 0;
    const worked: string[] = [];
    const queue = {
      name: 'never settles',
      concurrency: 4,
      pollMs: 1000,
      async claim() {
        claims++;
        if (claims > 10) throw new Error('claimed forever');
        return [{ id: 'due-again' }];
      },
      groupOf: (row: { id: string }) => row.id,
      async work(rows: Array<{ id: string }>) {
        for (const row of rows) worked.push(row.id);
      },
    };
    const runner = queueRunner(queue);
    assert.equal(await runner.runOnce(), 2);
    assert.deepEqual(worked, ['due-again', 'due-again']);
    assert.equal(claims, 2, 'no claim after the row came back');
    assert.equal(await runner.runOnce(), 2, 'the next run works it again');
  });

  test('a row due again later in a long run (a post polled again) does not end the claiming', async () => {
    const claims = [['polled'], ['polled'], ['fresh'], []];
    const worked: string[] = [];
    const queue = {
      name: 'polls',
      concurrency: 1,
      pollMs: 1000,
      claim: async () => (claims.shift() ?? []).map((id) => ({ id })),
      groupOf: (row: { id: string }) => row.id,
      async work(rows: Array<{ id: string }>) {
        // Its work takes longer than a spin's return: the row is due again because time passed.
        await new Promise((resolve) => setTimeout(resolve, 150));
        for (const row of rows) worked.push(row.id);
      },
    };
    assert.equal(await queueRunner(queue).runOnce(), 3);
    assert.deepEqual(worked, ['polled', 'polled', 'fresh']);
  });

  test('a run of work that waits for nothing still lets the event loop turn between claims', async () => {
    const due = ['a', 'b', 'c', 'd', 'e'];
    const worked: string[] = [];
    const queue = {
      name: 'fails fast',
      concurrency: 1,
      pollMs: 1000,
      claim: async (limit: number) => due.splice(0, limit).map((id) => ({ id })),
      groupOf: (row: { id: string }) => row.id,
      async work(rows: Array<{ id: string }>) {
        for (const row of rows) worked.push(row.id);
      },
    };
    const run = queueRunner(queue).runOnce();
    const workedWhenTheLoopTurned = await new Promise<number>((resolve) => setImmediate(() => resolve(worked.length)));
    assert.ok(workedWhenTheLoopTurned < 5, `an immediate queued as the run began ran only after all ${workedWhenTheLoopTurned} rows`);
    assert.equal(await run, 5);
    assert.deepEqual(worked, ['a', 'b', 'c', 'd', 'e']);
  });

  test('settle runs once the run has no more work, and its failure fails the run', async () => {
    let settled = 0;
    const { queue, finish } = controlledQueue(['a'], {
      concurrency: 2,
      settle: async () => {
        settled++;
        throw new Error('the batched outcomes could not be written');
      },
    });
    const run = queueRunner(queue).runOnce();
    await aMoment();
    assert.equal(settled, 0, 'not while a group is being worked');
    finish('a');
    await assert.rejects(run, /could not be written/);
    assert.equal(settled, 1);
  });
});
