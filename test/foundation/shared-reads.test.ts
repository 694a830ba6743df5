import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sharedPerTurn, sharedReads } from '../../src/db/shared-reads.ts';

/** A read whose answers the test gives: each call records its keys and waits. */
function controlledRead() {
  const calls: Array<{ keys: readonly string[]; answer: (values: Record<string, number>) => void; fail: (error: Error) => void }> = [];
  const readMany = (keys: readonly string[]) =>
    new Promise<ReadonlyMap<string, number>>((resolve, reject) => {
      calls.push({ keys, answer: (values) => resolve(new Map(Object.entries(values))), fail: reject });
    });
  return { calls, readMany };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('shared reads (docs/performance.md, "Shared reads")', () => {
  test('callers that ask while a read is in flight share the next read, sent after it answers, with all their keys', async () => {
    const { calls, readMany } = controlledRead();
    const read = sharedReads(readMany);
    const a = read('a');
    const b = read('b');
    const c = read('c');
    assert.deepEqual(calls.map((call) => call.keys), [['a']], 'b and c asked after the first read was sent: they do not join it');
    calls[0]?.answer({ a: 1, b: 1, c: 1 });
    assert.equal(await a, 1);
    await settle();
    assert.deepEqual(calls.map((call) => call.keys), [['a'], ['b', 'c']]);
    calls[1]?.answer({ b: 2 });
    assert.equal(await b, 2, 'the answer of the read sent after b asked, not of the one in flight');
    assert.equal(await c, undefined, 'a key missing from the answer reads as undefined');
  });

  test('a failed read fails its own batch only; the next caller reads afresh', async () => {
    const { calls, readMany } = controlledRead();
    const read = sharedReads(readMany);
    const first = read('x');
    const waiting = read('y');
    calls[0]?.fail(new Error('connection reset'));
    await assert.rejects(first, /connection reset/);
    await settle();
    assert.deepEqual(calls[1]?.keys, ['y'], 'the waiting caller is still read for, after the failure');
    calls[1]?.answer({ y: 5 });
    assert.equal(await waiting, 5);
    const later = read('z');
    assert.equal(calls.length, 3);
    calls[2]?.answer({ z: 6 });
    assert.equal(await later, 6);
  });
});

describe('reads per turn of the event loop (docs/performance.md, "Shared reads")', () => {
  test('the callers of one turn share one read, made after the turn; a caller of a later turn gets a read of its own', async () => {
    const { calls, readMany } = controlledRead();
    const read = sharedPerTurn(readMany);
    const a = read('a');
    const b = read('b');
    assert.equal(calls.length, 0, 'nothing is read before the turn ends');
    await settle();
    assert.deepEqual(calls.map((call) => call.keys), [['a', 'b']]);
    const c = read('c');
    calls[0]?.answer({ a: 1, b: 2, c: 1 });
    assert.deepEqual([await a, await b], [1, 2]);
    await settle();
    assert.deepEqual(calls.map((call) => call.keys), [['a', 'b'], ['c']], 'c asked after the first read was made: it does not join it');
    calls[1]?.answer({ c: 3 });
    assert.equal(await c, 3);
  });

  test('a failed read fails its own batch only', async () => {
    const { calls, readMany } = controlledRead();
    const read = sharedPerTurn(readMany);
    const failed = read('x');
    await settle();
    const later = read('y');
    calls[0]?.fail(new Error('disk I/O error'));
    await assert.rejects(failed, /disk I\/O error/);
    await settle();
    calls[1]?.answer({ y: 5 });
    assert.equal(await later, 5);
  });
});
