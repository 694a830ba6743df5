import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/media');

/** The committed fixtures (generated once with ffmpeg; test/fixtures/media/README.md). */
export const FIXTURE_TYPES = {
  'video.mp4': 'video/mp4',
  'video.mov': 'video/quicktime',
  'image.jpg': 'image/jpeg',
  'image.png': 'image/png',
  'image.webp': 'image/webp',
} as const;
export type FixtureName = keyof typeof FIXTURE_TYPES;

export function fixture(name: FixtureName): Buffer {
  return readFileSync(path.join(FIXTURES, name));
}

export interface MediaServer {
  url: string;
  /** Requests seen, by path. */
  hits: string[];
  close(): Promise<void>;
}

/**
 * A local origin serving the fixtures the way real hosts serve media, and misbehaving on request:
 * `/f/<name>` (right type), `/as/<type>/<name>` (another declared type), `/status/<code>`,
 * `/redirect/<n>/<name>` (n hops, then the file), `/truncated/<name>` (half the bytes, then the
 * connection drops), `/head/<bytes>/<name>` (only the first bytes, honestly declared),
 * `/big/<bytes>/<name>` (the file's start padded with zeros to `bytes`, streamed).
 */
export async function startMediaServer(): Promise<MediaServer> {
  const hits: string[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    hits.push(url.pathname);
    const parts = url.pathname.split('/').filter(Boolean);
    const name = parts.at(-1) as FixtureName;
    const known = name in FIXTURE_TYPES;
    const send = (type: string, body: Buffer) => {
      response.writeHead(200, { 'content-type': type, 'content-length': body.length });
      response.end(body);
    };
    switch (parts[0]) {
      case 'f':
        if (!known) break;
        return send(FIXTURE_TYPES[name], fixture(name));
      case 'as':
        return send(decodeURIComponent(parts[1] ?? ''), fixture(name));
      case 'status':
        response.writeHead(Number(parts[1]), { 'content-type': 'text/plain' });
        return response.end('nope');
      case 'redirect': {
        const left = Number(parts[1]);
        response.writeHead(302, { location: left <= 1 ? `/f/${name}` : `/redirect/${left - 1}/${name}` });
        return response.end();
      }
      case 'truncated': {
        const body = fixture(name);
        response.writeHead(200, { 'content-type': FIXTURE_TYPES[name], 'content-length': body.length });
        response.write(body.subarray(0, Math.floor(body.length / 2)));
        return setTimeout(() => response.destroy(), 20);
      }
      case 'head':
        return send(FIXTURE_TYPES[name], fixture(name).subarray(0, Number(parts[1])));
      case 'big': {
        const total = Number(parts[1]);
        const head = fixture(name);
        response.writeHead(200, { 'content-type': FIXTURE_TYPES[name] });
        response.write(head);
        let left = total - head.length;
        const zeros = Buffer.alloc(256 * 1024);
        const pump = () => {
          while (left > 0) {
            const chunk = zeros.subarray(0, Math.min(zeros.length, left));
            left -= chunk.length;
            if (!response.write(chunk)) return void response.once('drain', pump);
          }
          response.end();
        };
        response.on('error', () => {});
        return pump();
      }
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
