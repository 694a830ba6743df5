import { flushCompileCache } from 'node:module';
import type { Config } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { startEmulator } from '../emulator/main.ts';
import { PLATFORM_MODULES } from '../platforms/registry.ts';
import { startServer } from '../server.ts';
import type { CliOutput } from './output.ts';

export async function runMigrate(config: Config, out: CliOutput): Promise<number> {
  const database = openDatabase(config.databaseUrl);
  try {
    const applied = await migrateToLatest(database);
    out.print(applied.length ? `applied ${applied.join(', ')}` : 'schema already up to date', { applied });
    return 0;
  } finally {
    await database.destroy();
  }
}

/** `layers serve`: runs until SIGINT/SIGTERM, then drains in-flight requests and exits. */
export async function runServe(config: Config): Promise<number> {
  if (config.generatedSecretKeyPath) {
    console.log(`LAYERS_SECRET_KEY is not set: using the development key in ${config.generatedSecretKeyPath} (production refuses to start without one).`);
  }
  const server = await startServer(config);
  // Every module is loaded by now: write the compile cache bin/layers.js turned on (Node otherwise writes
  // it at exit, which a killed server never reaches), so the next start skips type stripping.
  flushCompileCache();
  console.log(`Layers social server listening on ${server.url} (database ${describeDatabase(config.databaseUrl)})`);
  console.log(`API reference: ${config.publicBaseUrl}/docs`);
  if (server.demoTenant) {
    const { organizationId, projectId, secret } = server.demoTenant;
    console.log(`
Empty database: created a demo organization (${organizationId}), project (${projectId}) and sandbox key.
This key is shown once:

  export LAYERS_API_KEY=${secret}
  curl -s ${config.publicBaseUrl}/v1/whoami -H "Authorization: Bearer $LAYERS_API_KEY"
`);
  }
  console.log(`Platform emulator (the sandbox of ${PLATFORM_MODULES.map((m) => m.displayName).join(', ')}): ${server.emulatorUrl}`);
  await untilSignalled();
  await server.close();
  return 0;
}

/** `layers emulator`: the platform emulator alone, e.g. shared by several server processes (EMULATOR_URL). */
export async function runEmulator(config: Config): Promise<number> {
  const emulator = await startEmulator({ port: config.emulatorPort, host: config.host });
  console.log(`Platform emulator listening on ${emulator.url} (control API under ${emulator.url}/_control/)`);
  await untilSignalled();
  await emulator.close();
  return 0;
}

function untilSignalled(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

function describeDatabase(url: string): string {
  return url.startsWith('sqlite:') ? url : url.replace(/\/\/[^@/]*@/, '//***@');
}
