// The one error class of the OCI client. Its `code` (an OCI_* code of lattice/errors.ts's catalogue)
// says what went wrong for programs and tests; its message says it for a person: which registry,
// which reference, what to do about it.

import { LatticeError, type LatticeErrorCode } from '../errors.ts';

export type OciErrorCode = Extract<LatticeErrorCode, `OCI_${string}`>;

export class OciError extends LatticeError<OciErrorCode> {}
