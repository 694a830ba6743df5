import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { EmulatorOptions } from '../../src/emulator/app.ts';
import type { EligibleProfile, PlatformAdapter, PlatformProfile } from '../../src/platforms/adapter.ts';
import { startEmulator } from '../../src/emulator/main.ts';
import { emulatorEndpoints } from '../../src/platforms/adapters.ts';
import { PlatformError, type PlatformErrorKind } from '../../src/platforms/errors.ts';
import type { PlatformEndpoints } from '../../src/platforms/http-client.ts';
import { platformModule, type PlatformId } from '../../src/platforms/registry.ts';
import type { ReauthReason } from '../../src/db/schema.ts';
import type { TokenSet } from '../../src/platforms/tokens.ts';
import { parseConsentForm, REDIRECT_URI } from '../emulator/consent-driver.ts';
import { ManualClock } from '../support/manual-clock.ts';

export { REDIRECT_URI } from '../emulator/consent-driver.ts';

type Platform = PlatformId;

/**
 * A real emulator on a free port whose clock is the same ManualClock the adapters get, so
 * "the emulator's now" and "the adapter's now" move together.
 */
export interface TestEmulator {
  url: string;
  clock: ManualClock;
  tiktokEndpoints: PlatformEndpoints;
  instagramEndpoints: PlatformEndpoints;
  /** Where a sandbox adapter of `platform` sends its calls on this emulator. */
  endpoints(platform: Platform): PlatformEndpoints;
  close(): Promise<void>;
  /** Creates or updates a user (by default of the platform's first account type) and returns its platform id. */
  upsertUser(platform: Platform, username: string, accountType?: string): Promise<string>;
  revokeUser(platform: Platform, username: string, subcode?: 458 | 460 | 467): Promise<void>;
  expireAccessTokens(platform: Platform, username: string): Promise<void>;
  injectFault(fault: { platform: Platform; endpoint: string; status: number; body?: unknown; times?: number }): Promise<void>;
  /** Opens the consent page at `authorizeUrl`, submits it like a browser and returns the redirect target. */
  consent(authorizeUrl: string, choice: { username: string; untick?: string[] }): Promise<URL>;
}

export async function startTestEmulator(options: Omit<EmulatorOptions, 'now'> = {}): Promise<TestEmulator> {
  const clock = new ManualClock();
  const emulator = await startEmulator({ ...options, port: 0, host: '127.0.0.1', now: () => clock.now().getTime() });
  const { url } = emulator;

  async function control(path: string, body: unknown = {}): Promise<unknown> {
    const response = await fetch(`${url}/_control${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 200, `control ${path}: ${await response.clone().text()}`);
    return response.json();
  }

  return {
    url,
    clock,
    tiktokEndpoints: emulatorEndpoints(platformModule('tiktok'), url),
    instagramEndpoints: emulatorEndpoints(platformModule('instagram'), url),
    endpoints: (platform) => emulatorEndpoints(platformModule(platform), url),
    close: () => emulator.close(),

    async upsertUser(platform, username, accountType) {
      const user = (await control(`/users/${platform}/${username}`, accountType === undefined ? {} : { accountType })) as { userId: string };
      return user.userId;
    },
    async revokeUser(platform, username, subcode) {
      await control(`/users/${platform}/${username}/revoke`, subcode === undefined ? {} : { subcode });
    },
    async expireAccessTokens(platform, username) {
      await control(`/users/${platform}/${username}/expire`);
    },
    async injectFault(fault) {
      await control('/faults', fault);
    },

    async consent(authorizeUrl, choice) {
      const page = await fetch(authorizeUrl);
      const html = await page.text();
      assert.equal(page.status, 200, `authorize page: ${html}`);
      const form = parseConsentForm(html);
      const body = new URLSearchParams();
      for (const control of form.controls) {
        if (control.type === 'checkbox' && (!control.checked || choice.untick?.includes(control.value))) continue;
        body.append(control.name, control.name === 'username' ? choice.username : control.value);
      }
      body.append('decision', 'approve');
      const submitted = await fetch(new URL(form.action, authorizeUrl), { method: 'POST', body, redirect: 'manual' });
      const location = submitted.headers.get('location');
      assert.equal(submitted.status, 302, await submitted.text());
      assert.ok(location !== null);
      return new URL(location);
    },
  };
}

export function newCodeVerifier(): string {
  return randomBytes(32).toString('base64url');
}

/** A consent as `username` through the adapter's own authorize URL (its default scopes, minus `untick`): the code, its verifier, the redirect. */
export async function consentThrough(
  emulator: TestEmulator,
  adapter: PlatformAdapter,
  username: string,
  untick: string[] = [],
): Promise<{ code: string; codeVerifier: string; redirect: URL }> {
  const codeVerifier = newCodeVerifier();
  const authorizeUrl = adapter.authorizeUrl({ state: 's1', redirectUri: REDIRECT_URI, scopes: [...adapter.defaultScopes], codeVerifier });
  const redirect = await emulator.consent(authorizeUrl, { username, untick });
  return { code: redirect.searchParams.get('code') ?? '', codeVerifier, redirect };
}

/** …with the code redeemed as the callback would, given what the redirect says was granted: the tokens a client ends up holding. */
export async function connectThrough(emulator: TestEmulator, adapter: PlatformAdapter, username: string, untick: string[] = []): Promise<TokenSet> {
  const { code, codeVerifier, redirect } = await consentThrough(emulator, adapter, username, untick);
  return adapter.exchangeCode({ code, redirectUri: REDIRECT_URI, codeVerifier, callbackScopes: adapter.callbackScopes(Object.fromEntries(redirect.searchParams)) });
}

/** Awaits `promise`, asserts it rejects with a PlatformError of this kind, and returns the error. */
export async function expectPlatformError(
  promise: Promise<unknown>,
  expected: { kind: PlatformErrorKind; platformCode?: string; reauthReason?: ReauthReason | null },
): Promise<PlatformError> {
  const error = await promise.then(
    () => assert.fail('expected a PlatformError'),
    (rejection: unknown) => rejection,
  );
  assert.ok(error instanceof PlatformError, `not a PlatformError: ${String(error)}`);
  assert.equal(error.kind, expected.kind, error.message);
  if (expected.platformCode !== undefined) assert.equal(error.platformCode, expected.platformCode, error.message);
  if (expected.reauthReason !== undefined) assert.equal(error.reauthReason, expected.reauthReason, error.message);
  return error;
}

/** The profile of an account that can publish (asserted), with its identity fields. */
export function eligible(profile: PlatformProfile): EligibleProfile {
  assert.ok(profile.eligible, `not eligible: ${profile.eligible ? '' : profile.reason}`);
  return profile;
}

/** A fetch that records every URL it was asked for and passes the request on. */
export function recordingFetch(): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    },
  };
}
