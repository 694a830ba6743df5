import type { LightMyRequestResponse } from 'fastify';
import type { PlatformId } from '../../src/platforms/registry.ts';
import { parseConsentForm, type ConsentChoice } from '../emulator/consent-driver.ts';
import type { TestContext } from './test-app.ts';

/**
 * Plays the person in front of the platform's consent page: loads `authorizeUrl` from the
 * emulator, submits its form with `choice`, and returns where the platform redirected the browser.
 */
export async function consent(authorizeUrl: string, choice: ConsentChoice = {}): Promise<URL> {
  const page = await fetch(authorizeUrl);
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}: ${await page.text()}`);
  const form = parseConsentForm(await page.text());
  const body = new URLSearchParams();
  for (const control of form.controls) {
    if (control.type === 'checkbox' && (!control.checked || choice.untick?.includes(control.value))) continue;
    body.append(control.name, control.name === 'username' && choice.username !== undefined ? choice.username : control.value);
  }
  body.append('decision', choice.decision ?? 'approve');
  const submitted = await fetch(new URL(form.action, authorizeUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
    redirect: 'manual',
  });
  const location = submitted.headers.get('location');
  if (submitted.status !== 302 || !location) throw new Error(`consent submit answered ${submitted.status}`);
  return new URL(location);
}

/** Delivers the platform's redirect to the server's callback, as the browser would. */
export function followToCallback(ctx: TestContext, redirect: URL): Promise<LightMyRequestResponse> {
  return ctx.app.inject({ method: 'GET', url: `${redirect.pathname}${redirect.search}` });
}

export interface ConnectedAccount {
  socialAccountId: string;
  state: string;
}

/** oauth-url → consent → callback, asserting nothing: returns the callback response and state. */
export async function runConnect(
  ctx: TestContext,
  request: { secret: string; projectId: string; platform: PlatformId; returnUrl?: string; scopes?: string[] },
  choice: ConsentChoice = {},
): Promise<{ callback: LightMyRequestResponse; state: string; returnUrl: string }> {
  const returnUrl = request.returnUrl ?? 'https://app.example.com/connected';
  const minted = await ctx.call({
    method: 'POST',
    url: `/v1/projects/${request.projectId}/social/oauth-url`,
    key: request.secret,
    body: { platform: request.platform, returnUrl, ...(request.scopes ? { scopes: request.scopes } : {}) },
  });
  if (minted.statusCode !== 200) throw new Error(`oauth-url answered ${minted.statusCode}: ${minted.body}`);
  const { authorizeUrl, state } = minted.json() as { authorizeUrl: string; state: string };
  const callback = await followToCallback(ctx, await consent(authorizeUrl, choice));
  return { callback, state, returnUrl };
}
