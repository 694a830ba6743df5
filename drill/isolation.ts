import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../src/db/schema.ts';
import { newSecretUlid } from '../src/secret-tokens.ts';
import { insertAccount } from '../test/social/helpers.ts';
import { createTestContext, type TestContext } from '../test/support/test-app.ts';
import { Violations, type Drill, type DrillReport } from './harness.ts';
import { bodyProperties, discoverOperations, fillPath, validValue, type Operation } from './openapi.ts';

/**
 * Isolation: a second organization's key, holding every scope, calls every documented route on
 * the first organization's ids, in every spelling a path accepts (prefixed, bare, upper-case), in
 * paths, queries and bodies. Each answer must be exactly the answer an id that exists nowhere
 * gets (a 404 where the id is well formed), and nothing of the first organization may change.
 *
 * Ids are placed by parameter or property name (the table below). A new route is drilled as soon
 * as it is documented; a new kind of id fails the drill until it is added here.
 */
type IdKind = 'uuid' | 'state';
interface IdSlot {
  prefix: string;
  kind: IdKind;
}
const ID_SLOTS: Record<string, IdSlot> = {
  projectId: { prefix: 'prj', kind: 'uuid' },
  socialAccountId: { prefix: 'sa', kind: 'uuid' },
  endpointId: { prefix: 'we', kind: 'uuid' },
  deliveryId: { prefix: 'wd', kind: 'uuid' },
  keyId: { prefix: 'key', kind: 'uuid' },
  state: { prefix: 'st', kind: 'state' },
  containerId: { prefix: 'cnt', kind: 'uuid' },
  scheduledPostId: { prefix: 'sp', kind: 'uuid' },
};
/** Path parameters that are not ids of anything an organization owns. */
const NOT_IDS = new Set(['platform']);
/** Tables whose rows belong to an organization: none may change while the stranger knocks. */
const OWNED_TABLES = [
  'projects',
  'api_keys',
  'social_accounts',
  'oauth_states',
  'webhook_endpoints',
  'webhook_events',
  'webhook_deliveries',
  'content_containers',
  'scheduled_posts',
] as const;

/** Every spelling a path accepts for an id (UUIDs: any case, with or without prefix; states are case-sensitive). */
function spellings(slot: IdSlot, id: string): Array<[string, string]> {
  if (slot.kind === 'state') return [['prefixed', id], ['lower-case', id.toLowerCase()]];
  const bare = id.slice(slot.prefix.length + 1);
  return [
    ['prefixed', id],
    ['bare', bare],
    ['prefixed, upper-case UUID', `${slot.prefix}_${bare.toUpperCase()}`],
    ['bare, upper-case', bare.toUpperCase()],
    ['all upper-case', id.toUpperCase()],
  ];
}

function absentId(slot: IdSlot): string {
  return slot.kind === 'state' ? newSecretUlid('st') : `${slot.prefix}_${randomUUID()}`;
}

/** An answer with everything that legitimately differs between two requests taken out. */
function comparable(status: number, body: string): string {
  const normalised = body
    .replace(/"requestId":"req_[0-9A-Z]{26}"/g, '"requestId":"<request>"')
    .replace(/\b(st)_[0-9A-Za-z]{26}\b/gi, '<id>')
    .replace(/\b([a-z]{2,3}_)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>');
  return `${status} ${normalised}`;
}

async function snapshot(db: Kysely<Database>, organizationId: string): Promise<string> {
  const parts: string[] = [];
  for (const table of OWNED_TABLES) {
    const rows = await (db as unknown as Kysely<Record<string, { organization_id: string; id: string }>>)
      .selectFrom(table)
      .selectAll()
      .where('organization_id', '=', organizationId)
      .orderBy('id')
      .execute();
    parts.push(`${table}:${JSON.stringify(rows)}`);
  }
  return parts.join('\n');
}

/** An organization with one of everything a route can name, and a key holding every scope. */
async function fixtures(ctx: TestContext, orgName: string) {
  const tenant = await ctx.tenant({ orgName, tier: 'internal', scopes: ['*'], returnDomains: ['app.example.com'] });
  const call = (method: 'POST' | 'GET', url: string, body?: unknown) => ctx.call({ method, url, key: tenant.secret, ...(body === undefined ? {} : { body }) });
  const projectId = (await call('POST', '/v1/projects', { name: `${orgName} app`, timezone: 'UTC' })).json().id as string;
  const socialAccountId = await insertAccount(ctx, { organizationId: tenant.organizationId, projectId, platform: 'tiktok' });
  const endpointId = (await call('POST', '/v1/webhook-endpoints', { url: 'https://hooks.example.com/owned', events: ['test.ping'], projectId })).json().endpoint.id as string;
  const deliveryId = (await call('POST', `/v1/webhook-endpoints/${endpointId}/test`)).json().id as string;
  const state = (await call('POST', `/v1/projects/${projectId}/social/oauth-url`, { platform: 'instagram', returnUrl: 'https://app.example.com/back' })).json().state as string;
  const otherKey = await ctx.key(tenant.organizationId, { name: `${orgName} second key` });
  const session = await call('POST', `/v1/projects/${projectId}/content/uploads`, { files: [{ filename: 'a.jpg', contentType: 'image/jpeg', sizeBytes: 5 }], grouping: 'per-file' });
  const containerId = session.json().items[0].containerId as string;
  const scheduledPostId = await insertScheduledPost(ctx, { organizationId: tenant.organizationId, projectId, containerId, socialAccountId });
  const ids: Record<string, string> = { projectId, socialAccountId, endpointId, deliveryId, keyId: otherKey.id, state, containerId, scheduledPostId };
  for (const [name, id] of Object.entries(ids)) if (!id) throw new Error(`fixture ${name} was not created`);
  return { tenant, ids };
}

/** A queued post written straight into the database (scheduling through the API needs a finished upload). */
async function insertScheduledPost(ctx: TestContext, owner: { organizationId: string; projectId: string; containerId: string; socialAccountId: string }): Promise<string> {
  const id = `sp_${randomUUID()}`;
  const now = ctx.clock.now().toISOString();
  const at = new Date(ctx.clock.now().getTime() + 24 * 60 * 60_000).toISOString();
  await ctx.database.db
    .insertInto('scheduled_posts')
    .values({
      id,
      organization_id: owner.organizationId,
      project_id: owner.projectId,
      container_id: owner.containerId,
      social_account_id: owner.socialAccountId,
      platform: 'tiktok',
      mode: 'publish',
      status: 'queued',
      scheduled_for: at,
      caption: 'owned',
      first_comment: null,
      settings: '{}',
      external_id: null,
      external_url: null,
      attempts: 0,
      next_attempt_at: at,
      attempted_at: null,
      published_at: null,
      canceled_at: null,
      cancel_reason: null,
      hold_since: null,
      hold_until: null,
      last_error_code: null,
      last_error_message: null,
      last_error_platform_code: null,
      last_error_at: null,
      publish_state: null,
      publish_warning: null,
      locked_until: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

export const isolationDrill: Drill = {
  name: 'isolation',
  kind: 'in-process',
  async run({ engine, log }): Promise<DrillReport> {
    const violations = new Violations();
    const ctx = await createTestContext(engine);
    try {
      const { tenant: victim, ids } = await fixtures(ctx, 'Victim');
      const { tenant: stranger, ids: own } = await fixtures(ctx, 'Stranger');
      const { document, operations } = await discoverOperations(ctx.app);
      const before = await snapshot(ctx.database.db, victim.organizationId);

      let crossed = 0;
      let requests = 0;
      let notFound = 0;
      const skipped: string[] = [];
      for (const operation of operations) {
        const label = `${operation.method} ${operation.path}`;
        if (!operation.authenticated) {
          skipped.push(label);
          continue;
        }
        const slots = idSlotsOf(operation, bodyProperties(operation.body, document));
        const unknown = operation.pathParams.filter((p) => !NOT_IDS.has(p) && !ID_SLOTS[p]);
        for (const name of unknown) violations.add(`${label}: path parameter {${name}} has no fixture in drill/isolation.ts (add one)`);
        if (slots.length === 0) continue;
        crossed += 1;
        for (const slot of slots) {
          const kind = ID_SLOTS[slot.name] as IdSlot;
          const theirs = ids[slot.name] as string;
          const nowhere = absentId(kind);
          const forms = slot.place === 'path' ? spellings(kind, theirs) : [['prefixed', theirs] as [string, string]];
          const absentForms = slot.place === 'path' ? spellings(kind, nowhere) : [['prefixed', nowhere] as [string, string]];
          for (const [index, [form, value]] of forms.entries()) {
            const absentValue = (absentForms[index] as [string, string])[1];
            const send = (idValue: string, otherIds: Record<string, string>) => {
              const values = { ...otherIds, [slot.name]: idValue };
              const pathValues = Object.fromEntries(operation.pathParams.map((p) => [p, NOT_IDS.has(p) ? 'tiktok' : (values[p] as string)]));
              const query = slot.place === 'query' ? `?${new URLSearchParams({ [slot.name]: idValue })}` : '';
              const hints = { ...idHints(values), timezone: 'UTC', returnUrl: 'https://app.example.com/back', url: 'https://hooks.example.com/x' };
              const body = operation.body ? (validValue(operation.body, document, hints) as Record<string, unknown>) : undefined;
              if (body && slot.place === 'body') body[slot.name] = idValue;
              requests += 1;
              return ctx.call({ method: operation.method as 'GET', url: `${fillPath(operation.path, pathValues)}${query}`, key: stranger.secret, ...(body === undefined ? {} : { body }) });
            };
            // Every other id the route needs is the stranger's own: one id crosses at a time.
            const attack = await send(value, own);
            const control = await send(absentValue, own);
            if (attack.statusCode === 404) notFound += 1;
            if (comparable(attack.statusCode, attack.body) !== comparable(control.statusCode, control.body)) {
              violations.add(`${label}, ${slot.name} in ${slot.place} (${form}): ${attack.statusCode} ${attack.body.slice(0, 200)} — an absent id gets ${control.statusCode} ${control.body.slice(0, 200)}`);
            }
            if (form.startsWith('prefixed') || form.startsWith('bare')) {
              if (slot.place === 'path' && attack.statusCode !== 404) violations.add(`${label} (${form}): ${attack.statusCode}, not 404: ${attack.body.slice(0, 200)}`);
            }
          }
        }
      }
      const after = await snapshot(ctx.database.db, victim.organizationId);
      if (after !== before) violations.add('the victim organization’s rows changed while a stranger called its ids');
      log(`skipped (no API key, nothing owned): ${skipped.join(', ')}`);
      return {
        figures: [
          ['documented operations', operations.length],
          ['operations with an id to cross', crossed],
          ['requests (each paired with an absent-id control)', requests],
          ['answers 404 NOT_FOUND', notFound],
          ['victim rows unchanged', after === before ? 'yes' : 'NO'],
        ],
        violations,
      };
    } finally {
      await ctx.close();
    }
  },
};

interface PlacedSlot {
  name: string;
  place: 'path' | 'query' | 'body';
}

function idSlotsOf(operation: Operation, bodyKeys: string[]): PlacedSlot[] {
  return [
    ...operation.pathParams.filter((p) => ID_SLOTS[p]).map((name) => ({ name, place: 'path' as const })),
    ...operation.query.filter((q) => ID_SLOTS[q.name]).map((q) => ({ name: q.name, place: 'query' as const })),
    ...bodyKeys.filter((k) => ID_SLOTS[k]).map((name) => ({ name, place: 'body' as const })),
  ];
}

/** Bodies name resources in the prefixed form. */
function idHints(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(ID_SLOTS).map((name) => [name, values[name] as string]));
}
