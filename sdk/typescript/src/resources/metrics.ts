import type { HttpClient, RequestOptions } from '../http.ts';
import type { Params, Result } from '../operations.ts';

/** Metrics history: counters per post, account or project over time, kept across reauths. */
export class Metrics {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** A series of hourly, daily or weekly buckets and their totals; `null` means not measured in that bucket, never 0. */
  get({ projectId, ...query }: Params<'getMetrics'>, options?: RequestOptions): Promise<Result<'getMetrics'>> {
    return this.#http.request({ method: 'GET', path: `/v1/projects/${encodeURIComponent(projectId)}/metrics`, query }, options);
  }

  /** The project's posts published in the window, highest `metric` first. */
  topPerformers({ projectId, ...query }: Params<'getTopPerformers'>, options?: RequestOptions): Promise<Result<'getTopPerformers'>> {
    return this.#http.request({ method: 'GET', path: `/v1/projects/${encodeURIComponent(projectId)}/top-performers`, query }, options);
  }
}
