/** Google's OAuth endpoints (token, revoke): `{"error":"invalid_grant","error_description":"…"}`. */
export function googleOAuthError(error: string, description: string): object {
  return { error, error_description: description };
}

/** One entry of a Data API error's `errors` list. */
interface ApiErrorItem {
  reason: string;
  domain: string;
  message: string;
  location?: string;
  locationType?: string;
}

/** The YouTube Data API's error shape: `{"error":{"code","message","errors":[{reason,domain,message}],"status"}}`. */
export function googleApiError(code: number, status: string, message: string, item: ApiErrorItem): object {
  return { error: { code, message, errors: [item], status } };
}

/** 401 for a missing, expired, revoked or unknown access token. */
export function authError(): object {
  return googleApiError(
    401,
    'UNAUTHENTICATED',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    { message: 'Invalid Credentials', domain: 'global', reason: 'authError', location: 'Authorization', locationType: 'header' },
  );
}

/** 403 when the grant has none of the scopes the call accepts. */
export function insufficientPermissions(): object {
  return googleApiError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', {
    message: 'Insufficient Permission',
    domain: 'global',
    reason: 'insufficientPermissions',
  });
}

/** 400 for a bad query parameter. */
export function badParameter(reason: string, message: string, parameter: string): object {
  return googleApiError(400, 'INVALID_ARGUMENT', message, { message, domain: 'youtube.parameter', reason, location: parameter, locationType: 'parameter' });
}

/** What the token and revoke endpoints would answer with an injected HTTP status. */
export function oauthFaultBody(status: number): object {
  if (status === 429) return googleOAuthError('rate_limit_exceeded', 'Rate Limit Exceeded');
  if (status === 503) return googleOAuthError('temporarily_unavailable', 'The service is currently unavailable.');
  if (status === 401) return googleOAuthError('invalid_client', 'Unauthorized');
  if (status >= 400 && status < 500) return googleOAuthError('invalid_request', 'Bad Request');
  return googleOAuthError('server_error', 'Backend Error');
}

/** What the Data API would answer with an injected HTTP status. */
export function apiFaultBody(status: number): object {
  if (status === 429) {
    return googleApiError(429, 'RESOURCE_EXHAUSTED', 'Rate Limit Exceeded', { message: 'Rate Limit Exceeded', domain: 'usageLimits', reason: 'rateLimitExceeded' });
  }
  if (status === 403) {
    const message = 'The request cannot be completed because you have exceeded your quota.';
    return googleApiError(403, 'PERMISSION_DENIED', message, { message, domain: 'youtube.quota', reason: 'quotaExceeded' });
  }
  if (status === 401) return authError();
  if (status >= 400 && status < 500) return googleApiError(status, 'INVALID_ARGUMENT', 'Bad Request', { message: 'Bad Request', domain: 'global', reason: 'badRequest' });
  const unavailable = status === 503;
  return googleApiError(status, unavailable ? 'UNAVAILABLE' : 'INTERNAL', 'Backend Error', { message: 'Backend Error', domain: 'global', reason: 'backendError' });
}
