import { randomAlphanumeric } from '../random-token.ts';

/** Instagram-Login tokens start with `IGAA`; clients use the prefix to pick graph.instagram.com. */
export function mintInstagramToken(): string {
  return `IGAA${randomAlphanumeric(160)}`;
}
