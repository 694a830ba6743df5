/** The types a container accepts, always sniffed from the bytes (docs/reference/content.md). */
export const ACCEPTED_TYPES = ['video/mp4', 'video/quicktime', 'image/jpeg', 'image/png', 'image/webp'] as const;
export type AcceptedType = (typeof ACCEPTED_TYPES)[number];

const MB = 1000 * 1000;
export const MAX_VIDEO_BYTES = 100 * MB;
export const MAX_IMAGE_BYTES = 30 * MB;
/** The larger cap: what any file may reach before its type is known. */
export const MAX_FILE_BYTES = MAX_VIDEO_BYTES;
export const MAX_FILES = 10;

export function isAcceptedType(value: string): value is AcceptedType {
  return (ACCEPTED_TYPES as readonly string[]).includes(value);
}

export function kindOf(type: AcceptedType): 'video' | 'image' {
  return type.startsWith('video/') ? 'video' : 'image';
}

export function capOf(type: AcceptedType): number {
  return kindOf(type) === 'video' ? MAX_VIDEO_BYTES : MAX_IMAGE_BYTES;
}

export function describeBytes(bytes: number): string {
  return bytes >= MB ? `${Math.round((bytes / MB) * 10) / 10} MB` : `${bytes} bytes`;
}

/**
 * One video alone, one image, or a slideshow of 2–10 images; null when the kinds fit, else what
 * is wrong (the combination rules of docs/reference/content.md).
 */
export function combinationProblem(kinds: readonly ('video' | 'image')[]): { index: number; message: string } | null {
  if (kinds.length > 1) {
    const video = kinds.indexOf('video');
    if (video >= 0) return { index: video, message: 'A video must be alone in its container; upload it separately.' };
  }
  return null;
}
