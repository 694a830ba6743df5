import type { HttpClient, RequestOptions } from '../http.ts';
import type { Params, Project, Result } from '../operations.ts';
import { PageRequest } from '../pagination.ts';

/** Projects: one per end customer of yours. */
export class Projects {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  create(body: Params<'createProject'>, options?: RequestOptions): Promise<Result<'createProject'>> {
    return this.#http.request({ method: 'POST', path: '/v1/projects', body }, options);
  }

  /** One page (`await`), or every project (`for await`); `search` matches names case-insensitively. */
  list({ cursor, ...query }: Params<'listProjects'> = {}, options?: RequestOptions): PageRequest<Project> {
    return new PageRequest((next) => this.#http.request({ method: 'GET', path: '/v1/projects', query: { ...query, cursor: next } }, options), cursor);
  }

  get({ projectId }: Params<'getProject'>, options?: RequestOptions): Promise<Result<'getProject'>> {
    return this.#http.request({ method: 'GET', path: `/v1/projects/${encodeURIComponent(projectId)}` }, options);
  }

  /** Omitted fields stay as they are; `metadata` is replaced whole. */
  update({ projectId, ...body }: Params<'updateProject'>, options?: RequestOptions): Promise<Result<'updateProject'>> {
    return this.#http.request({ method: 'PATCH', path: `/v1/projects/${encodeURIComponent(projectId)}`, body }, options);
  }

  /** `status: "archived"`, reversible with `update({ projectId, status: "active" })`. */
  archive({ projectId }: Params<'archiveProject'>, options?: RequestOptions): Promise<Result<'archiveProject'>> {
    return this.#http.request({ method: 'DELETE', path: `/v1/projects/${encodeURIComponent(projectId)}` }, options);
  }
}
