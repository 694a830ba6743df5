import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * A queued post is not claimed while another post of its account is `publishing` (one post of an
 * account on the platform at a time, src/posts/publisher.ts). The claim checked that row by row down
 * the due index, so every claim walked past every post queued behind a busy account: 96 ms a claim
 * on SQLite, 299 ms on Postgres, with 50,000 of them (docs/performance.md, "Fourteenth round").
 *
 * `behind_publishing` takes those posts out of the claim's index. Triggers keep it, whoever writes
 * the posts (the publisher, the API, another process, the operator): when a post starts
 * `publishing`, its account's queued posts are marked; when it stops (published, failed, back to
 * queued for a retry, held, or deleted), its account's marks are cleared; a post queued while its
 * account has a post publishing is marked as it is written. The claim keeps checking the account
 * row by row, so a mark decides only how fast a claim is, never whether two posts of an account
 * are published at once.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('scheduled_posts').addColumn('behind_publishing', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db
    .updateTable('scheduled_posts')
    .set({ behind_publishing: 1 })
    .where('status', '=', 'queued')
    .where('social_account_id', 'in', db.selectFrom('scheduled_posts').select('social_account_id').where('status', '=', 'publishing'))
    .execute();
  await db.schema.dropIndex('scheduled_posts_due_idx').execute();
  await db.schema.createIndex('scheduled_posts_due_idx').on('scheduled_posts').columns(['behind_publishing', 'next_attempt_at', 'scheduled_for', 'id']).execute();

  const mark = (account: string) => sql`update scheduled_posts set behind_publishing = 1
    where social_account_id = ${sql.raw(account)}.social_account_id and status = 'queued' and behind_publishing = 0`;
  // Queued posts only (a post's mark means nothing once it is final, and final posts are what
  // housekeeping deletes), and unless another post of the account is still publishing (never by this
  // server, which starts one at a time).
  const clear = (account: string) => sql`update scheduled_posts set behind_publishing = 0
    where social_account_id = ${sql.raw(account)}.social_account_id and status = 'queued' and behind_publishing = 1
      and not exists (select 1 from scheduled_posts other where other.social_account_id = ${sql.raw(account)}.social_account_id and other.status = 'publishing')`;
  // A post that starts while marked (claimed just before another post's start was written) drops its mark.
  const dropOwnMark = sql`update scheduled_posts set behind_publishing = 0 where id = new.id and behind_publishing = 1`;

  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    // Postgres runs writers side by side. A post written as queued locks the account's publishing
    // post, if any (`for share`): a transaction ending that post either ends first (and the post is
    // not marked) or waits for this one (and clears its mark). Marking and clearing lock the account
    // row before the account's queued posts, as every other writer of several of them does (a
    // revoke, an archive, a reauth's release of held posts, the publisher's start): two of them never
    // hold some of the posts each while waiting for the other's.
    const lockAccount = (row: string) => sql`perform 1 from social_accounts where id = ${sql.raw(row)}.social_account_id for no key update`;
    await sql`create function layers_posts_behind_publishing() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          if new.status = 'queued' then
            perform 1 from scheduled_posts other where other.social_account_id = new.social_account_id and other.status = 'publishing' for share;
            if found then update scheduled_posts set behind_publishing = 1 where id = new.id; end if;
          end if;
        elsif tg_op = 'UPDATE' then
          if new.status = 'publishing' and old.status <> 'publishing' then
            ${lockAccount('new')};
            ${mark('new')};
            ${dropOwnMark};
          elsif old.status = 'publishing' and new.status <> 'publishing' then
            ${lockAccount('old')};
            ${clear('old')};
          end if;
        elsif old.status = 'publishing' then
          ${lockAccount('old')};
          ${clear('old')};
        end if;
        return null;
      end $$`.execute(db);
    await sql`create trigger scheduled_posts_behind_publishing after insert or delete or update of status on scheduled_posts
              for each row execute function layers_posts_behind_publishing()`.execute(db);
    return;
  }
  await sql`create trigger scheduled_posts_publishing_starts after update of status on scheduled_posts
            when new.status = 'publishing' and old.status <> 'publishing'
            begin ${mark('new')}; ${dropOwnMark}; end`.execute(db);
  await sql`create trigger scheduled_posts_publishing_ends after update of status on scheduled_posts
            when old.status = 'publishing' and new.status <> 'publishing'
            begin ${clear('old')}; end`.execute(db);
  await sql`create trigger scheduled_posts_publishing_deleted after delete on scheduled_posts
            when old.status = 'publishing'
            begin ${clear('old')}; end`.execute(db);
  await sql`create trigger scheduled_posts_queued_behind after insert on scheduled_posts
            when new.status = 'queued' and exists (select 1 from scheduled_posts other where other.social_account_id = new.social_account_id and other.status = 'publishing')
            begin update scheduled_posts set behind_publishing = 1 where id = new.id; end`.execute(db);
}
