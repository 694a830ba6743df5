/** The platforms the emulator impersonates; also the first path segment of their routes. */
export const PLATFORMS = ['tiktok', 'instagram'] as const;

export type Platform = (typeof PLATFORMS)[number];

export function isPlatform(value: string): value is Platform {
  return (PLATFORMS as readonly string[]).includes(value);
}
