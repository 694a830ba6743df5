import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { api, freePorts, killAllChildren, runCli, START_NODE_FLAGS, startServerProcess, type ServerProcess } from '../test/support/server-process.ts';

/**
 * `npm run bench:content-memory`: a real server process (SQLite, filesystem store) receives a
 * ~100 MB MP4 by URL and by direct PUT (then finalize), each transport in a fresh process warmed
 * up by a small file, and its resident memory (VmRSS, sampled every 20 ms) is compared with what it
 * used just before. Uploads stream to disk and give each chunk's memory back once it is written
 * (src/content/intake.ts), so nothing holds the file; what growth there is comes from buffers the
 * HTTP client joined on its way (left to the collector) and from the allocator. The server runs with
 * `npm start`'s Node flags; NODE_OPTIONS, when set, replaces them (`NODE_OPTIONS= npm run
 * bench:content-memory` measures Node's defaults). Not part of `npm test`: it generates the video
 * with ffmpeg once (cached in the OS temp directory).
 */

const VIDEO = path.join(os.tmpdir(), 'layers-bench-100mb.mp4');
const SMALL = path.join(import.meta.dirname, '../test/fixtures/media/video.mp4');
const LIMIT_MB = 64;

function ensureVideo(): number {
  if (!existsSync(VIDEO)) {
    console.log('generating a ~100 MB MP4 with ffmpeg (once)…');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast',
      '-b:v', '13M', '-minrate', '13M', '-maxrate', '13M', '-bufsize', '2M', '-x264-params', 'nal-hrd=cbr', '-movflags', '+faststart', VIDEO]);
  }
  return statSync(VIDEO).size;
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:')) ?? 'VmRSS: 0 kB';
  return Number(line.replace(/\D+/g, '')) * 1024;
}

/** Runs `work` while sampling the process's RSS; returns the peak growth over the RSS before it. */
async function peakGrowth(server: ServerProcess, work: () => Promise<void>): Promise<{ before: number; peak: number; ms: number }> {
  const before = rssBytes(server.pid);
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(server.pid));
  }, 20);
  const started = Date.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, rssBytes(server.pid));
  return { before, peak, ms: Date.now() - started };
}

async function main(): Promise<void> {
  const size = ensureVideo();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'layers-bench-content-'));
  const env = { DATABASE_URL: `sqlite:${path.join(dataDir, 'layers.db')}`, DATA_DIR: dataDir, LAYERS_SECRET_KEY: 'bench-content-secret-0123456789abcdef', LOG_LEVEL: 'warn', EMULATOR_PORT: '0' };
  const origin = createServer((req, res) => {
    const file = req.url?.endsWith('?small') ? SMALL : VIDEO;
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/video.mp4`;
  let server: ServerProcess | undefined;
  try {
    const org = await runCli<{ id: string }>(['admin', 'org', 'create', '--name', 'Bench'], env);
    const key = (await runCli<{ key: string }>(['admin', 'key', 'create', '--org', org.id, '--scopes', '*', '--tier', 'internal'], env)).key;
    const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
    console.log(`file: ${mb(size)} MB; server Node flags: ${process.env['NODE_OPTIONS'] ?? START_NODE_FLAGS.join(' ')}`);
    let worst = 0;
    // Each transport in a fresh process, warmed up by a small file through the same path first.
    for (const transport of ['url', 'put'] as const) {
      const [port] = (await freePorts(1)) as [number];
      server = await startServerProcess(port, { ...env, ...(process.env['NODE_OPTIONS'] !== undefined ? { NODE_OPTIONS: process.env['NODE_OPTIONS'] } : {}) });
      const running = server;
      const projectId = (await api<{ id: string }>(running.url, 'POST', '/v1/projects', key, { name: 'Bench', timezone: 'UTC' }, 201)).id;
      const upload = async (file: string, bytes: number) => {
        if (transport === 'url') {
          await api(running.url, 'POST', `/v1/projects/${projectId}/content/upload`, key, { media: [{ url: file === SMALL ? `${originUrl}?small` : originUrl }], caption: '' }, 201);
          return;
        }
        const session = await api<{ items: { containerId: string; files: { uploadUrl: string }[] }[] }>(running.url, 'POST', `/v1/projects/${projectId}/content/uploads`, key, {
          files: [{ filename: 'video.mp4', contentType: 'video/mp4', sizeBytes: bytes }],
          grouping: 'per-file',
        }, 201);
        const item = session.items[0] as { containerId: string; files: { uploadUrl: string }[] };
        const res = await request((item.files[0] as { uploadUrl: string }).uploadUrl, {
          method: 'PUT',
          headers: { 'content-type': 'video/mp4', 'content-length': String(bytes) },
          body: createReadStream(file),
        });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`PUT answered ${res.statusCode}: ${text}`);
        await api(running.url, 'POST', `/v1/content/${item.containerId}/finalize-upload`, key, { caption: '' });
      };
      await upload(SMALL, statSync(SMALL).size);
      const r = await peakGrowth(running, () => upload(VIDEO, size));
      const name = transport === 'url' ? 'upload by URL' : 'PUT /uploads/<token> + finalize';
      console.log(`${name.padEnd(32)} RSS before ${mb(r.before)} MB, peak ${mb(r.peak)} MB, growth ${mb(r.peak - r.before)} MB, ${r.ms} ms`);
      worst = Math.max(worst, r.peak - r.before);
      await running.stop();
    }
    console.log(`largest growth ${mb(worst)} MB: ${worst < LIMIT_MB * 1024 * 1024 ? 'under' : 'over'} the ${LIMIT_MB} MB bar`);
  } finally {
    await server?.stop();
    origin.close();
    rmSync(dataDir, { recursive: true, force: true });
    killAllChildren();
  }
}

await main();
