import path from 'node:path';
import type { Clock } from '../clock.ts';
import type { StorageConfig } from '../config.ts';
import type { BlobStore } from './blob-store.ts';
import { createFilesystemBlobStore } from './filesystem.ts';
import { createS3BlobStore } from './s3.ts';

/** The configured store; S3's scratch files (uploads being checked) go under `dataDir/scratch`. */
export function createBlobStore(config: StorageConfig, clock: Clock, dataDir: string): BlobStore {
  return config.kind === 'filesystem' ? createFilesystemBlobStore(config.directory) : createS3BlobStore(config, clock, path.join(dataDir, 'scratch'));
}
