import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type ErrorCode } from '../errors.ts';
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
    return sendError(request, reply, apiError);
  });
}

function toApiError(error: FastifyError): ApiError {
  if (error instanceof ApiError) return error;
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
