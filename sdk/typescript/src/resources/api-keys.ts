import type { HttpClient, RequestOptions } from '../http.ts';
import type { Params, Result } from '../operations.ts';

/** Stopping keys of your organization (creating them is an operator's job). */
export class ApiKeys {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** Emergency stop, final: every later request with that key answers 503 KILL_SWITCH. */
  kill({ keyId }: Params<'killApiKey'>, options?: RequestOptions): Promise<Result<'killApiKey'>> {
    return this.#http.request({ method: 'POST', path: `/v1/api-keys/${encodeURIComponent(keyId)}/kill` }, options);
  }

  /** Orderly end (rotation), final. */
  retire({ keyId }: Params<'retireApiKey'>, options?: RequestOptions): Promise<Result<'retireApiKey'>> {
    return this.#http.request({ method: 'DELETE', path: `/v1/api-keys/${encodeURIComponent(keyId)}` }, options);
  }
}
