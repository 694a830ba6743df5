import { z } from 'zod';

export const BRAND_VOICES = ['authentic', 'witty', 'professional', 'warm', 'casual', 'educational'] as const;
export const TARGET_GENDERS = ['all', 'female', 'male'] as const;
export const PROJECT_STATUSES = ['active', 'archived'] as const;
const METADATA_MAX_BYTES = 8 * 1024;

const timezone = z.string().refine(isIanaTimeZone, { message: 'Must be an IANA time zone such as "Europe/Paris".' });
const languageTag = z.string().refine(isLanguageTag, { message: 'Must be a BCP-47 language tag such as "en" or "pt-BR".' });
const metadata = z
  .record(z.string(), z.unknown())
  .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= METADATA_MAX_BYTES, {
    message: 'metadata must be at most 8 KB once serialized.',
  });

const fields = {
  name: z.string().min(3).max(30),
  timezone,
  customerExternalId: z.string().min(1).max(128),
  ownerEmail: z.email(),
  primaryLanguage: languageTag,
  appName: z.string().min(3).max(30),
  appDescription: z.string().min(100).max(1000),
  tagline: z.string().max(80),
  brandVoice: z.enum(BRAND_VOICES),
  targetGender: z.enum(TARGET_GENDERS),
  metadata,
};

export const createProjectBody = z
  .strictObject({
    name: fields.name,
    timezone: fields.timezone,
    customerExternalId: fields.customerExternalId.optional(),
    ownerEmail: fields.ownerEmail.optional(),
    primaryLanguage: fields.primaryLanguage.default('en'),
    appName: fields.appName.optional(),
    appDescription: fields.appDescription.optional(),
    tagline: fields.tagline.optional(),
    brandVoice: fields.brandVoice.optional(),
    targetGender: fields.targetGender.optional(),
    metadata: fields.metadata.optional(),
  })
  .meta({ id: 'CreateProject' });

/** PATCH: omitted fields stay; optional fields can be cleared with null; metadata is replaced whole. */
export const updateProjectBody = z
  .strictObject({
    name: fields.name.optional(),
    timezone: fields.timezone.optional(),
    customerExternalId: fields.customerExternalId.nullable().optional(),
    ownerEmail: fields.ownerEmail.nullable().optional(),
    primaryLanguage: fields.primaryLanguage.optional(),
    appName: fields.appName.nullable().optional(),
    appDescription: fields.appDescription.nullable().optional(),
    tagline: fields.tagline.nullable().optional(),
    brandVoice: fields.brandVoice.nullable().optional(),
    targetGender: fields.targetGender.nullable().optional(),
    metadata: fields.metadata.nullable().optional(),
    status: z.enum(PROJECT_STATUSES).optional(),
  })
  .meta({ id: 'UpdateProject' });

export const projectSchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    name: z.string(),
    status: z.enum(PROJECT_STATUSES),
    timezone: z.string(),
    customerExternalId: z.string().nullable(),
    ownerEmail: z.string().nullable(),
    primaryLanguage: z.string(),
    appName: z.string().nullable(),
    appDescription: z.string().nullable(),
    tagline: z.string().nullable(),
    brandVoice: z.enum(BRAND_VOICES).nullable(),
    targetGender: z.enum(TARGET_GENDERS).nullable(),
    metadata: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Project' });

export type CreateProjectInput = z.infer<typeof createProjectBody>;
export type UpdateProjectInput = z.infer<typeof updateProjectBody>;
export type Project = z.infer<typeof projectSchema>;

function isIanaTimeZone(value: string): boolean {
  // Intl also accepts offsets such as "+01:00"; the contract asks for zone names.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function isLanguageTag(value: string): boolean {
  try {
    return Intl.getCanonicalLocales(value).length === 1;
  } catch {
    return false;
  }
}
