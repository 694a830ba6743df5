import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Migrator, type Migration } from 'kysely';
import { migrateToLatest } from '../../src/db/migrate.ts';
import * as foundation from '../../src/db/migrations/0001_foundation.ts';
import * as socialAccounts from '../../src/db/migrations/0002_social_accounts.ts';
import * as webhooks from '../../src/db/migrations/0003_webhooks.ts';
import * as securityReview from '../../src/db/migrations/0004_security_review.ts';
import * as periodicTasks from '../../src/db/migrations/0006_periodic_tasks.ts';
import { moveLegacyMedia } from '../../src/media/media-store.ts';
import { createTestBlobStore } from '../support/blob-backends.ts';
import { engines, openTestDatabase } from '../support/engines.ts';
import { fixture } from '../support/media-server.ts';
import { ManualClock } from '../support/manual-clock.ts';

const BEFORE_CONTENT: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_social_accounts': socialAccounts,
  '0003_webhooks': webhooks,
  '0004_security_review': securityReview,
  '0006_periodic_tasks': periodicTasks,
};

for (const engine of engines) {
  describe(`0007_content over an existing database (${engine})`, () => {
    test('avatars stored base64 before the blob store survive the migration and move into the store', async () => {
      const database = await openTestDatabase(engine, { migrate: false });
      const store = await createTestBlobStore('filesystem', new ManualClock());
      try {
        const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => BEFORE_CONTENT }, ...(database.schema ? { migrationTableSchema: database.schema } : {}) });
        const { error } = await migrator.migrateToLatest();
        assert.equal(error, undefined);
        const png = fixture('image.png');
        // The row as the server wrote it then (the table had no storage_key yet).
        await (database.db as any)
          .insertInto('media')
          .values({ id: 'med_5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b', content_type: 'image/png', data_base64: png.toString('base64'), byte_length: png.length, created_at: '2026-11-01T00:00:00.000Z' })
          .execute();
        const applied = await migrateToLatest(database);
        assert.ok(applied.includes('0007_content'));
        const carried = await database.db.selectFrom('media').selectAll().executeTakeFirstOrThrow();
        assert.equal(carried.storage_key, null);
        assert.equal(carried.data_base64, png.toString('base64'));
        assert.equal(await moveLegacyMedia(database.db, store.blobs), 1);
        const moved = await database.db.selectFrom('media').selectAll().executeTakeFirstOrThrow();
        assert.equal(moved.data_base64, null);
        const read = await store.blobs.read(moved.storage_key as string);
        const chunks: Buffer[] = [];
        for await (const chunk of read?.body ?? []) chunks.push(chunk as Buffer);
        assert.ok(Buffer.concat(chunks).equals(png));
      } finally {
        await store.close();
        await database.destroy();
      }
    });
  });
}
