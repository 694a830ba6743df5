/**
 * What the server knows about one stored asset, read from the file itself (src/content/inspect.ts),
 * and what each platform module concludes from it (docs/platforms/media-rules.md).
 */
export interface AssetFacts {
  kind: 'video' | 'image';
  mimeType: string;
  sizeBytes: number;
  width: number;
  height: number;
  /** Videos only. */
  durationMs: number | null;
  frameRate: number | null;
  /** The video stream's codec as ffprobe names it (`h264`, `hevc`, `vp9`, …); null for images. */
  videoCodec: string | null;
}

export interface FitIssue {
  /** Stable, machine-readable: `image_type`, `duration`, `frame_rate`, … */
  code: string;
  message: string;
}

/** A problem makes publishing there impossible; a warning is a likely rejection or a poor display. */
export interface PlatformFit {
  publishable: boolean;
  problems: FitIssue[];
  warnings: FitIssue[];
}

/** One row of a platform's published rules, for docs/platforms/media-rules.md and the module's own checks. */
export interface MediaRule {
  applies: 'video' | 'image' | 'container';
  rule: string;
  severity: 'problem' | 'warning';
}

/** A platform module's media member: its published rules and the check built from them. */
export interface PlatformMedia {
  readonly rules: readonly MediaRule[];
  fit(assets: readonly AssetFacts[]): PlatformFit;
}

/** Collects issues while a module walks its rules. */
export class FitReport {
  readonly problems: FitIssue[] = [];
  readonly warnings: FitIssue[] = [];

  problem(code: string, message: string): void {
    this.problems.push({ code, message });
  }

  warning(code: string, message: string): void {
    this.warnings.push({ code, message });
  }

  result(): PlatformFit {
    return { publishable: this.problems.length === 0, problems: this.problems, warnings: this.warnings };
  }
}

/** "asset 2" for the messages of a multi-asset container, nothing for a single asset. */
export function assetLabel(assets: readonly AssetFacts[], index: number): string {
  return assets.length > 1 ? `Image ${index + 1}: ` : '';
}

export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
