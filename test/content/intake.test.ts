import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { receiveFile } from '../../src/content/intake.ts';

const VIDEO = readFileSync(path.join(import.meta.dirname, '../fixtures/media/video.mp4'));
const CHUNK = 1024;

/**
 * The video in 1 KiB chunks, each the whole of its own ArrayBuffer, as a socket read is (and
 * detachable, as a socket read is and a `Buffer.allocUnsafe` is not).
 */
function ownChunks(): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < VIDEO.length; at += CHUNK) {
    const part = VIDEO.subarray(at, at + CHUNK);
    const own = Buffer.from(new ArrayBuffer(part.length));
    part.copy(own);
    chunks.push(own);
  }
  return chunks;
}

/** Whether a chunk's memory was given back (its ArrayBuffer detached). */
function freed(chunk: Buffer): boolean {
  return chunk.buffer instanceof ArrayBuffer && chunk.buffer.detached;
}

/**
 * Memory of an upload: each chunk that is the whole of its buffer is freed once it is on disk
 * (docs/performance.md, "Tenth round"); a view into a buffer that something else reads never is.
 */
describe('receiving a file', { timeout: 10_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'layers-intake-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const sha256 = createHash('sha256').update(VIDEO).digest('hex');

  test('the file arrives whole, and the chunks read for it are freed once written', async () => {
    const chunks = ownChunks();
    const file = path.join(dir, 'own.mp4');
    const received = await receiveFile(Readable.from(chunks, { objectMode: false }), file, { declaredType: 'video/mp4' });
    assert.deepEqual({ size: received.size, sha256: received.sha256, type: received.type }, { size: VIDEO.length, sha256, type: 'video/mp4' });
    assert.ok(readFileSync(file).equals(VIDEO));
    // The first 4 KiB wait in memory until the type is sniffed; every chunk after them is freed.
    const freedCount = chunks.filter(freed).length;
    assert.equal(freedCount, chunks.length - 4, `${freedCount} of ${chunks.length} chunks freed`);
  });

  test('a view into a larger buffer is written and left as it was', async () => {
    const whole = Buffer.from(new ArrayBuffer(VIDEO.length));
    VIDEO.copy(whole);
    const views = Array.from({ length: Math.ceil(whole.length / CHUNK) }, (_, i) => whole.subarray(i * CHUNK, (i + 1) * CHUNK));
    const received = await receiveFile(Readable.from(views, { objectMode: false }), path.join(dir, 'views.mp4'), { declaredType: 'video/mp4' });
    assert.equal(received.sha256, sha256);
    assert.equal(freed(whole), false);
    assert.ok(whole.equals(VIDEO), 'the shared buffer still holds the video');
  });

  test('a refused file frees nothing it had not written and leaves no file behind', async () => {
    const chunks = ownChunks();
    const file = path.join(dir, 'refused.mp4');
    await assert.rejects(receiveFile(Readable.from(chunks, { objectMode: false }), file, { exactBytes: VIDEO.length - 1, declaredType: 'video/mp4' }), { name: 'MediaRefusal', code: 'size_mismatch' });
    const last = chunks.at(-1);
    assert.ok(last);
    assert.equal(freed(last), false, 'the chunk past the declared size was refused, not written');
    assert.throws(() => readFileSync(file), { code: 'ENOENT' });
  });
});
