import type { PlatformId } from '../platforms/registry.ts';

export interface EmulatedUser {
  platform: PlatformId;
  username: string;
  userId: string;
  /** One of the platform emulator's `accountTypes` (e.g. a business, creator or personal account). */
  accountType: string;
  /** What the platform reports as the account's follower count. */
  followers: number;
  /** A private account: only approved followers see its posts (it offers no public privacy level). */
  privateAccount: boolean;
}

/** What `POST /_control/users/…` may change; the rest stays as it was (or takes its default). */
export interface UserChanges {
  accountType?: string;
  followers?: number;
  privateAccount?: boolean;
}

const USERNAME_PATTERN = /^[a-z0-9._]{1,30}$/;

/** Usernames are case-insensitive on every platform; undefined when not a plausible handle. */
export function normalizeUsername(raw: string): string | undefined {
  const username = raw.trim().toLowerCase();
  return USERNAME_PATTERN.test(username) ? username : undefined;
}

/** Human-readable name for a handle: `demo_creator` → `Demo Creator`. */
export function displayNameFor(username: string): string {
  return username
    .split(/[._]+/)
    .filter((word) => word.length > 0)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

/** How each platform names its users and which kind a first consent creates. */
export interface UserKinds {
  userId(platform: PlatformId, username: string): string;
  defaultAccountType(platform: PlatformId): string;
}

/** Accounts known to one emulator, keyed by platform and username. */
export class UserDirectory {
  readonly #users = new Map<string, EmulatedUser>();
  readonly #kinds: UserKinds;

  constructor(kinds: UserKinds) {
    this.#kinds = kinds;
  }

  find(platform: PlatformId, username: string): EmulatedUser | undefined {
    return this.#users.get(`${platform}:${username}`);
  }

  /** Returns the user, creating it with the platform's default account type on first sight (first consent). */
  ensure(platform: PlatformId, username: string): EmulatedUser {
    return this.find(platform, username) ?? this.upsert(platform, username, {});
  }

  upsert(platform: PlatformId, username: string, changes: UserChanges): EmulatedUser {
    const existing = this.find(platform, username);
    const user: EmulatedUser = {
      platform,
      username,
      userId: this.#kinds.userId(platform, username),
      accountType: changes.accountType ?? existing?.accountType ?? this.#kinds.defaultAccountType(platform),
      followers: changes.followers ?? existing?.followers ?? 0,
      privateAccount: changes.privateAccount ?? existing?.privateAccount ?? false,
    };
    this.#users.set(`${platform}:${username}`, user);
    return user;
  }
}
