import { z } from 'zod';
import { PLATFORMS } from '../platforms/registry.ts';
import { ACCEPTED_TYPES, MAX_FILES, MAX_VIDEO_BYTES } from './media-types.ts';

const caption = z.string().max(2200);

export const uploadFromUrlsBody = z
  .strictObject({
    media: z
      .array(z.strictObject({ url: z.url({ protocol: /^https?$/ }).max(2048) }))
      .min(1)
      .max(MAX_FILES),
    caption,
  })
  .meta({ id: 'UploadContentFromUrl' });

export const createUploadsBody = z
  .strictObject({
    files: z
      .array(
        z.strictObject({
          filename: z.string().min(1).max(512),
          contentType: z.enum(ACCEPTED_TYPES),
          sizeBytes: z.number().int().min(1).max(MAX_VIDEO_BYTES),
        }),
      )
      .min(1)
      .max(MAX_FILES),
    grouping: z.enum(['per-file', 'slideshow']),
  })
  .meta({ id: 'CreateContentUpload' });

export const finalizeBody = z.strictObject({ caption }).meta({ id: 'FinalizeContentUpload' });
export const captionBody = z.strictObject({ caption }).meta({ id: 'UpdateContentCaption' });
export const approveBody = z.strictObject({ note: z.string().max(1024).optional() }).meta({ id: 'ApproveContent' });
export const rejectBody = z.strictObject({ reason: z.string().min(1).max(1024) }).meta({ id: 'RejectContent' });

export const CONTAINER_STATUSES = ['queued', 'completed', 'failed', 'canceled'] as const;
export const APPROVAL_STATUSES = ['not_required', 'pending', 'approved', 'rejected'] as const;
export const REVIEW_POLICIES = ['auto_approve', 'review_first_n', 'review_all'] as const;

export const reviewPolicyBody = z.strictObject({ policy: z.enum(REVIEW_POLICIES), firstN: z.number().int().min(1).max(50).optional() }).meta({ id: 'UpdateContentReviewPolicy' });
export const reviewPolicySchema = z.object({ policy: z.enum(REVIEW_POLICIES), firstN: z.number().int().nullable() }).meta({ id: 'ContentReviewPolicy' });

const fitIssue = z.object({ code: z.string(), message: z.string() });
const platformFit = z.object({ publishable: z.boolean(), problems: z.array(fitIssue), warnings: z.array(fitIssue) });

export const assetSchema = z
  .object({
    assetId: z.string(),
    kind: z.enum(['video', 'image']),
    url: z.string().describe('Durable while the container lives; served by this server (/media/…) or the object store.'),
    mimeType: z.string(),
    sizeBytes: z.number().int(),
    checksumSha256: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    durationMs: z.number().int().nullable(),
    frameRate: z.number().nullable(),
  })
  .meta({ id: 'ContentAsset' });

export const containerSchema = z
  .object({
    id: z.string(),
    projectId: z.string(),
    status: z.enum(CONTAINER_STATUSES),
    creativeType: z.literal('uploaded'),
    format: z.null(),
    hook: z.null(),
    influencerId: z.null(),
    caption: z.string(),
    firstComment: z.null(),
    approvalStatus: z.enum(APPROVAL_STATUSES),
    adsEnrollment: z.literal('opted_out'),
    assets: z.array(assetSchema),
    platformFit: z.object(Object.fromEntries(PLATFORMS.map((id) => [id, platformFit])) as Record<(typeof PLATFORMS)[number], typeof platformFit>),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
    updatedAt: z.string(),
    lastError: z.object({ code: z.string(), message: z.string(), at: z.string() }).nullable(),
  })
  .meta({ id: 'ContentContainer' });

export const approvedContainerSchema = containerSchema
  .extend({
    pendingSchedulePromotion: z.object({
      status: z.enum(['ok', 'failed', 'none']),
      scheduledPostIds: z.array(z.string()),
      error: z.object({ code: z.string(), message: z.string() }).optional(),
    }),
  })
  .meta({ id: 'ApprovedContentContainer' });

export const containerPageSchema = z.object({ items: z.array(containerSchema), nextCursor: z.string().nullable() }).meta({ id: 'ContentContainerPage' });

export const uploadSessionSchema = z
  .object({
    items: z.array(
      z.object({
        containerId: z.string(),
        files: z.array(
          z.object({
            fileId: z.string(),
            filename: z.string(),
            contentType: z.enum(ACCEPTED_TYPES),
            sizeBytes: z.number().int(),
            uploadUrl: z.string(),
            uploadMethod: z.literal('PUT'),
            uploadHeaders: z.record(z.string(), z.string()),
            expiresAt: z.string(),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'ContentUploadSession' });

export const receivedUploadSchema = z.object({ fileId: z.string(), containerId: z.string(), sizeBytes: z.number().int() }).meta({ id: 'ReceivedUpload' });
