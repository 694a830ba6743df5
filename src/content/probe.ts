import { execFile } from 'node:child_process';
import ffprobe from '@ffprobe-installer/ffprobe';

/**
 * The ffprobe binary: FFPROBE_PATH when the operator names one, else the static build npm installs
 * with the server (@ffprobe-installer), so `npm install && npm start` probes uploads with nothing
 * else installed.
 */
const FFPROBE = process.env['FFPROBE_PATH'] || ffprobe.path;

/** What ffprobe reads from a file's own headers. */
export interface ProbeResult {
  formatName: string;
  width: number;
  height: number;
  durationMs: number | null;
  frameRate: number | null;
  codec: string;
  /** ffprobe's error-level complaints (e.g. `partial file`: data ends before the headers say it does). */
  errors: string;
}

const PROBE_TIMEOUT_MS = 20_000;

/**
 * Runs ffprobe on a local file and returns its first video stream (a
 * still image is a one-frame video stream to ffprobe); null when ffprobe cannot parse the file or
 * finds no picture in it. ffprobe reads the headers; with `countPackets` it also walks every packet
 * of a video (demuxing, not decoding), which is how a file cut short behind intact headers shows.
 */
export async function probeFile(file: string, options: { countPackets: boolean }): Promise<ProbeResult | null> {
  const entries = 'stream=codec_type,codec_name,width,height,avg_frame_rate,r_frame_rate,duration:format=format_name,duration';
  const args = ['-v', 'error', ...(options.countPackets ? ['-count_packets'] : []), '-print_format', 'json', '-show_entries', entries, file];
  const run = await new Promise<{ stdout: string; stderr: string } | null>((resolve, reject) => {
    execFile(FFPROBE, args, { timeout: PROBE_TIMEOUT_MS, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error(`ffprobe was not found at ${FFPROBE}; it is needed to check uploaded media`));
      resolve(error ? null : { stdout, stderr });
    });
  });
  if (run === null) return null;
  const output = run.stdout;
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
    errors: run.stderr,
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
