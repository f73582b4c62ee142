// A bound on how deeply JSON from outside may nest, checked before JSON.parse sees it. V8 parses
// deeply nested arrays slowly (a 1 MB message of `[` takes about a second, against 40 ms for flat
// JSON of the same size), so one such message per second would keep a host busy. No message of
// the protocol nests more than a few levels, so the bound costs nothing real.

/** Deeper JSON is refused unparsed. */
export const MAX_JSON_DEPTH = 512;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** True when the JSON text in `bytes` opens more than `limit` arrays or objects inside each other. */
export function jsonNestsDeeperThan(bytes: Uint8Array, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) depth--;
  }
  return false;
}
