import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { FindPostableContainer, PostableContainer } from '../posts/containers.ts';
import { assetFacts, findContainer, loadAssets, platformFitOf } from './containers.ts';

/**
 * What scheduling reads of a container (src/posts/containers.ts): its state, caption, asset kinds
 * and platform fit. The API shows each fit issue as `{ code, message }`; scheduling gets the messages.
 */
export const findPostableContainer: FindPostableContainer = async (db: Kysely<Database>, organizationId, containerId): Promise<PostableContainer> => {
  const row = await findContainer(db, organizationId, containerId);
  const assets = (await loadAssets(db, [row.id])).get(row.id) ?? [];
  const fit = platformFitOf(assets.map(assetFacts));
  return {
    id: row.id,
    organizationId: row.organization_id,
    projectId: row.project_id,
    status: row.status,
    approvalStatus: row.approval_status,
    caption: row.caption,
    assets: assets.map((asset) => ({ kind: asset.kind, mimeType: asset.mime_type })),
    platformFit: Object.fromEntries(
      Object.entries(fit).map(([platform, f]) => [platform, { publishable: f.publishable, problems: f.problems.map((p) => p.message), warnings: f.warnings.map((w) => w.message) }]),
    ),
  };
};
