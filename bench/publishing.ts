import { startPublishingFleet } from '../test/support/publishing-fleet.ts';

/**
 * `npm run bench:publishing`: posts per second that one and then two `layers serve` processes
 * publish to the bundled emulator (Postgres; TikTok videos pushed in chunks and Instagram images
 * the emulator fetches), from the moment the posts come due to the last one final. The emulator
 * answers at once (no processing delay), so this is the server's side of the work plus the
 * platforms' status polling the modules do (TikTok 2 s, Instagram 1 s after each upload).
 */

const POSTS = Number(process.env['BENCH_PUBLISH_POSTS'] ?? 500);
const PG_ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

for (const servers of [1, 2]) {
  const fleet = await startPublishingFleet({ adminUrl: PG_ADMIN_URL, posts: POSTS, servers, label: `Publishing bench ${servers}` });
  try {
    const { open, finishedAt } = await fleet.settle(90_000);
    const rows = await fleet.rows();
    const published = rows.filter((row) => row.status === 'published').length;
    const seconds = (finishedAt - fleet.dueAt) / 1000;
    console.log(
      `${servers} process(es): ${published}/${POSTS} published (${open} still open) in ${seconds.toFixed(1)} s → ${(published / seconds).toFixed(1)} posts/s`,
    );
  } finally {
    await fleet.close();
  }
}
