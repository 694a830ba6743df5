import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startPublishingFleet, type PublishingFleet } from '../support/publishing-fleet.ts';

/**
 * Two real `layers serve` processes over one Postgres database publish 500 posts that come due at
 * the same moment: each post is claimed by one process at a time (a lease, FOR UPDATE SKIP LOCKED),
 * so every post is on its creator's profile exactly once and ends `published`. How fast they go is
 * measured by `npm run bench:publishing`, not here.
 */

const databaseUrl = process.env.TEST_DATABASE_URL;
const POSTS = 500;

if (databaseUrl) {
  describe('two server processes publishing the same due posts (Postgres)', { timeout: 300_000 }, () => {
    let fleet: PublishingFleet;
    before(async () => {
      fleet = await startPublishingFleet({ adminUrl: databaseUrl, posts: POSTS, servers: 2, label: 'Two publishers' });
    });
    after(() => fleet?.close());

    test(`${POSTS} due posts: each published exactly once, none left open`, async () => {
      const { open } = await fleet.settle(90_000);
      assert.equal(open, 0, 'every post is final');
      const rows = await fleet.rows();
      const byId = new Map(rows.map((row) => [row.id, row]));
      const statuses = new Map<string, number>();
      for (const row of rows) statuses.set(row.status, (statuses.get(row.status) ?? 0) + 1);
      assert.deepEqual([...statuses], [['published', POSTS]], JSON.stringify(rows.filter((row) => row.status !== 'published').slice(0, 3)));
      const profiles = await fleet.profiles();
      for (const post of fleet.posts) {
        const shown = (profiles.get(`${post.platform}:${post.username}`) ?? []).filter((caption) => caption === post.caption);
        assert.equal(shown.length, 1, `${post.id} (${post.platform}) is on the profile ${shown.length} times`);
        assert.equal(byId.get(post.id)?.attempts, 1, `${post.id} took one attempt`);
      }
      const total = [...profiles.values()].reduce((sum, captions) => sum + captions.length, 0);
      assert.equal(total, POSTS, 'nothing else on any profile');
      for (const server of fleet.servers) assert.equal(server.exit(), null, `a server process died:\n${server.output()}`);
    });
  });
}
