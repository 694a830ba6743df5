import { z } from 'zod';
import { PlatformError, type FailureClassification } from '../errors.ts';
import type { PlatformRequest } from '../http-client.ts';
import { refusedOutright, withoutIntent, type PlatformPublishing, type PublishAdvance, type PublishCall, type PublishState } from '../publishing.ts';
import { classifyContainerError } from './errors.ts';

/**
 * Publishing through Instagram's content publishing API, one step per `advance`
 * (docs/platforms/instagram.md, "Publishing"): containers (a carousel's children first), their
 * `status_code` until FINISHED, `media_publish`, the permalink, then the first comment.
 */

/** Caption rules Instagram enforces on a post. */
const CAPTION_MAX = 2200;
const HASHTAGS_MAX = 30;
const MENTIONS_MAX = 20;
const COMMENTS_SCOPE = 'instagram_business_manage_comments';
/** New containers after an expired or failed one, at most this often. */
const MAX_RESTARTS = 2;
/** Reads after publishing (permalink, comment) are retried this often, then given up: the post stands. */
const MAX_FOLLOW_UP_ATTEMPTS = 3;
/** Meta suggests polling a container about once a minute; images are usually ready at once. */
const POLL_DELAYS_MS = [1000, 2000, 5000, 10_000, 30_000, 60_000];
const MAX_PROCESSING_MS = 60 * 60 * 1000;
const FOLLOW_UP_DELAY_MS = 30_000;
/** How far before the container's creation a post found by its caption may be dated (clock skew). */
const LOOKUP_SKEW_MS = 60_000;
const RECENT_MEDIA_LIMIT = '25';
/** media_publish refusals that mean the container can no longer be published: expired, not found. */
const CONTAINER_GONE = new Set(['-2/2207020', '24/2207008']);

type Step = 'prepare' | 'publish' | 'permalink' | 'comment' | 'done';

interface InstagramState extends PublishState {
  step: Step;
  /** When the post's own container (single or carousel) was created, to recognise the post later. */
  containerCreatedAt?: string;
  processingSince?: string;
  polls?: number;
  restarts?: number;
  permalink?: string | null;
  followUps?: number;
  warnings?: string[];
}

const settingsSchema = z.object({ shareReelToFeed: z.boolean().optional() });
const idSchema = z.object({ id: z.string().min(1) });
const containerSchema = z.object({ status_code: z.string(), status: z.string().nullish() });
const limitSchema = z.object({
  data: z.array(z.object({ quota_usage: z.number(), config: z.object({ quota_total: z.number() }).optional() })),
});
const permalinkSchema = z.object({ permalink: z.string().nullish() });
const recentMediaSchema = z.object({ data: z.array(z.object({ id: z.string(), caption: z.string().nullish(), timestamp: z.string().nullish() })) });
const commentsSchema = z.object({ data: z.array(z.object({ id: z.string(), text: z.string().nullish(), username: z.string().nullish() })) });

function pollDelay(polls: number): number {
  return POLL_DELAYS_MS[Math.min(polls, POLL_DELAYS_MS.length - 1)] as number;
}

/** Graph timestamps end in `+0000`, which not every parser takes. */
function graphTime(timestamp: string): number {
  return Date.parse(timestamp.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
}

export function captionProblems(caption: string): string[] {
  const problems: string[] = [];
  if (caption.length > CAPTION_MAX) problems.push(`Instagram captions are at most ${CAPTION_MAX} characters; this one has ${caption.length}`);
  const hashtags = caption.match(/#[\p{L}\p{N}_]+/gu)?.length ?? 0;
  if (hashtags > HASHTAGS_MAX) problems.push(`Instagram captions take at most ${HASHTAGS_MAX} hashtags; this one has ${hashtags}`);
  const mentions = caption.match(/(?<![\w.])@[\w.]+/g)?.length ?? 0;
  if (mentions > MENTIONS_MAX) problems.push(`Instagram captions take at most ${MENTIONS_MAX} @mentions; this one has ${mentions}`);
  return problems;
}

export function createInstagramPublishing(): PlatformPublishing {
  function graph(call: PublishCall, operation: string, method: 'GET' | 'POST', path: string, params: Record<string, string> = {}): PlatformRequest {
    return {
      operation,
      method,
      url: call.http.url('graphBaseUrl', path),
      ...(method === 'GET' ? { query: params } : { form: params }),
      bearerToken: call.tokens.accessToken,
      secrets: [call.tokens.accessToken],
    };
  }

  async function send<T>(call: PublishCall, schema: z.ZodType<T>, request: PlatformRequest): Promise<T> {
    return call.http.parse(schema, await call.http.call(request), request);
  }

  function failure(call: PublishCall, operation: string, verdict: FailureClassification): PlatformError {
    return call.http.fail({ operation, secrets: [call.tokens.accessToken] }, verdict, null) as PlatformError;
  }

  const carousel = (call: PublishCall) => call.post.assets.length > 1;
  const childIds = (state: InstagramState) => Object.keys(state.ids).filter((key) => key.startsWith('child')).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));

  async function createContainer(call: PublishCall, params: Record<string, string>): Promise<string> {
    const request = graph(call, 'media container', 'POST', `/${call.account.platformUserId}/media`, params);
    return (await send(call, idSchema, request)).id;
  }

  function ownContainerParams(call: PublishCall, state: InstagramState): Record<string, string> {
    const { post } = call;
    if (carousel(call)) {
      const children = childIds(state).map((key) => state.ids[key] as string);
      return { media_type: 'CAROUSEL', children: children.join(','), caption: post.caption };
    }
    const [file] = post.assets;
    if (file?.kind === 'video') {
      const share = settingsSchema.parse(post.settings).shareReelToFeed;
      return { media_type: 'REELS', video_url: file.publicUrl, caption: post.caption, ...(share === undefined ? {} : { share_to_feed: String(share) }) };
    }
    return { image_url: file?.publicUrl ?? '', caption: post.caption };
  }

  async function checkPublishingLimit(call: PublishCall): Promise<void> {
    const request = graph(call, 'publishing limit', 'GET', `/${call.account.platformUserId}/content_publishing_limit`, { fields: 'quota_usage,config' });
    const [usage] = (await send(call, limitSchema, request)).data;
    if (usage?.config !== undefined && usage.quota_usage >= usage.config.quota_total) {
      throw failure(call, 'publishing limit', {
        kind: 'posting_limit',
        platformCode: '9/2207042',
        reauthReason: null,
        detail: `the account published ${usage.quota_usage} of its ${usage.config.quota_total} posts in the last 24 hours`,
      });
    }
  }

  /** New containers from scratch; Instagram never publishes a container on its own, so the old ones just expire. */
  function restart(call: PublishCall, state: InstagramState, verdict: FailureClassification | PlatformError): PublishAdvance {
    const restarts = state.restarts ?? 0;
    if (restarts >= MAX_RESTARTS) throw verdict instanceof PlatformError ? verdict : failure(call, 'media container', verdict);
    return { status: 'continue', state: { step: 'prepare', ids: {}, restarts: restarts + 1 }, retryAfterMs: pollDelay(2) };
  }

  /** What to do with a container that is not (yet) FINISHED; null when it is. */
  function notReady(call: PublishCall, state: InstagramState, container: { status_code: string; status?: string | null | undefined }): PublishAdvance | null {
    const now = call.http.clock.now();
    switch (container.status_code) {
      case 'FINISHED':
        return null;
      case 'ERROR': {
        const verdict = classifyContainerError(container.status ?? null);
        if (verdict.kind === 'transient') return restart(call, state, verdict);
        throw failure(call, 'media container', verdict);
      }
      case 'EXPIRED':
        // Unpublished for 24 hours (a long hold): it can never be published, so new ones are safe.
        return restart(call, state, { kind: 'transient', platformCode: 'container_expired', reauthReason: null, detail: 'the media container expired' });
      default: {
        const since = state.processingSince ?? now.toISOString();
        if (now.getTime() - new Date(since).getTime() > MAX_PROCESSING_MS) {
          throw failure(call, 'media container', {
            kind: 'transient',
            platformCode: 'container_processing_timeout',
            reauthReason: null,
            detail: `the media container is still ${container.status_code} after an hour`,
          });
        }
        const polls = state.polls ?? 0;
        return { status: 'continue', state: { ...state, processingSince: since, polls: polls + 1 }, retryAfterMs: pollDelay(polls) };
      }
    }
  }

  async function containerStatus(call: PublishCall, id: string) {
    return send(call, containerSchema, graph(call, 'media container status', 'GET', `/${id}`, { fields: 'status_code,status' }));
  }

  async function prepare(call: PublishCall, state: InstagramState): Promise<PublishAdvance> {
    if (call.state === null) await checkPublishingLimit(call);
    const children = childIds(state);
    if (carousel(call) && children.length < call.post.assets.length) {
      const file = call.post.assets[children.length];
      const id = await createContainer(call, { image_url: file?.publicUrl ?? '', is_carousel_item: 'true' });
      return { status: 'continue', state: { ...state, ids: { ...state.ids, [`child${children.length}`]: id } } };
    }
    const own = state.ids['container'];
    if (own === undefined) {
      for (const key of children) {
        const waiting = notReady(call, state, await containerStatus(call, state.ids[key] as string));
        if (waiting !== null) return waiting;
      }
      const id = await createContainer(call, ownContainerParams(call, state));
      const fresh: InstagramState = { ...state, ids: { ...state.ids, container: id }, containerCreatedAt: call.http.clock.now().toISOString(), polls: 0 };
      delete fresh.processingSince;
      return { status: 'continue', state: fresh };
    }
    const current = await containerStatus(call, own);
    // Only media_publish publishes a container: settle it as a publish whose answer was lost.
    if (current.status_code === 'PUBLISHED') return { status: 'continue', state: { ...state, step: 'publish', intent: 'media_publish' } };
    const waiting = notReady(call, state, current);
    return waiting ?? { status: 'continue', state: { ...state, step: 'publish' } };
  }

  /** The post a PUBLISHED container became, when exactly one recent post can be it. */
  async function findPublishedMedia(call: PublishCall, state: InstagramState): Promise<string | null> {
    const request = graph(call, 'recent media', 'GET', `/${call.account.platformUserId}/media`, { fields: 'id,caption,timestamp', limit: RECENT_MEDIA_LIMIT });
    const { data } = await send(call, recentMediaSchema, request);
    const since = new Date(state.containerCreatedAt ?? 0).getTime() - LOOKUP_SKEW_MS;
    const candidates = data.filter((media) => (media.caption ?? '') === call.post.caption && media.timestamp && graphTime(media.timestamp) >= since);
    return candidates.length === 1 ? (candidates[0] as { id: string }).id : null;
  }

  async function publish(call: PublishCall, state: InstagramState): Promise<PublishAdvance> {
    const container = state.ids['container'] as string;
    if (state.intent === 'media_publish') {
      // The process died inside media_publish: the container says whether it was published.
      const current = await containerStatus(call, container);
      if (current.status_code === 'PUBLISHED') {
        const media = await findPublishedMedia(call, state);
        if (media !== null) return { status: 'continue', state: { ...withoutIntent(state), step: 'permalink', ids: { ...state.ids, media } } };
        return {
          status: 'published',
          state: { ...withoutIntent(state), step: 'done' },
          externalId: null,
          externalUrl: null,
          warning: 'Instagram published the post, but which post it became could not be told apart from the account\'s other recent posts; its id, link and first comment are missing.',
        };
      }
      // Not published: a container is published at most once, so publishing it now cannot make a second post.
      const waiting = notReady(call, withoutIntent(state), current);
      if (waiting !== null) return waiting;
    }
    await call.beforeIrreversible('media_publish');
    const request = graph(call, 'media publish', 'POST', `/${call.account.platformUserId}/media_publish`, { creation_id: container });
    let id: string;
    try {
      ({ id } = await send(call, idSchema, request));
    } catch (error) {
      // Expired (a long hold) or gone: it was refused, never published, so new containers are safe.
      if (error instanceof PlatformError && refusedOutright(error) && CONTAINER_GONE.has(error.platformCode)) return restart(call, state, error);
      throw error;
    }
    return { status: 'continue', state: { ...withoutIntent(state), step: 'permalink', ids: { ...state.ids, media: id }, followUps: 0 } };
  }

  /** After media_publish nothing may fail the post: problems become a retry, then a warning. */
  function followUpFailed(state: InstagramState, error: unknown, nextStep: Step, warning: string): PublishAdvance {
    if (!(error instanceof PlatformError)) throw error;
    const attempts = (state.followUps ?? 0) + 1;
    if (error.kind === 'transient' && attempts < MAX_FOLLOW_UP_ATTEMPTS) {
      return { status: 'continue', state: { ...state, followUps: attempts }, retryAfterMs: FOLLOW_UP_DELAY_MS };
    }
    return { status: 'continue', state: { ...withoutIntent(state), step: nextStep, followUps: 0, warnings: [...(state.warnings ?? []), `${warning}: ${error.message}`] } };
  }

  async function permalink(call: PublishCall, state: InstagramState): Promise<PublishAdvance> {
    const media = state.ids['media'] as string;
    try {
      const { permalink: link } = await send(call, permalinkSchema, graph(call, 'permalink', 'GET', `/${media}`, { fields: 'permalink' }));
      return { status: 'continue', state: { ...state, step: 'comment', permalink: link ?? null, followUps: 0 } };
    } catch (error) {
      return followUpFailed({ ...state, permalink: null }, error, 'comment', 'the post\'s link could not be read');
    }
  }

  function published(state: InstagramState, warning?: string): PublishAdvance {
    const warnings = [...(state.warnings ?? []), ...(warning === undefined ? [] : [warning])];
    return {
      status: 'published',
      state: { ...withoutIntent(state), step: 'done' },
      externalId: state.ids['media'] ?? null,
      externalUrl: state.permalink ?? null,
      ...(warnings.length === 0 ? {} : { warning: warnings.join('; ') }),
    };
  }

  async function comment(call: PublishCall, state: InstagramState): Promise<PublishAdvance> {
    const text = call.post.firstComment;
    // Instagram refuses an empty comment; an empty override means none.
    if (text === null || text.trim() === '') return published(state);
    if (!call.tokens.grantedScopes.includes(COMMENTS_SCOPE)) {
      return published(state, `the first comment was not posted: the account did not grant ${COMMENTS_SCOPE}`);
    }
    const media = state.ids['media'] as string;
    if (state.intent === 'first_comment') {
      // The process died while the comment was on its way: look before posting it again.
      try {
        const request = graph(call, 'comments', 'GET', `/${media}/comments`, { fields: 'id,text,username' });
        const { data } = await send(call, commentsSchema, request);
        const own = data.find((existing) => existing.text === text && existing.username === call.account.handle);
        if (own !== undefined) return published({ ...state, ids: { ...state.ids, comment: own.id } });
      } catch (error) {
        if (!(error instanceof PlatformError)) throw error;
        return published(state, `the first comment may not have been posted (its outcome could not be read: ${error.message})`);
      }
    }
    await call.beforeIrreversible('first_comment');
    try {
      const { id } = await send(call, idSchema, graph(call, 'first comment', 'POST', `/${media}/comments`, { message: text }));
      return published({ ...state, ids: { ...state.ids, comment: id } });
    } catch (error) {
      if (!(error instanceof PlatformError)) throw error;
      const attempts = (state.followUps ?? 0) + 1;
      if (attempts >= MAX_FOLLOW_UP_ATTEMPTS || (refusedOutright(error) && error.kind !== 'transient')) {
        return published(state, `the first comment was not posted: ${error.message}`);
      }
      // An unanswered call keeps its intent, to be looked up; a refusal only waits.
      const next = refusedOutright(error) ? withoutIntent(state) : { ...state, intent: 'first_comment' };
      return { status: 'continue', state: { ...next, followUps: attempts }, retryAfterMs: FOLLOW_UP_DELAY_MS };
    }
  }

  return {
    modes: ['publish'],
    firstComment: true,
    targetFields: { shareReelToFeed: z.boolean() },

    checkTarget(target, assets) {
      const problems = captionProblems(target.caption).map((message) => ({ field: 'captionOverride', message }));
      const video = assets.some((file) => file.kind === 'video');
      if (target.settings['shareReelToFeed'] !== undefined && !video) {
        problems.push({ field: 'shareReelToFeed', message: 'shareReelToFeed is only for a video (a reel)' });
      }
      return problems;
    },

    async advance(call) {
      const state = (call.state ?? { step: 'prepare', ids: {} }) as InstagramState;
      switch (state.step) {
        case 'prepare':
          return prepare(call, withoutIntent(state));
        case 'publish':
          return publish(call, state);
        case 'permalink':
          return permalink(call, withoutIntent(state));
        case 'comment':
          return comment(call, state);
        case 'done':
          throw new Error('this post was already published');
      }
    },
  };
}
