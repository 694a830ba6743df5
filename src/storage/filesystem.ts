import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertValidKey, type BlobInfo, type BlobStore } from './blob-store.ts';

/**
 * Objects as files under `directory` (default DATA_DIR/media), served by the server itself under
 * /media. Writes land in `directory/.scratch` first and are renamed into place, so a reader never
 * sees half a file and a crash leaves nothing under a key.
 */
export function createFilesystemBlobStore(directory: string): BlobStore {
  const root = path.resolve(directory);
  const scratchDir = path.join(root, '.scratch');
  const pathOf = (key: string) => {
    assertValidKey(key);
    return path.join(root, ...key.split('/'));
  };
  const scratchFile = async () => {
    await mkdir(scratchDir, { recursive: true });
    return path.join(scratchDir, randomBytes(16).toString('hex'));
  };
  const moveInto = async (file: string, key: string) => {
    const target = pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await rename(file, target);
    } catch (error) {
      // A scratch file on another filesystem (MEDIA_DIR elsewhere than the caller's scratch): copy, then rename.
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      const local = await scratchFile();
      await copyFile(file, local);
      await rename(local, target);
      await rm(file, { force: true });
    }
  };
  const info = async (key: string): Promise<BlobInfo | null> => {
    try {
      const stats = await stat(pathOf(key));
      return stats.isFile() ? { size: stats.size, contentType: null, etag: null } : null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  };

  return {
    kind: 'filesystem',
    async put(key, body, { size }) {
      const file = await scratchFile();
      try {
        await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, createWriteStream(file, { flags: 'wx' }));
        const written = (await stat(file)).size;
        if (written !== size) throw new Error(`expected ${size} bytes for ${key}, got ${written}`);
        await moveInto(file, key);
      } finally {
        await rm(file, { force: true });
      }
    },
    putFile: (key, file) => moveInto(file, key),
    head: info,
    async read(key, range) {
      const found = await info(key);
      if (!found) return null;
      const body = createReadStream(pathOf(key), range ? { start: range.start, end: range.end } : {});
      return { body, info: found };
    },
    async copy(from, to) {
      const file = await scratchFile();
      await copyFile(pathOf(from), file);
      await moveInto(file, to);
    },
    async delete(keys) {
      await Promise.all(keys.map((key) => rm(pathOf(key), { force: true })));
    },
    directUploadTarget: async () => null,
    publicUrl: () => null,
    scratchFile,
  };
}
