// The request payloads of wasmcloud:keyvalue (protocol.md §13) as zod schemas: msgpack maps keyed
// by the 2022 member names (`listName`, `setName`), or a bare msgpack string / list of strings.
// Members the 2022 Rust structs default (`expires`) may be missing.

import { z } from 'zod';
import { decodePayload } from '../payload.ts';
import { KeyValueError } from './errors.ts';

const I32 = { min: -2_147_483_648, max: 2_147_483_647 } as const;
const U32_MAX = 4_294_967_295;

const i32 = z.number().int('must be an integer').min(I32.min).max(I32.max);

export const keySchema = z.string('expected a msgpack string (the key)');
export const namesSchema = z.array(z.string(), 'expected a msgpack list of strings (set names)');

export const setRequestSchema = z.looseObject({
  key: z.string(),
  value: z.string(),
  /** Seconds until the value expires; 0 = never. */
  expires: z.number().int('must be an integer').min(0).max(U32_MAX).default(0),
});

export const incrementRequestSchema = z.looseObject({ key: z.string(), value: i32 });

export const listItemRequestSchema = z.looseObject({ listName: z.string(), value: z.string() });

export const listRangeRequestSchema = z.looseObject({ listName: z.string(), start: i32, stop: i32 });

export const setItemRequestSchema = z.looseObject({ setName: z.string(), value: z.string() });

/** The result of KeyValue.Increment must fit the i32 it is sent back as. */
export function fitsI32(value: number): boolean {
  return Number.isSafeInteger(value) && value >= I32.min && value <= I32.max;
}

/** Decodes and validates a request payload; throws a ProviderError that says what was wrong. */
export function parseRequest<T extends z.ZodType>(schema: T, payload: Uint8Array): z.output<T> {
  const decoded = decodePayload(payload, 'request');
  const parsed = schema.safeParse(decoded);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  throw new KeyValueError('PAYLOAD_INVALID', `invalid request: ${problems}`);
}
