import { randomAlphanumeric } from '../random-token.ts';

interface GraphErrorDetails {
  subcode?: number;
  isTransient?: boolean;
}

/** Graph API error body (graph.instagram.com), docs/platforms/instagram.md. */
export function graphError(code: number, message: string, details: GraphErrorDetails = {}): object {
  return {
    error: {
      message,
      type: 'OAuthException',
      code,
      ...(details.subcode === undefined ? {} : { error_subcode: details.subcode }),
      ...(details.isTransient === undefined ? {} : { is_transient: details.isTransient }),
      fbtrace_id: randomAlphanumeric(11),
    },
  };
}

/** The older error shape of api.instagram.com's code exchange. */
export function oauthExceptionError(message: string, code = 400): object {
  return { error_type: 'OAuthException', code, error_message: message };
}

/** What the Graph endpoints would answer with an injected HTTP status. */
export function graphFaultBody(status: number): object {
  if (status === 429) return graphError(4, 'Application request limit reached', { isTransient: true });
  if (status === 403) return graphError(10, '(#10) Application does not have permission for this action');
  if (status === 401) return graphError(190, 'Invalid OAuth access token - Cannot parse access token');
  if (status >= 400 && status < 500) return graphError(100, '(#100) Invalid parameter');
  if (status === 500) return graphError(1, 'An unknown error occurred', { isTransient: true });
  return graphError(2, 'An unexpected error has occurred. Please retry your request later.', { isTransient: true });
}

/** What the code exchange would answer with an injected HTTP status. */
export function codeExchangeFaultBody(status: number): object {
  if (status === 429) return oauthExceptionError('Application request limit reached', status);
  if (status >= 500) return oauthExceptionError('An unexpected error has occurred. Please retry your request later.', status);
  return oauthExceptionError('Invalid request', status);
}
