import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { monotonicFactory } from 'ulid';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { OAuthStatesTable } from '../src/db/schema.ts';
import { newSecretUlid } from '../src/secret-tokens.ts';
import { stateInserts } from '../src/social/authorize-url.ts';

/**
 * What an OAuth state's insert costs on SQLite, by the kind of key and by how often SQLite
 * checkpoints its WAL (docs/performance.md, "Eleventh round"). A state's id is 128 random bits, so
 * each insert lands on a random page of the primary key's index; a time-ordered id would append.
 * On a file database opened as the server opens it, holding `BENCH_STATES_BEFORE` states (200,000),
 * states are inserted the way a turn of the event loop writes them: `BENCH_STATES_PER_TURN` (15)
 * of the server's prepared inserts in one transaction. Prints wall and CPU time per state for each checkpoint
 * interval (`PRAGMA wal_autocheckpoint`, pages) and each kind of id.
 */

const BEFORE = Number(process.env['BENCH_STATES_BEFORE'] ?? 200_000);
const PER_TURN = Number(process.env['BENCH_STATES_PER_TURN'] ?? 15);
const TURNS = 3_000;
const CHECKPOINT_INTERVALS = [1_000, 2_500, 5_000, 10_000, 20_000];

const nextOrderedId = monotonicFactory();
const IDS = {
  random: () => newSecretUlid('st'),
  'time-ordered': () => `st_${nextOrderedId()}`,
};

function stateRow(id: string, at: string): OAuthStatesTable {
  return {
    id,
    api_key_id: 'key_00000000-0000-4000-8000-000000000001',
    organization_id: 'org_00000000-0000-4000-8000-000000000001',
    project_id: 'prj_00000000-0000-4000-8000-000000000001',
    kind: 'reauth',
    platform: 'tiktok',
    sandbox: 1,
    social_account_id: 'sa_00000000-0000-4000-8000-000000000001',
    return_url: 'https://app.example.com/connected',
    requested_scopes: '["user.info.basic","video.publish","video.upload"]',
    usage_note: null,
    // As long as a sealed 43-character verifier.
    sealed_code_verifier: 'v1.'.padEnd(100, 'x'),
    verifier_entry_id: null,
    status: 'pending',
    error_code: null,
    error_message: null,
    created_at: at,
    expires_at: at,
    completed_at: null,
    updated_at: at,
    reconnect_link_id: null,
  };
}

async function measure(checkpointPages: number, idOf: () => string): Promise<{ wallMicros: number; cpuMicros: number; slowestMillis: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'layers-bench-states-'));
  const handle = openDatabase(`sqlite:${path.join(dir, 'layers.db')}`);
  try {
    await migrateToLatest(handle);
    const { db } = handle;
    // Foreign keys would ask for an organization, a key, a project and an account; the rows are what is measured.
    await sql`PRAGMA foreign_keys = OFF`.execute(db);
    const at = new Date().toISOString();
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < BEFORE; i++) await stateInserts.one(trx, stateRow(idOf(), at));
    });
    await sql.raw(`PRAGMA wal_autocheckpoint = ${checkpointPages}`).execute(db);
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    // The slowest transaction: the one that ran a checkpoint.
    let slowestMillis = 0;
    for (let turn = 0; turn < TURNS; turn++) {
      const began = process.hrtime.bigint();
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < PER_TURN; i++) await stateInserts.one(trx, stateRow(idOf(), at));
      });
      slowestMillis = Math.max(slowestMillis, Number(process.hrtime.bigint() - began) / 1e6);
    }
    const cpu = process.cpuUsage(cpuBefore);
    const states = TURNS * PER_TURN;
    return {
      wallMicros: Number(process.hrtime.bigint() - started) / 1000 / states,
      cpuMicros: (cpu.user + cpu.system) / states,
      slowestMillis,
    };
  } finally {
    await handle.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`${BEFORE} states before, ${PER_TURN} per transaction, ${TURNS} transactions; µs per state inserted`);
console.log('checkpoint every   id             wall    CPU   slowest transaction, ms');
for (const pages of CHECKPOINT_INTERVALS) {
  for (const [kind, idOf] of Object.entries(IDS)) {
    const { wallMicros, cpuMicros, slowestMillis } = await measure(pages, idOf);
    console.log(`${`${pages} pages`.padEnd(17)}  ${kind.padEnd(13)}  ${wallMicros.toFixed(1).padStart(5)}  ${cpuMicros.toFixed(1).padStart(5)}  ${slowestMillis.toFixed(1).padStart(6)}`);
  }
}
