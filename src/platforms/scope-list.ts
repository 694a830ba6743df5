/** Both platforms send granted scopes as one comma-separated string (Instagram sometimes as an array). */
export function parseScopeList(scopes: string | readonly string[]): string[] {
  const parts = typeof scopes === 'string' ? scopes.split(',') : scopes.flatMap((scope) => scope.split(','));
  return [...new Set(parts.map((scope) => scope.trim()).filter((scope) => scope.length > 0))];
}
