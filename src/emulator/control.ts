import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { PLATFORMS, platformModule } from '../platforms/registry.ts';
import type { PublishedItem } from './published-media.ts';
import { addPublishFault } from './publishing-controls.ts';
import type { EmulatorState } from './state.ts';
import { normalizeUsername } from './users.ts';
import type { EmulatedUser } from './users.ts';

/**
 * Test hooks under `/_control/`: shape users, kill tokens, inject failures, move the clock, shape
 * publishing (faults per step, processing time) and read what creators' accounts show.
 */

const userParams = z.object({
  platform: z.enum(PLATFORMS),
  username: z.string().transform((raw, context) => {
    const username = normalizeUsername(raw);
    if (username === undefined) {
      context.addIssue({ code: 'custom', message: 'usernames are 1–30 letters, digits, dots or underscores' });
      return z.NEVER;
    }
    return username;
  }),
});
const platformParams = z.object({ platform: z.enum(PLATFORMS) });
const upsertUserBody = z
  .object({
    accountType: z.string().optional(),
    followers: z.number().int().min(0).optional(),
    privateAccount: z.boolean().optional(),
  })
  .default({});
const publishFaultBody = z.union([
  z.strictObject({ step: z.literal('processing'), reason: z.string().min(1), times: z.number().int().positive().default(1) }),
  z.strictObject({
    step: z.string().min(1),
    status: z.number().int().min(100).max(599),
    body: z.unknown().optional(),
    times: z.number().int().positive().default(1),
  }),
]);
const processingBody = z.strictObject({
  delaySeconds: z.number().min(0).optional(),
  publicIdDelaySeconds: z.number().min(0).optional(),
});
const counter = z.number().int().min(0).optional();
const statsBody = z.strictObject({ views: counter, likes: counter, comments: counter, shares: counter, saves: counter, reach: counter });
const publishedItemParams = userParams.extend({ externalId: z.string().min(1) });
const revokeBody = z.object({ subcode: z.number().int().optional() }).default({});
const faultBody = z
  .object({
    platform: z.enum(PLATFORMS),
    endpoint: z.string(),
    status: z.number().int().min(100).max(599),
    times: z.number().int().positive().default(1),
    body: z.unknown().optional(),
  })
  .refine((fault) => platformModule(fault.platform).emulator.faultEndpoints.includes(fault.endpoint), {
    message: `endpoint must be one of ${PLATFORMS.map((id) => `${id}: ${platformModule(id).emulator.faultEndpoints.join(', ')}`).join('; ')}`,
  });
const clockBody = z.object({ advanceSeconds: z.number().min(0) });

type Parsed<T> = { ok: true; value: T } | { ok: false };

/** Validates `input`, answering 400 with zod's explanation when it does not fit. */
function parse<T>(schema: z.ZodType<T>, input: unknown, reply: FastifyReply): Parsed<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  void reply.code(400).send({ error: 'invalid_request', message: z.prettifyError(result.error) });
  return { ok: false };
}

function describeUser(user: EmulatedUser): object {
  const { platform, username, userId, accountType, followers, privateAccount } = user;
  return { platform, username, userId, accountType, followers, privateAccount };
}

function describeItem(item: PublishedItem): object {
  const { externalId, kind, caption, privacyLevel, draft, mediaSha256, publishedAt, stats, comments } = item;
  return {
    externalId,
    kind,
    caption,
    privacyLevel,
    draft,
    mediaSha256,
    publishedAt: new Date(publishedAt).toISOString(),
    stats,
    comments: comments.map(({ id, text, username, at }) => ({ id, text, username, at: new Date(at).toISOString() })),
  };
}

export function registerControlRoutes(scope: FastifyInstance, state: EmulatorState): void {
  scope.post('/users/:platform/:username', async (request, reply) => {
    const params = parse(userParams, request.params, reply);
    const body = parse(upsertUserBody, request.body, reply);
    if (!params.ok || !body.ok) return reply;
    const { platform, username } = params.value;
    const accountTypes = platformModule(platform).emulator.accountTypes;
    const { accountType } = body.value;
    if (accountType !== undefined && !accountTypes.includes(accountType)) {
      return reply.code(400).send({ error: 'invalid_request', message: `accountType must be one of ${accountTypes.join(', ')}` });
    }
    return describeUser(state.users.upsert(platform, username, body.value));
  });

  scope.post('/users/:platform/:username/publish-faults', async (request, reply) => {
    const params = parse(userParams, request.params, reply);
    const body = parse(publishFaultBody, request.body, reply);
    if (!params.ok || !body.ok) return reply;
    const { platform, username } = params.value;
    const fault = body.value;
    if ('reason' in fault) {
      state.processing.failNext(platform, username, fault.reason, fault.times);
      return { platform, username, step: fault.step, reason: fault.reason, times: fault.times };
    }
    const { publishSteps } = platformModule(platform).emulator;
    if (!publishSteps.includes(fault.step)) {
      return reply.code(400).send({ error: 'invalid_request', message: `step must be processing or one of ${publishSteps.join(', ')}` });
    }
    addPublishFault(state, platform, username, fault.step, { status: fault.status, body: fault.body }, fault.times);
    return { platform, username, step: fault.step, status: fault.status, times: fault.times };
  });

  scope.post('/users/:platform/:username/processing', async (request, reply) => {
    const params = parse(userParams, request.params, reply);
    const body = parse(processingBody, request.body, reply);
    if (!params.ok || !body.ok) return reply;
    const { platform, username } = params.value;
    const changes = Object.fromEntries(Object.entries(body.value).filter(([, value]) => value !== undefined));
    return state.processing.update(platform, username, changes);
  });

  scope.get('/published/:platform/:username', async (request, reply) => {
    const params = parse(userParams, request.params, reply);
    if (!params.ok) return reply;
    const { platform, username } = params.value;
    return { items: state.published.visible(platform, username, state.clock.now()).map(describeItem) };
  });

  scope.post('/published/:platform/:username/:externalId/stats', async (request, reply) => {
    const params = parse(publishedItemParams, request.params, reply);
    const body = parse(statsBody, request.body, reply);
    if (!params.ok || !body.ok) return reply;
    const { platform, username, externalId } = params.value;
    const item = state.published.find(platform, externalId, state.clock.now());
    if (item?.username !== username) return reply.code(404).send({ error: 'unknown_item', message: externalId });
    const counters = Object.fromEntries(Object.entries(body.value).filter(([, value]) => value !== undefined));
    state.published.setStats(item, counters);
    return describeItem(item);
  });

  scope.post('/users/:platform/:username/revoke', async (request, reply) => {
    const params = parse(userParams, request.params, reply);
    const body = parse(revokeBody, request.body, reply);
    if (!params.ok || !body.ok) return reply;
    const { platform, username } = params.value;
    if (!state.users.find(platform, username)) return reply.code(404).send({ error: 'unknown_user', message: username });
    // Platforms with subcodes report the chosen one on every later call; the others have none to report.
    const { revokeSubcodes } = platformModule(platform).emulator;
    const { subcode } = body.value;
    if (subcode !== undefined && revokeSubcodes.length > 0 && !revokeSubcodes.includes(subcode)) {
      return reply.code(400).send({ error: 'invalid_request', message: `subcode must be one of ${revokeSubcodes.join(', ')}` });
    }
    const reported = revokeSubcodes.length > 0 ? subcode : undefined;
    return { revokedTokens: state.tokens.revokeUser(platform, username, reported) };
  });

  scope.post('/users/:platform/:username/expire', async (request, reply) => {
    const params = parse(userParams, request.params, reply);
    if (!params.ok) return reply;
    const { platform, username } = params.value;
    if (!state.users.find(platform, username)) return reply.code(404).send({ error: 'unknown_user', message: username });
    return { expiredTokens: state.tokens.expireUserAccessTokens(platform, username) };
  });

  scope.get('/tokens/:platform', async (request, reply) => {
    const params = parse(platformParams, request.params, reply);
    if (!params.ok) return reply;
    const tokens = state.tokens.list(params.value.platform).map((issued) => ({
      token: issued.token,
      kind: issued.kind,
      username: issued.grant.username,
      userId: issued.grant.userId,
      state: state.tokens.stateOf(issued),
      issuedAt: new Date(issued.issuedAt).toISOString(),
      expiresAt: new Date(issued.expiresAt).toISOString(),
    }));
    return { tokens };
  });

  scope.get('/requests', async () => ({ requests: state.requests.list() }));

  scope.delete('/requests', async () => {
    state.requests.clear();
    return { requests: [] };
  });

  scope.post('/faults', async (request, reply) => {
    const fault = parse(faultBody, request.body, reply);
    if (!fault.ok) return reply;
    const { platform, endpoint, status, times, body } = fault.value;
    state.faults.add(platform, endpoint, { status, body }, times);
    return { platform, endpoint, status, times };
  });

  scope.delete('/faults', async () => {
    state.faults.clear();
    state.processing.clearFailures();
    return {};
  });

  scope.post('/clock', async (request, reply) => {
    const clock = parse(clockBody, request.body, reply);
    if (!clock.ok) return reply;
    state.clock.advance(clock.value.advanceSeconds);
    return { now: new Date(state.clock.now()).toISOString() };
  });
}
