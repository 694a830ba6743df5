import { HttpClient, type LayersOptions, type RequestOptions } from './http.ts';
import type { Result } from './operations.ts';
import { ApiKeys } from './resources/api-keys.ts';
import { Content } from './resources/content.ts';
import { Metrics } from './resources/metrics.ts';
import { Projects } from './resources/projects.ts';
import { Publishing } from './resources/publishing.ts';
import { Social } from './resources/social.ts';
import { Webhooks } from './resources/webhooks.ts';

/**
 * The client: `new Layers({ apiKey, baseUrl })`, then one namespace per part of the API. Every
 * method takes one object (path parameters, query parameters and body fields together) and an
 * optional `RequestOptions`, and resolves to the response body or rejects with a LayersError.
 */
export class Layers {
  readonly social: Social;
  readonly projects: Projects;
  readonly webhooks: Webhooks;
  readonly apiKeys: ApiKeys;
  readonly content: Content;
  readonly publishing: Publishing;
  readonly metrics: Metrics;
  readonly #http: HttpClient;

  constructor(options: LayersOptions) {
    this.#http = new HttpClient(options);
    this.social = new Social(this.#http);
    this.projects = new Projects(this.#http);
    this.webhooks = new Webhooks(this.#http);
    this.apiKeys = new ApiKeys(this.#http);
    this.content = new Content(this.#http);
    this.publishing = new Publishing(this.#http);
    this.metrics = new Metrics(this.#http);
  }

  /** The calling key: its organization, scopes, rate-limit tier and return-URL allowlist. */
  whoami(options?: RequestOptions): Promise<Result<'whoami'>> {
    return this.#http.request({ method: 'GET', path: '/v1/whoami' }, options);
  }
}
