import type { Kysely } from 'kysely';
import type { Database, SocialAccountsTable } from '../db/schema.ts';
import { validationFailed, type ValidationIssue } from '../errors.ts';
import { platformModule } from '../platforms/registry.ts';
import type { PostableContainer } from './containers.ts';
import { PLATFORM_TARGET_FIELDS, type TargetInput } from './schemas.ts';

/** A target that passed every rule: what one scheduled post is made of. */
export interface ResolvedTarget {
  account: SocialAccountsTable;
  mode: 'publish' | 'draft';
  caption: string;
  firstComment: string | null;
  /** The target's platform-specific fields, by their API names. */
  settings: Record<string, unknown>;
}

/**
 * Checks every target of a schedule or publish request against its account, the account's platform
 * module and the container (docs/reference/scheduled-posts.md, "Targets"): all or nothing, one 422
 * listing every problem with the target's index and field in its path.
 */
export async function resolveTargets(db: Kysely<Database>, container: PostableContainer, targets: TargetInput[]): Promise<ResolvedTarget[]> {
  const ids = [...new Set(targets.map((target) => target.socialAccountId))];
  const accounts = await db
    .selectFrom('social_accounts')
    .selectAll()
    .where('id', 'in', ids)
    .where('organization_id', '=', container.organizationId)
    .where('project_id', '=', container.projectId)
    .execute();
  const byId = new Map(accounts.map((account) => [account.id, account]));
  const issues: ValidationIssue[] = [];
  const resolved: ResolvedTarget[] = [];
  const seen = new Set<string>();

  targets.forEach((target, index) => {
    const problem = (field: string, message: string) => issues.push({ path: `targets.${index}.${field}`, code: 'invalid_target', message });
    const account = byId.get(target.socialAccountId);
    if (!account || account.status === 'disconnected') {
      problem('socialAccountId', 'No connected social account with this id in the container’s project.');
      return;
    }
    if (seen.has(account.id)) {
      problem('socialAccountId', 'This account is already a target of the request.');
      return;
    }
    seen.add(account.id);
    const module = platformModule(account.platform);
    const publishing = module.publishing;
    if (!publishing) {
      problem('socialAccountId', `Publishing to ${module.displayName} is not offered by this server.`);
      return;
    }
    if (target.mode === 'managed') problem('mode', 'The managed mode is not offered by this server; use "publish" or "draft".');
    else if (!publishing.modes.includes(target.mode)) problem('mode', `${module.displayName} does not offer "${target.mode}"; it offers ${publishing.modes.map((m) => `"${m}"`).join(', ')}.`);
    if (target.firstCommentOverride !== undefined && !publishing.firstComment) {
      problem('firstCommentOverride', `${module.displayName} posts have no first comment to set.`);
    }
    const settings: Record<string, unknown> = {};
    for (const field of Object.keys(PLATFORM_TARGET_FIELDS)) {
      if (target[field] === undefined) continue;
      if (field in publishing.targetFields) settings[field] = target[field];
      else problem(field, `${field} applies only to targets on another platform, not to ${module.displayName}.`);
    }
    const mode = target.mode === 'managed' ? 'publish' : target.mode;
    const caption = target.captionOverride ?? container.caption;
    const firstComment = target.firstCommentOverride ?? null;
    for (const issue of publishing.checkTarget({ mode, settings, caption, firstComment }, container.assets)) problem(issue.field, issue.message);
    const fit = container.platformFit[account.platform];
    // The account is what picks the platform the media does not fit, so the issue names it.
    if (fit && !fit.publishable) problem('socialAccountId', `The container cannot be published to ${module.displayName}: ${fit.problems.join('; ')}`);
    resolved.push({
      account,
      mode,
      caption,
      firstComment,
      settings,
    });
  });
  if (issues.length > 0) throw validationFailed(issues);
  return resolved;
}
