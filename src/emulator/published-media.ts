import type { PlatformId } from '../platforms/registry.ts';

/** The counters a platform keeps on a post; tests set them through `/_control/published/…/stats`. */
export interface MediaCounters {
  views: number;
  likes: number;
  comments: number;
  shares: number;
  saves: number;
  reach: number;
}

export interface PostedComment {
  id: string;
  text: string;
  /** Who wrote it: the account's own username for a comment posted through the API. */
  username: string;
  at: number;
}

/** One post (or draft) on a creator's account, as the platform's profile shows it. */
export interface PublishedItem {
  platform: PlatformId;
  username: string;
  /** The platform's id of the post (for a draft, the id of the delivery to the creator's inbox). */
  externalId: string;
  /** The platform's word for it: `video`, `photo`, `image`, `reel`, `carousel`. */
  kind: string;
  caption: string;
  privacyLevel: string | null;
  /** In the creator's inbox, waiting for them to finish it, not on the profile. */
  draft: boolean;
  /** SHA-256 of each file exactly as the platform received it, in order. */
  mediaSha256: string[];
  /** When it appears (emulator clock, ms); processing can put this in the future. */
  publishedAt: number;
  stats: MediaCounters;
  comments: PostedComment[];
}

const NO_COUNTS: MediaCounters = { views: 0, likes: 0, comments: 0, shares: 0, saves: 0, reach: 0 };

/** Everything published through the emulator, per platform and creator. */
export class PublishedMedia {
  readonly #items: PublishedItem[] = [];

  add(item: Omit<PublishedItem, 'stats' | 'comments'>): PublishedItem {
    const added: PublishedItem = { ...item, stats: { ...NO_COUNTS }, comments: [] };
    this.#items.push(added);
    return added;
  }

  /** What the account shows at `now`, oldest first (drafts included, marked as such). */
  visible(platform: PlatformId, username: string, now: number): PublishedItem[] {
    return this.#items.filter((item) => item.platform === platform && item.username === username && item.publishedAt <= now);
  }

  /** A post by its id, once it has appeared. */
  find(platform: PlatformId, externalId: string, now: number): PublishedItem | undefined {
    return this.#items.find((item) => item.platform === platform && item.externalId === externalId && item.publishedAt <= now);
  }

  setStats(item: PublishedItem, counters: Partial<MediaCounters>): void {
    item.stats = { ...item.stats, ...counters };
  }
}
