import type { FastifyInstance } from 'fastify';
import { EMULATOR_DEFAULT_CREDENTIALS } from '../../src/emulator/app.ts';

/**
 * Drives the emulator's consent pages the way a browser would: load the page, read its form,
 * submit it. Keeps the tests honest about what the HTML really carries.
 */

export const REDIRECT_URI = 'https://app.example.com/oauth/callback';

export interface FormControl {
  type: string;
  name: string;
  value: string;
  checked: boolean;
}

export interface ConsentForm {
  method: string;
  action: string;
  controls: FormControl[];
  buttons: Array<{ name: string; value: string; text: string }>;
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match?.[1] === undefined ? undefined : decodeEntities(match[1]);
}

function decodeEntities(value: string): string {
  return value
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

export function parseConsentForm(html: string): ConsentForm {
  const formTag = /<form\b[^>]*>/.exec(html)?.[0] ?? '';
  const controls = [...html.matchAll(/<input\b[^>]*>/g)].map(([tag]) => ({
    type: attribute(tag, 'type') ?? 'text',
    name: attribute(tag, 'name') ?? '',
    value: attribute(tag, 'value') ?? '',
    checked: /\schecked\b/.test(tag),
  }));
  const buttons = [...html.matchAll(/<button\b([^>]*)>([^<]*)<\/button>/g)].map(([, attributes = '', text = '']) => ({
    name: attribute(` ${attributes}`, 'name') ?? '',
    value: attribute(` ${attributes}`, 'value') ?? '',
    text: text.trim(),
  }));
  return { method: attribute(formTag, 'method') ?? '', action: attribute(formTag, 'action') ?? '', controls, buttons };
}

export interface ConsentChoice {
  username?: string;
  untick?: string[];
  decision?: 'approve' | 'deny';
}

/** Loads the authorize page at `url`, submits its form, and returns the redirect the app sent. */
export async function submitConsent(app: FastifyInstance, url: string, choice: ConsentChoice = {}): Promise<URL> {
  const page = await app.inject({ method: 'GET', url });
  if (page.statusCode !== 200) throw new Error(`authorize page answered ${page.statusCode}: ${page.body}`);
  const form = parseConsentForm(page.body);
  const body = new URLSearchParams();
  for (const control of form.controls) {
    if (control.type === 'checkbox' && (!control.checked || choice.untick?.includes(control.value))) continue;
    const value = control.name === 'username' && choice.username !== undefined ? choice.username : control.value;
    body.append(control.name, value);
  }
  body.append('decision', choice.decision ?? 'approve');
  const submitted = await app.inject({
    method: 'POST',
    url: form.action,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: body.toString(),
  });
  const location = submitted.headers.location;
  if (submitted.statusCode !== 302 || typeof location !== 'string') {
    throw new Error(`consent answered ${submitted.statusCode}: ${submitted.body}`);
  }
  return new URL(location);
}

export function tiktokAuthorizeUrl(params: Record<string, string> = {}): string {
  const query = new URLSearchParams({
    client_key: EMULATOR_DEFAULT_CREDENTIALS.tiktok.clientId,
    response_type: 'code',
    scope: 'user.info.basic,user.info.profile',
    redirect_uri: REDIRECT_URI,
    state: 'tt-state',
    ...params,
  });
  return `/tiktok/www/v2/auth/authorize/?${query}`;
}

export function instagramAuthorizeUrl(params: Record<string, string> = {}, host: 'www' | 'api' = 'www'): string {
  const query = new URLSearchParams({
    client_id: EMULATOR_DEFAULT_CREDENTIALS.instagram.clientId,
    response_type: 'code',
    scope: 'instagram_business_basic,instagram_business_content_publish',
    redirect_uri: REDIRECT_URI,
    state: 'ig-state',
    ...params,
  });
  return `/instagram/${host}/oauth/authorize?${query}`;
}

export function formPost(url: string, fields: Record<string, string>) {
  return {
    method: 'POST' as const,
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  };
}

export interface TikTokTokenResponse {
  access_token: string;
  expires_in: number;
  open_id: string;
  refresh_expires_in: number;
  refresh_token: string;
  scope: string;
  token_type: string;
}

export function tiktokCodeExchange(code: string, extra: Record<string, string> = {}) {
  return formPost('/tiktok/open/v2/oauth/token/', {
    client_key: EMULATOR_DEFAULT_CREDENTIALS.tiktok.clientId,
    client_secret: EMULATOR_DEFAULT_CREDENTIALS.tiktok.clientSecret,
    grant_type: 'authorization_code',
    redirect_uri: REDIRECT_URI,
    code,
    ...extra,
  });
}

export function tiktokRefresh(refreshToken: string) {
  return formPost('/tiktok/open/v2/oauth/token/', {
    client_key: EMULATOR_DEFAULT_CREDENTIALS.tiktok.clientId,
    client_secret: EMULATOR_DEFAULT_CREDENTIALS.tiktok.clientSecret,
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
  });
}

/** Consent as `username` and redeem the code: the tokens a TikTok client ends up holding. */
export async function connectTikTok(
  app: FastifyInstance,
  username = 'demo_creator',
  scope = 'user.info.basic,user.info.profile',
): Promise<TikTokTokenResponse> {
  const callback = await submitConsent(app, tiktokAuthorizeUrl({ scope }), { username });
  const response = await app.inject(tiktokCodeExchange(callback.searchParams.get('code') ?? ''));
  if (response.statusCode !== 200) throw new Error(`token exchange answered ${response.statusCode}: ${response.body}`);
  return response.json<TikTokTokenResponse>();
}

export function instagramCodeExchange(code: string, extra: Record<string, string> = {}) {
  return formPost('/instagram/api/oauth/access_token', {
    client_id: EMULATOR_DEFAULT_CREDENTIALS.instagram.clientId,
    client_secret: EMULATOR_DEFAULT_CREDENTIALS.instagram.clientSecret,
    grant_type: 'authorization_code',
    redirect_uri: REDIRECT_URI,
    code,
    ...extra,
  });
}

/** Consent as `username` and exchange the code; returns the short-lived token and the raw body. */
export async function connectInstagram(
  app: FastifyInstance,
  username = 'demo_creator',
): Promise<{ accessToken: string; rawBody: string }> {
  const callback = await submitConsent(app, instagramAuthorizeUrl(), { username });
  const response = await app.inject(instagramCodeExchange(callback.searchParams.get('code') ?? ''));
  if (response.statusCode !== 200) throw new Error(`code exchange answered ${response.statusCode}: ${response.body}`);
  return { accessToken: response.json<{ access_token: string }>().access_token, rawBody: response.body };
}

export async function instagramLongLived(app: FastifyInstance, shortLived: string): Promise<string> {
  const query = new URLSearchParams({
    grant_type: 'ig_exchange_token',
    client_secret: EMULATOR_DEFAULT_CREDENTIALS.instagram.clientSecret,
    access_token: shortLived,
  });
  const response = await app.inject({ method: 'GET', url: `/instagram/graph/access_token?${query}` });
  if (response.statusCode !== 200) throw new Error(`ig_exchange_token answered ${response.statusCode}: ${response.body}`);
  return response.json<{ access_token: string }>().access_token;
}
