import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createApiKey } from './api-keys/api-keys.ts';
import type { Clock } from './clock.ts';
import type { Database } from './db/schema.ts';
import { createOrganization } from './organizations/organizations.ts';
import { createProject } from './projects/projects.ts';

export interface DemoTenant {
  organizationId: string;
  projectId: string;
  apiKeyId: string;
  secret: string;
}

/**
 * On an empty database, `npm start` creates a demo organization, project and sandbox key so a
 * newcomer can call the API at once. Returns null when the database already has an organization.
 */
export async function createDemoTenantIfEmpty(db: Kysely<Database>, clock: Clock, apiKeyHashKey: KeyObject): Promise<DemoTenant | null> {
  const existing = await db.selectFrom('organizations').select('id').limit(1).executeTakeFirst();
  if (existing) return null;
  const org = await createOrganization(db, clock, 'Demo organization');
  const project = await createProject(db, clock, org.id, { name: 'Demo project', timezone: 'UTC', primaryLanguage: 'en' });
  const { apiKey, secret } = await createApiKey(db, clock, apiKeyHashKey, {
    organizationId: org.id,
    env: 'test',
    scopes: ['*'],
    returnDomains: ['localhost'],
    tier: 'standard',
    name: 'demo',
  });
  return { organizationId: org.id, projectId: project.id, apiKeyId: apiKey.id, secret };
}
