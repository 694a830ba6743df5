import type { FastifyInstance, FastifyReply } from 'fastify';
import { DEFAULT_CONSENT_USERNAME, renderConsentPage, renderErrorPage } from './consent-page.ts';
import type { PlatformBranding } from './consent-page.ts';
import { firstValue, toFormValues } from './form-values.ts';
import type { FormValues } from './form-values.ts';
import type { PlatformId } from '../platforms/registry.ts';
import type { EmulatorState } from './state.ts';
import { normalizeUsername } from './users.ts';

/** An authorize request that passed the platform's checks. */
export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  codeChallenge: string | undefined;
  /** Set where the client chooses whether the grant includes a refresh token ("offline" access). */
  offlineAccess?: boolean;
}

export type AuthorizeValidation = { ok: true; request: AuthorizeRequest } | { ok: false; message: string };

/** What differs between the platforms' authorize pages. */
export interface ConsentPlatform {
  platform: PlatformId;
  branding: PlatformBranding;
  codeTtlSeconds: number;
  /** Checks the query like the platform would, before anything is redirected anywhere. */
  validate(params: FormValues): AuthorizeValidation;
  mintCode(): string;
  approvedRedirect(request: AuthorizeRequest, code: string, grantedScopes: string[]): string;
  deniedRedirect(request: AuthorizeRequest): string;
}

/** Form field names of the consent page itself; original query parameters never use them. */
const CONSENT_FIELDS = new Set(['scope', 'username', 'decision']);

/** Redirect URIs must be absolute http(s) URLs without a fragment on both platforms. */
export function isAcceptableRedirectUri(value: string | undefined): value is string {
  if (value === undefined || !URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.hash === '';
}

/** Scopes may arrive comma- or space-separated, or as repeated checkbox values. */
function scopeList(values: string[] | undefined): string[] {
  const scopes = (values ?? []).flatMap((value) => value.split(/[\s,]+/)).filter((scope) => scope.length > 0);
  return [...new Set(scopes)];
}

function sendErrorPage(reply: FastifyReply, platform: ConsentPlatform, message: string): FastifyReply {
  return reply.code(400).type('text/html; charset=utf-8').send(renderErrorPage(platform.branding, message));
}

/**
 * GET `path` shows the consent page; its form POSTs back to `path` with the user's decision.
 * The POST re-validates the carried parameters so it can never redirect to an unchecked URI.
 */
export function registerConsentRoutes(
  scope: FastifyInstance,
  path: string,
  platform: ConsentPlatform,
  state: EmulatorState,
): void {
  scope.get(path, async (request, reply) => {
    const params = toFormValues(request.query);
    const validation = platform.validate(params);
    if (!validation.ok) return sendErrorPage(reply, platform, validation.message);
    const scopes = scopeList(params['scope']);
    if (scopes.length === 0) return sendErrorPage(reply, platform, 'The request is missing the scope parameter.');
    const hiddenFields = Object.entries(params)
      .filter(([name]) => !CONSENT_FIELDS.has(name))
      .flatMap(([name, values]) => values.map((value): [string, string] => [name, value]));
    return reply.type('text/html; charset=utf-8').send(
      renderConsentPage({
        branding: platform.branding,
        action: request.url.split('?')[0] ?? path,
        clientId: validation.request.clientId,
        redirectUri: validation.request.redirectUri,
        scopes,
        hiddenFields,
      }),
    );
  });

  scope.post(path, async (request, reply) => {
    const form = toFormValues(request.body);
    const validation = platform.validate(form);
    if (!validation.ok) return sendErrorPage(reply, platform, validation.message);
    const authorize = validation.request;
    const decision = firstValue(form, 'decision');
    if (decision === 'deny') return reply.redirect(platform.deniedRedirect(authorize), 302);
    if (decision !== 'approve') return sendErrorPage(reply, platform, 'Choose Authorize or Deny.');

    const username = normalizeUsername(firstValue(form, 'username') ?? DEFAULT_CONSENT_USERNAME);
    if (!username) return sendErrorPage(reply, platform, 'Usernames are 1–30 letters, digits, dots or underscores.');
    const user = state.users.ensure(platform.platform, username);
    const grantedScopes = scopeList(form['scope']);
    const code = state.codes.issue({
      code: platform.mintCode(),
      platform: platform.platform,
      clientId: authorize.clientId,
      redirectUri: authorize.redirectUri,
      scopes: grantedScopes,
      codeChallenge: authorize.codeChallenge,
      offlineAccess: authorize.offlineAccess,
      username: user.username,
      userId: user.userId,
      ttlSeconds: platform.codeTtlSeconds,
    });
    return reply.redirect(platform.approvedRedirect(authorize, code.code, grantedScopes), 302);
  });
}
