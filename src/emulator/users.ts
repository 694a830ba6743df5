import type { Platform } from './platforms.ts';
import { userIdFor } from './user-ids.ts';

export const ACCOUNT_TYPES = ['BUSINESS', 'CREATOR', 'PERSONAL'] as const;

export type AccountType = (typeof ACCOUNT_TYPES)[number];

export interface EmulatedUser {
  platform: Platform;
  username: string;
  userId: string;
  accountType: AccountType;
}

const USERNAME_PATTERN = /^[a-z0-9._]{1,30}$/;

/** Usernames are case-insensitive on both platforms; undefined when not a plausible handle. */
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

/** Accounts known to one emulator, keyed by platform and username. */
export class UserDirectory {
  readonly #users = new Map<string, EmulatedUser>();

  find(platform: Platform, username: string): EmulatedUser | undefined {
    return this.#users.get(`${platform}:${username}`);
  }

  /** Returns the user, creating it as a BUSINESS account on first sight (first consent). */
  ensure(platform: Platform, username: string): EmulatedUser {
    return this.find(platform, username) ?? this.upsert(platform, username, 'BUSINESS');
  }

  upsert(platform: Platform, username: string, accountType: AccountType): EmulatedUser {
    const user: EmulatedUser = { platform, username, userId: userIdFor(platform, username), accountType };
    this.#users.set(`${platform}:${username}`, user);
    return user;
  }
}
