import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseBusy } from '../db/busy.ts';
import { ApiError, type ErrorCode } from '../errors.ts';
import { newUlidId } from '../ids.ts';
import { SchemaValidationError } from './validation.ts';

export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; requestId: string; details?: Record<string, unknown> };
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  const body: ErrorEnvelope = {
    error: {
      code: error.code,
      message: error.message,
      requestId: request.id,
      ...(error.details ? { details: error.details } : {}),
    },
  };
  return reply.status(error.status).type('application/json; charset=utf-8').send(body);
}

/**
 * Every failure, including the framework's own, leaves in the envelope of docs/reference/conventions.md ("Errors").
 * Unexpected errors are logged with the request id and answered as a bare 500 INTERNAL.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new ApiError(404, 'NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}.`)),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
    if (isDatabaseBusy(error)) reply.header('retry-after', BUSY_RETRY_AFTER_SECONDS);
    return sendError(request, reply, apiError);
  });
}

/**
 * Fastify's `frameworkErrors`: URLs the router cannot take apart (a bad `%` escape, a path
 * parameter over 100 characters). They skip every hook, so the request id header is set here.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'The path contains a malformed id (longer than 100 characters).' : 'The URL contains a malformed percent-escape.';
  sendError(request, reply, new ApiError(400, 'VALIDATION', message));
}

/**
 * Fastify's `clientErrorHandler`: the HTTP parser refused the request before any request object
 * existed (a malformed header, headers too large, a request not received in time). The answer is
 * still the envelope, with a request id, written straight to the socket; then it closes.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message]: [number, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request headers are too large.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request was not received in time.']
        : [400, 'The request is not valid HTTP.'];
  const requestId = newUlidId('req');
  const body = JSON.stringify({ error: { code: 'VALIDATION', message, requestId } } satisfies ErrorEnvelope);
  // A response already under way (headers sent) cannot be replaced: just close.
  const responding = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (!socket.writable || responding) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
}

const BUSY_RETRY_AFTER_SECONDS = 1;

/** The answer to a failed request: its own ApiError, the framework's errors in the envelope, or a 503 or 500. */
export function toApiError(error: FastifyError): ApiError {
  if (error instanceof ApiError) return error;
  if (isDatabaseBusy(error)) {
    return new ApiError(503, 'INTERNAL', 'The database is busy: another process held its write lock for more than 5 s. Retry in a moment.', {
      retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS,
    });
  }
  if (error instanceof SchemaValidationError) {
    // A malformed path id is a bad address (400); a body or query that fails the schema is 422.
    const status = error.validationContext === 'params' ? 400 : 422;
    const message =
      error.validationContext === 'params' ? 'The path contains a malformed id.' : 'The request failed validation.';
    return new ApiError(status, 'VALIDATION', message, { issues: error.issues });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(400, 'VALIDATION', 'Content-Type must be application/json.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(400, 'VALIDATION', 'The request body is larger than 1 MiB.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'VALIDATION', 'Content-Type is application/json but the body is empty.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, 'VALIDATION', 'Content-Length does not match the body.');
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new ApiError(400, 'VALIDATION', 'The request body is not valid JSON.');
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return new ApiError(400, 'VALIDATION', error.message);
  return new ApiError(500, 'INTERNAL', 'Something went wrong on our side. Quote the request id when reporting it.');
}
