// Named error classes of the lattice library. Every error carries a stable `code` (for
// programs and tests) and a message that tells a person what was wrong (for logs and CLIs).

export class LatticeError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A key or seed string that is not a valid nkey of the expected kind. */
export class KeyError extends LatticeError {}

/** Bytes that are not a well-formed WebAssembly module or component. */
export class WasmFormatError extends LatticeError {}

/** A claims token (JWT) that is missing, malformed, badly signed, out of date or for other bytes. */
export class ClaimsError extends LatticeError {}

/** A provider archive (PAR) that cannot be read, or whose contents do not match its claims. */
export class ProviderArchiveError extends LatticeError {}

/** Bytes or text from outside that do not match the shape the protocol requires. */
export class DecodeError extends LatticeError {}

/** The message of anything thrown (an Error's message, else its text). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
