/**
 * Reads that concurrent callers share without any of them reading stale data. A caller never
 * joins a read already sent: a change committed just before it asked could be missing from that
 * read's answer. It waits instead for the next read, which is sent as soon as the one in flight has
 * answered and carries every key asked for meanwhile. Each caller therefore gets an answer read
 * after it asked (so it sees everything committed before), and under load a batch of callers costs
 * one query instead of one each (docs/performance.md, "Shared reads").
 *
 * `readMany` answers for the keys it is given; a key missing from its answer reads as undefined.
 * A failed read fails every caller of its batch.
 */
export function sharedReads<K, V>(readMany: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>): (key: K) => Promise<V | undefined> {
  let inFlight: Promise<unknown> | null = null;
  let nextBatch: { keys: K[]; answer: Promise<ReadonlyMap<K, V>> } | null = null;
  const send = (keys: readonly K[]): Promise<ReadonlyMap<K, V>> => {
    const answer = readMany(keys);
    inFlight = answer;
    const settled = () => {
      if (inFlight === answer) inFlight = null;
    };
    answer.then(settled, settled);
    return answer;
  };
  return (key) => {
    if (inFlight === null) return send([key]).then((values) => values.get(key));
    if (nextBatch === null) {
      const keys: K[] = [];
      const sendNext = () => {
        nextBatch = null;
        return send(keys);
      };
      nextBatch = { keys, answer: inFlight.then(sendNext, sendNext) };
    }
    nextBatch.keys.push(key);
    return nextBatch.answer.then((values) => values.get(key));
  };
}

/**
 * SQLite's way of sharing reads. A read there has no round trip, but a statement outside a
 * transaction begins and ends a read transaction of its own, which takes and releases a lock on the
 * WAL index (two `fcntl` calls): about 7 µs, more than the read itself. The callers of one turn of
 * the event loop (the requests whose bytes arrived in it) share one read, made once the turn's I/O
 * callbacks have run. It is still made after each of them asked, so each sees everything committed
 * before it asked, as a read of its own would (docs/performance.md, "Shared reads"). A failed read
 * fails its own batch only. Writes that may wait for the end of a turn share it the same way: the
 * audit rows of a turn are one statement (src/audit/audit-log.ts).
 *
 * Each caller is answered in an immediate of its own (`setImmediate`; Node runs the microtasks
 * between two immediates), the first of a batch making the read. So one request goes on as far as
 * it can before the next is answered, as if each had read alone. Answering the whole batch at once
 * had every request of the turn build its page of rows before any page was written, and the
 * server's memory under the list benches grew with it (docs/performance.md, "Fifth round").
 */
export function sharedPerTurn<K, V>(runMany: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>): (key: K) => Promise<V | undefined> {
  let gathering: { keys: K[]; answer: Promise<ReadonlyMap<K, V>> | null } | null = null;
  return (key) => {
    gathering ??= { keys: [], answer: null };
    const batch = gathering;
    batch.keys.push(key);
    return new Promise((resolve, reject) => {
      setImmediate(() => {
        if (batch.answer === null) {
          // Whoever asks from now on waits for the next turn's read.
          if (gathering === batch) gathering = null;
          batch.answer = runMany(batch.keys);
        }
        batch.answer.then((values) => resolve(values.get(key)), reject);
      });
    });
  };
}
