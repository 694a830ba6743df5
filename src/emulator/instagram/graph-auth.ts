import type { EmulatorState } from '../state.ts';
import type { IssuedToken } from '../token-ledger.ts';
import { graphError } from './errors.ts';

export type GraphAuthentication = { ok: true; token: IssuedToken } | { ok: false; body: object };

/** Subcode a revoked token reports unless the control call chose another. */
const DEFAULT_REVOKED_SUBCODE = 467;

const REVOKED_MESSAGES = new Map<number, string>([
  [458, 'Error validating access token: The user has not authorized the application.'],
  [
    460,
    'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.',
  ],
  [467, 'Error validating access token: The session is invalid because the user logged out.'],
]);

/** Checks an Instagram access token the way Graph does, producing its 190 error when it is dead. */
export function authenticateGraphToken(state: EmulatorState, token: string): GraphAuthentication {
  const issued = state.tokens.find('instagram', token);
  if (!issued) return { ok: false, body: graphError(190, 'Invalid OAuth access token - Cannot parse access token') };
  const tokenState = state.tokens.stateOf(issued);
  if (tokenState === 'revoked') {
    const subcode = issued.revokedSubcode ?? DEFAULT_REVOKED_SUBCODE;
    const message = REVOKED_MESSAGES.get(subcode) ?? 'Error validating access token.';
    return { ok: false, body: graphError(190, message, { subcode }) };
  }
  if (!state.tokens.isUsable(issued)) {
    const message = `Error validating access token: Session has expired on ${new Date(issued.expiresAt).toUTCString()}. The current time is ${new Date(state.clock.now()).toUTCString()}.`;
    return { ok: false, body: graphError(190, message, { subcode: 463 }) };
  }
  return { ok: true, token: issued };
}
