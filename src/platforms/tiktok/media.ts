import { assetLabel, FitReport, seconds, type AssetFacts, type PlatformMedia } from '../media.ts';

const MAX_VIDEO_MS = 10 * 60 * 1000;
const MIN_VIDEO_MS = 1000;
const VIDEO_CODECS = new Set(['h264', 'hevc', 'vp8', 'vp9']);
const PHOTO_TYPES = new Set(['image/jpeg', 'image/webp']);
const MAX_PHOTO_BYTES = 20 * 1024 * 1024;
const MAX_PHOTO_SIDE = 1080;
const MAX_PHOTOS = 35;

/**
 * TikTok's Content Posting API media rules (docs/platforms/media-rules.md): videos MP4/MOV/WebM,
 * H.264/H.265/VP8/VP9, 23–60 fps, 360–4096 px a side, at most 10 minutes through the API (a creator
 * may allow less: creator_info's max_video_post_duration_sec, checked when publishing); photo posts
 * JPEG or WebP, up to 1080p and 20 MB each, 1–35 images.
 */
export const tiktokMedia: PlatformMedia = {
  rules: [
    { applies: 'video', rule: 'MP4 or MOV (WebM too; this server takes MP4 and MOV)', severity: 'problem' },
    { applies: 'video', rule: 'H.264, H.265, VP8 or VP9', severity: 'problem' },
    { applies: 'video', rule: `duration 1 s to 10 min (creators may allow less)`, severity: 'problem' },
    { applies: 'video', rule: '23–60 frames per second', severity: 'warning' },
    { applies: 'video', rule: '360–4096 px on each side', severity: 'warning' },
    { applies: 'image', rule: 'JPEG or WebP (photo posts); PNG is refused', severity: 'problem' },
    { applies: 'image', rule: 'at most 20 MB', severity: 'problem' },
    { applies: 'image', rule: 'at most 1080 px on the longer side (1080p)', severity: 'warning' },
    { applies: 'container', rule: '1–35 images in a photo post', severity: 'problem' },
  ],
  fit(assets) {
    const report = new FitReport();
    const [first] = assets;
    if (!first) {
      report.problem('no_media', 'The container has no media yet.');
    } else if (first.kind === 'video') {
      checkVideo(first, report);
    } else {
      if (assets.length > MAX_PHOTOS) report.problem('image_count', `TikTok photo posts take at most ${MAX_PHOTOS} images.`);
      assets.forEach((asset, i) => checkPhoto(asset, assetLabel(assets, i), report));
    }
    return report.result();
  },
};

function checkVideo(video: AssetFacts, report: FitReport): void {
  if (video.videoCodec && !VIDEO_CODECS.has(video.videoCodec)) {
    report.problem('video_codec', `TikTok takes H.264, H.265, VP8 or VP9 video; this one is ${video.videoCodec}.`);
  }
  const duration = video.durationMs ?? 0;
  if (duration > MAX_VIDEO_MS) report.problem('duration', `TikTok takes videos up to 10 min through its API; this one runs ${seconds(duration)}.`);
  if (duration < MIN_VIDEO_MS) report.problem('duration', `TikTok refuses videos shorter than 1 s; this one runs ${seconds(duration)}.`);
  const fps = video.frameRate ?? 0;
  if (fps < 23 || fps > 60) report.warning('frame_rate', `TikTok expects 23–60 frames per second; this video has ${Math.round(fps * 100) / 100}.`);
  const short = Math.min(video.width, video.height);
  const long = Math.max(video.width, video.height);
  if (short < 360 || long > 4096) {
    report.warning('dimensions', `TikTok expects 360–4096 px on each side; this video is ${video.width}×${video.height}.`);
  }
}

function checkPhoto(image: AssetFacts, label: string, report: FitReport): void {
  if (!PHOTO_TYPES.has(image.mimeType)) report.problem('image_type', `${label}TikTok photo posts take JPEG or WebP; this image is ${image.mimeType}.`);
  if (image.sizeBytes > MAX_PHOTO_BYTES) report.problem('image_size', `${label}TikTok photos may be at most 20 MB; this one is ${image.sizeBytes} bytes.`);
  if (Math.max(image.width, image.height) > MAX_PHOTO_SIDE) {
    report.warning('dimensions', `${label}TikTok photos are at most 1080p; this one is ${image.width}×${image.height} and may be refused or scaled.`);
  }
}
