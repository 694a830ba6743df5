import type { LightMyRequestResponse } from 'fastify';
import { createTestContext } from '../test/support/test-app.ts';
import { Violations, type Drill, type DrillReport } from './harness.ts';

/**
 * State guessing, as the outside review did it: collect every public id the server hands out
 * (X-Request-Id on every response, event ids of webhook deliveries) while states are minted
 * between them, then try to predict the states from those ids (each id ±64) and from the clock
 * (a ULID's first 48 bits are its millisecond). A state must be unpredictable from all of it:
 * 0 hits, no state within 2^80 of any public id, no time component, every bit balanced; and the
 * callback, where a guess would be tried, must run out of budget for one address.
 */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const NEIGHBOURS = 64n;
const FAR = 2n ** 80n;
const DAY_MS = 86_400_000;

function value(id: string): bigint {
  let v = 0n;
  for (const char of id.slice(id.indexOf('_') + 1)) v = v * 32n + BigInt(CROCKFORD.indexOf(char));
  return v;
}

export const stateGuessingDrill: Drill = {
  name: 'state-guessing',
  kind: 'in-process',
  async run({ engine, quick }): Promise<DrillReport> {
    const violations = new Violations();
    const states = quick ? 300 : 3_000;
    const ctx = await createTestContext(engine);
    try {
      const tenant = await ctx.tenant({ tier: 'internal', returnDomains: ['app.example.com'] });
      const projectId = (await ctx.call({ method: 'POST', url: '/v1/projects', key: tenant.secret, body: { name: 'Guessed', timezone: 'UTC' } })).json().id as string;
      const endpointId = (await ctx.call({ method: 'POST', url: '/v1/webhook-endpoints', key: tenant.secret, body: { url: 'https://hooks.example.com/g', events: ['test.ping'] } })).json().endpoint.id as string;

      const publicIds: string[] = [];
      const minted: string[] = [];
      const saw = (res: LightMyRequestResponse) => publicIds.push(String(res.headers['x-request-id']));
      for (let i = 0; i < states; i++) {
        saw(await ctx.call({ method: 'GET', url: '/healthz' }));
        const res = await ctx.call({
          method: 'POST',
          url: `/v1/projects/${projectId}/social/oauth-url`,
          key: tenant.secret,
          body: { platform: i % 2 === 0 ? 'instagram' : 'tiktok', returnUrl: 'https://app.example.com/back' },
        });
        saw(res);
        minted.push(res.json().state as string);
        if (i % 10 === 0) {
          const ping = await ctx.call({ method: 'POST', url: `/v1/webhook-endpoints/${endpointId}/test`, key: tenant.secret });
          saw(ping);
          publicIds.push(ping.json().eventId as string);
        }
      }

      // Predictions: every public id and its 64 neighbours either side, under the state prefix.
      const stateValues = new Set(minted.map(value));
      let predictions = 0;
      let hits = 0;
      let nearest = 2n ** 130n;
      const sortedStates = [...stateValues].sort((a, b) => (a < b ? -1 : 1));
      for (const id of publicIds) {
        const v = value(id);
        for (let k = -NEIGHBOURS; k <= NEIGHBOURS; k++) {
          predictions += 1;
          if (stateValues.has(v + k)) hits += 1;
        }
        nearest = minDistance(sortedStates, v, nearest);
      }
      if (hits > 0) violations.add(`${hits} states predicted from public ids`);
      if (nearest < FAR) violations.add(`a state lies ${nearest} from a public id (< 2^80)`);

      // A time component would put the states' first 48 bits near the wall clock (ULIDs use it).
      const now = Date.now();
      const timed = minted.filter((s) => Math.abs(Number(value(s) >> 80n) - now) < DAY_MS).length;
      if (timed > 0) violations.add(`${timed} states carry a timestamp within a day of now`);
      if (new Set(minted).size !== minted.length) violations.add('a state was minted twice');
      if (minted.some((s) => !/^st_[0-7][0-9A-HJKMNP-TV-Z]{25}$/.test(s))) violations.add('a state left the public st_<ULID> shape');

      // Every one of the 128 random bits is set about half the time.
      let lowest = 1;
      let highest = 0;
      for (let bit = 0n; bit < 128n; bit++) {
        const ratio = minted.filter((s) => (value(s) >> bit) & 1n).length / minted.length;
        lowest = Math.min(lowest, ratio);
        highest = Math.max(highest, ratio);
      }
      const tolerance = 6 * Math.sqrt(0.25 / minted.length);
      if (lowest < 0.5 - tolerance || highest > 0.5 + tolerance) violations.add(`bit balance ${lowest.toFixed(3)}–${highest.toFixed(3)} outside 0.5 ± ${tolerance.toFixed(3)}`);

      // The callback is where a guess would be tried: one address runs out of budget.
      let guesses = 0;
      for (; guesses < 1_000; guesses++) {
        const res = await ctx.app.inject({ method: 'GET', url: `/oauth/callback/instagram?code=x&state=${minted[guesses % minted.length]}x`, remoteAddress: '203.0.113.66' });
        if (res.statusCode === 429) break;
      }
      if (guesses >= 1_000) violations.add('1,000 callback guesses from one address were never refused');

      return {
        figures: [
          ['states minted (between public requests)', minted.length],
          ['public ids seen (request and event ids)', publicIds.length],
          ['predictions tried (each public id ±64)', predictions],
          ['states predicted', hits],
          ['nearest state to a public id', `2^${log2(nearest)}`],
          ['states with a timestamp near now', timed],
          ['bit balance (lowest–highest share of 1s)', `${lowest.toFixed(3)}–${highest.toFixed(3)}`],
          ['callback guesses before 429, one address', guesses],
        ],
        violations,
      };
    } finally {
      await ctx.close();
    }
  },
};

function minDistance(sorted: bigint[], v: bigint, best: bigint): bigint {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as bigint) < v) lo = mid + 1;
    else hi = mid;
  }
  for (const i of [lo - 1, lo]) {
    const s = sorted[i];
    if (s === undefined) continue;
    const d = s > v ? s - v : v - s;
    if (d < best) best = d;
  }
  return best;
}

function log2(n: bigint): string {
  return n <= 0n ? '-∞' : (n.toString(2).length - 1).toString();
}
