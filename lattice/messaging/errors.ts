// The coded error of the messaging contract's shared code (wasmcloud:messaging on NATS), thrown
// alike by providers/messaging and the host's built-in messaging; codes in lattice/errors.ts.

import { LatticeError, type LatticeErrorCode } from '../errors.ts';

export class MessagingError extends LatticeError<LatticeErrorCode> {}
