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
 * callbacks have run (`setImmediate`). It is still made after each of them asked, so each sees
 * everything committed before it asked, as a read of its own would (docs/performance.md, "Shared
 * reads"). A failed read fails its own batch only.
 */
export function readsPerTurn<K, V>(readMany: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>): (key: K) => Promise<V | undefined> {
  let batch: { keys: K[]; answer: Promise<ReadonlyMap<K, V>> } | null = null;
  return (key) => {
    if (batch === null) {
      const keys: K[] = [];
      const answer = new Promise<ReadonlyMap<K, V>>((resolve, reject) => {
        setImmediate(() => {
          // Whoever asks from now on waits for the next turn's read.
          batch = null;
          readMany(keys).then(resolve, reject);
        });
      });
      batch = { keys, answer };
    }
    batch.keys.push(key);
    return batch.answer.then((values) => values.get(key));
  };
}
