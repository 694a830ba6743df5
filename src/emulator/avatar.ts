import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const AVATAR_SIZE = 64;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngChunk(type: string, data: Buffer): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, checksum]);
}

/** A square solid-colour RGB PNG; the colour is derived from the id so each user looks distinct. */
export function renderAvatarPng(platform: string, userId: string): Buffer {
  const [red = 0, green = 0, blue = 0] = createHash('sha256').update(`${platform}:${userId}`).digest();
  const header = Buffer.alloc(13);
  header.writeUInt32BE(AVATAR_SIZE, 0);
  header.writeUInt32BE(AVATAR_SIZE, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // colour type: truecolour RGB
  // Each scanline: filter byte 0 (none) followed by the pixels.
  const row = Buffer.alloc(1 + AVATAR_SIZE * 3);
  for (let x = 0; x < AVATAR_SIZE; x++) row.set([red, green, blue], 1 + x * 3);
  const pixels = Buffer.concat(Array.from({ length: AVATAR_SIZE }, () => row));
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(pixels)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Where the emulator's own URLs point: the configured origin, else the one the request came in on. */
export function emulatorOrigin(request: FastifyRequest, publicBaseUrl: string | undefined): string {
  return publicBaseUrl ?? `${request.protocol}://${request.host}`;
}

/** Public URL of a user's avatar. */
export function avatarUrl(
  request: FastifyRequest,
  publicBaseUrl: string | undefined,
  platform: string,
  userId: string,
): string {
  return `${emulatorOrigin(request, publicBaseUrl)}/avatars/${platform}/${encodeURIComponent(userId)}.png`;
}

export function registerAvatarRoute(app: FastifyInstance, isPlatform: (id: string) => boolean): void {
  app.get<{ Params: { platform: string; userId: string } }>('/avatars/:platform/:userId.png', async (request, reply) => {
    const { platform, userId } = request.params;
    if (!isPlatform(platform)) return reply.callNotFound();
    return reply
      .type('image/png')
      .header('cache-control', 'public, max-age=3600')
      .send(renderAvatarPng(platform, userId));
  });
}
