import type { FastifyRequest } from 'fastify';

/**
 * Paths pino blanks in every log line. Secrets should never reach a logger in the first place;
 * this is the second line of defence.
 */
export const logRedaction = {
  paths: [
    'req.headers.authorization',
    'headers.authorization',
    '*.access_token',
    '*.refresh_token',
    '*.accessToken',
    '*.refreshToken',
    '*.client_secret',
    '*.code_verifier',
    '*.secret',
    '*.signingSecret',
  ],
  censor: '[redacted]',
};

// OAuth callbacks carry single-use codes in the query string: log which parameters came, not their values.
const SENSITIVE_QUERY = new Set(['code', 'access_token', 'refresh_token', 'token', 'client_secret']);

// Paths whose last segment is a bearer token (a reconnect link, a direct-upload URL): logged as the route, token blanked.
const TOKEN_PATH = /^(\/(?:reconnect|uploads)\/)[^/?#]+/;

export function requestSerializer(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactQuery(request.url.replace(TOKEN_PATH, '$1[redacted]')),
    remoteAddress: request.ip,
  };
}

export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const name of [...params.keys()]) if (SENSITIVE_QUERY.has(name)) params.set(name, '[redacted]');
  return `${url.slice(0, q)}?${params.toString()}`;
}
