/** Where a command reports: one human line, or with --json exactly one JSON object. */
export interface CliOutput {
  print(human: string, data: object): void;
}

/** Bad arguments: a one-line message and exit code 2, never a stack trace. */
export class CliUsageError extends Error {}

export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value.trim() === '') throw new CliUsageError(`missing --${flag}`);
  return value.trim();
}

export function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
