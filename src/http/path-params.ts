import { z } from 'zod';
import { parsePathId, type UuidPrefix } from '../ids.ts';

/** A path id in prefixed or bare-UUID form, normalised to the stored prefixed form (else 400). */
export function pathId(prefix: UuidPrefix) {
  return z.string().transform((value, ctx) => {
    const id = parsePathId(value, prefix);
    if (!id) {
      ctx.addIssue({ code: 'custom', message: `Expected ${prefix}_<uuid> or a bare UUID.` });
      return z.NEVER;
    }
    return id;
  });
}

export const keyIdParam = z.object({ keyId: pathId('key') });
export const projectIdParam = z.object({ projectId: pathId('prj') });
