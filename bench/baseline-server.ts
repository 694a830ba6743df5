import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Fastify from 'fastify';

/**
 * The benchmark's yardsticks, each in its own process: a bare Fastify route returning a constant
 * JSON body (BASELINE=fastify, the default) or the same answer from node:http alone (BASELINE=http).
 * With BASELINE_BODY_FILE the Fastify route answers that file's JSON instead (a listed page, so the
 * bench can show what bare Fastify makes of a body that size), serialized on every request as any
 * route's answer is. `POST /` answers the same, after parsing the JSON body it was sent (what
 * bare Fastify makes of a write route's request and answer).
 */
const port = Number(process.env['PORT'] ?? 0);
let close: () => Promise<void>;
if (process.env['BASELINE'] === 'http') {
  const body = JSON.stringify({ status: 'ok' });
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  close = () => new Promise((resolve) => server.close(() => resolve()));
} else {
  const app = Fastify({ logger: false });
  const bodyFile = process.env['BASELINE_BODY_FILE'];
  const answer: unknown = bodyFile ? JSON.parse(readFileSync(bodyFile, 'utf8')) : { status: 'ok' };
  app.get('/', async () => answer);
  app.post('/', async () => answer);
  await app.listen({ host: '127.0.0.1', port });
  close = () => app.close();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void close().then(() => process.exit(0)));
}
