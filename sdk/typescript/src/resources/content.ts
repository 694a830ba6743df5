import type { HttpClient, RequestOptions } from '../http.ts';
import type { ContentContainer, Params, Result } from '../operations.ts';
import { PageRequest } from '../pagination.ts';

/** Content: finished videos and images, uploaded by URL or straight to storage. */
export class Content {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** The server fetches every URL and creates a completed container, or refuses the lot (422 naming each bad file). */
  uploadFromUrl({ projectId, ...body }: Params<'uploadContentFromUrl'>, options?: RequestOptions): Promise<Result<'uploadContentFromUrl'>> {
    return this.#http.request({ method: 'POST', path: `/v1/projects/${encodeURIComponent(projectId)}/content/upload`, body }, options);
  }

  /** Step 1 of a direct upload: containers, and per file an `uploadUrl` to PUT its bytes to (no API key) within 15 minutes. */
  createUpload({ projectId, ...body }: Params<'createContentUpload'>, options?: RequestOptions): Promise<Result<'createContentUpload'>> {
    return this.#http.request({ method: 'POST', path: `/v1/projects/${encodeURIComponent(projectId)}/content/uploads`, body }, options);
  }

  /** Step 3: once every file was PUT; a completed container answers itself unchanged. */
  finalizeUpload({ containerId, ...body }: Params<'finalizeContentUpload'>, options?: RequestOptions): Promise<Result<'finalizeContentUpload'>> {
    return this.#http.request({ method: 'POST', path: `/v1/content/${encodeURIComponent(containerId)}/finalize-upload`, body }, options);
  }

  get({ containerId }: Params<'getContent'>, options?: RequestOptions): Promise<Result<'getContent'>> {
    return this.#http.request({ method: 'GET', path: `/v1/content/${encodeURIComponent(containerId)}` }, options);
  }

  /** Newest first: one page (`await`) or all (`for await`); `status` takes several values. */
  list({ projectId, cursor, ...query }: Params<'listContent'>, options?: RequestOptions): PageRequest<ContentContainer> {
    const path = `/v1/projects/${encodeURIComponent(projectId)}/content`;
    return new PageRequest((next) => this.#http.request({ method: 'GET', path, query: { ...query, cursor: next } }, options), cursor);
  }

  /** Posts already created keep the caption they were created with. */
  updateCaption({ containerId, ...body }: Params<'updateContentCaption'>, options?: RequestOptions): Promise<Result<'updateContentCaption'>> {
    return this.#http.request({ method: 'PATCH', path: `/v1/content/${encodeURIComponent(containerId)}`, body }, options);
  }

  /** `canceled`, bytes deleted. */
  delete({ containerId }: Params<'deleteContent'>, options?: RequestOptions): Promise<Result<'deleteContent'>> {
    return this.#http.request({ method: 'DELETE', path: `/v1/content/${encodeURIComponent(containerId)}` }, options);
  }

  approve({ containerId, ...body }: Params<'approveContent'>, options?: RequestOptions): Promise<Result<'approveContent'>> {
    return this.#http.request({ method: 'POST', path: `/v1/content/${encodeURIComponent(containerId)}/approve`, body }, options);
  }

  reject({ containerId, ...body }: Params<'rejectContent'>, options?: RequestOptions): Promise<Result<'rejectContent'>> {
    return this.#http.request({ method: 'POST', path: `/v1/content/${encodeURIComponent(containerId)}/reject`, body }, options);
  }

  getReviewPolicy({ projectId }: Params<'getContentReviewPolicy'>, options?: RequestOptions): Promise<Result<'getContentReviewPolicy'>> {
    return this.#http.request({ method: 'GET', path: `/v1/projects/${encodeURIComponent(projectId)}/content-review-policy` }, options);
  }

  updateReviewPolicy({ projectId, ...body }: Params<'updateContentReviewPolicy'>, options?: RequestOptions): Promise<Result<'updateContentReviewPolicy'>> {
    return this.#http.request({ method: 'PATCH', path: `/v1/projects/${encodeURIComponent(projectId)}/content-review-policy`, body }, options);
  }
}
