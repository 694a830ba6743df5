/** Every event type an endpoint can subscribe to (docs/reference/webhooks.md). */
export const EVENT_TYPES = [
  'social_account.connected',
  'social_account.needs_reauth',
  'social_account.revoked',
  'post.scheduled',
  'post.held',
  'post.published',
  'post.failed',
  'post.canceled',
  'test.ping',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];
