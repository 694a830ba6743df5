import { changeReturnDomains, createApiKey, assertKeyEnv, killApiKey, listApiKeys, retireApiKey, type ApiKey } from '../api-keys/api-keys.ts';
import { TIERS, type Tier } from '../api-keys/tiers.ts';
import { systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { parsePathId, type UuidPrefix } from '../ids.ts';
import { setGlobalKillSwitch } from '../organizations/global-kill-switch.ts';
import { createOrganization, setOrganizationSuspended } from '../organizations/organizations.ts';
import { createProject } from '../projects/projects.ts';
import { deriveApiKeyHashKeys } from '../secrets/master-key.ts';
import { createVault } from '../vault/vault.ts';
import type { CliOptions } from './main.ts';
import { CliUsageError, list, required, type CliOutput } from './output.ts';

/** `layers admin …`: operator actions on the same database the server uses, safe while it runs. */
export async function runAdminCommand(config: Config, words: string[], options: CliOptions, out: CliOutput): Promise<number> {
  const database = openDatabase(config.databaseUrl);
  const db = database.db;
  const clock = systemClock;
  try {
    await migrateToLatest(database);
    const [noun, verb, ...extra] = words;
    if (extra.length > 0) throw new CliUsageError(`unexpected argument "${extra[0]}"`);
    switch (`${noun} ${verb ?? ''}`.trim()) {
      case 'org create': {
        const org = await createOrganization(db, clock, required(options.name, 'name'));
        out.print(`created organization ${org.id} (${org.name})`, { id: org.id, name: org.name });
        return 0;
      }
      case 'org suspend':
      case 'org resume': {
        const org = await setOrganizationSuspended(db, clock, id(options.org, 'org', 'org'), verb === 'suspend');
        out.print(`organization ${org.id} is ${org.suspended ? 'suspended' : 'active'}`, { id: org.id, name: org.name, suspended: org.suspended });
        return 0;
      }
      case 'project create': {
        const project = await createProject(db, clock, id(options.org, 'org', 'org'), {
          name: required(options.name, 'name'),
          timezone: options.timezone ?? 'UTC',
          primaryLanguage: 'en',
        });
        out.print(`created project ${project.id} (${project.name})`, project);
        return 0;
      }
      case 'key create': {
        const { apiKey, secret } = await createApiKey(db, clock, deriveApiKeyHashKeys(config.secretKey).current, {
          organizationId: id(options.org, 'org', 'org'),
          env: assertKeyEnv(options.env ?? 'test'),
          scopes: list(required(options.scopes, 'scopes')),
          returnDomains: list(options['return-domains']),
          tier: tier(options.tier),
          name: options.name ?? null,
        });
        out.print(`created ${apiKey.id}; the secret is shown only now:\n${secret}`, { ...apiKey, key: secret });
        return 0;
      }
      case 'key list': {
        const keys = await listApiKeys(db, id(options.org, 'org', 'org'));
        out.print(keys.length ? keys.map(describeKey).join('\n') : 'no keys', { items: keys });
        return 0;
      }
      case 'key allow': {
        if (!options.add && !options.remove) throw new CliUsageError('give --add and/or --remove');
        const key = await changeReturnDomains(db, clock, id(options.key, 'key', 'key'), { add: list(options.add), remove: list(options.remove) });
        out.print(`${key.id} return domains: ${key.returnUrlAllowlist.join(', ') || '(none)'}`, key);
        return 0;
      }
      case 'key kill': {
        const key = await killApiKey(db, clock, id(options.key, 'key', 'key'));
        out.print(`killed ${key.id}`, key);
        return 0;
      }
      case 'key retire': {
        const key = await retireApiKey(db, clock, id(options.key, 'key', 'key'));
        out.print(`retired ${key.id}`, key);
        return 0;
      }
      case 'global-kill on':
      case 'global-kill off': {
        const enabled = verb === 'on';
        await setGlobalKillSwitch(db, clock, enabled);
        out.print(enabled ? 'partner API disabled for every key' : 'partner API enabled', { globalKill: enabled });
        return 0;
      }
      case 'vault rotate': {
        const vault = createVault({ masterSecret: config.secretKey, previousMasterSecrets: config.previousSecretKeys, clock });
        const result = await vault.rotate(db);
        out.print(`re-wrapped ${result.rewrapped} data key(s); ${result.alreadyCurrent} already under the current key`, result);
        return 0;
      }
      default:
        throw new CliUsageError(`unknown admin command "${words.join(' ')}"`);
    }
  } finally {
    await database.destroy();
  }
}

function id(value: string | undefined, flag: string, prefix: UuidPrefix): string {
  const raw = required(value, flag);
  const parsed = parsePathId(raw, prefix);
  if (!parsed) throw new CliUsageError(`--${flag} "${raw}" is not a ${prefix}_<uuid> id`);
  return parsed;
}

function tier(value: string | undefined): Tier {
  if (value === undefined) return 'standard';
  if ((TIERS as readonly string[]).includes(value)) return value as Tier;
  throw new CliUsageError(`--tier must be one of ${TIERS.join(', ')}`);
}

function describeKey(key: ApiKey): string {
  return `${key.id}  ${key.prefix}…  ${key.status}  ${key.rateLimitTier}  scopes=${key.scopes.join(',')}  domains=${key.returnUrlAllowlist.join(',')}`;
}
