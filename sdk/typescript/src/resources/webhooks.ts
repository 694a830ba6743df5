import type { HttpClient, RequestOptions } from '../http.ts';
import type { Params, Result, WebhookDelivery, WebhookEndpoint } from '../operations.ts';
import { PageRequest } from '../pagination.ts';
import { verifyWebhookSignature, type VerifyOptions } from '../webhook-signature.ts';

export class WebhookEndpoints {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** The response's `signingSecret` (`whsec_…`) is shown only here. */
  create(body: Params<'createWebhookEndpoint'>, options?: RequestOptions): Promise<Result<'createWebhookEndpoint'>> {
    return this.#http.request({ method: 'POST', path: '/v1/webhook-endpoints', body }, options);
  }

  list({ cursor, ...query }: Params<'listWebhookEndpoints'> = {}, options?: RequestOptions): PageRequest<WebhookEndpoint> {
    return new PageRequest((next) => this.#http.request({ method: 'GET', path: '/v1/webhook-endpoints', query: { ...query, cursor: next } }, options), cursor);
  }

  get({ endpointId }: Params<'getWebhookEndpoint'>, options?: RequestOptions): Promise<Result<'getWebhookEndpoint'>> {
    return this.#http.request({ method: 'GET', path: `/v1/webhook-endpoints/${encodeURIComponent(endpointId)}` }, options);
  }

  /** `status: "active"` resumes an auto-paused endpoint. */
  update({ endpointId, ...body }: Params<'updateWebhookEndpoint'>, options?: RequestOptions): Promise<Result<'updateWebhookEndpoint'>> {
    return this.#http.request({ method: 'PATCH', path: `/v1/webhook-endpoints/${encodeURIComponent(endpointId)}`, body }, options);
  }

  delete({ endpointId }: Params<'deleteWebhookEndpoint'>, options?: RequestOptions): Promise<Result<'deleteWebhookEndpoint'>> {
    return this.#http.request({ method: 'DELETE', path: `/v1/webhook-endpoints/${encodeURIComponent(endpointId)}` }, options);
  }

  /** Sends a `test.ping` event. */
  test({ endpointId }: Params<'testWebhookEndpoint'>, options?: RequestOptions): Promise<Result<'testWebhookEndpoint'>> {
    return this.#http.request({ method: 'POST', path: `/v1/webhook-endpoints/${encodeURIComponent(endpointId)}/test` }, options);
  }

  /** A new signing secret; the old one keeps signing too for 24 hours. */
  rotateSecret({ endpointId }: Params<'rotateWebhookSecret'>, options?: RequestOptions): Promise<Result<'rotateWebhookSecret'>> {
    return this.#http.request({ method: 'POST', path: `/v1/webhook-endpoints/${encodeURIComponent(endpointId)}/rotate-secret` }, options);
  }
}

export class WebhookDeliveries {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** An endpoint's deliveries, newest first: one page (`await`) or all (`for await`). */
  list({ endpointId, cursor, ...query }: Params<'listWebhookDeliveries'>, options?: RequestOptions): PageRequest<WebhookDelivery> {
    const path = `/v1/webhook-endpoints/${encodeURIComponent(endpointId)}/deliveries`;
    return new PageRequest((next) => this.#http.request({ method: 'GET', path, query: { ...query, cursor: next } }, options), cursor);
  }

  /** Sends the delivery's event again, as a new event with `replayOf`. */
  replay({ deliveryId }: Params<'replayWebhookDelivery'>, options?: RequestOptions): Promise<Result<'replayWebhookDelivery'>> {
    return this.#http.request({ method: 'POST', path: `/v1/webhook-deliveries/${encodeURIComponent(deliveryId)}/replay` }, options);
  }
}

export class Webhooks {
  readonly endpoints: WebhookEndpoints;
  readonly deliveries: WebhookDeliveries;

  constructor(http: HttpClient) {
    this.endpoints = new WebhookEndpoints(http);
    this.deliveries = new WebhookDeliveries(http);
  }

  /** See `verifyWebhookSignature`: the same check, without needing an API key. */
  verifySignature(rawBody: string | Uint8Array | ArrayBuffer, header: string | null | undefined, secret: string, options?: VerifyOptions): Promise<boolean> {
    return verifyWebhookSignature(rawBody, header, secret, options);
  }
}
