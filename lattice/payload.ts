// The msgpack codec for contract payloads (HttpRequest, KeyValue requests, …): plain data
// as the 2022 interfaces wrote it — maps with the member names as keys (fixmap headers),
// byte fields as bin, absent optional members left out.

import { Packr } from 'msgpackr';
import { DecodeError } from './errors.ts';

const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  variableMapSize: true,
  int64AsType: 'number',
});

function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value))
      if (member !== undefined) out[key] = withoutUndefined(member);
    return out;
  }
  return value;
}

const EMPTY = new Uint8Array(0);

/** Encodes a payload; `undefined` (an operation with no input or output) is the empty payload. */
export function encodePayload(value: unknown): Uint8Array {
  if (value === undefined) return EMPTY;
  return packr.pack(withoutUndefined(value));
}

/** Decodes a payload; the empty payload is `undefined`. Throws DecodeError naming `what` on bad bytes. */
export function decodePayload(bytes: Uint8Array, what = 'payload'): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return packr.unpack(bytes);
  } catch (error) {
    throw new DecodeError(
      'PAYLOAD_INVALID',
      `invalid ${what}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
