import { z } from 'zod';
import { paginationQuery } from '../http/pagination.ts';
import { isPrefixedId } from '../ids.ts';
import { PLATFORM_MODULES, PLATFORMS } from '../platforms/registry.ts';

export const POST_STATUSES = ['queued', 'publishing', 'published', 'draft', 'failed', 'canceled'] as const;
export const POST_ERROR_CODES = ['CREDENTIAL_INVALID', 'PLATFORM_ERROR', 'MEDIA_REJECTED', 'PUBLISH_UNCERTAIN', 'RATE_LIMITED'] as const;

/**
 * Target fields only one platform accepts, from every module that publishes (their API names, e.g.
 * a `<platform>PostSettings` object). The schema knows them all; targets.ts refuses a field on a
 * target of another platform, naming the field.
 */
export const PLATFORM_TARGET_FIELDS: Readonly<Record<string, z.ZodType>> = Object.fromEntries(
  PLATFORM_MODULES.flatMap((module) => Object.entries(module.publishing?.targetFields ?? {})),
);

const prefixedAccountId = z.string().refine((v) => isPrefixedId(v, 'sa'), { message: 'Must be the prefixed form sa_<uuid>.' });
/** ISO-8601 with a time zone, normalised to UTC with `Z` (also the metrics routes' window bounds). */
export const instant = z.iso.datetime({ offset: true }).transform((value) => new Date(value).toISOString());

export const targetSchema = z.strictObject({
  socialAccountId: prefixedAccountId,
  mode: z.enum(['publish', 'draft', 'managed']),
  captionOverride: z.string().max(4000).optional(),
  firstCommentOverride: z.string().max(4000).optional(),
  ...Object.fromEntries(Object.entries(PLATFORM_TARGET_FIELDS).map(([field, schema]) => [field, schema.optional()])),
});
export type TargetInput = z.infer<typeof targetSchema> & Record<string, unknown>;

const targets = z.array(targetSchema).min(1).max(50);

export const scheduleBody = z.strictObject({ scheduledFor: instant, targets }).meta({ id: 'ScheduleRequest' });
export const publishBody = z.strictObject({ targets }).meta({ id: 'PublishNowRequest' });
export const rescheduleBody = z.strictObject({ scheduledFor: instant }).meta({ id: 'RescheduleRequest' });
export const cancelBody = z.strictObject({ reason: z.string().max(1024).optional() }).meta({ id: 'CancelScheduledPost' });

export const scheduledPostSchema = z
  .object({
    id: z.string(),
    projectId: z.string(),
    containerId: z.string(),
    socialAccountId: z.string(),
    platform: z.enum(PLATFORMS),
    mode: z.enum(['publish', 'draft']),
    status: z.enum(POST_STATUSES),
    scheduledFor: z.string(),
    caption: z.string(),
    firstComment: z.string().nullable(),
    ...Object.fromEntries(Object.entries(PLATFORM_TARGET_FIELDS).map(([field, schema]) => [field, schema.nullable()])),
    externalId: z.string().nullable(),
    externalUrl: z.string().nullable(),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    attemptedAt: z.string().nullable(),
    publishedAt: z.string().nullable(),
    warning: z.string().nullable().describe('What did not go as asked without undoing the post, e.g. a first comment that could not be posted.'),
    canceledAt: z.string().nullable(),
    cancelReason: z.string().nullable(),
    hold: z.object({ reason: z.literal('CREDENTIAL_INVALID'), since: z.string(), until: z.string() }).nullable(),
    lastError: z
      .object({ code: z.enum(POST_ERROR_CODES), message: z.string(), at: z.string(), platformCode: z.string().optional() })
      .nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ScheduledPost' });
export type ScheduledPostView = z.infer<typeof scheduledPostSchema>;

export const scheduledResponse = z
  .object({ containerId: z.string(), scheduledPostIds: z.array(z.string()), items: z.array(scheduledPostSchema) })
  .meta({ id: 'ScheduledPosts' });

export const gatedResponse = z
  .object({ containerId: z.string(), gateStatus: z.literal('blocked_on_approval'), scheduledPostIds: z.array(z.string()).length(0) })
  .meta({ id: 'ScheduleBlockedOnApproval' });

export const listPostsQuery = z.strictObject({
  status: z.union([z.enum(POST_STATUSES), z.array(z.enum(POST_STATUSES))]).optional(),
  socialAccountId: prefixedAccountId.optional(),
  containerId: z.string().max(64).optional(),
  since: instant.optional(),
  until: instant.optional(),
  ...paginationQuery,
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const scheduledPostPage = z
  .object({ items: z.array(scheduledPostSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'ScheduledPostPage' });
