import type { PlatformEmulator } from '../emulator/platform-emulator.ts';
import type { PlatformProfile } from './adapter.ts';
import type { FailureClassification } from './errors.ts';
import type { PlatformHttp, PlatformRequest } from './http-client.ts';
import type { PlatformMetrics } from './metrics.ts';
import type { PlatformMedia } from './media.ts';
import type { PlatformPublishing } from './publishing.ts';
import type { TokenSet } from './tokens.ts';

/** One host of a platform: its real base URL, the variable that overrides it, and where the emulator mounts it. */
export interface PlatformHost {
  /** Environment variable an operator sets to point a live app elsewhere (a proxy, a staging host). */
  env: string;
  /** The real host, e.g. `https://api.example-platform.com`. */
  production: string;
  /** Path under `<emulator>/<platform id>` where the bundled emulator serves this host, e.g. `/open`. */
  emulatorPath: string;
}

/** One optional setting of a live app, read from its own environment variable (docs/operations.md lists them). */
export interface PlatformSetting {
  env: string;
  /** Refuses a value at start (e.g. not an https URL); returns the problem, or null when fine. */
  check?(value: string): string | null;
}

/** How the shared OAuth 2.0 core (oauth-core.ts) talks to one platform. Hosts are keys of `app.hosts`. */
export interface OAuthDescription {
  authorize: {
    host: string;
    path: string;
    /** The name the platform gives the app id parameter (usually `client_id`). */
    clientIdParam: string;
    /** Fixed parameters the platform needs on every consent URL (e.g. `access_type=offline`). */
    extraParams?: Readonly<Record<string, string>>;
  };
  /** PKCE on the consent URL and the code exchange: RFC 7636 S256, plain, or none at all. */
  pkce: 'S256' | 'plain' | 'none';
  /** How scopes are joined in the consent URL and split in token responses. */
  scopeSeparator: ',' | ' ';
  /** Requested when the partner names none. */
  defaultScopes: readonly string[];
  /** What publishing needs; a grant without one of them fails with SCOPES_NOT_GRANTED. */
  requiredScopes: readonly string[];
  /** The callback query parameter that lists what the person actually granted (`scope`, `scopes`), if any. */
  callbackScopesParam: string | null;
  token: {
    host: string;
    path: string;
    clientIdParam: string;
    /** How the token endpoint wants its parameters, and where the app's credentials go. */
    bodyFormat: 'form' | 'json';
    clientAuth: 'body' | 'basic';
  };
  /**
   * `grant`: the standard refresh_token grant. `rotating` refresh tokens come back with every
   * answer and the old one dies; `stable` ones are issued once and kept.
   * `custom`: the module refreshes its own way (e.g. a long-lived access token that refreshes itself).
   */
  refresh:
    | { kind: 'grant'; refreshTokens: 'rotating' | 'stable' }
    | { kind: 'custom'; run(http: PlatformHttp, tokens: TokenSet): Promise<TokenSet> };
  /** Whether a refresh can mend an access token the API rejected (true where access tokens merely expire early). */
  refreshMendsRejectedAccessToken: boolean;
  /** When the background refresher should next refresh this token set; null: never (it cannot be refreshed). */
  nextRefreshAt(tokens: TokenSet): string | null;
  /** A code exchange that needs more than one standard call (e.g. a short-lived token traded for a long-lived one). */
  exchange?(http: PlatformHttp, code: string, redirectUri: string, codeVerifier: string, callbackScopes: string[] | null): Promise<TokenSet>;
  /** Revocation endpoint (RFC 7009 style, a form with `token`); null where the platform has none. */
  revoke: { host: string; path: string; token: 'access' | 'refresh'; clientAuth: 'body' | 'none' } | null;
}

/**
 * Everything the server knows about one platform, in one place: what it is, how its OAuth works,
 * how to read a profile, how to tell its failures apart, and its emulator. The registry lists the
 * modules; nothing else names a platform (docs/platforms/adding-a-platform.md).
 */
export interface PlatformModule<Id extends string = string> {
  readonly id: Id;
  readonly displayName: string;
  /** Whether accounts can be reconnected through reauth-url (others reconnect through oauth-url). */
  readonly reauthEligible: boolean;
  /** A live app: the variables holding its credentials, and its hosts (keys end in `BaseUrl`). */
  readonly app: {
    readonly clientIdEnv: string;
    readonly clientSecretEnv: string;
    readonly hosts: Readonly<Record<`${string}BaseUrl`, PlatformHost>>;
    /**
     * Optional operator settings of a live app beyond credentials and hosts (e.g. a media URL prefix
     * verified with the platform), by name; the live adapter carries the values set in
     * `endpoints.settings`. Sandbox adapters carry none.
     */
    readonly settings?: Readonly<Record<string, PlatformSetting>>;
  };
  readonly oauth: OAuthDescription;
  /**
   * null when an answer is a success; otherwise what kind of failure it is. Some platforms answer
   * 200 with an error body, so the status alone proves nothing.
   */
  classify(status: number, body: unknown, request: PlatformRequest): FailureClassification | null;
  fetchProfile(http: PlatformHttp, tokens: TokenSet): Promise<PlatformProfile>;
  /**
   * The platform's published media rules and a container's fit to them (docs/platforms/media-rules.md);
   * absent, like `publishing`, where this server does not publish.
   */
  readonly media?: PlatformMedia;
  /** How posts are published there; absent where this server does not publish (yet). */
  readonly publishing?: PlatformPublishing;
  /** What the platform measures on posts and accounts; absent where it measures nothing readable. */
  readonly metrics?: PlatformMetrics;
  readonly emulator: PlatformEmulator;
}

/**
 * Declares a module, keeping its id a literal type (the registry derives `PlatformId` from it) and
 * its emulator's options type (EmulatorOptions derives the per-platform settings from it).
 */
export function definePlatform<const Id extends string, Emulator extends PlatformEmulator<never>>(
  module: PlatformModule<Id> & { readonly emulator: Emulator },
): PlatformModule<Id> & { readonly emulator: Emulator } {
  return module;
}
