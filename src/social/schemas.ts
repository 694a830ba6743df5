import { z } from 'zod';
import { isPrefixedId } from '../ids.ts';
import { PLATFORMS } from '../platforms/registry.ts';
import { normalizeReturnUrl, returnUrlProblem } from './return-url.ts';

// The raw checks come first: z.url() trims and drops tabs and newlines before it parses.
const returnUrl = z
  .string()
  .max(2048)
  .meta({ format: 'uri' })
  .superRefine((raw, ctx) => {
    const problem = returnUrlProblem(raw);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .pipe(z.url({ protocol: /^https?$/, hostname: z.regexes.hostname }))
  .transform(normalizeReturnUrl)
  .describe(
    "Absolute http(s) URL; its host must be on the API key's return-URL allowlist. Stored and redirected to in its normalised (WHATWG, ASCII) form.",
  );
const scopes = z
  .array(z.string().min(1).max(64))
  .min(1)
  .max(32)
  .describe("Replaces the platform's default scope set.");

export const oauthUrlBody = z
  .strictObject({
    platform: z.enum(PLATFORMS),
    returnUrl,
    scopes: scopes.optional(),
    usageNote: z.string().max(500).optional().describe('Stored and echoed in oauth-status.'),
  })
  .meta({ id: 'OAuthUrlRequest' });

export const reauthUrlBody = z
  .strictObject({
    socialAccountId: z.string().refine((v) => isPrefixedId(v, 'sa'), { message: 'Must be the prefixed form sa_<uuid>.' }),
    returnUrl,
    scopes: scopes.optional(),
  })
  .meta({ id: 'ReauthUrlRequest' });

export const authorizeUrlResponse = z
  .object({ authorizeUrl: z.string(), state: z.string(), expiresAt: z.string() })
  .meta({ id: 'AuthorizeUrl' });

export const ACCOUNT_STATUSES = ['connected', 'reauth_required', 'disconnected'] as const;
export const REAUTH_REASONS = ['token_revoked', 'refresh_expired', 'scopes_missing', 'credential_invalid'] as const;
export const OAUTH_ERROR_CODES = [
  'USER_DENIED',
  'STATE_EXPIRED',
  'ACCOUNT_MISMATCH',
  'ACCOUNT_NOT_ELIGIBLE',
  'SCOPES_NOT_GRANTED',
  'PLATFORM_ERROR',
] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

export const socialAccountSchema = z
  .object({
    socialAccountId: z.string(),
    projectId: z.string(),
    platform: z.enum(PLATFORMS),
    handle: z.string(),
    displayName: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    status: z.enum(ACCOUNT_STATUSES),
    leased: z.boolean(),
    connectedAt: z.string(),
    tokenExpiresAt: z.string().nullable(),
    reauthRequiredAt: z.string().nullable(),
    reauthReason: z.enum(REAUTH_REASONS).nullable(),
    disconnectedAt: z.string().nullable(),
    disconnectedReason: z.string().nullable(),
  })
  .meta({ id: 'SocialAccount' });
export type SocialAccountView = z.infer<typeof socialAccountSchema>;

export const oauthStatusSchema = z
  .object({
    state: z.string(),
    kind: z.enum(['connect', 'reauth']),
    platform: z.enum(PLATFORMS),
    projectId: z.string(),
    status: z.enum(['pending', 'completed', 'failed', 'expired']),
    expiresAt: z.string(),
    usageNote: z.string().nullable(),
    socialAccountId: z.string().nullable(),
    completedAt: z.string().nullable(),
    error: z.object({ code: z.enum(OAUTH_ERROR_CODES), message: z.string() }).nullable(),
  })
  .meta({ id: 'OAuthStatus' });
export type OAuthStatusView = z.infer<typeof oauthStatusSchema>;

export const accountHealthSchema = z
  .object({
    socialAccountId: z.string(),
    status: z.enum(ACCOUNT_STATUSES),
    platform: z.enum(PLATFORMS),
    needsReauth: z.boolean(),
    reauthReason: z.enum(REAUTH_REASONS).nullable(),
    token: z.object({
      accessTokenExpiresAt: z.string().nullable(),
      refreshTokenExpiresAt: z.string().nullable(),
      lastRefreshedAt: z.string().nullable(),
      nextRefreshAt: z.string().nullable(),
      consecutiveFailures: z.number().int(),
      lastError: z.object({ code: z.string(), message: z.string(), at: z.string() }).nullable(),
    }),
    scopes: z.object({ granted: z.array(z.string()), missing: z.array(z.string()) }),
    checkedAt: z.string(),
  })
  .meta({ id: 'SocialAccountHealth' });
export type AccountHealthView = z.infer<typeof accountHealthSchema>;

export const revokeResponseSchema = z
  .object({
    socialAccountId: z.string(),
    status: z.literal('disconnected'),
    disconnectedReason: z.string(),
    canceledScheduledPosts: z.number().int(),
    disconnectedAt: z.string(),
  })
  .meta({ id: 'RevokedSocialAccount' });

const RECONNECT_LINK_TTL_SECONDS = { min: 600, max: 30 * 24 * 3600, default: 7 * 24 * 3600 };

/**
 * A reconnect link (docs/reference/reconnect-links.md): `socialAccountId` for a reauth link, or
 * `platform` (and `usageNote`) for a link that connects a new account; exactly one of the two.
 */
export const reconnectLinkBody = z
  .strictObject({
    socialAccountId: reauthUrlBody.shape.socialAccountId.optional(),
    platform: oauthUrlBody.shape.platform.optional(),
    returnUrl,
    scopes: scopes.optional(),
    usageNote: oauthUrlBody.shape.usageNote,
    expiresInSeconds: z
      .number()
      .int()
      .min(RECONNECT_LINK_TTL_SECONDS.min)
      .max(RECONNECT_LINK_TTL_SECONDS.max)
      .default(RECONNECT_LINK_TTL_SECONDS.default)
      .describe('How long the link works, 600 to 2,592,000 seconds (30 days); default 604,800 (7 days).'),
  })
  .superRefine((body, ctx) => {
    if ((body.socialAccountId === undefined) === (body.platform === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['socialAccountId'], message: 'Give either socialAccountId (a reauth link) or platform (a link that connects a new account), not both.' });
    }
    if (body.usageNote !== undefined && body.socialAccountId !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['usageNote'], message: 'usageNote goes with platform (a connect link), as on oauth-url.' });
    }
  })
  .meta({ id: 'ReconnectLinkRequest' });

export const RECONNECT_LINK_STATUSES = ['active', 'used', 'expired', 'revoked'] as const;

export const reconnectLinkSchema = z
  .object({
    linkId: z.string(),
    kind: z.enum(['connect', 'reauth']),
    platform: z.enum(PLATFORMS),
    projectId: z.string(),
    socialAccountId: z.string().nullable(),
    status: z.enum(RECONNECT_LINK_STATUSES),
    expiresAt: z.string(),
    clicks: z.number().int(),
    lastState: z.string().nullable().describe('The OAuth state the latest click minted; poll oauth-status with it (with the key that created the link).'),
    usedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'ReconnectLink' });
export type ReconnectLinkView = z.infer<typeof reconnectLinkSchema>;

export const createdReconnectLinkSchema = reconnectLinkSchema
  .extend({ url: z.string().describe('The link to send the person; shown once, only its hash is stored.') })
  .meta({ id: 'CreatedReconnectLink' });
