import type { ExpressionBuilder, Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Engine } from '../db/database.ts';
import type { Database, MetricAccountsTable, SocialAccountsTable } from '../db/schema.ts';
import { claimDue, leaseOf, renewLease, type Lease } from '../jobs/lease.ts';
import type { Queue } from '../jobs/runner.ts';
import { PlatformError } from '../platforms/errors.ts';
import { POST_METRICS, type PlatformMetrics, type PostCounters, type PostMetric } from '../platforms/metrics.ts';
import { platformModule } from '../platforms/registry.ts';
import { markReauthRequired } from '../social/account-status.ts';
import { CredentialsUnavailableError, type Credentials } from '../social/credentials.ts';
import { HOUR_MS, storedCount } from './hours.ts';
import { NOT_DUE, registerConnectedAccounts } from './registration.ts';

/** Accounts synced at once per process; one account's reads go one after another. */
const CONCURRENCY = 4;
/** Longer than reading one batch of posts takes; renewed before each batch. */
const LEASE_MS = 5 * 60 * 1000;
/** Posts are read for this long after they were published (docs/reference/metrics.md, "Syncing"). */
export const SYNCED_POST_AGE_MS = 90 * 24 * HOUR_MS;
/** Rows written per statement (SQLite caps the parameters of one statement). */
const WRITE_CHUNK = 500;

export interface MetricsSyncDeps {
  db: Kysely<Database>;
  engine: Engine;
  clock: Clock;
  credentials: Credentials;
  /** METRICS_SYNC_INTERVAL_SECONDS, in ms. */
  intervalMs: number;
}

/** The sync's lease on an account was lost (it stalled, and another process took the account over). */
class LeaseLost extends Error {}

/**
 * The metrics sync as a queue of the job mechanism (docs/design/jobs.md): one row per measurable
 * account (`metric_accounts`, added as a grant binds it: registration.ts), due every interval while
 * the account is `connected`. Accounts in `reauth_required` are not due, and are due at once after
 * their reauth (their next sync time has long passed), so they resume on the same history.
 */
export function metricsSyncQueue(deps: MetricsSyncDeps, pollMs: number): Queue<MetricAccountsTable> {
  let registered = false;
  return {
    name: 'metrics sync',
    concurrency: CONCURRENCY,
    pollMs,
    // A process's first run registers the connected accounts no grant registered (an upgraded
    // database); grants register the rest themselves.
    async beginRun() {
      if (registered) return;
      await registerConnectedAccounts(deps.db, deps.clock);
      registered = true;
    },
    async claim(limit) {
      const now = deps.clock.now().toISOString();
      return claimDue(deps.db, deps.engine, deps.clock, {
        table: 'metric_accounts',
        // Accounts that are not connected are not due (registration.ts); the check on the account is
        // for a row this process claims as its account stops being connected. Row by row down the due
        // index: an `in` over the connected accounts read them all at each claim.
        due: (eb) =>
          eb.and([
            eb('next_sync_at', '<=', now),
            eb.exists(
              eb.selectFrom('social_accounts').select('social_accounts.id').whereRef('social_accounts.id', '=', 'metric_accounts.id').where('social_accounts.status', '=', 'connected'),
            ),
          ]),
        orderBy: ['next_sync_at'],
        limit,
        leaseMs: LEASE_MS,
      });
    },
    groupOf: (row) => row.id,
    async work(rows) {
      for (const row of rows) await syncAccount(deps, row);
    },
  };
}

interface SyncedPost {
  id: string;
  external_id: string;
}

/** What one sync read: each answered post's counters (by external id), and the follower count. */
interface Reading {
  counters: Map<string, PostCounters>;
  followers: number | null;
}

/**
 * Reads the account's posts of the last 90 days and its followers, then stores it all in one
 * transaction (or nothing: a sync that fails half-way leaves its hour unmeasured, never half
 * measured). A credential rejection gets one forced refresh where the platform allows it; if that
 * cannot mend it the account turns `reauth_required` with its event; anything else is recorded and
 * tried again at the next interval, status untouched (docs/behaviour.md, "Platform failures").
 */
async function syncAccount(deps: MetricsSyncDeps, claimed: MetricAccountsTable): Promise<void> {
  let lease = leaseOf('metric_accounts', claimed);
  const account = await deps.db.selectFrom('social_accounts').selectAll().where('id', '=', claimed.id).executeTakeFirstOrThrow();
  const metrics = platformModule(account.platform).metrics;
  // Not connected since the claim: the change withdrew it. A platform that no longer reports metrics: never due.
  if (!metrics) return settle(deps, claimed.id, lease, { nextSyncAt: NOT_DUE, error: null });
  if (account.status !== 'connected') return settle(deps, claimed.id, lease, { nextSyncAt: null, error: null });
  const since = new Date(deps.clock.now().getTime() - SYNCED_POST_AGE_MS).toISOString();
  const posts = (await deps.db
    .selectFrom('scheduled_posts')
    .select(['id', 'external_id'])
    .where('social_account_id', '=', account.id)
    .where('status', '=', 'published')
    .where('external_id', 'is not', null)
    .where('published_at', '>=', since)
    .orderBy('published_at')
    .execute()) as SyncedPost[];
  const renew = async () => {
    const renewed = await renewLease(deps.db, deps.clock, 'metric_accounts', claimed.id, lease, LEASE_MS);
    if (!renewed) throw new LeaseLost();
    lease = renewed;
  };
  let reading: Reading;
  try {
    reading = await read(deps, account, metrics, posts, renew);
  } catch (error) {
    return failed(deps, claimed.id, lease, account, error);
  }
  await deps.db.transaction().execute((trx) => store(trx, deps, claimed, lease, metrics, posts, reading));
}

async function read(deps: MetricsSyncDeps, account: SocialAccountsTable, metrics: PlatformMetrics, posts: SyncedPost[], renew: () => Promise<void>): Promise<Reading> {
  let usable = await deps.credentials.getUsableCredentials(account.id);
  const platformAccount = { platformUserId: account.platform_user_id, handle: account.handle };
  for (let refreshed = false; ; refreshed = true) {
    try {
      const counters = new Map<string, PostCounters>();
      for (let start = 0; start < posts.length; start += metrics.maxPostsPerRead) {
        await renew();
        const batch = posts.slice(start, start + metrics.maxPostsPerRead).map((post) => post.external_id);
        for (const [externalId, read] of await metrics.readPosts(usable.adapter.http, usable.tokens, platformAccount, batch)) counters.set(externalId, read);
      }
      const followers = metrics.followers ? await metrics.readFollowers(usable.adapter.http, usable.tokens, platformAccount) : null;
      return { counters, followers };
    } catch (error) {
      const mendable = error instanceof PlatformError && error.kind === 'needs_reauth' && usable.adapter.module.oauth.refreshMendsRejectedAccessToken;
      if (!mendable || refreshed) throw error;
      usable = await deps.credentials.getUsableCredentials(account.id, { forceRefresh: true });
    }
  }
}

async function failed(deps: MetricsSyncDeps, accountId: string, lease: Lease, account: SocialAccountsTable, error: unknown): Promise<void> {
  if (error instanceof LeaseLost) return;
  const next = new Date(deps.clock.now().getTime() + deps.intervalMs).toISOString();
  if (error instanceof CredentialsUnavailableError) {
    // Needing its person back is not the sync's failure: an account no longer `connected` is not due
    // until reconnected. A `connected` one (a refresh that failed for now, a credential missing from
    // the vault) is tried again at the next interval: keeping its due time would claim it at once.
    if (error.account.status !== 'connected') return settle(deps, accountId, lease, { nextSyncAt: null, error: null });
    return settle(deps, accountId, lease, { nextSyncAt: next, error: error.message });
  }
  if (error instanceof PlatformError && error.kind === 'needs_reauth') {
    await deps.db.transaction().execute(async (trx) => {
      await markReauthRequired(trx, deps.clock, account.id, { reason: error.reauthReason ?? 'credential_invalid', errorCode: error.platformCode, errorMessage: error.message });
      await settle(deps, accountId, lease, { nextSyncAt: null, error: error.message }, trx);
    });
    return;
  }
  await settle(deps, accountId, lease, { nextSyncAt: next, error: error instanceof Error ? error.message : String(error) });
}

/** Gives the account back: due again at `nextSyncAt` (null: keep the due time, for an account that is not synced meanwhile). */
async function settle(deps: MetricsSyncDeps, accountId: string, lease: Lease, outcome: { nextSyncAt: string | null; error: string | null }, trx?: Transaction<Database>): Promise<void> {
  await (trx ?? deps.db)
    .updateTable('metric_accounts')
    .set({ locked_until: null, last_error: outcome.error, ...(outcome.nextSyncAt ? { next_sync_at: unlessWithdrawn(outcome.nextSyncAt) } : {}) })
    .where('id', '=', accountId)
    .where('locked_until', '=', lease.until)
    .execute();
}

/**
 * The next due time a sync's outcome sets, unless the account was withdrawn while it was synced
 * (it needs a reauth or was disconnected meanwhile): that stays not due until a grant.
 */
function unlessWithdrawn(nextSyncAt: string) {
  return (eb: ExpressionBuilder<Database, 'metric_accounts'>) => eb.case().when('next_sync_at', '=', NOT_DUE).then(NOT_DUE).else(nextSyncAt).end();
}

type Deltas = Record<PostMetric, number | null>;

function addDeltas(stored: Partial<Record<PostMetric, unknown>> | undefined, added: Deltas): Deltas {
  return Object.fromEntries(
    POST_METRICS.map((metric) => {
      const before = storedCount(stored?.[metric]);
      const delta = added[metric];
      return [metric, delta === null ? before : (before ?? 0) + delta];
    }),
  ) as Deltas;
}

/**
 * Stores one reading as the hour's deltas (docs/design/metrics-storage.md): per post, only when a
 * counter moved; per account, always (the row says the hour was measured, and which counters). A
 * counter a post's answer left out is not measured for it; the account measured a counter when any
 * of its posts' answers had it (or, with no post to read, when its platform reports it).
 */
async function store(
  trx: Transaction<Database>,
  deps: MetricsSyncDeps,
  claimed: MetricAccountsTable,
  lease: Lease,
  metrics: PlatformMetrics,
  posts: SyncedPost[],
  reading: Reading,
): Promise<void> {
  const now = deps.clock.now();
  const hour = Math.floor(now.getTime() / HOUR_MS);
  const settled = await trx
    .updateTable('metric_accounts')
    .set({
      next_sync_at: unlessWithdrawn(new Date(now.getTime() + deps.intervalMs).toISOString()),
      locked_until: null,
      last_synced_at: now.toISOString(),
      last_error: null,
      ...(reading.followers !== null ? { followers: reading.followers } : {}),
    })
    .where('id', '=', claimed.id)
    .where('locked_until', '=', lease.until)
    .executeTakeFirst();
  if (Number(settled.numUpdatedRows) !== 1) return;

  const answered = posts.filter((post) => reading.counters.has(post.external_id));
  const accountDeltas = Object.fromEntries(POST_METRICS.map((metric) => [metric, answered.length === 0 && metrics.postMetrics.includes(metric) ? 0 : null])) as Deltas;
  // A post answered with no counter at all (e.g. known only by a publish id) is not measured: no series yet.
  const measured = answered.filter((post) => Object.keys(reading.counters.get(post.external_id) as PostCounters).length > 0);
  for (let start = 0; start < measured.length; start += WRITE_CHUNK) {
    const chunk = measured.slice(start, start + WRITE_CHUNK);
    await trx
      .insertInto('metric_posts')
      .values(chunk.map((post) => ({ scheduled_post_id: post.id, first_hour: hour })))
      .onConflict((oc) => oc.column('scheduled_post_id').doNothing())
      .execute();
    const latest = await trx.selectFrom('metric_posts').selectAll().where('scheduled_post_id', 'in', chunk.map((post) => post.id)).execute();
    const externalIds = new Map(chunk.map((post) => [post.id, post.external_id]));
    const moved: Array<{ series: number; deltas: Deltas }> = [];
    for (const row of latest) {
      const read = reading.counters.get(externalIds.get(row.scheduled_post_id) as string) as PostCounters;
      const deltas = {} as Deltas;
      for (const metric of POST_METRICS) {
        const value = read[metric];
        deltas[metric] = value === undefined ? null : value - (storedCount(row[metric]) ?? 0);
        if (value !== undefined) accountDeltas[metric] = (accountDeltas[metric] ?? 0) + (deltas[metric] as number);
      }
      if (!POST_METRICS.some((metric) => deltas[metric] !== null && deltas[metric] !== 0)) continue;
      moved.push({ series: row.series, deltas });
      await trx
        .updateTable('metric_posts')
        .set(Object.fromEntries(POST_METRICS.flatMap((metric) => (read[metric] === undefined ? [] : [[metric, read[metric]]]))))
        .where('series', '=', row.series)
        .execute();
    }
    if (moved.length === 0) continue;
    const earlier = await trx.selectFrom('metric_post_hours').selectAll().where('hour', '=', hour).where('series', 'in', moved.map((entry) => entry.series)).execute();
    const earlierBySeries = new Map(earlier.map((row) => [Number(row.series), row]));
    await trx
      .insertInto('metric_post_hours')
      .values(moved.map(({ series, deltas }) => ({ series, hour, ...addDeltas(earlierBySeries.get(series), deltas) })))
      .onConflict((oc) =>
        oc.columns(['series', 'hour']).doUpdateSet((eb) => countsOf((column) => eb.ref(column))),
      )
      .execute();
  }

  const previousFollowers = storedCount(claimed.followers);
  const followerDelta = reading.followers === null || previousFollowers === null ? null : reading.followers - previousFollowers;
  const earlier = await trx.selectFrom('metric_account_hours').selectAll().where('social_account_id', '=', claimed.id).where('hour', '=', hour).executeTakeFirst();
  const earlierDelta = storedCount(earlier?.follower_delta);
  const row = {
    social_account_id: claimed.id,
    hour,
    ...addDeltas(earlier, accountDeltas),
    followers: reading.followers ?? storedCount(earlier?.followers),
    follower_delta: followerDelta === null ? earlierDelta : (earlierDelta ?? 0) + followerDelta,
  };
  await trx
    .insertInto('metric_account_hours')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['social_account_id', 'hour']).doUpdateSet((eb) => ({
        followers: eb.ref('excluded.followers'),
        follower_delta: eb.ref('excluded.follower_delta'),
        ...countsOf((column) => eb.ref(column)),
      })),
    )
    .execute();
}

/** On a conflicting hour, the six counts just computed replace the stored ones (both hour tables carry them). */
function countsOf<Value>(excluded: (column: `excluded.${PostMetric}`) => Value): Record<PostMetric, Value> {
  return {
    views: excluded('excluded.views'),
    reach: excluded('excluded.reach'),
    likes: excluded('excluded.likes'),
    comments: excluded('excluded.comments'),
    shares: excluded('excluded.shares'),
    saves: excluded('excluded.saves'),
  };
}
