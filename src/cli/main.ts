import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { ApiError } from '../errors.ts';
import { isDatabaseBusy } from '../db/busy.ts';
import { VaultKeyUnavailableError } from '../vault/vault.ts';
import { runAdminCommand } from './admin-commands.ts';
import { CliUsageError, type CliOutput } from './output.ts';
import { runEmulator, runMigrate, runServe } from './server-commands.ts';

const USAGE = `Usage: layers <command> [options]

  serve                               run the API server (what npm start runs)
  migrate                             bring the database schema up to date
  emulator                            run the platform emulator alone (EMULATOR_PORT)
  admin org create --name N           create an organization
  admin org suspend|resume --org ID   stop or restart every key of an organization
  admin project create --org ID --name N [--timezone Z]
  admin key create --org ID --scopes s1,s2 --return-domains h1,h2
                   [--env live|test] [--tier standard|pilot|partner|internal] [--name N]
  admin key list --org ID
  admin key allow --key ID [--add h1,h2] [--remove h3]
  admin key kill|retire --key ID
  admin global-kill on|off            disable or re-enable the whole partner API
  admin vault rotate                  re-wrap every vault data key under LAYERS_SECRET_KEY
                                      (the old key must be in LAYERS_PREVIOUS_SECRET_KEYS)

Every command reads DATABASE_URL (and LAYERS_SECRET_KEY) like the server.
--json prints exactly one JSON object.`;

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  name: { type: 'string' },
  org: { type: 'string' },
  key: { type: 'string' },
  scopes: { type: 'string' },
  'return-domains': { type: 'string' },
  env: { type: 'string' },
  tier: { type: 'string' },
  timezone: { type: 'string' },
  add: { type: 'string' },
  remove: { type: 'string' },
} as const;

export type CliOptions = ReturnType<typeof parseCommandLine>['values'];

function parseCommandLine(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

async function main(argv: string[]): Promise<number> {
  let json = argv.includes('--json');
  const out: CliOutput = {
    print(human, data) {
      console.log(json ? JSON.stringify(data) : human);
    },
  };
  try {
    const { values, positionals } = parseCommandLine(argv);
    json = values.json ?? false;
    if (values.help || positionals.length === 0) {
      console.log(USAGE);
      return values.help ? 0 : 2;
    }
    const [command, ...rest] = positionals;
    switch (command) {
      case 'serve':
        return await runServe(loadConfig());
      case 'migrate':
        return await runMigrate(loadConfig(), out);
      case 'emulator':
        return await runEmulator(loadConfig());
      case 'admin':
        return await runAdminCommand(loadConfig(), rest, values, out);
      default:
        throw new CliUsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    return reportFailure(error, json);
  }
}

function reportFailure(error: unknown, json: boolean): number {
  const usage = error instanceof CliUsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  const known = usage || error instanceof ConfigError || error instanceof ApiError || error instanceof VaultKeyUnavailableError;
  const message = isDatabaseBusy(error)
    ? 'the database is busy: another process (the server, another command) held its write lock for more than 5 s; run the command again'
    : known
      ? (error as Error).message
      : `unexpected failure: ${(error as Error).message ?? String(error)}`;
  const code =
    error instanceof ApiError ? error.code : usage ? 'USAGE' : error instanceof ConfigError || error instanceof VaultKeyUnavailableError ? 'CONFIG' : 'INTERNAL';
  if (json) console.log(JSON.stringify({ error: { code, message } }));
  else console.error(`layers: ${message}${usage ? ' (see layers --help)' : ''}`);
  return usage ? 2 : 1;
}

process.exitCode = await main(process.argv.slice(2));
