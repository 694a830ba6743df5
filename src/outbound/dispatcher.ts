import { lookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { addressRange, isBlockedAddress } from './address-guard.ts';

/**
 * Every outbound request the server makes on a partner's behalf (webhook deliveries, avatar
 * copies, media fetches) goes through one of these dispatchers (docs/security.md).
 */
export interface OutboundOptions {
  /** Production: refuse every destination that is not a public unicast address. */
  blockPrivateAddresses: boolean;
  /** Origins the operator configured (the bundled emulator), reachable whatever their address. */
  trustedOrigins?: readonly string[];
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

/** A connection was refused because its destination is not a public address. */
export class BlockedAddressError extends Error {
  override readonly name = 'BlockedAddressError';
}

/** The BlockedAddressError behind `error` (undici may wrap it), if there is one. */
export function blockedAddressCause(error: unknown): BlockedAddressError | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof BlockedAddressError) return e;
  }
  return null;
}

/**
 * An undici dispatcher whose connections are checked as they are made: an IP literal before
 * connecting, a name inside the connection's own DNS lookup, every address it resolves to. The
 * address checked is the address connected to, so a name cannot resolve to a public address for
 * a check and a private one for the connection (DNS rebinding), and every redirect hop is a new
 * connection, checked the same way.
 */
export function createOutboundDispatcher(options: OutboundOptions): Agent {
  const timeouts = { headersTimeout: options.headersTimeoutMs ?? 10_000, bodyTimeout: options.bodyTimeoutMs ?? 10_000 };
  if (!options.blockPrivateAddresses) return new Agent(timeouts);
  const trusted = new Set((options.trustedOrigins ?? []).map((origin) => new URL(origin).origin));
  const direct = buildConnector({});
  const guarded = buildConnector({ lookup: guardedLookup });
  return new Agent({
    ...timeouts,
    connect(connectOptions, callback) {
      const host = connectOptions.hostname.replace(/^\[|\]$/g, '');
      const authority = `${isIP(host) === 6 ? `[${host}]` : host}${connectOptions.port ? `:${connectOptions.port}` : ''}`;
      if (trusted.has(URL.parse(`${connectOptions.protocol}//${authority}`)?.origin ?? '')) return direct(connectOptions, callback);
      if (isIP(host) && isBlockedAddress(host)) return callback(new BlockedAddressError(refusal(host, host)), null);
      return guarded(connectOptions, callback);
    },
  });
}

/** `fetch` over a dispatcher from createOutboundDispatcher (for code written against fetch). */
export function createOutboundFetch(options: OutboundOptions): typeof fetch {
  const dispatcher = createOutboundDispatcher(options);
  return ((input: string | URL, init?: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}

function refusal(host: string, address: string): string {
  const where = host === address ? address : `${host} resolves to ${address}, which`;
  return `${where} is not a public address (${addressRange(address)})`;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function guardedLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const bad = addresses.find((a) => isBlockedAddress(a.address));
    if (bad) return callback(new BlockedAddressError(refusal(hostname, bad.address)), []);
    if (options.all) return callback(null, addresses);
    const first = addresses[0] as LookupAddress;
    return callback(null, first.address, first.family);
  });
}
