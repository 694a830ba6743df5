import { randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { avatarUrl, emulatorOrigin } from '../avatar.ts';
import { bearerToken } from '../bearer.ts';
import { fetchMedia, MediaReceiver, mediaFormat, type ReceivedMedia } from '../media-fetch.ts';
import { takePublishFault } from '../publishing-controls.ts';
import { randomAlphanumeric } from '../random-token.ts';
import type { EmulatorState } from '../state.ts';
import { displayNameFor, type EmulatedUser } from '../users.ts';
import { authenticateTikTokApi } from './api-auth.ts';
import type { TikTokConfig } from './config.ts';
import { tiktokApiError, tiktokApiFaultBody, tiktokLogId } from './errors.ts';

/**
 * TikTok's Content Posting API (docs/platforms/tiktok.md, "Publishing"): creator info, the three
 * inits, the chunked upload on its own host, and status. Media pulled from a URL is fetched by the
 * emulator itself, as TikTok would; what arrives is digested, checked and, once processed, shown on
 * the creator's account (`GET /_control/published/tiktok/:username`).
 */

const MIB = 1024 * 1024;
const MAX_CHUNK_BYTES = 64 * MIB;
const MAX_LAST_CHUNK_BYTES = 128 * MIB;
const MAX_CHUNKS = 1000;
const MAX_VIDEO_BYTES = 4 * 1024 * MIB;
const MAX_PHOTO_BYTES = 20 * MIB;
const UPLOAD_URL_TTL_MS = 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const UPLOAD_CONTENT_TYPES = new Set(['video/mp4', 'video/quicktime', 'video/webm']);

const PUBLIC_ACCOUNT_PRIVACY = ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY'];
const PRIVATE_ACCOUNT_PRIVACY = ['FOLLOWER_OF_CREATOR', 'MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY'];

interface Upload {
  id: string;
  token: string;
  videoSize: number;
  chunkSize: number;
  chunkCount: number;
  receiver: MediaReceiver;
  expiresAt: number;
}

/** One publish_id and what has happened to it. */
interface Publish {
  publishId: string;
  username: string;
  inbox: boolean;
  media: 'video' | 'photo';
  source: 'FILE_UPLOAD' | 'PULL_FROM_URL';
  privacyLevel: string | null;
  caption: string;
  createdAt: number;
  upload?: Upload;
  /** Set once every byte arrived (or the pull failed). */
  arrivedAt?: number;
  receivedBytes?: number;
  readyAt?: number;
  failReason?: string;
  postId?: string;
  publicIdAt?: number;
}

const postInfoSchema = z
  .object({
    title: z.string().max(2200).optional(),
    privacy_level: z.string(),
    disable_duet: z.boolean().optional(),
    disable_comment: z.boolean().optional(),
    disable_stitch: z.boolean().optional(),
    video_cover_timestamp_ms: z.number().int().min(0).optional(),
    brand_content_toggle: z.boolean().optional(),
    brand_organic_toggle: z.boolean().optional(),
    is_aigc: z.boolean().optional(),
  })
  .strict();
const videoSourceSchema = z.discriminatedUnion('source', [
  z.strictObject({
    source: z.literal('FILE_UPLOAD'),
    video_size: z.number().int().positive(),
    chunk_size: z.number().int().positive(),
    total_chunk_count: z.number().int().positive(),
  }),
  z.strictObject({ source: z.literal('PULL_FROM_URL'), video_url: z.url({ protocol: /^https?$/ }) }),
]);
const videoInitSchema = z.strictObject({ post_info: postInfoSchema, source_info: videoSourceSchema });
const inboxInitSchema = z.strictObject({ source_info: videoSourceSchema });
const photoInitSchema = z.strictObject({
  media_type: z.literal('PHOTO'),
  post_mode: z.enum(['DIRECT_POST', 'MEDIA_UPLOAD']),
  post_info: z
    .object({
      title: z.string().max(90).optional(),
      description: z.string().max(4000).optional(),
      privacy_level: z.string().optional(),
      disable_comment: z.boolean().optional(),
      auto_add_music: z.boolean().optional(),
      brand_content_toggle: z.boolean().optional(),
      brand_organic_toggle: z.boolean().optional(),
    })
    .strict(),
  source_info: z.strictObject({
    source: z.literal('PULL_FROM_URL'),
    photo_cover_index: z.number().int().min(0),
    photo_images: z.array(z.url({ protocol: /^https?$/ })).min(1).max(35),
  }),
});
const statusFetchSchema = z.object({ publish_id: z.string().min(1) });

/** TikTok's 19-digit video ids, above 2^53 like the real ones. */
function newPostId(): string {
  return `7${randomInt(100_000_000, 999_999_999)}${randomInt(100_000_000, 999_999_999)}`;
}

function newPublishId(prefix: string): string {
  return `${prefix}.${randomInt(100_000_000, 999_999_999)}${randomInt(100_000_000, 999_999_999)}`;
}

export function privacyOptions(user: EmulatedUser): string[] {
  return user.privateAccount ? PRIVATE_ACCOUNT_PRIVACY : PUBLIC_ACCOUNT_PRIVACY;
}

/** TikTok's chunk rules (docs/platforms/tiktok.md, "Uploading a file"); null when they hold. */
function chunkProblem(size: number, chunk: number, count: number, minChunk: number): string | null {
  if (size > MAX_VIDEO_BYTES) return 'video_size is over 4 GB';
  if (size < minChunk) {
    return chunk === size && count === 1 ? null : 'a video smaller than the minimum chunk is sent whole: chunk_size = video_size, total_chunk_count = 1';
  }
  if (chunk < minChunk || chunk > MAX_CHUNK_BYTES) return `chunk_size must be between ${minChunk} and ${MAX_CHUNK_BYTES} bytes`;
  if (count !== Math.floor(size / chunk)) return 'total_chunk_count must be floor(video_size / chunk_size)';
  if (count > MAX_CHUNKS) return `at most ${MAX_CHUNKS} chunks`;
  if (size - (count - 1) * chunk > MAX_LAST_CHUNK_BYTES) return 'the last chunk may not exceed 128 MB';
  return null;
}

function parseContentRange(header: string | undefined): { first: number; last: number; total: number } | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header ?? '');
  if (!match) return null;
  const [first, last, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return last >= first ? { first, last, total } : null;
}

function success(data: object, now: number): object {
  return { data, error: { code: 'ok', message: '', log_id: tiktokLogId(now) } };
}

interface PostingDependencies {
  state: EmulatorState;
  config: TikTokConfig;
  publicBaseUrl: string | undefined;
}

/** `open.tiktokapis.com` content posting under `apiHost`, the upload host under `uploadHost`. */
export function registerTikTokPostingRoutes(scope: FastifyInstance, apiHost: string, uploadHost: string, deps: PostingDependencies): void {
  const { state, config, publicBaseUrl } = deps;
  const publishes = new Map<string, Publish>();
  const uploads = new Map<string, Publish>();
  const initsByToken = new Map<string, number[]>();

  /** Authenticates, then plays the creator's queued fault for `step`; null when the handler should go on. */
  function gate(request: FastifyRequest, reply: FastifyReply, step: string, scopes: readonly string[]): { user: EmulatedUser; token: string } | null {
    const now = state.clock.now();
    const auth = authenticateTikTokApi(state, request, scopes);
    if (!auth.ok) {
      void reply.code(auth.status).send(auth.body);
      return null;
    }
    const user = state.users.ensure('tiktok', auth.grant.username);
    const fault = takePublishFault(state, 'tiktok', user.username, step);
    if (fault) {
      void reply.code(fault.status).send(fault.body ?? tiktokApiFaultBody(fault.status, now));
      return null;
    }
    return { user, token: bearerToken(request) ?? '' };
  }

  function postsSince(username: string, inbox: boolean, since: number): number {
    return [...publishes.values()].filter((publish) => publish.username === username && publish.inbox === inbox && publish.createdAt > since).length;
  }

  function capReached(user: EmulatedUser, now: number): boolean {
    return postsSince(user.username, false, now - DAY_MS) >= config.dailyPostCap;
  }

  /** The 6-a-minute init budget of one access token; records this attempt. */
  function withinInitRate(token: string, now: number): boolean {
    const recent = (initsByToken.get(token) ?? []).filter((at) => at > now - MINUTE_MS);
    const allowed = recent.length < config.initsPerMinute;
    if (allowed) recent.push(now);
    initsByToken.set(token, recent);
    return allowed;
  }

  /** Every byte arrived: decide what processing will make of it, and when. */
  function arrive(publish: Publish, files: ReceivedMedia[]): void {
    const now = state.clock.now();
    const processing = state.processing.settings('tiktok', publish.username);
    publish.arrivedAt = now;
    publish.receivedBytes = files.reduce((sum, file) => sum + file.size, 0);
    publish.readyAt = now + processing.delaySeconds * 1000;
    const formats = files.map((file) => mediaFormat(file.head));
    const formatFailure =
      publish.media === 'video'
        ? formats.every((format) => format === 'mp4' || format === 'webm')
          ? undefined
          : 'file_format_check_failed'
        : formats.every((format) => format === 'jpeg' || format === 'webp')
          ? files.some((file) => file.size > MAX_PHOTO_BYTES)
            ? 'picture_size_check_failed'
            : undefined
          : 'file_format_check_failed';
    publish.failReason = state.processing.takeFailure('tiktok', publish.username) ?? formatFailure;
    if (publish.failReason !== undefined) return;
    if (!publish.inbox) {
      publish.postId = newPostId();
      // Public posts go through moderation before TikTok tells their id.
      const moderation = publish.privacyLevel === 'PUBLIC_TO_EVERYONE' ? processing.publicIdDelaySeconds * 1000 : 0;
      publish.publicIdAt = publish.readyAt + moderation;
    }
    state.published.add({
      platform: 'tiktok',
      username: publish.username,
      externalId: publish.postId ?? publish.publishId,
      kind: publish.media,
      caption: publish.caption,
      privacyLevel: publish.privacyLevel,
      draft: publish.inbox,
      mediaSha256: files.map((file) => file.sha256),
      publishedAt: publish.readyAt,
    });
  }

  /** A pull: TikTok fetches the URLs itself (here, before answering the init, so tests are deterministic). */
  async function pull(publish: Publish, urls: string[]): Promise<void> {
    const files: ReceivedMedia[] = [];
    for (const url of urls) {
      // TikTok refuses redirects on pulled media.
      const fetched = await fetchMedia(url, { maxBytes: publish.media === 'video' ? MAX_VIDEO_BYTES : MAX_PHOTO_BYTES, followRedirects: false });
      if (!fetched.ok) {
        const now = state.clock.now();
        Object.assign(publish, {
          arrivedAt: now,
          receivedBytes: 0,
          readyAt: now,
          failReason: fetched.tooLarge && publish.media === 'photo' ? 'picture_size_check_failed' : `${publish.media}_pull_failed`,
        });
        return;
      }
      files.push(fetched);
    }
    arrive(publish, files);
  }

  async function init(request: FastifyRequest, reply: FastifyReply, kind: 'video' | 'inbox' | 'photo'): Promise<FastifyReply> {
    const now = state.clock.now();
    const invalid = (message: string) => reply.code(400).send(tiktokApiError('invalid_param', message, now));
    const refused = (code: string, message: string) => reply.code(403).send(tiktokApiError(code, message, now));

    const photo = kind === 'photo' ? photoInitSchema.safeParse(request.body) : null;
    const draft = kind === 'inbox' || photo?.data?.post_mode === 'MEDIA_UPLOAD';
    const gated = gate(request, reply, 'init', [draft ? 'video.upload' : 'video.publish']);
    if (gated === null) return reply;
    const { user, token } = gated;
    if (!withinInitRate(token, now)) {
      return reply.code(429).send(tiktokApiError('rate_limit_exceeded', 'The API rate limit was exceeded. Please retry later.', now));
    }

    let media: 'video' | 'photo';
    let privacyLevel: string | null = null;
    let caption = '';
    let source: z.infer<typeof videoSourceSchema> | { source: 'PULL_FROM_URL'; photo_images: string[] };
    if (kind === 'photo') {
      if (!photo?.success) return invalid(photo ? z.prettifyError(photo.error) : 'invalid body');
      media = 'photo';
      caption = photo.data.post_info.description ?? photo.data.post_info.title ?? '';
      source = photo.data.source_info;
      if (!draft) {
        if (photo.data.post_info.privacy_level === undefined) return invalid('post_info.privacy_level is required for DIRECT_POST');
        privacyLevel = photo.data.post_info.privacy_level;
      }
      if (photo.data.source_info.photo_cover_index >= photo.data.source_info.photo_images.length) return invalid('photo_cover_index is out of range');
    } else {
      media = 'video';
      if (kind === 'video') {
        const parsed = videoInitSchema.safeParse(request.body);
        if (!parsed.success) return invalid(z.prettifyError(parsed.error));
        source = parsed.data.source_info;
        privacyLevel = parsed.data.post_info.privacy_level;
        caption = parsed.data.post_info.title ?? '';
      } else {
        const parsed = inboxInitSchema.safeParse(request.body);
        if (!parsed.success) return invalid(z.prettifyError(parsed.error));
        source = parsed.data.source_info;
      }
    }

    if (privacyLevel !== null && !privacyOptions(user).includes(privacyLevel)) {
      return refused('privacy_level_option_mismatch', `privacy_level must be one of ${privacyOptions(user).join(', ')}`);
    }
    if (draft && postsSince(user.username, true, now - DAY_MS) >= config.pendingShareCap) {
      return refused('spam_risk_too_many_pending_share', 'The user has too many pending shares in their inbox.');
    }
    if (!draft && capReached(user, now)) {
      return refused('spam_risk_too_many_posts', 'The user has reached the daily posting limit.');
    }

    const prefix = `${media === 'photo' ? 'p' : 'v'}_${draft ? 'inbox' : 'pub'}_${source.source === 'FILE_UPLOAD' ? 'file' : 'url'}~v2`;
    const publish: Publish = {
      publishId: newPublishId(prefix),
      username: user.username,
      inbox: draft,
      media,
      source: source.source,
      privacyLevel,
      caption,
      createdAt: now,
    };
    let uploadUrl: string | undefined;
    if (source.source === 'FILE_UPLOAD') {
      const problem = chunkProblem(source.video_size, source.chunk_size, source.total_chunk_count, config.minChunkBytes);
      if (problem !== null) return invalid(problem);
      const upload: Upload = {
        id: String(randomInt(100_000_000, 999_999_999)),
        token: randomAlphanumeric(32),
        videoSize: source.video_size,
        chunkSize: source.chunk_size,
        chunkCount: source.total_chunk_count,
        receiver: new MediaReceiver(),
        expiresAt: now + UPLOAD_URL_TTL_MS,
      };
      publish.upload = upload;
      uploads.set(upload.id, publish);
      const query = new URLSearchParams({ upload_id: upload.id, upload_token: upload.token });
      uploadUrl = `${emulatorOrigin(request, publicBaseUrl)}/tiktok${uploadHost}/video/?${query}`;
    }
    publishes.set(publish.publishId, publish);
    if (source.source === 'PULL_FROM_URL') await pull(publish, 'video_url' in source ? [source.video_url] : source.photo_images);
    return reply.send(success({ publish_id: publish.publishId, ...(uploadUrl === undefined ? {} : { upload_url: uploadUrl }) }, now));
  }

  scope.post(`${apiHost}/v2/post/publish/creator_info/query/`, async (request, reply) => {
    const now = state.clock.now();
    const gated = gate(request, reply, 'creator_info', ['video.publish']);
    if (gated === null) return reply;
    const { user } = gated;
    // TikTok answers a reached cap here with HTTP 200 and the error code, on purpose.
    if (capReached(user, now)) return reply.send(tiktokApiError('spam_risk_too_many_posts', 'The user has reached the daily posting limit.', now));
    return reply.send(
      success(
        {
          creator_avatar_url: avatarUrl(request, publicBaseUrl, 'tiktok', user.userId),
          creator_username: user.username,
          creator_nickname: displayNameFor(user.username),
          privacy_level_options: privacyOptions(user),
          comment_disabled: false,
          duet_disabled: false,
          stitch_disabled: false,
          max_video_post_duration_sec: config.maxVideoPostDurationSec,
        },
        now,
      ),
    );
  });

  scope.post(`${apiHost}/v2/post/publish/video/init/`, (request, reply) => init(request, reply, 'video'));
  scope.post(`${apiHost}/v2/post/publish/inbox/video/init/`, (request, reply) => init(request, reply, 'inbox'));
  scope.post(`${apiHost}/v2/post/publish/content/init/`, (request, reply) => init(request, reply, 'photo'));

  // The upload host takes raw bytes of any declared type; the handler refuses what is not a video.
  void scope.register(async (uploadScope) => {
    uploadScope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_LAST_CHUNK_BYTES + MIB }, (_request, body, done) => done(null, body));
    uploadScope.put(`${uploadHost}/video/`, receiveChunk);
  });

  async function receiveChunk(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const now = state.clock.now();
    const query = request.query as Record<string, string | undefined>;
    const publish = uploads.get(query['upload_id'] ?? '');
    const upload = publish?.upload;
    if (!publish || !upload || upload.token !== query['upload_token']) {
      return reply.code(404).send(tiktokApiError('invalid_file_upload', 'No upload task matches this URL.', now));
    }
    if (now > upload.expiresAt) return reply.code(403).send(tiktokApiError('invalid_file_upload', 'The upload URL has expired.', now));
    const fault = takePublishFault(state, 'tiktok', publish.username, 'upload');
    if (fault) return reply.code(fault.status).send(fault.body ?? tiktokApiFaultBody(fault.status, now));
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    const range = parseContentRange(request.headers['content-range']);
    const body = Buffer.isBuffer(request.body) ? request.body : null;
    if (!UPLOAD_CONTENT_TYPES.has(contentType) || range === null || body === null || range.total !== upload.videoSize) {
      return reply.code(400).send(tiktokApiError('invalid_file_upload', 'Content-Type, Content-Range or the body does not describe a chunk of this video.', now));
    }
    if (body.length !== range.last - range.first + 1) {
      return reply.code(400).send(tiktokApiError('invalid_file_upload', 'The body length does not match Content-Range.', now));
    }
    // Chunks arrive in order, each on its boundary; the last one takes the remainder.
    const index = range.first / upload.chunkSize;
    const last = index === upload.chunkCount - 1;
    const expectedLast = last ? upload.videoSize - 1 : range.first + upload.chunkSize - 1;
    if (publish.arrivedAt !== undefined || range.first !== upload.receiver.size || !Number.isInteger(index) || range.last !== expectedLast) {
      return reply.code(416).send(tiktokApiError('invalid_file_upload', `Expected the chunk starting at byte ${upload.receiver.size}.`, now));
    }
    upload.receiver.write(body);
    if (!last) return reply.code(206).send();
    arrive(publish, [upload.receiver.finish()]);
    return reply.code(201).send();
  }

  scope.post(`${apiHost}/v2/post/publish/status/fetch/`, async (request, reply) => {
    const now = state.clock.now();
    const gated = gate(request, reply, 'status', ['video.publish', 'video.upload']);
    if (gated === null) return reply;
    const parsed = statusFetchSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(tiktokApiError('invalid_params', 'publish_id is required.', now));
    const publish = publishes.get(parsed.data.publish_id);
    if (!publish) return reply.code(400).send(tiktokApiError('invalid_publish_id', 'The publish_id does not exist.', now));
    if (publish.username !== gated.user.username) {
      return reply.code(400).send(tiktokApiError('token_not_authorized_for_specified_publish_id', 'The token is not authorized for this publish_id.', now));
    }
    return reply.type('application/json; charset=utf-8').send(statusJson(publish, now));
  });

  /** Written by hand: `publicaly_available_post_id` holds bare int64s, as TikTok sends them. */
  function statusJson(publish: Publish, now: number): string {
    const pulled = publish.source === 'PULL_FROM_URL';
    const processing = pulled ? 'PROCESSING_DOWNLOAD' : 'PROCESSING_UPLOAD';
    const received = publish.receivedBytes ?? publish.upload?.receiver.size ?? 0;
    let status = processing;
    let ids: string[] = [];
    if (publish.arrivedAt !== undefined && now >= (publish.readyAt ?? 0)) {
      if (publish.failReason !== undefined) status = 'FAILED';
      else if (publish.inbox) status = 'SEND_TO_USER_INBOX';
      else {
        status = 'PUBLISH_COMPLETE';
        if (publish.postId !== undefined && now >= (publish.publicIdAt ?? 0)) ids = [publish.postId];
      }
    }
    const failReason = status === 'FAILED' ? `,"fail_reason":${JSON.stringify(publish.failReason)}` : '';
    const bytes = `"${pulled ? 'downloaded_bytes' : 'uploaded_bytes'}":${received}`;
    const data = `{"status":${JSON.stringify(status)}${failReason},"publicaly_available_post_id":[${ids.join(',')}],${bytes}}`;
    return `{"data":${data},"error":${JSON.stringify({ code: 'ok', message: '', log_id: tiktokLogId(now) })}}`;
  }
}
