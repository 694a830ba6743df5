import { execFile } from 'node:child_process';

/** What ffprobe reads from a file's own headers. */
export interface ProbeResult {
  formatName: string;
  width: number;
  height: number;
  durationMs: number | null;
  frameRate: number | null;
  codec: string;
}

const PROBE_TIMEOUT_MS = 20_000;

/**
 * Runs ffprobe (Debian's `ffmpeg` package) on a local file and returns its first video stream (a
 * still image is a one-frame video stream to ffprobe); null when ffprobe cannot parse the file or
 * finds no picture in it. ffprobe reads container and stream headers only, not every frame.
 */
export async function probeFile(file: string): Promise<ProbeResult | null> {
  const output = await new Promise<string | null>((resolve, reject) => {
    execFile(
      'ffprobe',
      ['-v', 'error', '-print_format', 'json', '-show_entries', 'stream=codec_type,codec_name,width,height,avg_frame_rate,r_frame_rate,duration:format=format_name,duration', file],
      { timeout: PROBE_TIMEOUT_MS, maxBuffer: 1024 * 1024 },
      (error, stdout) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error('ffprobe is not installed (Debian package "ffmpeg"); it is needed to check uploaded media'));
        resolve(error ? null : stdout);
      },
    );
  });
  if (output === null) return null;
  let parsed: { streams?: ProbeStream[]; format?: { format_name?: string; duration?: string } };
  try {
    parsed = JSON.parse(output) as typeof parsed;
  } catch {
    return null;
  }
  const stream = parsed.streams?.find((s) => s.codec_type === 'video' && (s.width ?? 0) > 0 && (s.height ?? 0) > 0);
  if (!stream) return null;
  const seconds = Number(stream.duration ?? parsed.format?.duration);
  return {
    formatName: parsed.format?.format_name ?? '',
    width: stream.width as number,
    height: stream.height as number,
    durationMs: Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : null,
    frameRate: rate(stream.avg_frame_rate) ?? rate(stream.r_frame_rate),
    codec: stream.codec_name ?? '',
  };
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
}

function rate(value: string | undefined): number | null {
  const [num, den] = (value ?? '').split('/').map(Number);
  if (!num || !den) return null;
  return Math.round((num / den) * 1000) / 1000;
}
