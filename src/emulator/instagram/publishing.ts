import { randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken } from '../bearer.ts';
import { fetchMedia, mediaFormat, type ReceivedMedia } from '../media-fetch.ts';
import type { PublishedItem } from '../published-media.ts';
import { takePublishFault } from '../publishing-controls.ts';
import { randomAlphanumeric } from '../random-token.ts';
import type { EmulatorState } from '../state.ts';
import type { EmulatedUser } from '../users.ts';
import type { InstagramConfig } from './config.ts';
import { graphError, graphFaultBody } from './errors.ts';
import { authenticateGraphToken } from './graph-auth.ts';

/**
 * Instagram's content publishing on graph.instagram.com (docs/platforms/instagram.md, "Publishing"):
 * containers, their `status_code`, `media_publish`, `content_publishing_limit`, the published media
 * (permalink, insights) and its comments. Media URLs are fetched by the emulator itself, as Meta does.
 */

const MIB = 1024 * 1024;
const MAX_IMAGE_BYTES = 8 * MIB;
const MAX_VIDEO_BYTES = 1024 * MIB;
const CAPTION_MAX = 2200;
const CONTAINER_TTL_MS = 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const CAROUSEL_MIN = 2;
const CAROUSEL_MAX = 10;
const GRAPH_VERSION = /^v\d+(\.\d+)?$/;
const PUBLISH_SCOPE = 'instagram_business_content_publish';
const COMMENTS_SCOPE = 'instagram_business_manage_comments';
const INSIGHTS_SCOPE = 'instagram_business_manage_insights';
const NO_PERMISSION = '(#10) Application does not have permission for this action';

type ContainerKind = 'image' | 'reel' | 'carousel';

interface Container {
  id: string;
  username: string;
  kind: ContainerKind;
  carouselItem: boolean;
  caption: string;
  createdAt: number;
  readyAt: number;
  /** `status` of an ERROR container: the subcode of what went wrong. */
  error?: string;
  /** Each file as received (a carousel: its children's, in order). */
  files: ReceivedMedia[];
  mediaId?: string;
}

/** What a Graph answer is: a status and a JSON body. */
interface Answer {
  status: number;
  body: unknown;
}

const ok = (body: unknown): Answer => ({ status: 200, body });
const refuse = (body: object): Answer => ({ status: 400, body });
const missingObject = (id: string, method: string) =>
  refuse(
    graphError(
      100,
      `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      { subcode: 33 },
    ),
  );

/** Graph object ids: numeric strings of 17 digits, as Instagram's are. */
function graphId(first: '17' | '18'): string {
  return `${first}${randomInt(10_000_000, 99_999_999)}${randomInt(1_000_000, 9_999_999)}`;
}

/** Graph's timestamp format: `2026-11-24T12:00:00+0000`. */
function graphTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

/** Query and body parameters together, as Graph reads them (query string, form or JSON). */
function graphParams(request: FastifyRequest): Record<string, string> {
  const params: Record<string, string> = {};
  for (const source of [request.query, request.body]) {
    if (typeof source !== 'object' || source === null) continue;
    for (const [name, value] of Object.entries(source)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') params[name] = String(value);
    }
  }
  return params;
}

function pickFields(available: Record<string, unknown>, requested: string | undefined, nodeType: string): Answer {
  const fields = (requested ?? '').split(',').map((field) => field.trim()).filter(Boolean);
  const unknown = fields.find((field) => !Object.hasOwn(available, field));
  if (unknown !== undefined) return refuse(graphError(100, `(#100) Tried accessing nonexisting field (${unknown}) on node type (${nodeType})`));
  return ok(Object.fromEntries(['id', ...fields.filter((field) => field !== 'id')].map((field) => [field, available[field]])));
}

export function registerInstagramPublishingRoutes(scope: FastifyInstance, host: string, state: EmulatorState, config: InstagramConfig): void {
  const containers = new Map<string, Container>();
  const shortcodes = new Map<string, string>();

  function containerStatus(container: Container, now: number): string {
    if (container.mediaId !== undefined) return 'PUBLISHED';
    if (now >= container.createdAt + CONTAINER_TTL_MS) return 'EXPIRED';
    if (now < container.readyAt) return 'IN_PROGRESS';
    return container.error === undefined ? 'FINISHED' : 'ERROR';
  }

  function publishedSince(username: string, since: number, now: number): number {
    return state.published.visible('instagram', username, now).filter((item) => item.publishedAt > since).length;
  }

  function permalink(item: PublishedItem): string {
    let code = shortcodes.get(item.externalId);
    if (code === undefined) {
      code = randomAlphanumeric(11);
      shortcodes.set(item.externalId, code);
    }
    return `https://www.instagram.com/${item.kind === 'reel' ? 'reel' : 'p'}/${code}/`;
  }

  function mediaFields(item: PublishedItem): Record<string, unknown> {
    return {
      id: item.externalId,
      caption: item.caption,
      media_type: item.kind === 'reel' ? 'VIDEO' : item.kind === 'carousel' ? 'CAROUSEL_ALBUM' : 'IMAGE',
      media_product_type: item.kind === 'reel' ? 'REELS' : 'FEED',
      permalink: permalink(item),
      timestamp: graphTimestamp(item.publishedAt),
      username: item.username,
      like_count: item.stats.likes,
      comments_count: item.stats.comments,
    };
  }

  /** The user a path names: their own id or `me`; nobody else's. */
  function ownAccount(id: string, user: EmulatedUser): boolean {
    return id === 'me' || id === user.userId;
  }

  async function createContainer(user: EmulatedUser, params: Record<string, string>, now: number): Promise<Answer> {
    const caption = params['caption'] ?? '';
    if (caption.length > CAPTION_MAX) return refuse(graphError(100, `(#100) The caption is longer than ${CAPTION_MAX} characters.`));
    const mediaType = params['media_type'] ?? 'IMAGE';
    const carouselItem = params['is_carousel_item'] === 'true';
    const processing = state.processing.settings('instagram', user.username);
    const base = { id: graphId('18'), username: user.username, carouselItem, caption, createdAt: now, readyAt: now + processing.delaySeconds * 1000 };

    if (mediaType === 'CAROUSEL') {
      const ids = (params['children'] ?? '').split(',').map((id) => id.trim()).filter(Boolean);
      if (ids.length < CAROUSEL_MIN || ids.length > CAROUSEL_MAX) {
        return refuse(graphError(100, `(#100) A carousel takes ${CAROUSEL_MIN} to ${CAROUSEL_MAX} children.`));
      }
      const children = ids.map((id) => containers.get(id));
      if (children.some((child) => child === undefined || child.username !== user.username || !child.carouselItem)) {
        return refuse(graphError(24, 'The requested resource does not exist', { subcode: 2207008 }));
      }
      if (children.some((child) => containerStatus(child as Container, now) !== 'FINISHED')) {
        return refuse(graphError(9007, 'Media ID is not available', { subcode: 2207027 }));
      }
      const container: Container = { ...base, kind: 'carousel', files: children.flatMap((child) => (child as Container).files) };
      containers.set(container.id, container);
      return ok({ id: container.id });
    }
    if (mediaType !== 'IMAGE' && mediaType !== 'REELS') {
      return refuse(graphError(100, `(#100) The emulator publishes IMAGE, REELS and CAROUSEL media, not ${mediaType}.`));
    }
    const video = mediaType === 'REELS';
    const url = params[video ? 'video_url' : 'image_url'];
    if (url === undefined) return refuse(graphError(100, `(#100) The parameter ${video ? 'video_url' : 'image_url'} is required`));
    // Meta fetches the media while the container is created.
    const fetched = await fetchMedia(url, { maxBytes: video ? MAX_VIDEO_BYTES : MAX_IMAGE_BYTES, followRedirects: true });
    if (!fetched.ok) {
      if (fetched.tooLarge && !video) return refuse(graphError(36000, 'The image size is too large.', { subcode: 2207004 }));
      return refuse(graphError(9004, 'The media could not be fetched from this URI', { subcode: 2207052 }));
    }
    const format = mediaFormat(fetched.head);
    const formatError = video ? (format === 'mp4' ? undefined : '2207026') : format === 'jpeg' ? undefined : '2207005';
    const error = state.processing.takeFailure('instagram', user.username) ?? formatError;
    const container: Container = { ...base, kind: video ? 'reel' : 'image', files: [fetched], ...(error === undefined ? {} : { error }) };
    containers.set(container.id, container);
    return ok({ id: container.id });
  }

  function publish(user: EmulatedUser, params: Record<string, string>, now: number): Answer {
    const container = containers.get(params['creation_id'] ?? '');
    if (!container || container.username !== user.username || container.carouselItem) {
      return refuse(graphError(24, 'The requested resource does not exist', { subcode: 2207008 }));
    }
    const status = containerStatus(container, now);
    if (status === 'PUBLISHED') return refuse(graphError(100, '(#100) This media container has already been published.'));
    if (status === 'EXPIRED') return refuse(graphError(-2, 'The media you are trying to access has expired. Please try to upload again.', { subcode: 2207020 }));
    if (status !== 'FINISHED') return refuse(graphError(9007, 'Media ID is not available', { subcode: 2207027 }));
    if (publishedSince(user.username, now - DAY_MS, now) >= config.publishingLimit) {
      return refuse(graphError(9, 'You reached maximum number of posts that is allowed to be published by Content Publishing API.', { subcode: 2207042 }));
    }
    const item = state.published.add({
      platform: 'instagram',
      username: user.username,
      externalId: graphId('17'),
      kind: container.kind,
      caption: container.caption,
      privacyLevel: null,
      draft: false,
      mediaSha256: container.files.map((file) => file.sha256),
      publishedAt: now,
    });
    container.mediaId = item.externalId;
    return ok({ id: item.externalId });
  }

  function insights(item: PublishedItem, requested: string | undefined): Answer {
    const values: Record<string, number> = {
      views: item.stats.views,
      reach: item.stats.reach,
      likes: item.stats.likes,
      comments: item.stats.comments,
      shares: item.stats.shares,
      saved: item.stats.saves,
      total_interactions: item.stats.likes + item.stats.comments + item.stats.shares + item.stats.saves,
    };
    const metrics = (requested ?? '').split(',').map((metric) => metric.trim()).filter(Boolean);
    const unknown = metrics.find((metric) => !Object.hasOwn(values, metric));
    if (metrics.length === 0 || unknown !== undefined) {
      return refuse(graphError(100, `(#100) metric[0] must be one of the following values: ${Object.keys(values).join(', ')}`));
    }
    return ok({
      data: metrics.map((name) => ({
        name,
        period: 'lifetime',
        values: [{ value: values[name] }],
        title: name,
        description: `Lifetime ${name} of the media`,
        id: `${item.externalId}/insights/${name}/lifetime`,
      })),
    });
  }

  /** One Graph call on an object or an edge: `[id]` or `[id, edge]`, with the version stripped. */
  async function answer(request: FastifyRequest, user: EmulatedUser, scopes: readonly string[], segments: string[]): Promise<Answer> {
    const now = state.clock.now();
    const params = graphParams(request);
    const [id = '', edge] = segments;
    const needs = (scope: string) => scopes.includes(scope);
    const fault = (step: string): Answer | null => {
      const queued = takePublishFault(state, 'instagram', user.username, step);
      return queued ? { status: queued.status, body: queued.body ?? graphFaultBody(queued.status) } : null;
    };

    if (request.method === 'POST') {
      if (edge === 'media' && ownAccount(id, user)) {
        if (!needs(PUBLISH_SCOPE)) return { status: 403, body: graphError(10, NO_PERMISSION) };
        return fault('container') ?? (await createContainer(user, params, now));
      }
      if (edge === 'media_publish' && ownAccount(id, user)) {
        if (!needs(PUBLISH_SCOPE)) return { status: 403, body: graphError(10, NO_PERMISSION) };
        return fault('publish') ?? publish(user, params, now);
      }
      if (edge === 'comments') {
        const item = state.published.find('instagram', id, now);
        if (item?.username !== user.username) return missingObject(id, 'POST');
        if (!needs(COMMENTS_SCOPE)) return { status: 403, body: graphError(10, NO_PERMISSION) };
        const message = params['message'];
        if (!message) return refuse(graphError(100, '(#100) The parameter message is required'));
        const queued = fault('comment');
        if (queued) return queued;
        const comment = { id: graphId('17'), text: message, username: user.username, at: now };
        item.comments.push(comment);
        return ok({ id: comment.id });
      }
      return missingObject(id, 'POST');
    }

    if (edge === 'content_publishing_limit' && ownAccount(id, user)) {
      return (
        fault('publishing_limit') ??
        ok({ data: [{ quota_usage: publishedSince(user.username, now - DAY_MS, now), config: { quota_total: config.publishingLimit, quota_duration: 86_400 } }] })
      );
    }
    if (edge === 'media' && ownAccount(id, user)) {
      const limit = Math.min(Math.max(Number(params['limit'] ?? 25) || 25, 1), 100);
      const recent = state.published.visible('instagram', user.username, now).reverse().slice(0, limit);
      const listed = recent.map((item) => pickFields(mediaFields(item), params['fields'], 'IGMedia').body);
      return fault('media') ?? ok({ data: listed, paging: {} });
    }
    const container = containers.get(id);
    if (container !== undefined && edge === undefined) {
      if (container.username !== user.username) return missingObject(id, 'GET');
      const available = { id, status_code: containerStatus(container, now), status: container.error ?? containerStatus(container, now) };
      return fault('container_status') ?? pickFields(available, params['fields'], 'IGContainer');
    }
    const item = state.published.find('instagram', id, now);
    if (item === undefined || item.username !== user.username) return missingObject(id, 'GET');
    if (edge === undefined) return fault('media') ?? pickFields(mediaFields(item), params['fields'], 'IGMedia');
    if (edge === 'insights') {
      if (!needs(INSIGHTS_SCOPE)) return { status: 403, body: graphError(10, NO_PERMISSION) };
      return fault('insights') ?? insights(item, params['metric']);
    }
    if (edge === 'comments') {
      if (!needs(COMMENTS_SCOPE)) return { status: 403, body: graphError(10, NO_PERMISSION) };
      const comments = item.comments.map((comment) => ({ id: comment.id, text: comment.text, username: comment.username, timestamp: graphTimestamp(comment.at) }));
      return ok({ data: comments });
    }
    return missingObject(id, 'GET');
  }

  async function handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const segments = ((request.params as Record<string, string>)['*'] ?? '').split('/').filter(Boolean);
    if (segments[0] !== undefined && GRAPH_VERSION.test(segments[0])) segments.shift();
    if (segments.length === 0 || segments.length > 2) {
      reply.callNotFound();
      return reply;
    }
    const token = bearerToken(request) ?? graphParams(request)['access_token'];
    if (token === undefined) return reply.code(400).send(graphError(2500, 'An active access token must be used to query information about the current user.'));
    const authentication = authenticateGraphToken(state, token);
    if (!authentication.ok) return reply.code(400).send(authentication.body);
    const { grant } = authentication.token;
    const user = state.users.ensure('instagram', grant.username);
    const { status, body } = await answer(request, user, grant.scopes, segments);
    return reply.code(status).send(body);
  }

  scope.get(`${host}/*`, handle);
  scope.post(`${host}/*`, handle);
}
