import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemClock } from '../clock.ts';
import { openDatabase } from '../db/database.ts';
import { createServices } from '../services.ts';
import { createFilesystemBlobStore } from '../storage/filesystem.ts';
import { buildApp } from './app.ts';
import type { CodeSample } from './code-samples.ts';

/** What readers of the document here look at; the rest is OpenAPI 3.1 as @fastify/swagger writes it. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, { operationId?: string; summary?: string; tags?: string[]; 'x-codeSamples'?: CodeSample[] }>>;
  [field: string]: unknown;
}

/**
 * The document the server serves at /openapi.json, built in memory (nothing listens, nothing is
 * queried): the one source the SDK's generated types and docs/reference/code-samples.md are made from.
 */
export async function serverOpenApiDocument(): Promise<OpenApiDocument> {
  const database = openDatabase('sqlite::memory:');
  const services = createServices({
    database,
    clock: systemClock,
    masterSecret: 'openapi-document-only-0123456789abcdef',
    previousMasterSecrets: [],
    redis: null,
    emulatorUrl: 'http://127.0.0.1:9',
    livePlatforms: {},
    publicBaseUrl: 'https://api.layers.com',
    production: false,
    // Never written to: building the document stores nothing.
    blobs: createFilesystemBlobStore(path.join(tmpdir(), 'layers-openapi-document')),
  });
  const app = await buildApp(services, { logger: false });
  try {
    await app.ready();
    return app.swagger() as unknown as OpenApiDocument;
  } finally {
    await app.close();
    await database.destroy();
  }
}
