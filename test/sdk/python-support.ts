import { execFile } from 'node:child_process';
import path from 'node:path';

/** The repository's Python SDK, run with the system's python3 (≥ 3.9) and nothing installed. */
export const PYTHON_SDK = path.resolve(import.meta.dirname, '../../sdk/python');
export const PYTHON = process.env.PYTHON ?? 'python3';

export interface PythonRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `python3 <args>` with the SDK's source on PYTHONPATH; resolves whatever the exit code. */
export function runPython(args: string[], options: { env?: Record<string, string>; input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<PythonRun> {
  return new Promise((resolve) => {
    const child = execFile(
      PYTHON,
      args,
      {
        cwd: options.cwd ?? PYTHON_SDK,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PYTHONPATH: path.join(PYTHON_SDK, 'src'), PYTHONDONTWRITEBYTECODE: '1', ...options.env },
        timeout: options.timeoutMs ?? 60_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
