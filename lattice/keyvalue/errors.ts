// The coded error of the keyvalue contract's shared code (wasmcloud:keyvalue on JetStream KV),
// thrown alike by providers/keyvalue and the host's built-in keyvalue; codes in lattice/errors.ts.

import { LatticeError, type LatticeErrorCode } from '../errors.ts';

export class KeyValueError extends LatticeError<LatticeErrorCode> {}
