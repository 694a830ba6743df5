import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { PlatformId } from '../platforms/registry.ts';

/** What scheduling needs to know of a content container (src/content/). */
export interface PostableContainer {
  id: string;
  organizationId: string;
  projectId: string;
  status: 'queued' | 'completed' | 'failed' | 'canceled';
  approvalStatus: 'not_required' | 'pending' | 'approved' | 'rejected';
  caption: string;
  assets: Array<{ kind: 'video' | 'image'; mimeType: string }>;
  platformFit: Partial<Record<PlatformId, { publishable: boolean; problems: string[]; warnings: string[] }>>;
}

export type FindPostableContainer = (db: Kysely<Database>, organizationId: string, containerId: string) => Promise<PostableContainer>;
