import { isIP } from 'node:net';
import { badRequest } from '../errors.ts';
import { isBlockedAddress } from '../outbound/address-guard.ts';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Endpoint URLs must be https; plain http only for localhost in development. In production an
 * IP literal that is not a public unicast address is refused here, and every delivery re-checks
 * the addresses it connects to (src/outbound/dispatcher.ts).
 */
export function assertEndpointUrlAllowed(value: string, production: boolean): void {
  const url = new URL(value);
  const host = url.hostname.toLowerCase();
  if (url.username || url.password) throw badRequest('Webhook URLs must not carry credentials.');
  if (url.protocol === 'http:' && !(LOCAL_HOSTS.has(host) && !production)) {
    throw badRequest(production ? 'Webhook URLs must use https.' : 'Webhook URLs must use https (plain http is allowed for localhost and 127.0.0.1 in development).');
  }
  const literal = host.replace(/^\[|\]$/g, '');
  if (production && (host === 'localhost' || (isIP(literal) && isBlockedAddress(literal)))) {
    throw badRequest('Webhook URLs must point at a public address (not private, loopback, link-local or another special range).');
  }
}
