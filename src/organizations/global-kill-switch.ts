import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';

/** The row name of the switch that disables the whole partner API (503 KILL_SWITCH, scope `global`). */
export const GLOBAL_KILL_SWITCH = 'partner_api_disabled';

export async function setGlobalKillSwitch(db: Kysely<Database>, clock: Clock, enabled: boolean): Promise<void> {
  const row = { name: GLOBAL_KILL_SWITCH, enabled: enabled ? 1 : 0, updated_at: clock.now().toISOString() };
  await db
    .insertInto('global_switches')
    .values(row)
    .onConflict((oc) => oc.column('name').doUpdateSet({ enabled: row.enabled, updated_at: row.updated_at }))
    .execute();
}
