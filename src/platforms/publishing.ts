import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { PlatformHttp } from './http-client.ts';
import type { TokenSet } from './tokens.ts';

/**
 * How a platform module publishes one post (docs/reference/scheduled-posts.md, "Publishing"). The
 * publisher (src/posts/) owns the post row, its lease, retries and holds; a module only knows the
 * platform's steps. It moves a post forward one step per `advance` call, and the publisher persists
 * the returned state before the next call, so a restarted process resumes from the last step written
 * and never repeats one that may already have taken effect.
 */
export interface PlatformPublishing {
  /** Modes this platform offers (`draft`: delivered to the creator's inbox to finish there). */
  readonly modes: ReadonlyArray<'publish' | 'draft'>;
  /** Whether `firstCommentOverride` can be posted as the first comment after publishing. */
  readonly firstComment: boolean;
  /**
   * Target fields only this platform accepts (the contract names them after the platform, e.g. a
   * `<platform>PostSettings` object), with their schemas. A target naming another platform's field
   * is refused with a 422 naming the field.
   */
  readonly targetFields: Readonly<Record<string, z.ZodType>>;
  /** Rules across fields and the container (e.g. an option only for photo posts); one message per problem. */
  checkTarget(target: PublishTarget, assets: ReadonlyArray<Pick<PublishAsset, 'kind' | 'mimeType'>>): Array<{ field: string; message: string }>;
  /** One step forward. Failures throw a classified PlatformError (the module's classifier). */
  advance(call: PublishCall): Promise<PublishAdvance>;
}

/** A validated target as a module sees it: its mode and its platform-specific fields. */
export interface PublishTarget {
  mode: 'publish' | 'draft';
  settings: Record<string, unknown>;
}

/** A file of the container being published, as the publisher hands it to a module. */
export interface PublishAsset {
  kind: 'video' | 'image';
  mimeType: string;
  sizeBytes: number;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  /** Where the platform can fetch the bytes itself (pull-style uploads): the server's own media URL. */
  publicUrl: string;
  /** The bytes `[start, end]` (inclusive), or the whole file, for push-style uploads. */
  open(range?: { start: number; end: number }): Promise<Readable>;
}

export interface PublishPost {
  mode: 'publish' | 'draft';
  caption: string;
  /** Posted as the first comment right after publishing, where the platform has comments to post. */
  firstComment: string | null;
  /** One video, one image, or 2–10 images. */
  assets: PublishAsset[];
  /** The target's platform-specific settings, already validated against the module's schema. */
  settings: Record<string, unknown>;
}

/**
 * What a module carries from one step to the next: the step it reached and every platform id it was
 * given on the way (a TikTok `publish_id`, Instagram container and media ids). Plain JSON, stored on
 * the post.
 */
export interface PublishState {
  step: string;
  ids: Record<string, string>;
  /** Set by the publisher while an irreversible call is in flight (see `beforeIrreversible`). */
  intent?: string;
  [extra: string]: unknown;
}

export interface PublishCall {
  http: PlatformHttp;
  tokens: TokenSet;
  account: { platformUserId: string; handle: string };
  post: PublishPost;
  /** null before the first step. */
  state: PublishState | null;
  /**
   * Must be awaited right before a call that may create the post on the platform (an irreversible
   * call): the publisher writes `intent` into the stored state first. If the process dies inside the
   * call, the next `advance` sees `state.intent` set and must settle it: look the outcome up where the
   * platform allows it, or answer `uncertain`, never repeat the call.
   */
  beforeIrreversible(intent: string): Promise<void>;
}

export type PublishAdvance =
  /** A step was done; call again (after `retryAfterMs` when the platform is still processing). */
  | { status: 'continue'; state: PublishState; retryAfterMs?: number }
  /** The post is on the platform (or in the creator's inbox, for drafts). */
  | { status: 'published' | 'draft'; state: PublishState; externalId: string | null; externalUrl: string | null }
  /** A crash left it unknowable whether the platform took the post; the partner must look. */
  | { status: 'uncertain'; state: PublishState; message: string };
