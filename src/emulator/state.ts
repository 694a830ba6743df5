import { AuthorizationCodes } from './authorization-codes.ts';
import { EmulatorClock } from './clock.ts';
import { FaultQueue } from './faults.ts';
import { PublishedMedia } from './published-media.ts';
import { ProcessingControls } from './publishing-controls.ts';
import { RequestLog } from './request-log.ts';
import { TokenLedger } from './token-ledger.ts';
import { UserDirectory, type UserKinds } from './users.ts';

/** Everything one emulator instance remembers; nothing is shared between instances. */
export interface EmulatorState {
  clock: EmulatorClock;
  users: UserDirectory;
  codes: AuthorizationCodes;
  tokens: TokenLedger;
  requests: RequestLog;
  faults: FaultQueue;
  /** What creators' accounts now show, with each post's counters. */
  published: PublishedMedia;
  processing: ProcessingControls;
}

export function createEmulatorState(now: () => number, userKinds: UserKinds): EmulatorState {
  const clock = new EmulatorClock(now);
  return {
    clock,
    users: new UserDirectory(userKinds),
    codes: new AuthorizationCodes(clock),
    tokens: new TokenLedger(clock),
    requests: new RequestLog(),
    faults: new FaultQueue(),
    published: new PublishedMedia(),
    processing: new ProcessingControls(),
  };
}
