import type { EmulatorClock } from './clock.ts';
import type { PlatformId } from '../platforms/registry.ts';

/** One consent redeemed by one client: every token minted from it shares its fate on revocation. */
export interface Grant {
  platform: PlatformId;
  clientId: string;
  username: string;
  userId: string;
  scopes: string[];
}

export type TokenKind = 'access' | 'refresh' | 'short_lived' | 'long_lived';

export type TokenState = 'active' | 'expired' | 'revoked' | 'rotated' | 'exchanged';

export interface IssuedToken {
  token: string;
  kind: TokenKind;
  grant: Grant;
  issuedAt: number;
  expiresAt: number;
  /** Set when a newer token replaced this one (refresh-token rotation, a short-lived token exchanged for a long-lived one). */
  replacedBy: 'rotated' | 'exchanged' | undefined;
  revoked: boolean;
  /** Error subcode reported for a revoked token, where the platform has them (the emulator's `revokeSubcodes`). */
  revokedSubcode: number | undefined;
}

const ACCESS_KINDS: ReadonlySet<TokenKind> = new Set(['access', 'short_lived', 'long_lived']);

/** Every token the emulator ever issued, with what has happened to it since. */
export class TokenLedger {
  readonly #clock: EmulatorClock;
  readonly #tokens = new Map<string, IssuedToken>();

  constructor(clock: EmulatorClock) {
    this.#clock = clock;
  }

  issue(grant: Grant, kind: TokenKind, token: string, ttlSeconds: number): IssuedToken {
    const issuedAt = this.#clock.now();
    const issued: IssuedToken = {
      token,
      kind,
      grant,
      issuedAt,
      expiresAt: issuedAt + ttlSeconds * 1000,
      replacedBy: undefined,
      revoked: false,
      revokedSubcode: undefined,
    };
    this.#tokens.set(token, issued);
    return issued;
  }

  find(platform: PlatformId, token: string): IssuedToken | undefined {
    const issued = this.#tokens.get(token);
    return issued?.grant.platform === platform ? issued : undefined;
  }

  stateOf(issued: IssuedToken): TokenState {
    if (issued.revoked) return 'revoked';
    if (issued.replacedBy === 'rotated') return 'rotated';
    if (this.#clock.now() >= issued.expiresAt) return 'expired';
    // An exchanged short-lived token keeps working until it expires, as the platforms that exchange them do.
    return issued.replacedBy ?? 'active';
  }

  isUsable(issued: IssuedToken): boolean {
    const state = this.stateOf(issued);
    return state === 'active' || state === 'exchanged';
  }

  /**
   * Seconds the token has left, as the platforms report in `expires_in`: rounded up, so a token
   * issued a millisecond ago still reports its whole lifetime.
   */
  remainingSeconds(issued: IssuedToken): number {
    return Math.max(0, Math.ceil((issued.expiresAt - this.#clock.now()) / 1000));
  }

  markReplaced(issued: IssuedToken, how: 'rotated' | 'exchanged'): void {
    issued.replacedBy = how;
  }

  /** Revokes every still-living token of the grant; returns how many were revoked. */
  revokeGrant(grant: Grant, subcode?: number): number {
    return this.#revokeWhere((issued) => issued.grant === grant, subcode);
  }

  revokeUser(platform: PlatformId, username: string, subcode?: number): number {
    return this.#revokeWhere((issued) => this.#belongsTo(issued, platform, username), subcode);
  }

  /** Makes the user's usable access tokens expire now; refresh tokens are left alone. */
  expireUserAccessTokens(platform: PlatformId, username: string): number {
    const now = this.#clock.now();
    let expired = 0;
    for (const issued of this.#tokens.values()) {
      if (!ACCESS_KINDS.has(issued.kind) || !this.#belongsTo(issued, platform, username)) continue;
      if (!this.isUsable(issued)) continue;
      issued.expiresAt = now;
      expired++;
    }
    return expired;
  }

  list(platform: PlatformId): IssuedToken[] {
    return [...this.#tokens.values()].filter((issued) => issued.grant.platform === platform);
  }

  #belongsTo(issued: IssuedToken, platform: PlatformId, username: string): boolean {
    return issued.grant.platform === platform && issued.grant.username === username;
  }

  #revokeWhere(matches: (issued: IssuedToken) => boolean, subcode: number | undefined): number {
    let revoked = 0;
    for (const issued of this.#tokens.values()) {
      if (!matches(issued) || issued.revoked || issued.replacedBy === 'rotated') continue;
      issued.revoked = true;
      issued.revokedSubcode = subcode;
      revoked++;
    }
    return revoked;
  }
}
