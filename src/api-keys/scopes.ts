/** The scopes of docs/reference/conventions.md. Deny by default: a route names one, a key must hold it (or `*`). */
export const SCOPES = [
  'social:read',
  'social:write',
  'publish:read',
  'publish:write',
  'webhooks:read',
  'webhooks:write',
  'projects:read',
  'projects:write',
  'keys:write',
  'content:read',
  'content:write',
  'content:approve',
  'metrics:read',
] as const;

export type Scope = (typeof SCOPES)[number];

export function isGrantableScope(value: string): boolean {
  return value === '*' || (SCOPES as readonly string[]).includes(value);
}

export function keyHasScope(granted: readonly string[], required: Scope): boolean {
  return granted.includes('*') || granted.includes(required);
}
