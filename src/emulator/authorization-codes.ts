import type { EmulatorClock } from './clock.ts';
import type { PlatformId } from '../platforms/registry.ts';

/** What the consent page decided, remembered until the client redeems the code. */
export interface AuthorizationCode {
  code: string;
  platform: PlatformId;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string | undefined;
  /** What the authorize request said about a refresh token, where the client chooses (AuthorizeRequest.offlineAccess). */
  offlineAccess?: boolean;
  username: string;
  userId: string;
  expiresAt: number;
  used: boolean;
}

export type CodeLookup =
  | { ok: true; code: AuthorizationCode }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' };

export type NewAuthorizationCode = Omit<AuthorizationCode, 'expiresAt' | 'used'> & { ttlSeconds: number };

/** Single-use, short-lived authorization codes. */
export class AuthorizationCodes {
  readonly #clock: EmulatorClock;
  readonly #codes = new Map<string, AuthorizationCode>();

  constructor(clock: EmulatorClock) {
    this.#clock = clock;
  }

  issue(fields: NewAuthorizationCode): AuthorizationCode {
    const { ttlSeconds, ...rest } = fields;
    const code: AuthorizationCode = { ...rest, expiresAt: this.#clock.now() + ttlSeconds * 1000, used: false };
    this.#codes.set(code.code, code);
    return code;
  }

  /** Looks a code up without spending it, so a failed redemption (e.g. bad PKCE) leaves it usable. */
  lookup(platform: PlatformId, code: string): CodeLookup {
    const found = this.#codes.get(code);
    if (!found || found.platform !== platform) return { ok: false, reason: 'unknown' };
    if (found.used) return { ok: false, reason: 'used' };
    if (this.#clock.now() >= found.expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true, code: found };
  }

  consume(code: AuthorizationCode): void {
    code.used = true;
  }
}
