// What one KV entry holds. Like Redis (which the 2022 keyvalue providers used), a key holds a
// string, a list or a set, and an operation on the wrong kind fails. The entry is JSON:
//   {"type":"string","value":"…","expires_at":1700000000000}   (expires_at: ms since the epoch, optional)
//   {"type":"list","items":["…",…]}
//   {"type":"set","members":["…",…]}                            (sorted, no duplicates)
// An entry that is not such JSON (written by `nats kv put`, say) reads as a string holding its
// bytes as UTF-8, so a counter seeded by hand can be incremented.

import { z } from 'zod';
import { KeyValueError } from './errors.ts';

export type StoredValue =
  | { type: 'string'; value: string; expiresAt?: number | undefined }
  | { type: 'list'; items: string[] }
  | { type: 'set'; members: string[] };

export type ValueType = StoredValue['type'];

const storedValueSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('string'), value: z.string(), expires_at: z.number().int().optional() }),
  z.object({ type: z.literal('list'), items: z.array(z.string()) }),
  z.object({ type: z.literal('set'), members: z.array(z.string()) }),
]);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeStoredValue(value: StoredValue): Uint8Array {
  switch (value.type) {
    case 'string':
      return encoder.encode(
        JSON.stringify({ type: 'string', value: value.value, expires_at: value.expiresAt }),
      );
    case 'list':
      return encoder.encode(JSON.stringify({ type: 'list', items: value.items }));
    case 'set':
      return encoder.encode(JSON.stringify({ type: 'set', members: value.members }));
  }
}

export function decodeStoredValue(bytes: Uint8Array): StoredValue {
  const text = decoder.decode(bytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { type: 'string', value: text };
  }
  const parsed = storedValueSchema.safeParse(json);
  if (!parsed.success) return { type: 'string', value: text };
  const stored = parsed.data;
  if (stored.type === 'string') return { type: 'string', value: stored.value, expiresAt: stored.expires_at };
  return stored;
}

/** True when a string's expiry time has passed: it then reads as absent. */
export function isExpired(value: StoredValue, nowMs: number): boolean {
  return value.type === 'string' && value.expiresAt !== undefined && value.expiresAt <= nowMs;
}

/** A key holds another kind of value than the operation works on (Redis's WRONGTYPE). */
export class WrongTypeError extends KeyValueError {
  constructor(message: string, options?: ErrorOptions) {
    super('KEYVALUE_WRONG_TYPE', message, options);
  }
}

/** `value` when it is of `type` (or absent); else a WrongTypeError naming the key. */
export function expectType<T extends ValueType>(
  key: string,
  value: StoredValue | undefined,
  type: T,
): Extract<StoredValue, { type: T }> | undefined {
  if (value === undefined) return undefined;
  if (value.type !== type) {
    throw new WrongTypeError(`key ${JSON.stringify(key)} holds a ${value.type}, not a ${type}`);
  }
  return value as Extract<StoredValue, { type: T }>;
}
