// A control request refused: the 2022 `{"accepted": false, "error": …}` ack with the refusal's
// code beside it (host/errors.ts), so a client can tell refusals apart without matching text.

import { type CtlAck, nack } from '../../lattice/control.ts';
import { errorCode, type LatticeErrorCode } from '../../lattice/errors.ts';
import { type HostErrorCode, isHostErrorCode } from '../errors.ts';

export function refuse(code: HostErrorCode | LatticeErrorCode, error: string): CtlAck {
  return nack(code, error);
}

/** The code a refusal because of `error` carries: its own when it has a catalogued one, else `fallback`. */
export function refusalCode(error: unknown, fallback: HostErrorCode): HostErrorCode | LatticeErrorCode {
  const code = errorCode(error);
  return isHostErrorCode(code) ? code : fallback;
}
