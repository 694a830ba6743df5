import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from '@20minutes/s3rver';
import type { Clock } from '../../src/clock.ts';
import type { StorageConfig } from '../../src/config.ts';
import type { BlobStore } from '../../src/storage/blob-store.ts';
import { createFilesystemBlobStore } from '../../src/storage/filesystem.ts';
import { createS3BlobStore } from '../../src/storage/s3.ts';

/**
 * The blob stores every content test runs on: the filesystem, and S3 as a real S3-protocol server
 * on this machine (@20minutes/s3rver, the maintained fork of s3rver, which checks SigV4 signatures,
 * presigned expiry and signed headers; docs/reference/content.md says why it was chosen).
 */
export const blobBackends = ['filesystem', 's3'] as const;
export type BlobBackend = (typeof blobBackends)[number];

export const TEST_BUCKET = 'layers-test';
const S3_KEY = 'S3RVER';

export interface TestBlobStore {
  blobs: BlobStore;
  /** Every object key the store holds (read from disk, behind the store's back). */
  keys(): string[];
  /** Files left in scratch space (uploads being received or checked). */
  scratch(): string[];
  /** What a server process needs in its environment to use this store. */
  env: Record<string, string>;
  config: StorageConfig;
  close(): Promise<void>;
}

export async function createTestBlobStore(backend: BlobBackend, clock: Clock): Promise<TestBlobStore> {
  const root = mkdtempSync(path.join(tmpdir(), `layers-blobs-${backend}-`));
  if (backend === 'filesystem') {
    const directory = path.join(root, 'media');
    const config: StorageConfig = { kind: 'filesystem', directory };
    return {
      blobs: createFilesystemBlobStore(directory),
      keys: () => walk(directory).filter((key) => !key.startsWith('.scratch/')),
      scratch: () => walk(path.join(directory, '.scratch')),
      env: { MEDIA_DIR: directory },
      config,
      async close() {
        rmSync(root, { recursive: true, force: true });
      },
    };
  }
  const serverDir = path.join(root, 's3rver');
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: serverDir, configureBuckets: [{ name: TEST_BUCKET }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const config: StorageConfig = {
    kind: 's3',
    bucket: TEST_BUCKET,
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: S3_KEY, secretAccessKey: S3_KEY },
    forcePathStyle: true,
    publicBaseUrl: null,
  };
  const scratchDir = path.join(root, 'scratch');
  return {
    blobs: createS3BlobStore(config, clock, scratchDir),
    // s3rver keeps each object as `<bucket>/<key>._S3rver_object` next to its metadata files.
    keys: () =>
      walk(path.join(serverDir, TEST_BUCKET))
        .filter((file) => file.endsWith('._S3rver_object'))
        .map((file) => file.slice(0, -'._S3rver_object'.length)),
    scratch: () => walk(scratchDir),
    env: {
      S3_BUCKET: TEST_BUCKET,
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: S3_KEY,
      S3_SECRET_ACCESS_KEY: S3_KEY,
      S3_FORCE_PATH_STYLE: 'true',
    },
    config,
    async close() {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function walk(directory: string, prefix = ''): string[] {
  let entries: string[];
  try {
    entries = readdirSync(directory);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const full = path.join(directory, name);
    return statSync(full).isDirectory() ? walk(full, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}
