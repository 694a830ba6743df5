import type { FastifyInstance } from 'fastify';

/**
 * Text fields of a multipart/form-data body. Some platforms' own docs exchange codes with `curl -F`,
 * so the emulator accepts that encoding too; file parts are ignored.
 */
export function parseMultipartFields(body: string, contentType: string): Record<string, string | string[]> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const delimiter = boundary?.[1] ?? boundary?.[2];
  const fields: Record<string, string | string[]> = {};
  if (!delimiter) return fields;
  for (const part of body.split(`--${delimiter}`).slice(1)) {
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd === -1) continue;
    const headers = part.slice(0, headerEnd);
    const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined || /\bfilename=/i.test(headers)) continue;
    const value = part.slice(headerEnd + 4).replace(/\r\n$/, '');
    const previous = fields[name];
    fields[name] = previous === undefined ? value : [...[previous].flat(), value];
  }
  return fields;
}

export function registerMultipartFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('multipart/form-data', { parseAs: 'string' }, (request, body, done) => {
    done(null, parseMultipartFields(body as string, request.headers['content-type'] ?? ''));
  });
}
