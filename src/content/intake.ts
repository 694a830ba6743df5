import { createHash } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileTypeFromBuffer } from 'file-type';
import type { AssetFacts } from '../platforms/media.ts';
import { capOf, describeBytes, isAcceptedType, kindOf, MAX_FILE_BYTES, type AcceptedType } from './media-types.ts';
import { probeFile } from './probe.ts';

/** file-type's own sample size: enough of a file's start to tell every type it knows. */
const SNIFF_BYTES = 4100;

/** Why a file was refused, in words a partner can act on; never a 5xx (docs/reference/content.md). */
export class MediaRefusal extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'MediaRefusal';
    this.code = code;
  }
}

/** A file received into scratch space: its bytes counted, hashed and sniffed on the way in. */
export interface ReceivedFile {
  file: string;
  size: number;
  sha256: string;
  type: AcceptedType;
}

export interface IntakeLimits {
  /** The exact size the file must have (a direct upload's declared size). */
  exactBytes?: number;
  /** The type the sender claimed; a different sniffed type is refused. Null: no claim worth checking. */
  declaredType?: string | null;
}

/**
 * Streams `source` into `file`, never holding more than a chunk and the first 4 KiB in memory. The
 * type is sniffed from the first bytes as they arrive, and from then on the cap of that type (100
 * MB a video, 30 MB an image) is enforced while streaming: an oversized file is cut off, not read
 * to its end. On any refusal or error the scratch file is removed.
 *
 * The source is consumed: it must be a stream opened for this call (a request body, a fetched
 * URL's body, a stored file), since each chunk's memory is given back once it is on disk.
 */
export async function receiveFile(source: AsyncIterable<Buffer | Uint8Array> | Readable, file: string, limits: IntakeLimits = {}): Promise<ReceivedFile> {
  const hash = createHash('sha256');
  let size = 0;
  let head: Buffer[] = [];
  let headBytes = 0;
  let type: AcceptedType | null = null;
  const cap = () => Math.min(type ? capOf(type) : MAX_FILE_BYTES, limits.exactBytes ?? Infinity);

  const sniffHead = async () => {
    type = await sniff(Buffer.concat(head), limits.declaredType ?? null);
    head = [];
  };
  const out = await open(file, 'wx');
  const take = async (raw: Buffer | Uint8Array) => {
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    size += chunk.length;
    if (size > cap()) throw tooLarge(type, size, cap(), limits.exactBytes);
    hash.update(chunk);
    if (!type) {
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes >= SNIFF_BYTES) {
        await sniffHead();
        if (size > cap()) throw tooLarge(type, size, cap(), limits.exactBytes);
      }
    }
    await writeAll(out, chunk);
    // Until the type is known the chunk is also held in `head`.
    if (type) release(chunk);
  };
  try {
    // A Writable, so a Readable source flows into it a chunk at a time as it was read (an async
    // iterator would join whatever is buffered into a new chunk, the old ones left to the
    // collector). A refusal fails the write, which destroys the source: the rest is never read.
    await pipeline(source, new Writable({ write: (raw: Buffer, _encoding, done) => void take(raw).then(() => done(), done) }));
    if (!type) await sniffHead();
    if (limits.exactBytes !== undefined && size !== limits.exactBytes) {
      throw new MediaRefusal('size_mismatch', `Expected ${limits.exactBytes} bytes as declared, received ${size}.`);
    }
  } catch (error) {
    // The refusal is what the caller learns; a failure to close must not keep the scratch file.
    await out.close().catch(() => {});
    await rm(file, { force: true });
    throw error;
  }
  await out.close();
  return { file, size, sha256: hash.digest('hex'), type: type as unknown as AcceptedType };
}

/** Writes the whole chunk at the file's current position (one write may take only part of it). */
async function writeAll(out: FileHandle, chunk: Buffer): Promise<void> {
  for (let written = 0; written < chunk.length; ) written += (await out.write(chunk, written)).bytesWritten;
}

/**
 * Gives a chunk's memory back now rather than at the next garbage collection, when the chunk is
 * the whole of its ArrayBuffer (a socket or file read, never a view into a larger buffer that
 * something else reads): `transfer(0)` detaches the buffer and frees what it held. Otherwise the
 * chunks of a fast upload pile up outside the heap between collections: 30–80 MB for a 93 MB file
 * (docs/performance.md, "Tenth round"). Freeing early is only a saving, so a buffer its owner made
 * impossible to detach is left to the collector.
 */
function release(chunk: Buffer): void {
  const { buffer } = chunk;
  if (!(buffer instanceof ArrayBuffer) || chunk.byteLength !== buffer.byteLength) return;
  try {
    buffer.transfer(0);
  } catch {
    // Not detachable (a TypeError): the collector frees it as before.
  }
}

function tooLarge(type: AcceptedType | null, size: number, cap: number, exactBytes: number | undefined): MediaRefusal {
  if (exactBytes !== undefined && cap === exactBytes) {
    return new MediaRefusal('size_mismatch', `More bytes than the ${exactBytes} declared.`);
  }
  const what = type ? `${kindOf(type) === 'video' ? 'A video' : 'An image'} may be at most ${describeBytes(cap)}` : `A file may be at most ${describeBytes(cap)}`;
  return new MediaRefusal('too_large', `${what}; this one passed ${describeBytes(size - 1)}.`);
}

async function sniff(head: Buffer, declared: string | null): Promise<AcceptedType> {
  const found = await fileTypeFromBuffer(head);
  if (!found || !isAcceptedType(found.mime)) {
    const what = found ? `${found.mime}` : head.length === 0 ? 'an empty file' : 'no recognisable media type';
    throw new MediaRefusal('unsupported_type', `The bytes are ${what}; accepted: MP4, QuickTime (MOV), JPEG, PNG and WebP.`);
  }
  if (declared && declared !== found.mime) {
    throw new MediaRefusal('type_mismatch', `Declared as ${declared} but the bytes are ${found.mime}.`);
  }
  return found.mime;
}

/**
 * What the file's own headers say (dimensions; duration and frame rate of a video). A file whose
 * bytes start like a type but do not parse as one is refused.
 */
export async function inspectFile(received: Pick<ReceivedFile, 'file' | 'size' | 'type'>): Promise<AssetFacts> {
  const kind = kindOf(received.type);
  const probe = await probeFile(received.file, { countPackets: kind === 'video' });
  if (!probe || (kind === 'video' && !probe.durationMs)) {
    throw new MediaRefusal('unparseable', `The bytes start like ${received.type} but do not parse as one (truncated or corrupt?).`);
  }
  if (/partial file/i.test(probe.errors)) {
    throw new MediaRefusal('truncated', `The ${kind}'s data ends before its own headers say it does: the file is truncated.`);
  }
  return {
    kind,
    mimeType: received.type,
    sizeBytes: received.size,
    width: probe.width,
    height: probe.height,
    durationMs: kind === 'video' ? probe.durationMs : null,
    frameRate: kind === 'video' ? probe.frameRate : null,
    videoCodec: kind === 'video' ? probe.codec : null,
  };
}
