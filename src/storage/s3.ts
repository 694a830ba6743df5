import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Clock } from '../clock.ts';
import type { StorageConfig } from '../config.ts';
import { assertValidKey, type BlobStore } from './blob-store.ts';

type S3Config = Extract<StorageConfig, { kind: 's3' }>;

/**
 * Objects in an S3-compatible bucket, shared by every server process (docs/reference/content.md).
 * Direct uploads go straight to the bucket through presigned PUT URLs that sign the declared
 * Content-Type and Content-Length (another type or size fails the signature) and `If-None-Match: *`
 * (a second PUT to the same key is refused by stores with conditional writes: AWS S3, R2, MinIO).
 */
export function createS3BlobStore(config: S3Config, clock: Clock, scratchDir: string): BlobStore {
  const client = new S3Client({
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    // The SDK would otherwise add CRC32 checksums S3-compatible stores do not all accept, and sign
    // the checksum of an empty body into presigned URLs.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = config.bucket;
  const checked = (key: string) => {
    assertValidKey(key);
    return key;
  };
  const isMissing = (error: unknown) => {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
  };

  return {
    kind: 's3',
    async put(key, body, { contentType, size }) {
      await client.send(new PutObjectCommand({ Bucket, Key: checked(key), Body: body, ContentType: contentType, ContentLength: size }));
    },
    async putFile(key, file, contentType) {
      const { size } = await stat(file);
      await client.send(new PutObjectCommand({ Bucket, Key: checked(key), Body: createReadStream(file), ContentType: contentType, ContentLength: size }));
      await rm(file, { force: true });
    },
    async head(key) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket, Key: checked(key) }));
        return { size: head.ContentLength ?? 0, contentType: head.ContentType ?? null, etag: head.ETag ?? null };
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },
    async read(key, range) {
      try {
        const object = await client.send(
          new GetObjectCommand({ Bucket, Key: checked(key), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
        );
        const total = object.ContentRange ? Number(object.ContentRange.split('/')[1]) : (object.ContentLength ?? 0);
        return { body: object.Body as Readable, info: { size: total, contentType: object.ContentType ?? null, etag: object.ETag ?? null } };
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },
    async copy(from, to, contentType, ifMatch) {
      await client.send(
        new CopyObjectCommand({
          Bucket,
          Key: checked(to),
          CopySource: `${Bucket}/${checked(from)}`,
          ContentType: contentType,
          MetadataDirective: 'REPLACE',
          ...(ifMatch ? { CopySourceIfMatch: ifMatch } : {}),
        }),
      );
    },
    async delete(keys) {
      // One DeleteObject per key: DeleteObjects needs a checksum header some S3-compatible stores reject.
      await Promise.all(keys.map((key) => client.send(new DeleteObjectCommand({ Bucket, Key: checked(key) }))));
    },
    async directUploadTarget(key, { contentType, size, expiresAt }) {
      const now = clock.now();
      const expiresIn = Math.max(1, Math.round((expiresAt.getTime() - now.getTime()) / 1000));
      const command = new PutObjectCommand({ Bucket, Key: checked(key), ContentType: contentType, ContentLength: size, IfNoneMatch: '*' });
      const url = await getSignedUrl(client, command, { expiresIn, signingDate: now, signableHeaders: new Set(['content-type']) });
      return { url, headers: { 'Content-Type': contentType, 'If-None-Match': '*' } };
    },
    publicUrl: (key) => (config.publicBaseUrl ? `${config.publicBaseUrl}/${checked(key)}` : null),
    async scratchFile() {
      await mkdir(scratchDir, { recursive: true });
      return path.join(scratchDir, randomBytes(16).toString('hex'));
    },
  };
}
