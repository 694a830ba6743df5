/** The error codes of docs/reference/conventions.md. Never renamed: clients switch on them. */
export type ErrorCode =
  | 'VALIDATION'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN_SCOPE'
  | 'RETURN_URL_NOT_ALLOWED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'IDEMPOTENCY_CONFLICT'
  | 'RATE_LIMITED'
  | 'INTERNAL'
  | 'PLATFORM_ERROR'
  | 'KILL_SWITCH'
  | 'UPLOAD_INCOMPLETE'
  | 'UPLOAD_EXPIRED'
  | 'CONTENT_REJECTED'
  | 'APPROVAL_REQUIRED';

export interface ValidationIssue {
  path: string;
  code: string;
  message: string;
}

/**
 * An error the API reports to the caller as-is, in the envelope of docs/reference/conventions.md. Domain code throws
 * these; the HTTP layer only renders them.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function notFound(what: string): ApiError {
  return new ApiError(404, 'NOT_FOUND', `${what} was not found.`);
}

export function conflict(message: string, currentStatus: string): ApiError {
  return new ApiError(409, 'CONFLICT', message, { currentStatus });
}

export function badRequest(message: string, issues?: ValidationIssue[]): ApiError {
  return new ApiError(400, 'VALIDATION', message, issues ? { issues } : undefined);
}

export function validationFailed(issues: ValidationIssue[]): ApiError {
  return new ApiError(422, 'VALIDATION', 'The request failed validation.', { issues });
}
