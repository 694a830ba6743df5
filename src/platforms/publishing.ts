import type { Readable } from 'node:stream';
import type { z } from 'zod';
import { PlatformError } from './errors.ts';
import type { PlatformHttp } from './http-client.ts';
import type { TokenSet } from './tokens.ts';

/**
 * How a platform module publishes one post (docs/design/publishing-steps.md). The
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
  /**
   * Rules across fields, the texts and the container (e.g. an option only for photo posts, a caption
   * over the platform's length); one message per problem. `field` is a target field
   * (`captionOverride` for a caption too long, whether it came from the container or the override).
   */
  checkTarget(target: PublishTarget, assets: ReadonlyArray<Pick<PublishAsset, 'kind' | 'mimeType'>>): Array<{ field: string; message: string }>;
  /**
   * One step forward. Failures throw a classified PlatformError (the module's classifier); after a
   * throw the publisher keeps `stateAfterFailure(stored, error)`, never a state of its own making.
   * A module makes at most one irreversible call per `advance`, and returns as soon as it answers.
   */
  advance(call: PublishCall): Promise<PublishAdvance>;
}

/** A validated target as a module sees it: its mode, the texts it will post, and its platform-specific fields. */
export interface PublishTarget {
  mode: 'publish' | 'draft';
  /** The caption that will be posted (the override, else the container's). */
  caption: string;
  /** The first comment that will be posted, if any. */
  firstComment: string | null;
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
 * given on the way (an upload's publish id, container and media ids). Plain JSON, stored on
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
   * call): the publisher writes `intent` into the state it last persisted first. If the process dies
   * inside the call, the next `advance` sees `state.intent` set and must settle it: look the outcome
   * up where the platform allows it, or answer `uncertain`; it repeats the call only when the platform
   * shows the first one took no effect.
   */
  beforeIrreversible(intent: string): Promise<void>;
}

export type PublishAdvance =
  /**
   * A step was done; persist `state` exactly as returned (an `intent` in it is the module's, to be
   * settled on the next call) and call again, after `retryAfterMs` when the platform is still
   * processing. A `continue` never counts as a failed attempt.
   */
  | { status: 'continue'; state: PublishState; retryAfterMs?: number }
  /**
   * The post is on the platform (or in the creator's inbox, for drafts). `warning` says what did not
   * go as asked without undoing the post (e.g. a first comment that could not be posted); the post
   * is still published.
   */
  | { status: 'published' | 'draft'; state: PublishState; externalId: string | null; externalUrl: string | null; warning?: string }
  /** A crash left it unknowable whether the platform took the post; the partner must look. */
  | { status: 'uncertain'; state: PublishState; message: string };

/**
 * The state to keep after `advance` threw. The intent the publisher wrote goes only when the error
 * proves the guarded call took no effect: the platform answered it, and with a refusal (a classified
 * error below HTTP 500). A timeout, a network error, a 5xx or an unreadable success may have
 * created the post, so the intent stays and the next `advance` settles it.
 */
export function stateAfterFailure(stored: PublishState, error: unknown): PublishState {
  return refusedOutright(error) ? withoutIntent(stored) : stored;
}

/** The state with its intent settled. */
export function withoutIntent<State extends PublishState>(state: State): State {
  if (state.intent === undefined) return state;
  const settled = { ...state };
  delete settled.intent;
  return settled;
}

/** True when the platform answered the call and refused it, so the call took no effect. */
export function refusedOutright(error: unknown): boolean {
  return (
    error instanceof PlatformError &&
    error.httpStatus !== null &&
    error.httpStatus < 500 &&
    error.platformCode !== 'invalid_response'
  );
}

/**
 * Whether the platform has anything of the post: it gave an id, or an irreversible call is out. A
 * post without progress can still be canceled or moved; one with progress may go live by itself.
 */
export function hasPlatformProgress(state: PublishState | null): boolean {
  return state !== null && (state.intent !== undefined || Object.keys(state.ids).length > 0);
}
