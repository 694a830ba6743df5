import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import { changesSomething, hookRoutes } from './route-hooks.ts';

/** The deepest nesting a JSON body may have; the body itself is level 1 (docs/security.md). */
export const MAX_JSON_DEPTH = 32;

interface Frame {
  array: boolean;
  /** Arrays: the index of the current element. */
  index: number;
  /** Objects: the key of the current member, once read. */
  key: string | null;
  expectingKey: boolean;
}

/**
 * Where `text` first nests deeper than `maxDepth` (the path to the container that does), or null.
 * A scan of the raw text, done before JSON.parse: a megabyte of brackets costs a fraction of
 * a millisecond per kilobyte here, instead of a parse and a recursive walk of 500,000 levels.
 * Malformed text is left to JSON.parse; the scan only has to be right about well-formed JSON.
 */
export function jsonDepthExcess(text: string, maxDepth: number): string | null {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let end = i + 1;
      while (end < text.length && text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c /* \ */ ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top && !top.array && top.expectingKey) top.key = decodeKey(text.slice(i, end + 1));
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) return pathOf(stack);
      stack.push({ array: c === 0x5b, index: 0, key: null, expectingKey: c === 0x7b });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.array) top.index += 1;
      else if (top) top.expectingKey = true;
    } else if (c === 0x3a /* : */) {
      const top = stack[stack.length - 1];
      if (top) top.expectingKey = false;
    }
  }
  return null;
}

function decodeKey(literal: string): string {
  try {
    return String(JSON.parse(literal));
  } catch {
    return literal;
  }
}

/** The path in the `details.issues[].path` form validation uses: segments joined with dots. */
function pathOf(stack: Frame[]): string {
  return stack.map((frame) => (frame.array ? String(frame.index) : (frame.key ?? ''))).join('.');
}

/**
 * The JSON body parser: Fastify's own (prototype-poisoning keys refused), behind a depth bound
 * that answers 422 VALIDATION naming where the body went too deep. Bodies come uncompressed:
 * a `Content-Encoding` other than identity is refused (415) instead of being read as plain text.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  // Only routes that read a body: Fastify reads none on GET and HEAD.
  hookRoutes(app, changesSomething, {
    preParsing(request, _reply, payload, done) {
      const encoding = request.headers['content-encoding'];
      const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
      if (hasBody && encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
        return done(new ApiError(415, 'VALIDATION', `Request bodies must be sent uncompressed; Content-Encoding "${encoding.slice(0, 32)}" is not accepted.`));
      }
      done(null, payload);
    },
  });
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    const tooDeep = jsonDepthExcess(text, MAX_JSON_DEPTH);
    if (tooDeep !== null) {
      done(
        new ApiError(422, 'VALIDATION', 'The request failed validation.', {
          issues: [{ path: tooDeep, code: 'too_deep', message: `Nested deeper than ${MAX_JSON_DEPTH} levels.` }],
        }),
        undefined,
      );
      return;
    }
    parse(request, text, done);
  });
}
