import type { PlatformHttp } from './http-client.ts';
import type { PlatformModule } from './module.ts';
import type { PlatformId } from './registry.ts';
import type { TokenSet } from './tokens.ts';

export interface PlatformProfile {
  platformUserId: string;
  handle: string;
  displayName: string | null;
  /** The platform's (expiring) CDN URL; the server copies the image at connect and reauth. */
  avatarUrl: string | null;
  /** False when the account cannot publish through this API (e.g. a personal account where only business accounts can). */
  eligible: boolean;
}

export interface AuthorizeRequest {
  state: string;
  redirectUri: string;
  scopes: string[];
  /** PKCE verifier the server keeps in its vault; the adapter derives the challenge the platform expects. */
  codeVerifier: string;
}

export interface CodeExchange {
  /** The code exactly as the callback received it (it may carry a fragment suffix the module strips). */
  code: string;
  redirectUri: string;
  codeVerifier: string;
  /** Scopes the callback says were granted, when the platform says. */
  callbackScopes: string[] | null;
}

/** One platform app (sandbox or live), as the rest of the server uses it. Built by oauth-core.ts from a module. */
export interface PlatformAdapter {
  readonly platform: PlatformId;
  readonly module: PlatformModule;
  /** The app's HTTP client, for calls beyond OAuth (publishing, metrics). */
  readonly http: PlatformHttp;
  /** Scopes requested when the partner does not name any. */
  readonly defaultScopes: readonly string[];
  /** Scopes publishing needs; a grant without one of them fails with SCOPES_NOT_GRANTED. */
  readonly requiredScopes: readonly string[];
  authorizeUrl(request: AuthorizeRequest): string;
  /** The granted scopes a callback reports, when the platform reports them there. */
  callbackScopes(query: Readonly<Record<string, string | undefined>>): string[] | null;
  /** Code → tokens (through the module's own exchange where one call is not enough). */
  exchangeCode(exchange: CodeExchange): Promise<TokenSet>;
  fetchProfile(tokens: TokenSet): Promise<PlatformProfile>;
  /** A refreshed token set; throws PlatformError. Never returns a set without a usable access token. */
  refresh(tokens: TokenSet): Promise<TokenSet>;
  /** When a refresh should happen (the module's schedule). */
  nextRefreshAt(tokens: TokenSet): string | null;
  /** Revokes the grant upstream (best effort: callers ignore failures). */
  revoke(tokens: TokenSet): Promise<void>;
}
