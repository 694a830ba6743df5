import type { PlatformId } from '../platforms/registry.ts';

export interface EmulatedUser {
  platform: PlatformId;
  username: string;
  userId: string;
  /** One of the platform emulator's `accountTypes` (e.g. a business, creator or personal account). */
  accountType: string;
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
    return this.find(platform, username) ?? this.upsert(platform, username, this.#kinds.defaultAccountType(platform));
  }

  upsert(platform: PlatformId, username: string, accountType: string): EmulatedUser {
    const user: EmulatedUser = { platform, username, userId: this.#kinds.userId(platform, username), accountType };
    this.#users.set(`${platform}:${username}`, user);
    return user;
  }
}
