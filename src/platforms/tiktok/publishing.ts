import { z } from 'zod';
import { PlatformError, type FailureClassification } from '../errors.ts';
import type { PlatformHttp, PlatformRequest } from '../http-client.ts';
import { withoutIntent, type PlatformPublishing, type PublishAdvance, type PublishAsset, type PublishCall, type PublishState } from '../publishing.ts';
import { classifyTikTokFailReason } from './errors.ts';

/**
 * Publishing through TikTok's Content Posting API, one step per `advance` (docs/platforms/tiktok.md,
 * "Publishing"): creator info, then an init (a video pushed in chunks or pulled from a verified URL,
 * photos pulled, drafts to the inbox), the chunks, and status polling until TikTok answers.
 */

const MIB = 1024 * 1024;
/** TikTok takes 5–64 MB chunks; 10 MB keeps each request short and the memory of one chunk modest. */
export const DEFAULT_CHUNK_BYTES = 10 * MIB;
/** Video and photo captions (`title` of a video, `description` of a photo post), in UTF-16 units. */
const VIDEO_CAPTION_MAX = 2200;
const PHOTO_CAPTION_MAX = 4000;
/** A new attempt from the start after TikTok failed one (or the upload URL expired), at most this often. */
const MAX_RESTARTS = 2;
/** After this long in processing, the post's fate is TikTok's alone to tell: the partner must look. */
const MAX_PROCESSING_MS = 24 * 60 * 60 * 1000;
/** status/fetch allows 30 calls a minute per token; polls slow down as processing drags on. */
const POLL_DELAYS_MS = [2000, 3000, 5000, 10_000, 15_000, 30_000];
const RESTART_DELAY_MS = 30_000;
const UPLOAD_TIMEOUT_MS = 120_000;

const PRIVACY_LEVELS = ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'FOLLOWER_OF_CREATOR', 'SELF_ONLY'] as const;
/** From the most restrictive: a post whose privacy is not given gets the first one the creator offers. */
const MOST_RESTRICTIVE_FIRST = ['SELF_ONLY', 'MUTUAL_FOLLOW_FRIENDS', 'FOLLOWER_OF_CREATOR', 'PUBLIC_TO_EVERYONE'] as const;

const postSettingsSchema = z.strictObject({
  privacyLevel: z.enum(PRIVACY_LEVELS).optional(),
  disableComment: z.boolean().optional(),
  disableDuet: z.boolean().optional(),
  disableStitch: z.boolean().optional(),
  isBrandOrganic: z.boolean().optional(),
  isBrandedContent: z.boolean().optional(),
});
const musicSchema = z.strictObject({
  mode: z.enum(['none', 'auto', 'manual']),
  trackId: z.string().min(1).max(128).optional(),
});
const settingsSchema = z.object({
  tiktokPostSettings: postSettingsSchema.optional(),
  tiktokMusic: musicSchema.optional(),
});
type TikTokSettings = z.infer<typeof settingsSchema>;

/** What creator_info told us, kept for the rest of the post. */
interface CreatorChoices {
  username: string | null;
  privacyLevel: string;
  disableComment: boolean;
  disableDuet: boolean;
  disableStitch: boolean;
}

interface UploadProgress {
  url: string;
  videoSize: number;
  chunkSize: number;
  chunkCount: number;
  /** The first byte TikTok has not acknowledged. */
  nextByte: number;
}

type Step = 'creator_info' | 'init' | 'upload' | 'status' | 'done';

/** The module's PublishState: `ids.publish_id` once TikTok gave one. */
interface TikTokState extends PublishState {
  step: Step;
  creator?: CreatorChoices;
  upload?: UploadProgress;
  restarts?: number;
  polls?: number;
  pollingSince?: string;
}

const creatorInfoSchema = z.object({
  data: z.object({
    creator_username: z.string().optional(),
    privacy_level_options: z.array(z.string()),
    comment_disabled: z.boolean().optional(),
    duet_disabled: z.boolean().optional(),
    stitch_disabled: z.boolean().optional(),
    max_video_post_duration_sec: z.number().optional(),
  }),
});
const initSchema = z.object({ data: z.object({ publish_id: z.string().min(1), upload_url: z.string().url().optional() }) });
const statusSchema = z.object({
  data: z.object({
    status: z.string(),
    fail_reason: z.string().optional(),
    uploaded_bytes: z.number().optional(),
  }),
});

/** Chunks as TikTok counts them: `floor(size / chunk)` of them, the last one taking the remainder. */
export function planChunks(videoSize: number, chunkSize: number): { chunkSize: number; chunkCount: number } {
  if (videoSize <= chunkSize) return { chunkSize: videoSize, chunkCount: 1 };
  return { chunkSize, chunkCount: Math.floor(videoSize / chunkSize) };
}

function chunkRange(upload: UploadProgress): { start: number; end: number; last: boolean } {
  const index = Math.floor(upload.nextByte / upload.chunkSize);
  const last = index >= upload.chunkCount - 1;
  const start = index * upload.chunkSize;
  return { start, end: last ? upload.videoSize - 1 : start + upload.chunkSize - 1, last };
}

/**
 * `publicaly_available_post_id` (TikTok's spelling) is a list of int64s: JSON numbers above 2^53
 * that JSON.parse would round, so they are read from the raw text.
 */
export function publicPostIds(text: string): string[] {
  const list = /"publicaly_available_post_id"\s*:\s*\[([^\]]*)\]/.exec(text)?.[1] ?? '';
  return [...list.matchAll(/\d+/g)].map(([digits]) => digits);
}

function pollDelay(polls: number): number {
  return POLL_DELAYS_MS[Math.min(polls, POLL_DELAYS_MS.length - 1)] as number;
}

function settingsOf(post: { settings: Record<string, unknown> }): TikTokSettings {
  const parsed = settingsSchema.safeParse(post.settings);
  // The publisher validated the target against targetFields; anything else is a bug upstream.
  if (!parsed.success) throw new Error(`TikTok target settings do not fit their schema: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function captionProblem(caption: string, photo: boolean): string | null {
  const max = photo ? PHOTO_CAPTION_MAX : VIDEO_CAPTION_MAX;
  if (caption.length <= max) return null;
  return `TikTok ${photo ? 'photo' : 'video'} captions are at most ${max} characters (UTF-16 units); this one has ${caption.length}`;
}

/** A verdict the module reaches itself (from creator info or a status), as the PlatformError the publisher classifies. */
function failure(http: PlatformHttp, operation: string, tokens: { accessToken: string }, verdict: FailureClassification): PlatformError {
  return http.fail({ operation, secrets: [tokens.accessToken] }, verdict, null) as PlatformError;
}

async function readRange(asset: PublishAsset, start: number, end: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const part of await asset.open({ start, end })) {
    const buffer = Buffer.isBuffer(part) ? part : Buffer.from(part as Uint8Array);
    parts.push(buffer);
    length += buffer.length;
  }
  if (length !== end - start + 1) throw new Error(`the video's bytes ${start}-${end} came back as ${length} bytes`);
  return Buffer.concat(parts, length);
}

export interface TikTokPublishingOptions {
  /** Bytes per uploaded chunk (TikTok takes 5–64 MB); smaller only against an emulator told to accept them. */
  chunkSizeBytes?: number;
}

export function createTikTokPublishing(options: TikTokPublishingOptions = {}): PlatformPublishing {
  const preferredChunkSize = options.chunkSizeBytes ?? DEFAULT_CHUNK_BYTES;

  function apiCall(call: PublishCall, operation: string, path: string, json: unknown): PlatformRequest {
    return {
      operation,
      method: 'POST',
      url: call.http.url('apiBaseUrl', path),
      json,
      bearerToken: call.tokens.accessToken,
      secrets: [call.tokens.accessToken],
    };
  }

  async function creatorInfo(call: PublishCall, state: TikTokState): Promise<PublishAdvance> {
    const { http, post, tokens } = call;
    const request = apiCall(call, 'creator info', '/v2/post/publish/creator_info/query/', {});
    const { data } = http.parse(creatorInfoSchema, await http.call(request), request);
    const settings = settingsOf(post).tiktokPostSettings ?? {};
    const offered = data.privacy_level_options;
    let privacyLevel: string | undefined = settings.privacyLevel;
    if (post.mode === 'publish') {
      if (privacyLevel !== undefined && !offered.includes(privacyLevel)) {
        throw failure(http, 'creator info', tokens, {
          kind: 'rejected',
          platformCode: 'privacy_level_option_mismatch',
          reauthReason: null,
          detail: `the creator offers ${offered.join(', ') || 'no privacy level'}, not ${privacyLevel}`,
        });
      }
      // Branded content cannot be private on TikTok, so its default skips SELF_ONLY.
      const candidates = MOST_RESTRICTIVE_FIRST.filter((level) => !(settings.isBrandedContent && level === 'SELF_ONLY'));
      privacyLevel ??= candidates.find((level) => offered.includes(level));
      if (privacyLevel === undefined) {
        throw failure(http, 'creator info', tokens, {
          kind: 'rejected',
          platformCode: 'privacy_level_option_mismatch',
          reauthReason: null,
          detail: `the creator offers no privacy level this post can use (${offered.join(', ') || 'none'})`,
        });
      }
    }
    const video = post.assets.find((asset) => asset.kind === 'video');
    const maxSeconds = data.max_video_post_duration_sec;
    if (video?.durationMs != null && maxSeconds !== undefined && video.durationMs > maxSeconds * 1000) {
      throw failure(http, 'creator info', tokens, {
        kind: 'rejected',
        platformCode: 'duration_check_failed',
        reauthReason: null,
        detail: `the video lasts ${Math.ceil(video.durationMs / 1000)} s; this creator may post at most ${maxSeconds} s`,
      });
    }
    // A creator who turned comments, duets or stitches off for their account keeps them off.
    const creator: CreatorChoices = {
      username: data.creator_username || null,
      privacyLevel: privacyLevel ?? 'SELF_ONLY',
      disableComment: (data.comment_disabled ?? false) || (settings.disableComment ?? false),
      disableDuet: (data.duet_disabled ?? false) || (settings.disableDuet ?? false),
      disableStitch: (data.stitch_disabled ?? false) || (settings.disableStitch ?? false),
    };
    return { status: 'continue', state: { ...state, step: 'init', creator } };
  }

  function verifiedUrl(call: PublishCall, asset: PublishAsset): boolean {
    const prefix = call.http.endpoints.settings?.['verifiedMediaUrlPrefix'];
    return prefix !== undefined && asset.publicUrl.startsWith(prefix);
  }

  async function init(call: PublishCall, state: TikTokState): Promise<PublishAdvance> {
    const { http, post } = call;
    const creator = state.creator as CreatorChoices;
    const settings = settingsOf(post).tiktokPostSettings ?? {};
    const brand = { brand_content_toggle: settings.isBrandedContent ?? false, brand_organic_toggle: settings.isBrandOrganic ?? false };
    const draft = post.mode === 'draft';
    const video = post.assets.find((asset) => asset.kind === 'video');

    if (video === undefined) {
      const music = settingsOf(post).tiktokMusic;
      const postInfo = draft
        ? { description: post.caption }
        : {
            description: post.caption,
            privacy_level: creator.privacyLevel,
            disable_comment: creator.disableComment,
            auto_add_music: music?.mode === 'auto',
            ...brand,
          };
      const request = apiCall(call, 'photo init', '/v2/post/publish/content/init/', {
        media_type: 'PHOTO',
        post_mode: draft ? 'MEDIA_UPLOAD' : 'DIRECT_POST',
        post_info: postInfo,
        source_info: { source: 'PULL_FROM_URL', photo_cover_index: 0, photo_images: post.assets.map((asset) => asset.publicUrl) },
      });
      await call.beforeIrreversible('photo_init');
      const { data } = http.parse(initSchema, await http.call(request), request);
      return { status: 'continue', state: toStatus(state, data.publish_id, http) };
    }

    const path = draft ? '/v2/post/publish/inbox/video/init/' : '/v2/post/publish/video/init/';
    const postInfo = draft
      ? {}
      : {
          post_info: {
            title: post.caption,
            privacy_level: creator.privacyLevel,
            disable_comment: creator.disableComment,
            disable_duet: creator.disableDuet,
            disable_stitch: creator.disableStitch,
            ...brand,
          },
        };
    if (verifiedUrl(call, video)) {
      const request = apiCall(call, draft ? 'inbox init' : 'video init', path, {
        ...postInfo,
        source_info: { source: 'PULL_FROM_URL', video_url: video.publicUrl },
      });
      await call.beforeIrreversible(draft ? 'inbox_init' : 'video_init');
      const { data } = http.parse(initSchema, await http.call(request), request);
      return { status: 'continue', state: toStatus(state, data.publish_id, http) };
    }

    // Nothing is posted until the last chunk arrives, so this init may be repeated safely.
    const plan = planChunks(video.sizeBytes, preferredChunkSize);
    const request = apiCall(call, draft ? 'inbox init' : 'video init', path, {
      ...postInfo,
      source_info: { source: 'FILE_UPLOAD', video_size: video.sizeBytes, chunk_size: plan.chunkSize, total_chunk_count: plan.chunkCount },
    });
    const { data } = http.parse(initSchema, await http.call(request), request);
    if (data.upload_url === undefined) throw http.fail(request, { kind: 'other', platformCode: 'invalid_response', reauthReason: null, detail: 'no upload_url' }, 200);
    const upload: UploadProgress = { url: data.upload_url, videoSize: video.sizeBytes, ...plan, nextByte: 0 };
    return { status: 'continue', state: { ...state, step: 'upload', ids: { publish_id: data.publish_id }, upload } };
  }

  function toStatus(state: TikTokState, publishId: string, http: PlatformHttp): TikTokState {
    const next: TikTokState = { ...withoutIntent(state), step: 'status', ids: { publish_id: publishId }, polls: 0, pollingSince: http.clock.now().toISOString() };
    delete next.upload;
    return next;
  }

  /** A new attempt from init, keeping what creator info said; null once the restarts are spent. */
  function restart(state: TikTokState, retryAfterMs: number): PublishAdvance | null {
    const restarts = state.restarts ?? 0;
    if (restarts >= MAX_RESTARTS) return null;
    const { creator } = state;
    const fresh: TikTokState = { step: 'init', ids: {}, restarts: restarts + 1, ...(creator ? { creator } : {}) };
    return { status: 'continue', state: fresh, retryAfterMs };
  }

  async function fetchStatus(call: PublishCall, publishId: string) {
    const { http } = call;
    const request = apiCall(call, 'publish status', '/v2/post/publish/status/fetch/', { publish_id: publishId });
    const response = await http.call(request);
    return { ...http.parse(statusSchema, response, request).data, postIds: publicPostIds(response.text) };
  }

  /** A FAILED status: TikTok made nothing of this attempt. */
  function failed(call: PublishCall, state: TikTokState, reason: string): PublishAdvance {
    const verdict = classifyTikTokFailReason(reason);
    // auth_removed: the next init meets the dead credential and reports it like any call would.
    if (verdict.kind === 'transient' || verdict.kind === 'needs_reauth') {
      const again = restart(state, verdict.kind === 'transient' ? RESTART_DELAY_MS : 0);
      if (again !== null) return again;
    }
    throw failure(call.http, 'publish status', call.tokens, verdict);
  }

  async function uploadChunk(call: PublishCall, state: TikTokState): Promise<PublishAdvance> {
    const { http, post } = call;
    const upload = state.upload as UploadProgress;
    const publishId = state.ids['publish_id'] as string;
    const video = post.assets.find((asset) => asset.kind === 'video') as PublishAsset;

    if (state.intent === 'upload_complete') {
      // The process died while the last chunk was on its way: TikTok knows whether it arrived.
      const status = await fetchStatus(call, publishId);
      if (status.status === 'FAILED') return failed(call, state, status.fail_reason ?? 'unknown');
      const uploaded = status.uploaded_bytes ?? 0;
      if (status.status !== 'PROCESSING_UPLOAD' || uploaded >= upload.videoSize) return { status: 'continue', state: toStatus(state, publishId, http) };
      return { status: 'continue', state: withoutIntent({ ...state, upload: { ...upload, nextByte: uploaded } }) };
    }

    const range = chunkRange(upload);
    const data = await readRange(video, range.start, range.end);
    const request: PlatformRequest = {
      operation: 'video upload',
      method: 'PUT',
      url: upload.url,
      headers: { 'content-range': `bytes ${range.start}-${range.end}/${upload.videoSize}` },
      bytes: { data, contentType: video.mimeType },
      // The upload URL carries its own token.
      secrets: [upload.url],
      timeoutMs: UPLOAD_TIMEOUT_MS,
    };
    // The last chunk completes the upload, and TikTok posts what it completes.
    if (range.last) await call.beforeIrreversible('upload_complete');
    let status: number;
    try {
      status = (await http.call(request)).status;
    } catch (error) {
      if (!(error instanceof PlatformError)) throw error;
      if (error.httpStatus === 416) {
        // TikTok holds a different number of bytes than this state says (a chunk sent before a crash): ask it.
        const current = await fetchStatus(call, publishId);
        const uploaded = current.uploaded_bytes ?? 0;
        if (current.status !== 'PROCESSING_UPLOAD' || uploaded >= upload.videoSize) return { status: 'continue', state: toStatus(state, publishId, http) };
        return { status: 'continue', state: withoutIntent({ ...state, upload: { ...upload, nextByte: uploaded } }) };
      }
      if (error.httpStatus === 403 || error.httpStatus === 404) {
        // The upload URL expired (an hour) or the upload is gone; nothing was posted, so start again.
        const again = restart(state, 0);
        if (again !== null) return again;
      }
      throw error;
    }
    if (status === 201 || range.last) return { status: 'continue', state: toStatus(state, publishId, http) };
    return { status: 'continue', state: { ...state, upload: { ...upload, nextByte: range.end + 1 } } };
  }

  async function poll(call: PublishCall, state: TikTokState): Promise<PublishAdvance> {
    const { http, account } = call;
    const publishId = state.ids['publish_id'] as string;
    const status = await fetchStatus(call, publishId);
    const done: TikTokState = { step: 'done', ids: state.ids };
    switch (status.status) {
      case 'PUBLISH_COMPLETE': {
        const postId = status.postIds[0] ?? null;
        const handle = state.creator?.username ?? account.handle;
        const kind = call.post.assets.some((asset) => asset.kind === 'video') ? 'video' : 'photo';
        const externalUrl = postId === null ? null : `https://www.tiktok.com/@${encodeURIComponent(handle)}/${kind}/${postId}`;
        return { status: 'published', state: done, externalId: postId ?? publishId, externalUrl };
      }
      case 'SEND_TO_USER_INBOX':
        return { status: 'draft', state: done, externalId: publishId, externalUrl: null };
      case 'FAILED':
        return failed(call, state, status.fail_reason ?? 'unknown');
      default: {
        const since = state.pollingSince ? new Date(state.pollingSince).getTime() : http.clock.now().getTime();
        if (http.clock.now().getTime() - since > MAX_PROCESSING_MS) {
          return {
            status: 'uncertain',
            state,
            message: `TikTok was still processing the post (publish_id ${publishId}, ${status.status}) a day after it received it; look at the account before posting it again.`,
          };
        }
        const polls = state.polls ?? 0;
        return { status: 'continue', state: { ...state, polls: polls + 1 }, retryAfterMs: pollDelay(polls) };
      }
    }
  }

  return {
    modes: ['publish', 'draft'],
    firstComment: false,
    targetFields: { tiktokPostSettings: postSettingsSchema, tiktokMusic: musicSchema },

    checkTarget(target, assets) {
      const problems: Array<{ field: string; message: string }> = [];
      const photo = !assets.some((asset) => asset.kind === 'video');
      const settings = settingsSchema.safeParse(target.settings);
      const captionTooLong = captionProblem(target.caption, photo);
      if (captionTooLong !== null) problems.push({ field: 'captionOverride', message: captionTooLong });
      if (!settings.success) return problems;
      const { tiktokMusic: music, tiktokPostSettings: post } = settings.data;
      if (music !== undefined) {
        if (target.mode === 'draft') {
          problems.push({ field: 'tiktokMusic', message: 'music cannot be chosen for a draft: the creator finishes it in TikTok' });
        } else if (music.mode === 'manual') {
          problems.push({ field: 'tiktokMusic.mode', message: 'manual music is not offered (this server has no music catalog); use none or auto' });
        } else if (music.mode === 'auto' && !photo) {
          problems.push({ field: 'tiktokMusic.mode', message: 'auto music is only for photo posts' });
        }
        if (music.trackId !== undefined && music.mode !== 'manual') {
          problems.push({ field: 'tiktokMusic.trackId', message: 'trackId goes with manual music only' });
        }
      }
      if (post?.isBrandedContent && post.privacyLevel === 'SELF_ONLY') {
        problems.push({ field: 'tiktokPostSettings.privacyLevel', message: 'branded content cannot be SELF_ONLY on TikTok' });
      }
      return problems;
    },

    async advance(call) {
      const state = (call.state ?? { step: 'creator_info', ids: {} }) as TikTokState;
      if (state.intent !== undefined && state.intent !== 'upload_complete' && state.ids['publish_id'] === undefined) {
        // The init that may have posted (a pull, or photos) never gave back its publish_id, and
        // TikTok has no way to look a post up by what it was sent.
        return {
          status: 'uncertain',
          state,
          message: 'The process stopped while TikTok was receiving the post, so whether TikTok took it cannot be known; look at the account before posting it again.',
        };
      }
      switch (state.step) {
        case 'creator_info':
          return creatorInfo(call, state);
        case 'init':
          return init(call, state);
        case 'upload':
          return uploadChunk(call, state);
        case 'status':
          return poll(call, withoutIntent(state));
        case 'done':
          throw new Error('this post was already published');
      }
    },
  };
}
