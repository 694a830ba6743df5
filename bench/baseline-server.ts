import Fastify from 'fastify';

/** The benchmark's yardstick: a bare Fastify route returning a constant JSON body, in its own process. */
const app = Fastify({ logger: false });
app.get('/', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env['PORT'] ?? 0) });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
