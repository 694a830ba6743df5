import type { HttpClient, RequestOptions } from '../http.ts';
import type { Params, Result, ScheduledPost } from '../operations.ts';
import { PageRequest } from '../pagination.ts';

/** Scheduling and publishing a container through social accounts, one post per target. */
export class Publishing {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** Publish a completed container now to 1–50 accounts: every target or none (422 naming the target). */
  publishNow({ containerId, ...body }: Params<'publishContent'>, options?: RequestOptions): Promise<Result<'publishContent'>> {
    return this.#http.request({ method: 'POST', path: `/v1/content/${encodeURIComponent(containerId)}/publish`, body }, options);
  }

  /**
   * Schedule a container for `scheduledFor` to 1–50 accounts. 201 with the posts, or 202
   * `blocked_on_approval` (no posts yet) while the container waits for review.
   */
  schedule({ containerId, ...body }: Params<'scheduleContent'>, options?: RequestOptions): Promise<Result<'scheduleContent'>> {
    return this.#http.request({ method: 'POST', path: `/v1/content/${encodeURIComponent(containerId)}/schedule`, body }, options);
  }

  getScheduledPost({ scheduledPostId }: Params<'getScheduledPost'>, options?: RequestOptions): Promise<Result<'getScheduledPost'>> {
    return this.#http.request({ method: 'GET', path: `/v1/scheduled-posts/${encodeURIComponent(scheduledPostId)}` }, options);
  }

  /** One page (`await`) or all (`for await`); `status` takes several values. */
  listScheduledPosts({ projectId, cursor, ...query }: Params<'listScheduledPosts'>, options?: RequestOptions): PageRequest<ScheduledPost> {
    const path = `/v1/projects/${encodeURIComponent(projectId)}/scheduled-posts`;
    return new PageRequest((next) => this.#http.request({ method: 'GET', path, query: { ...query, cursor: next } }, options), cursor);
  }

  /** Move a queued (or held) post to another time. */
  reschedule({ scheduledPostId, ...body }: Params<'reschedulePost'>, options?: RequestOptions): Promise<Result<'reschedulePost'>> {
    return this.#http.request({ method: 'POST', path: `/v1/scheduled-posts/${encodeURIComponent(scheduledPostId)}/reschedule`, body }, options);
  }

  /** Cancel a post the platform has nothing of yet; a final post answers 409. */
  cancel({ scheduledPostId, ...body }: Params<'cancelScheduledPost'>, options?: RequestOptions): Promise<Result<'cancelScheduledPost'>> {
    const path = `/v1/scheduled-posts/${encodeURIComponent(scheduledPostId)}`;
    return this.#http.request({ method: 'DELETE', path, ...(Object.keys(body).length > 0 ? { body } : {}) }, options);
  }
}
