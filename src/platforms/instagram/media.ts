import { assetLabel, FitReport, seconds, type AssetFacts, type PlatformMedia } from '../media.ts';

const MAX_IMAGE_BYTES = 8 * 1024 * 1024;
const MIN_RATIO = 4 / 5;
const MAX_RATIO = 1.91;
const MIN_REEL_MS = 3 * 1000;
const MAX_REEL_MS = 15 * 60 * 1000;
const REEL_CODECS = new Set(['h264', 'hevc']);
const VERTICAL = 9 / 16;
const MAX_CAROUSEL = 10;

/**
 * Instagram's content-publishing media rules (docs/platforms/media-rules.md): images JPEG only, at
 * most 8 MiB (error 2207004 past it), aspect ratio 4:5 to 1.91:1 (2207009 outside it), 320–1440 px
 * wide; reels MP4/MOV with H.264 or HEVC, 3 s to 15 min, 23–60 fps, at most 1920 px wide, 9:16
 * recommended; carousels of 2–10 items.
 */
export const instagramMedia: PlatformMedia = {
  rules: [
    { applies: 'image', rule: 'JPEG only', severity: 'problem' },
    { applies: 'image', rule: 'at most 8 MiB', severity: 'problem' },
    { applies: 'image', rule: 'aspect ratio between 4:5 and 1.91:1', severity: 'warning' },
    { applies: 'image', rule: '320–1440 px wide (wider images are scaled down)', severity: 'warning' },
    { applies: 'video', rule: 'reels: H.264 or HEVC', severity: 'problem' },
    { applies: 'video', rule: 'reels: 3 s to 15 min', severity: 'problem' },
    { applies: 'video', rule: 'reels: 23–60 frames per second', severity: 'warning' },
    { applies: 'video', rule: 'reels: at most 1920 px wide; 9:16 recommended', severity: 'warning' },
    { applies: 'container', rule: 'carousels hold 2–10 items', severity: 'problem' },
  ],
  fit(assets) {
    const report = new FitReport();
    const [first] = assets;
    if (!first) {
      report.problem('no_media', 'The container has no media yet.');
    } else if (first.kind === 'video') {
      checkReel(first, report);
    } else {
      if (assets.length > MAX_CAROUSEL) report.problem('image_count', `Instagram carousels hold at most ${MAX_CAROUSEL} items.`);
      assets.forEach((asset, i) => checkImage(asset, assetLabel(assets, i), report));
    }
    return report.result();
  },
};

function checkReel(video: AssetFacts, report: FitReport): void {
  if (video.videoCodec && !REEL_CODECS.has(video.videoCodec)) {
    report.problem('video_codec', `Instagram reels take H.264 or HEVC video; this one is ${video.videoCodec}.`);
  }
  const duration = video.durationMs ?? 0;
  if (duration < MIN_REEL_MS || duration > MAX_REEL_MS) {
    report.problem('duration', `Instagram reels run 3 s to 15 min; this video runs ${seconds(duration)}.`);
  }
  const fps = video.frameRate ?? 0;
  if (fps < 23 || fps > 60) report.warning('frame_rate', `Instagram expects 23–60 frames per second; this video has ${Math.round(fps * 100) / 100}.`);
  if (video.width > 1920) report.warning('dimensions', `Instagram reels are at most 1920 px wide; this one is ${video.width} px.`);
  if (Math.abs(video.width / video.height - VERTICAL) > 0.01) {
    report.warning('aspect_ratio', `Reels display best at 9:16; this video is ${video.width}×${video.height}.`);
  }
}

function checkImage(image: AssetFacts, label: string, report: FitReport): void {
  if (image.mimeType !== 'image/jpeg') report.problem('image_type', `${label}Instagram takes JPEG images only; this image is ${image.mimeType}.`);
  if (image.sizeBytes > MAX_IMAGE_BYTES) report.problem('image_size', `${label}Instagram images may be at most 8 MiB; this one is ${image.sizeBytes} bytes.`);
  const ratio = image.width / image.height;
  if (ratio < MIN_RATIO - 0.005 || ratio > MAX_RATIO + 0.005) {
    report.warning('aspect_ratio', `${label}Instagram takes aspect ratios from 4:5 to 1.91:1; this image is ${image.width}×${image.height}.`);
  }
  if (image.width < 320 || image.width > 1440) {
    report.warning('dimensions', `${label}Instagram shows images 320–1440 px wide; this one is ${image.width} px wide.`);
  }
}
