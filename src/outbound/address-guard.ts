import ipaddr from 'ipaddr.js';

// IPv4-compatible IPv6 (::a.b.c.d, deprecated by RFC 4291), which ipaddr.js files under unicast.
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/**
 * How ipaddr.js classifies `address` (its range name, e.g. `private`, `loopback`, `6to4`), with
 * IPv4-compatible IPv6 as `ipv4Compatible`; `invalid` when it is not an IP address at all.
 */
export function addressRange(address: string): string {
  const literal = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(literal)) return 'invalid';
  const parsed = ipaddr.parse(literal);
  if (parsed.kind() === 'ipv6' && parsed.range() === 'unicast' && (parsed as ipaddr.IPv6).match(IPV4_COMPATIBLE)) return 'ipv4Compatible';
  return parsed.range();
}

/**
 * Whether the server must not connect to `address` on a partner's behalf (SSRF,
 * docs/security.md): anything but a public unicast address is refused. That covers private,
 * loopback, link-local, shared (CGNAT), multicast, reserved and documentation ranges, and every
 * IPv6 form that carries an IPv4 address: IPv4-mapped, IPv4-compatible (::/96), NAT64
 * (64:ff9b::/96, 64:ff9b:1::/48), 6to4 (2002::/16) and Teredo (2001::/32), whatever they embed.
 */
export function isBlockedAddress(address: string): boolean {
  return addressRange(address) !== 'unicast';
}
