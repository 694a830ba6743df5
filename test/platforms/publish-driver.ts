import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { PlatformAdapter } from '../../src/platforms/adapter.ts';
import {
  stateAfterFailure,
  type PlatformPublishing,
  type PublishAdvance,
  type PublishAsset,
  type PublishCall,
  type PublishPost,
  type PublishState,
} from '../../src/platforms/publishing.ts';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { REDIRECT_URI, newCodeVerifier, type TestEmulator } from './emulator-harness.ts';

/** Test support for publishing: fixtures, a media server, and a stand-in for the server's publisher. */

export function fixture(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/publishing/${name}`, import.meta.url));
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Serves files over HTTP the way the server's `/media/…` URLs would, and counts who fetched what. */
export interface MediaServer {
  url: string;
  fetches: string[];
  /** Serves `bytes` at `/<name>` and returns the URL. */
  serve(name: string, bytes: Uint8Array, contentType: string): string;
  close(): Promise<void>;
}

export async function startMediaServer(): Promise<MediaServer> {
  const files = new Map<string, { bytes: Uint8Array; contentType: string }>();
  const fetches: string[] = [];
  const server = createServer((request, response) => {
    const path = request.url ?? '';
    fetches.push(path);
    const file = files.get(path);
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': file.contentType, 'content-length': file.bytes.length }).end(file.bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    fetches,
    serve(name, bytes, contentType) {
      files.set(`/${name}`, { bytes, contentType });
      return `${url}/${name}`;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A file of a container as the publisher hands it over; `opened` records every range read. */
export function asset(
  bytes: Uint8Array,
  init: { kind: 'video' | 'image'; mimeType: string; publicUrl: string; durationMs?: number | null },
): PublishAsset & { opened: Array<{ start: number; end: number } | null> } {
  const opened: Array<{ start: number; end: number } | null> = [];
  return {
    kind: init.kind,
    mimeType: init.mimeType,
    sizeBytes: bytes.length,
    width: null,
    height: null,
    durationMs: init.durationMs ?? (init.kind === 'video' ? 1000 : null),
    publicUrl: init.publicUrl,
    opened,
    async open(range) {
      opened.push(range ?? null);
      const slice = range === undefined ? bytes : bytes.subarray(range.start, range.end + 1);
      return Readable.from([Buffer.from(slice)]);
    },
  };
}

/** Thrown by `beforeIrreversible` to play a process that dies before its irreversible call leaves. */
class Crash extends Error {}

export type StepOutcome = PublishAdvance | { status: 'crashed' };

/**
 * What the server's publisher does with a module, reduced to the contract: the stored state is the
 * last one `advance` returned (or `stateAfterFailure` after a throw), `beforeIrreversible` writes the
 * intent into it, and a crash loses whatever the interrupted call would have written.
 */
export class Publisher {
  persisted: PublishState | null = null;
  /** Every intent written, in order: how many irreversible calls were attempted. */
  readonly intents: string[] = [];
  tokens: TokenSet;
  readonly #publishing: PlatformPublishing;
  readonly #context: Omit<PublishCall, 'state' | 'beforeIrreversible' | 'tokens'>;

  constructor(publishing: PlatformPublishing, context: Omit<PublishCall, 'state' | 'beforeIrreversible'>) {
    this.#publishing = publishing;
    const { tokens, ...rest } = context;
    this.tokens = tokens;
    this.#context = rest;
  }

  /**
   * One advance, persisted as the publisher would. `die-before-irreversible-call`: the process dies
   * right after writing the intent; `lose-result`: it dies after the platform answered, before the
   * returned state was written (only the intent, if any, was).
   */
  async step(mode: 'normal' | 'die-before-irreversible-call' | 'lose-result' = 'normal'): Promise<StepOutcome> {
    let stored = this.persisted;
    const call: PublishCall = {
      ...this.#context,
      tokens: this.tokens,
      state: stored,
      beforeIrreversible: async (intent) => {
        assert.ok(stored !== null, 'an irreversible call before any state was persisted');
        this.intents.push(intent);
        stored = { ...stored, intent };
        if (mode === 'die-before-irreversible-call') throw new Crash(intent);
      },
    };
    try {
      const outcome = await this.#publishing.advance(call);
      this.persisted = mode === 'lose-result' ? stored : outcome.state;
      return outcome;
    } catch (error) {
      if (error instanceof Crash) {
        this.persisted = stored;
        return { status: 'crashed' };
      }
      this.persisted = stored === null ? null : stateAfterFailure(stored, error);
      throw error;
    }
  }

  /** One advance whose result is lost to a crash after the platform answered. */
  async stepAndLose(): Promise<StepOutcome> {
    return this.step('lose-result');
  }

  /** Advances until the step named `step` is the one stored next (the state a crash would resume from). */
  async runUntilStep(step: string, maxSteps = 50): Promise<void> {
    for (let i = 0; i < maxSteps && this.persisted?.step !== step; i++) {
      const outcome = await this.step();
      assert.equal(outcome.status, 'continue', `reached ${outcome.status} before step ${step}`);
    }
    assert.equal(this.persisted?.step, step);
  }

  /** Advances until the module answers something other than `continue` (or `maxSteps` pass). */
  async run(maxSteps = 200): Promise<PublishAdvance> {
    for (let i = 0; i < maxSteps; i++) {
      const outcome = await this.step();
      assert.ok(outcome.status !== 'crashed');
      if (outcome.status !== 'continue') return outcome;
    }
    throw new Error(`no final answer after ${maxSteps} steps (last state ${JSON.stringify(this.persisted)})`);
  }
}

export function post(init: Partial<PublishPost> & Pick<PublishPost, 'assets'>): PublishPost {
  return { mode: 'publish', caption: 'A caption', firstComment: null, settings: {}, ...init };
}

/** Consents as `username` through the adapter with `scopes` and redeems the code. */
export async function connect(emulator: TestEmulator, adapter: PlatformAdapter, username: string, scopes: string[]): Promise<TokenSet> {
  const codeVerifier = newCodeVerifier();
  const authorizeUrl = adapter.authorizeUrl({ state: 's', redirectUri: REDIRECT_URI, scopes, codeVerifier });
  const callback = await emulator.consent(authorizeUrl, { username });
  return adapter.exchangeCode({
    code: callback.searchParams.get('code') ?? '',
    redirectUri: REDIRECT_URI,
    codeVerifier,
    callbackScopes: callback.searchParams.get('scopes')?.split(',') ?? null,
  });
}

export interface PublishedListing {
  items: Array<{
    externalId: string;
    kind: string;
    caption: string;
    privacyLevel: string | null;
    draft: boolean;
    mediaSha256: string[];
    publishedAt: string;
    stats: Record<string, number>;
    comments: Array<{ id: string; text: string; username: string }>;
  }>;
}

/** What the emulator's profile of `username` shows. */
export async function profile(emulator: TestEmulator, platform: string, username: string): Promise<PublishedListing['items']> {
  const response = await fetch(`${emulator.url}/_control/published/${platform}/${username}`);
  assert.equal(response.status, 200);
  return ((await response.json()) as PublishedListing).items;
}

/** POSTs a control call and asserts it was accepted. */
export async function control(emulator: TestEmulator, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.url}/_control${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, `control ${path}: ${await response.clone().text()}`);
  return response.json();
}
