import path from 'node:path';
import type { Clock } from '../clock.ts';
import type { StorageConfig } from '../config.ts';
import type { BlobStore } from './blob-store.ts';
import { createFilesystemBlobStore } from './filesystem.ts';

/**
 * The configured store; S3's scratch files (uploads being checked) go under `dataDir/scratch`. The
 * AWS SDK is loaded only when S3 is configured: it adds about 0.3 s to every start of the CLI.
 */
export async function createBlobStore(config: StorageConfig, clock: Clock, dataDir: string): Promise<BlobStore> {
  if (config.kind === 'filesystem') return createFilesystemBlobStore(config.directory);
  const { createS3BlobStore } = await import('./s3.ts');
  return createS3BlobStore(config, clock, path.join(dataDir, 'scratch'));
}
