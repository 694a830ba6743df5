/** Rate-limit tiers of docs/reference/conventions.md, requests per minute per key and endpoint class. */
export const ENDPOINT_CLASSES = ['read', 'write', 'oauth'] as const;
export type EndpointClass = (typeof ENDPOINT_CLASSES)[number];

export const TIERS = ['standard', 'pilot', 'partner', 'internal'] as const;
export type Tier = (typeof TIERS)[number];

export const REQUESTS_PER_MINUTE: Record<Tier, Record<EndpointClass, number>> = {
  standard: { read: 120, write: 60, oauth: 30 },
  pilot: { read: 1_200, write: 600, oauth: 300 },
  partner: { read: 6_000, write: 3_000, oauth: 1_000 },
  internal: { read: 1_000_000, write: 1_000_000, oauth: 1_000_000 },
};
