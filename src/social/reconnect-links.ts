import { createHmac } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { z } from 'zod';
import { principalOfKey, type Principal } from '../api-keys/authenticate.ts';
import type { Clock } from '../clock.ts';
import type { Database, ReconnectLinksTable } from '../db/schema.ts';
import { ApiError, conflict, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import type { HashKeys } from '../secrets/master-key.ts';
import { newBearerToken } from '../secret-tokens.ts';
import { connectRequest, mintState, reauthRequest, type StateRequest } from './authorize-url.ts';
import type { SocialDeps } from './deps.ts';
import type { ReconnectLinkView, reconnectLinkBody } from './schemas.ts';

/** What reconnect links need beyond the consent flows: the keys their tokens are hashed with. */
export interface ReconnectLinkDeps extends SocialDeps {
  reconnectLinkHashKeys: HashKeys;
}

/** The browser-facing path of a link; the token follows it. */
export const RECONNECT_LINK_PATH = '/reconnect';

/**
 * Creates a link (docs/reference/reconnect-links.md) after the very checks reauth-url (with
 * `socialAccountId`) or oauth-url (with `platform`) would make; nothing is minted yet. The token
 * is in the returned `url` only: the database keeps its keyed hash.
 */
export async function createReconnectLink(
  deps: ReconnectLinkDeps,
  principal: Principal,
  projectId: string,
  body: z.infer<typeof reconnectLinkBody>,
): Promise<ReconnectLinkView & { url: string }> {
  const link = linkRequest(body);
  const checked = await stateRequestFor(deps, principal, { project_id: projectId, ...link });
  const now = deps.clock.now();
  const token = newBearerToken();
  const row: ReconnectLinksTable = {
    id: newId('rl'),
    token_hash: hashToken(deps.reconnectLinkHashKeys.current, token),
    organization_id: principal.organizationId,
    project_id: projectId,
    api_key_id: principal.apiKeyId,
    ...link,
    kind: checked.kind,
    platform: checked.platform,
    social_account_id: checked.socialAccountId,
    status: 'active',
    clicks: 0,
    last_state: null,
    expires_at: new Date(now.getTime() + body.expiresInSeconds * 1000).toISOString(),
    used_at: null,
    revoked_at: null,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  };
  await deps.db.insertInto('reconnect_links').values(row).execute();
  return { ...linkView(row, now), url: `${deps.publicBaseUrl}${RECONNECT_LINK_PATH}/${token}` };
}

/** GET: any key of the organization that created the link; another organization's link is absent. */
export async function readReconnectLink(db: Kysely<Database>, clock: Clock, principal: Principal, linkId: string): Promise<ReconnectLinkView> {
  return linkView(await findLink(db, principal, linkId), clock.now());
}

/**
 * DELETE: the link stops working at once, and a consent one of its clicks started binds nothing
 * (markLinkUsed refuses it). Revoking a revoked link changes nothing; a used link has nothing left
 * to revoke (409).
 */
export async function revokeReconnectLink(db: Kysely<Database>, clock: Clock, principal: Principal, linkId: string): Promise<ReconnectLinkView> {
  const link = await findLink(db, principal, linkId);
  const now = clock.now().toISOString();
  await db
    .updateTable('reconnect_links')
    .set({ status: 'revoked', revoked_at: now, updated_at: now })
    .where('id', '=', link.id)
    .where('status', '=', 'active')
    .execute();
  const after = await findLink(db, principal, linkId);
  if (after.status === 'used') throw conflict('This link was already used to reconnect the account; there is nothing to revoke.', 'used');
  return linkView(after, clock.now());
}

/** What the person's browser gets from a click: on to the platform (or returnUrl), or a page saying why not. */
export type LinkClickOutcome =
  | { type: 'redirect'; location: string }
  | { type: 'page'; status: 404 | 410 | 503; title: string; message: string };

const ASK_AGAIN = 'Ask the app that sent it for a new link.';
const UNKNOWN_LINK = page(404, 'This link is not valid', `Check that the whole link was copied from the message. ${ASK_AGAIN}`);
/** What newBearerToken makes; anything else is not looked up. */
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/**
 * A click on a link's URL. A known link counts the click. A used link sends the person back to
 * returnUrl; an unknown, revoked or expired one shows a page that says so. Otherwise the click
 * re-checks what creating the link checked, now, under the key that created it (its kill switch,
 * its organization's, the global one; the project; the account still reconnectable) and mints a
 * state exactly as reauth-url or oauth-url would, attributed to that key: oauth-status, webhooks
 * and the callback then treat it as theirs.
 */
export async function clickReconnectLink(deps: ReconnectLinkDeps, token: string): Promise<LinkClickOutcome> {
  if (!TOKEN_FORMAT.test(token)) return UNKNOWN_LINK;
  const hashes = deps.reconnectLinkHashKeys.all.map((key) => hashToken(key, token));
  const link = await deps.db.selectFrom('reconnect_links').selectAll().where('token_hash', 'in', hashes).executeTakeFirst();
  if (!link) return UNKNOWN_LINK;
  await deps.db
    .updateTable('reconnect_links')
    .set((eb) => ({ clicks: eb('clicks', '+', 1) }))
    .where('id', '=', link.id)
    .execute();
  const now = deps.clock.now();
  switch (linkView(link, now).status) {
    case 'used':
      return { type: 'redirect', location: link.return_url };
    case 'revoked':
      return page(410, 'This link has been withdrawn', 'It was cancelled by the app that sent it. Ask the app for a new link.');
    case 'expired':
      return page(410, 'This link has expired', `Links to reconnect an account work for a limited time. ${ASK_AGAIN}`);
    case 'active':
      break;
  }
  let request: StateRequest;
  let principal: Principal;
  try {
    principal = await principalOfKey(deps.db, link.api_key_id);
    request = await stateRequestFor(deps, principal, link);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return error.status === 503
      ? page(503, 'This link cannot be used right now', 'Connecting accounts through the app that sent it is paused. Try again later, or ask the app for a new link.')
      : page(410, 'This link no longer works', `The account or project it was for has changed since the link was sent. ${ASK_AGAIN}`);
  }
  const minted = await mintState(deps, principal, { ...request, reconnectLinkId: link.id });
  await deps.db.updateTable('reconnect_links').set({ last_state: minted.state, updated_at: now.toISOString() }).where('id', '=', link.id).execute();
  return { type: 'redirect', location: minted.authorizeUrl };
}

/**
 * In the callback's bind transaction, for a state a link's click minted: marks the link used (for
 * a connect link, by the account bound). False when the link was revoked or already used by
 * another of its clicks' consents: the bind must then be undone, as one link reconnects once.
 */
export async function markLinkUsed(trx: Transaction<Database>, clock: Clock, linkId: string, socialAccountId: string): Promise<boolean> {
  const now = clock.now().toISOString();
  const updated = await trx
    .updateTable('reconnect_links')
    .set({ status: 'used', used_at: now, social_account_id: socialAccountId, updated_at: now })
    .where('id', '=', linkId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

type LinkRequest = Pick<ReconnectLinksTable, 'kind' | 'social_account_id' | 'return_url' | 'requested_scopes' | 'usage_note'> & {
  platform: ReconnectLinksTable['platform'] | null;
};

/** What the link stores of the request, so each click can ask for the same thing. */
function linkRequest(body: z.infer<typeof reconnectLinkBody>): LinkRequest {
  return {
    kind: body.socialAccountId ? 'reauth' : 'connect',
    platform: body.platform ?? null,
    social_account_id: body.socialAccountId ?? null,
    return_url: body.returnUrl,
    requested_scopes: body.scopes ? JSON.stringify(body.scopes) : null,
    usage_note: body.usageNote ?? null,
  };
}

/** The checks and state of reauth-url or oauth-url, for what a link asks. */
function stateRequestFor(deps: SocialDeps, principal: Principal, link: LinkRequest & { project_id: string }): Promise<StateRequest> {
  const scopes = link.requested_scopes ? { scopes: JSON.parse(link.requested_scopes) as string[] } : {};
  if (link.kind === 'reauth') {
    return reauthRequest(deps, principal, link.project_id, { socialAccountId: link.social_account_id as string, returnUrl: link.return_url, ...scopes });
  }
  return connectRequest(deps, principal, link.project_id, {
    platform: link.platform as ReconnectLinksTable['platform'],
    returnUrl: link.return_url,
    ...scopes,
    ...(link.usage_note === null ? {} : { usageNote: link.usage_note }),
  });
}

async function findLink(db: Kysely<Database>, principal: Principal, linkId: string): Promise<ReconnectLinksTable> {
  const link = await db
    .selectFrom('reconnect_links')
    .selectAll()
    .where('id', '=', linkId)
    .where('organization_id', '=', principal.organizationId)
    .executeTakeFirst();
  if (!link) throw notFound(`Reconnect link ${linkId}`);
  return link;
}

function linkView(link: ReconnectLinksTable, now: Date): ReconnectLinkView {
  return {
    linkId: link.id,
    kind: link.kind,
    platform: link.platform,
    projectId: link.project_id,
    socialAccountId: link.social_account_id,
    status: link.status === 'active' && link.expires_at <= now.toISOString() ? 'expired' : link.status,
    expiresAt: link.expires_at,
    clicks: link.clicks,
    lastState: link.last_state,
    usedAt: link.used_at,
    revokedAt: link.revoked_at,
    createdAt: link.created_at,
  };
}

function hashToken(key: HashKeys['current'], token: string): string {
  return createHmac('sha256', key).update(token).digest('hex');
}

function page(status: 404 | 410 | 503, title: string, message: string): LinkClickOutcome {
  return { type: 'page', status, title, message };
}
