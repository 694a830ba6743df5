import type { ExpressionBuilder, Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Engine } from '../db/database.ts';
import type { Database, ScheduledPostsTable } from '../db/schema.ts';
import { claimDue, renewLease } from '../jobs/lease.ts';
import type { Queue } from '../jobs/runner.ts';
import { PlatformError } from '../platforms/errors.ts';
import { hasPlatformProgress, stateAfterFailure, type PublishAdvance, type PublishAsset, type PublishPost, type PublishState } from '../platforms/publishing.ts';
import { markReauthRequired } from '../social/account-status.ts';
import { CredentialsUnavailableError, type Credentials, type UsableCredentials } from '../social/credentials.ts';
import { failPost, holdPost, type PostFailure } from './holds.ts';
import { emitPostEvent } from './posts.ts';

/** Longer than one platform step takes (a media chunk, a status read); renewed between steps. */
const LEASE_MS = 60_000;
/** Accounts published to at once per process; one account's posts go one at a time, in order. */
const CONCURRENCY = 8;
/** A transient failure is retried after these waits: 5 attempts over about 30 minutes, then `failed`. */
const RETRY_AFTER_MS = [60_000, 4 * 60_000, 10 * 60_000, 15 * 60_000];
export const MAX_ATTEMPTS = RETRY_AFTER_MS.length + 1;

export interface PublisherDeps {
  db: Kysely<Database>;
  engine: Engine;
  clock: Clock;
  credentials: Credentials;
  /** The files of a container, ready to hand to a platform module (src/content/). */
  assetsOf(containerId: string): Promise<PublishAsset[]>;
}

/** The publisher's lease on a post was lost (it stalled, and another process took the post over). */
class LeaseLost extends Error {}

/**
 * Due posts as a queue of the job mechanism (docs/design/jobs.md): every process runs it; each due
 * post is claimed by one (a lease; FOR UPDATE SKIP LOCKED on Postgres), and an account's posts are
 * worked one at a time in `scheduledFor` order. Held posts are not due.
 */
export function publishQueue(deps: PublisherDeps, pollMs: number): Queue<ScheduledPostsTable> {
  return {
    name: 'publishing',
    concurrency: CONCURRENCY,
    pollMs,
    claim: (limit, busyAccounts) =>
      claimDue(deps.db, deps.engine, deps.clock, {
        table: 'scheduled_posts',
        due: (eb) =>
          eb.and([
            // Posts queued behind another post of their account that is publishing are out of the
            // due index (kept by triggers, migration 0019); the check below still decides.
            eb('behind_publishing', '=', 0),
            eb('status', 'in', ['queued', 'publishing']),
            eb('next_attempt_at', '<=', deps.clock.now().toISOString()),
            eb('hold_since', 'is', null),
            // One post of an account on the platform at a time: a queued post waits while another is publishing.
            eb.or([eb('status', '=', 'publishing'), eb.not(eb.exists(otherPostPublishing(eb)))]),
            ...(busyAccounts.length > 0 ? [eb('social_account_id', 'not in', busyAccounts)] : []),
          ]),
        orderBy: ['next_attempt_at', 'scheduled_for'],
        limit,
        leaseMs: LEASE_MS,
      }),
    groupOf: (post) => post.social_account_id,
    async work(posts) {
      for (const post of posts) await publishPost(deps, post);
    },
  };
}

/** Another post of the same account that is `publishing` (the platform has it, or is being given it). */
function otherPostPublishing(eb: ExpressionBuilder<Database, 'scheduled_posts'>) {
  return eb
    .selectFrom('scheduled_posts as other')
    .select('other.id')
    .whereRef('other.social_account_id', '=', 'scheduled_posts.social_account_id')
    .whereRef('other.id', '!=', 'scheduled_posts.id')
    .where('other.status', '=', 'publishing');
}

/**
 * Works one claimed post until it is final, waits for the platform (a later attempt polls), or a
 * failure is classified (docs/reference/scheduled-posts.md, "Publishing"): transient → retried with
 * backoff; a posting cap → RATE_LIMITED; content refused → MEDIA_REJECTED; a credential rejection →
 * one forced refresh and one retry, then the account turns `reauth_required` and the post is held,
 * in one transaction. Every write is conditional on the lease and on the post still being open, so
 * a canceled post gets no further platform call.
 */
async function publishPost(deps: PublisherDeps, claimed: ScheduledPostsTable): Promise<void> {
  const work = new PostWork(deps, claimed);
  try {
    await work.run();
  } catch (error) {
    if (!(error instanceof LeaseLost)) throw error;
  }
}

class PostWork {
  readonly #deps: PublisherDeps;
  readonly #post: ScheduledPostsTable;
  #lease: string;
  #leasedAt: number;

  constructor(deps: PublisherDeps, post: ScheduledPostsTable) {
    this.#deps = deps;
    this.#post = post;
    this.#lease = post.locked_until as string;
    this.#leasedAt = deps.clock.now().getTime();
  }

  async run(): Promise<void> {
    const { db, credentials } = this.#deps;
    const account = await db.selectFrom('social_accounts').selectAll().where('id', '=', this.#post.social_account_id).executeTakeFirstOrThrow();
    if (account.status === 'disconnected') {
      return this.#fail({ code: 'CREDENTIAL_INVALID', message: 'The account was disconnected before the post could be published.', platformCode: null });
    }
    if (account.status === 'reauth_required') return this.#hold(account.last_error_message);
    if ((await this.#start()) !== 'started') return;

    let usable: UsableCredentials;
    try {
      usable = await credentials.getUsableCredentials(account.id);
    } catch (error) {
      return this.#credentialsUnavailable(error);
    }
    const publishing = usable.adapter.module.publishing;
    if (!publishing) {
      return this.#fail({ code: 'PLATFORM_ERROR', message: `This server does not publish to ${usable.adapter.module.displayName}.`, platformCode: null });
    }
    const post = await this.#publishPost();
    // What is stored on the post: the steps reached, and an intent while an irreversible call is out.
    let stored = this.#post.publish_state ? (JSON.parse(this.#post.publish_state) as PublishState) : null;
    let refreshed = false;

    for (;;) {
      await this.#renewIfHalfway();
      let advance: PublishAdvance;
      try {
        const current = stored;
        advance = await publishing.advance({
          http: usable.adapter.http,
          tokens: usable.tokens,
          account: { platformUserId: account.platform_user_id, handle: account.handle },
          post,
          state: current,
          beforeIrreversible: async (intent) => {
            const withIntent = { ...(current as PublishState), intent };
            await this.#saveState(withIntent);
            stored = withIntent;
          },
        });
      } catch (error) {
        if (error instanceof LeaseLost) throw error;
        // The intent stays unless the platform refused the guarded call outright (then it took no effect).
        if (stored !== null) {
          const kept = stateAfterFailure(stored, error);
          if (kept !== stored) await this.#saveState(kept);
          stored = kept;
        }
        if (!(error instanceof PlatformError)) return this.#retryLater(error instanceof Error ? error.message : String(error), null);
        if (error.kind === 'needs_reauth') {
          if (!refreshed && usable.adapter.module.oauth.refreshMendsRejectedAccessToken) {
            refreshed = true;
            try {
              usable = await credentials.getUsableCredentials(account.id, { forceRefresh: true });
            } catch (failure) {
              return this.#credentialsUnavailable(failure);
            }
            continue;
          }
          return this.#accountNeedsReauth(error);
        }
        return this.#platformFailure(error);
      }
      stored = advance.state;
      if (advance.status === 'continue') {
        await this.#saveState(stored);
        if (advance.retryAfterMs !== undefined) return this.#waitForPlatform(advance.retryAfterMs);
        continue;
      }
      if (advance.status === 'uncertain') {
        await this.#saveState(stored);
        return this.#fail({ code: 'PUBLISH_UNCERTAIN', message: advance.message, platformCode: null });
      }
      return this.#published(advance);
    }
  }

  /**
   * queued → publishing: a new attempt (a post already publishing is resuming its steps). A queued
   * post does not start while another post of its account is publishing, so an account's posts reach
   * the platform one at a time, in order (two claimed together run in one chain); it gives its lease
   * back and is due again once the other is done. On Postgres the account row is locked first, so
   * two processes cannot start two of its posts at once; SQLite runs one writer at a time.
   */
  async #start(): Promise<'started' | 'account_busy' | 'lost'> {
    const { db, engine, clock } = this.#deps;
    const now = clock.now().toISOString();
    return db.transaction().execute(async (trx) => {
      if (engine === 'postgres') await trx.selectFrom('social_accounts').select('id').where('id', '=', this.#post.social_account_id).forUpdate().execute();
      const started = await trx
        .updateTable('scheduled_posts')
        .set((eb) => ({
          status: 'publishing',
          attempted_at: now,
          attempts: this.#post.status === 'queued' ? eb('attempts', '+', 1) : eb.ref('attempts'),
          updated_at: now,
        }))
        .where('id', '=', this.#post.id)
        .where('status', 'in', ['queued', 'publishing'])
        .where('locked_until', '=', this.#lease)
        .where((eb) => eb.or([eb('status', '=', 'publishing'), eb.not(eb.exists(otherPostPublishing(eb)))]))
        .executeTakeFirst();
      if (Number(started.numUpdatedRows) === 1) return 'started';
      const released = await trx
        .updateTable('scheduled_posts')
        .set({ locked_until: null })
        .where('id', '=', this.#post.id)
        .where('status', '=', 'queued')
        .where('locked_until', '=', this.#lease)
        .executeTakeFirst();
      return Number(released.numUpdatedRows) === 1 ? 'account_busy' : 'lost';
    });
  }

  async #publishPost(): Promise<PublishPost> {
    return {
      mode: this.#post.mode,
      caption: this.#post.caption,
      firstComment: this.#post.first_comment,
      assets: await this.#deps.assetsOf(this.#post.container_id),
      settings: JSON.parse(this.#post.settings) as Record<string, unknown>,
    };
  }

  /** Persists the steps reached so far; fails (LeaseLost) when the post was canceled or taken over meanwhile. */
  async #saveState(state: PublishState): Promise<void> {
    const now = this.#deps.clock.now().toISOString();
    const saved = await this.#deps.db
      .updateTable('scheduled_posts')
      .set({ publish_state: JSON.stringify(state), updated_at: now })
      .where('id', '=', this.#post.id)
      .where('status', '=', 'publishing')
      .where('locked_until', '=', this.#lease)
      .executeTakeFirst();
    if (Number(saved.numUpdatedRows) !== 1) throw new LeaseLost();
  }

  async #renewIfHalfway(): Promise<void> {
    if (this.#deps.clock.now().getTime() - this.#leasedAt < LEASE_MS / 2) return;
    const renewed = await renewLease(this.#deps.db, this.#deps.clock, 'scheduled_posts', this.#post.id, { until: this.#lease }, LEASE_MS);
    if (!renewed) throw new LeaseLost();
    this.#lease = renewed.until;
    this.#leasedAt = this.#deps.clock.now().getTime();
  }

  /** The platform is still processing: the post stays `publishing`, and a later claim polls again. */
  async #waitForPlatform(retryAfterMs: number): Promise<void> {
    const now = this.#deps.clock.now();
    await this.#update({ next_attempt_at: new Date(now.getTime() + retryAfterMs).toISOString(), locked_until: null, updated_at: now.toISOString() });
  }

  async #published(advance: Extract<PublishAdvance, { status: 'published' | 'draft' }>): Promise<void> {
    const now = this.#deps.clock.now().toISOString();
    await this.#deps.db.transaction().execute(async (trx) => {
      const done = await this.#update(
        {
          status: advance.status,
          external_id: advance.externalId,
          external_url: advance.externalUrl,
          published_at: now,
          publish_state: JSON.stringify(advance.state),
          publish_warning: advance.warning ?? null,
          next_attempt_at: null,
          locked_until: null,
          last_error_code: null,
          last_error_message: null,
          last_error_platform_code: null,
          last_error_at: null,
          updated_at: now,
        },
        trx,
      );
      if (done) await emitPostEvent(trx, this.#deps.clock, 'post.published', this.#post.id);
    });
  }

  async #fail(failure: PostFailure): Promise<void> {
    await this.#deps.db.transaction().execute((trx) => failPost(trx, this.#deps.clock, this.#post.id, failure, this.#lease));
  }

  async #hold(reason: string | null): Promise<void> {
    const message = reason ? `The account needs to be reconnected: ${reason}` : 'The account needs to be reconnected.';
    const post = await this.#current();
    await this.#deps.db.transaction().execute((trx) => holdPost(trx, this.#deps.clock, post, message, this.#lease));
  }

  /** The credential is dead: the account turns `reauth_required` (with its event) and the post is held, together. */
  async #accountNeedsReauth(error: PlatformError): Promise<void> {
    const post = await this.#current();
    await this.#deps.db.transaction().execute(async (trx) => {
      await markReauthRequired(trx, this.#deps.clock, this.#post.social_account_id, {
        reason: error.reauthReason ?? 'credential_invalid',
        errorCode: error.platformCode,
        errorMessage: error.message,
      });
      await holdPost(trx, this.#deps.clock, post, `The platform rejected the account's credential (${error.platformCode}).`, this.#lease);
    });
  }

  async #credentialsUnavailable(error: unknown): Promise<void> {
    if (!(error instanceof CredentialsUnavailableError)) throw error;
    if (error.reason === 'reauth_required') return this.#hold(error.message);
    if (error.reason === 'disconnected') {
      return this.#fail({ code: 'CREDENTIAL_INVALID', message: 'The account was disconnected before the post could be published.', platformCode: null });
    }
    return this.#retryLater(error.message, error.platformError?.platformCode ?? null);
  }

  async #platformFailure(error: PlatformError): Promise<void> {
    switch (error.kind) {
      case 'transient':
        return this.#retryLater(error.message, error.platformCode);
      case 'posting_limit':
        return this.#fail({ code: 'RATE_LIMITED', message: error.message, platformCode: error.platformCode });
      case 'rejected':
        return this.#fail({ code: 'MEDIA_REJECTED', message: error.message, platformCode: error.platformCode });
      default:
        return this.#fail({ code: 'PLATFORM_ERROR', message: error.message, platformCode: error.platformCode });
    }
  }

  /**
   * A transient failure: retried after the backoff, or `failed` after the last attempt. A post the
   * platform has nothing of goes back to `queued`; one it has ids for stays `publishing` (it can no
   * longer be canceled or moved), and its next attempt is counted now.
   */
  async #retryLater(message: string, platformCode: string | null): Promise<void> {
    const post = await this.#current();
    if (post.attempts >= MAX_ATTEMPTS) {
      return this.#fail({ code: 'PLATFORM_ERROR', message: `Gave up after ${post.attempts} attempts: ${message}`, platformCode });
    }
    const now = this.#deps.clock.now();
    const wait = RETRY_AFTER_MS[Math.max(0, post.attempts - 1)] ?? (RETRY_AFTER_MS.at(-1) as number);
    const inFlight = post.publish_state !== null && hasPlatformProgress(JSON.parse(post.publish_state) as PublishState);
    await this.#update({
      status: inFlight ? 'publishing' : 'queued',
      attempts: inFlight ? post.attempts + 1 : post.attempts,
      next_attempt_at: new Date(now.getTime() + wait).toISOString(),
      locked_until: null,
      last_error_code: 'PLATFORM_ERROR',
      last_error_message: message,
      last_error_platform_code: platformCode,
      last_error_at: now.toISOString(),
      updated_at: now.toISOString(),
    });
  }

  async #current(): Promise<ScheduledPostsTable> {
    return this.#deps.db.selectFrom('scheduled_posts').selectAll().where('id', '=', this.#post.id).executeTakeFirstOrThrow();
  }

  /** Writes `changes` while the post is open and the lease held; false when either is no longer true. */
  async #update(changes: Partial<Omit<ScheduledPostsTable, 'id'>>, trx?: Transaction<Database>): Promise<boolean> {
    const result = await (trx ?? this.#deps.db)
      .updateTable('scheduled_posts')
      .set(changes)
      .where('id', '=', this.#post.id)
      .where('status', 'in', ['queued', 'publishing'])
      .where('locked_until', '=', this.#lease)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
