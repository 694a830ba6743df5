import type { HttpClient, RequestOptions } from '../http.ts';
import type { ContentContainer, Params, Result } from '../operations.ts';
import { PageRequest } from '../pagination.ts';

/** A file for `upload`: a path (Node, Deno, Bun), a Blob/File, or bytes. */
export interface UploadFile {
  data: string | Blob | Uint8Array | ArrayBuffer;
  /** Default: the path's or File's name. Required for bytes. */
  filename?: string;
  /** Default: from the Blob's type, else from the filename's extension. */
  contentType?: string;
}

export interface UploadParams {
  projectId: string;
  files: UploadFile[];
  caption: string;
  /** `per-file` (default): one container per file; `slideshow`: one container of images. */
  grouping?: 'per-file' | 'slideshow';
}

const NODE_FS = 'node:fs/promises';

const TYPES_BY_EXTENSION: Record<string, string> = {
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

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

  /**
   * The three steps of a direct upload in one call: create the session, PUT each file's bytes to
   * its upload URL, finalize each container with `caption`. Resolves to the completed containers.
   */
  async upload({ projectId, files, caption, grouping = 'per-file' }: UploadParams, options?: RequestOptions): Promise<ContentContainer[]> {
    const blobs = await Promise.all(files.map(toNamedBlob));
    const session = await this.createUpload(
      { projectId, grouping, files: blobs.map(({ blob, filename, contentType }) => ({ filename, contentType: contentType as never, sizeBytes: blob.size })) },
      options,
    );
    const byName = session.items.flatMap((item) => item.files);
    await Promise.all(byName.map((file, index) => this.#http.putBytes(file.uploadUrl, file.uploadHeaders, (blobs[index] as NamedBlob).blob, options)));
    const containers: ContentContainer[] = [];
    for (const item of session.items) containers.push(await this.finalizeUpload({ containerId: item.containerId, caption }, options));
    return containers;
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

interface NamedBlob {
  blob: Blob;
  filename: string;
  contentType: string;
}

async function toNamedBlob(file: UploadFile): Promise<NamedBlob> {
  let blob: Blob;
  let filename = file.filename;
  if (typeof file.data === 'string') {
    // Loaded only for a path (Node, Deno, Bun); a specifier in a variable keeps browser bundlers off it.
    const fs = (await import(NODE_FS)) as { readFile(path: string): Promise<Uint8Array<ArrayBuffer>> };
    blob = new Blob([await fs.readFile(file.data)]);
    filename ??= file.data.split(/[\\/]/).pop();
  } else if (file.data instanceof Blob) {
    blob = file.data;
    filename ??= 'name' in file.data && typeof file.data.name === 'string' ? file.data.name : undefined;
  } else {
    blob = new Blob([file.data as Uint8Array<ArrayBuffer> | ArrayBuffer]);
  }
  if (!filename) throw new TypeError('content.upload: give a filename for a file passed as bytes or an unnamed Blob.');
  const contentType = file.contentType ?? (blob.type || TYPES_BY_EXTENSION[filename.split('.').pop()?.toLowerCase() ?? '']);
  if (!contentType) throw new TypeError(`content.upload: cannot tell the type of ${filename}; pass contentType.`);
  return { blob, filename, contentType };
}
