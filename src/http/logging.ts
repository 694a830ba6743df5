import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';

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

/**
 * One line per request, once it is answered: the request id, the request as `requestSerializer`
 * writes it, the status and the time taken (Fastify writes two, one as the request arrives).
 * Every line of the logger passes through the redaction above, whose wildcard paths cost about 7 µs
 * a line, more than the rest of the line (docs/performance.md, "Twelfth round"). This line's fields
 * are the ones named here, none of them a secret (the URL is blanked by `requestSerializer`), so it
 * goes through a child of the same logger without the redaction. A response that failed while it
 * was being sent is logged as Fastify logs it, with its error, through the redaction.
 */
export class AccessLog extends LogController {
  readonly #unredacted = new WeakMap<FastifyBaseLogger, FastifyBaseLogger>();

  // Nothing is written as a request arrives, but the connection's peer address is read: Node keeps
  // it once read, and a connection closed by the answer (a malformed body) has none left to read by
  // the time the request completes (`request.ip` derives from it, through any trusted proxies).
  override incomingRequest(request: FastifyRequest): void {
    void request.raw.socket?.remoteAddress;
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (error) return super.requestCompleted(error, request, reply, metadata);
    if (this.isLogDisabled(request)) return;
    const logger = request.server.log;
    let unredacted = this.#unredacted.get(logger);
    if (!unredacted) this.#unredacted.set(logger, (unredacted = logger.child({}, { redact: [] })));
    unredacted.info({ [this.requestIdLogLabel]: request.id, req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
