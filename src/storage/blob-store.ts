import type { Readable } from 'node:stream';

/** What a store knows about one object. */
export interface BlobInfo {
  size: number;
  /** The type the object was stored with; null where the store keeps none (the filesystem). */
  contentType: string | null;
  /** The store's version tag of these bytes; null where objects are never rewritten (the filesystem). */
  etag: string | null;
}

/** Inclusive byte offsets, as in an HTTP Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Where a partner PUTs a file's bytes itself, and the headers that request must carry. */
export interface DirectUploadTarget {
  url: string;
  headers: Record<string, string>;
}

/**
 * Where media bytes live: a directory the server serves itself, or an S3-compatible bucket shared by
 * every server process (docs/reference/content.md). Keys are `/`-separated paths of
 * `[A-Za-z0-9._-]` segments; objects are immutable once written, so readers may cache them forever.
 */
export interface BlobStore {
  readonly kind: 'filesystem' | 's3';
  /** Stores `body` (exactly `size` bytes) under `key`; nothing is visible under `key` until all of it is. */
  put(key: string, body: Buffer | Readable, options: { contentType: string; size: number }): Promise<void>;
  /** Stores a local file under `key` and removes the local file (a rename where the store allows it). */
  putFile(key: string, file: string, contentType: string): Promise<void>;
  head(key: string): Promise<BlobInfo | null>;
  /** The object's bytes (or a range of them), or null when there is no such object. */
  read(key: string, range?: ByteRange): Promise<{ body: Readable; info: BlobInfo } | null>;
  /** Copies within the store; with `ifMatch`, only if `from` still holds that version (else it throws). */
  copy(from: string, to: string, contentType: string, ifMatch?: string | null): Promise<void>;
  /** Deletes the objects; keys that do not exist are ignored. */
  delete(keys: readonly string[]): Promise<void>;
  /** A presigned URL for a direct upload, or null: this server receives the bytes itself (PUT /uploads/<token>). */
  directUploadTarget(key: string, file: { contentType: string; size: number; expiresAt: Date }): Promise<DirectUploadTarget | null>;
  /** A URL where the object is served publicly by the store, or null: this server serves it under /media. */
  publicUrl(key: string): string | null;
  /** A fresh path for a scratch file (an upload being received, a fetched file being checked), in a directory that exists. */
  scratchFile(): Promise<string>;
}

const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

/** Keys are built by the server, never taken from a request; this catches a bug before it reaches a path or a bucket. */
export function assertValidKey(key: string): void {
  if (!KEY.test(key) || key.length > 512) throw new Error(`invalid blob key: ${JSON.stringify(key)}`);
}
