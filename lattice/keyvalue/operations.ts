// The 15 operations of wasmcloud:keyvalue (protocol.md §13) on a linked actor's bucket, with the
// semantics of the Redis commands the 2022 providers mapped them to (GET, SET EX, DEL, EXISTS,
// INCRBY, RPUSH, LREM 1, LRANGE, SADD, SREM, SMEMBERS, SUNION, SINTER). A list or set that
// becomes empty is deleted, as in Redis. Replies are msgpack scalars or maps with the 2022 names.
// Used by providers/keyvalue and by the host's built-in keyvalue (host/runtime/builtin-links.ts).

import { errorCode, errorMessage, isCataloguedCode, LATTICE_ERROR_CODES } from '../errors.ts';
import { encodePayload } from '../payload.ts';
import type { BucketStore, Change } from './bucket-store.ts';
import { KeyValueError } from './errors.ts';
import {
  fitsI32,
  incrementRequestSchema,
  keySchema,
  listItemRequestSchema,
  listRangeRequestSchema,
  namesSchema,
  parseRequest,
  setItemRequestSchema,
  setRequestSchema,
} from './requests.ts';
import { expectType, type StoredValue } from './stored-value.ts';

const INTEGER = /^[+-]?\d+$/;

function keep<T>(result: T): Change<T> {
  return { write: 'nothing', result };
}

/** A list's or set's new items: the key is deleted when none are left. */
function collection(type: 'list' | 'set', items: string[]): StoredValue | 'delete' {
  if (items.length === 0) return 'delete';
  return type === 'list' ? { type, items } : { type, members: items };
}

/** LRANGE: inclusive bounds, negative ones count from the end, out-of-range ones are clamped. */
export function listRange(items: readonly string[], start: number, stop: number): string[] {
  const length = items.length;
  const from = Math.max(start < 0 ? length + start : start, 0);
  const to = Math.min(stop < 0 ? length + stop : stop, length - 1);
  return from > to ? [] : items.slice(from, to + 1);
}

function increment(key: string, by: number, current: StoredValue | undefined): Change<number> {
  const string = expectType(key, current, 'string');
  const text = string?.value ?? '0';
  if (!INTEGER.test(text.trim())) {
    throw new KeyValueError(
      'KEYVALUE_NOT_AN_INTEGER',
      `the value of key ${JSON.stringify(key)} is not an integer: ${JSON.stringify(text)}`,
    );
  }
  const next = Number(text.trim()) + by;
  if (!fitsI32(next)) {
    throw new KeyValueError(
      'KEYVALUE_OUT_OF_RANGE',
      `incrementing key ${JSON.stringify(key)} by ${by} would leave the 32-bit integer range`,
    );
  }
  // INCRBY keeps the key's expiry (an expired key was already read as absent).
  return { write: { type: 'string', value: String(next), expiresAt: string?.expiresAt }, result: next };
}

async function setMembers(store: BucketStore, name: string): Promise<string[] | undefined> {
  return expectType(name, await store.get(name), 'set')?.members;
}

type Handler = (payload: Uint8Array, store: BucketStore) => Promise<unknown>;

const handlers: Record<string, Handler> = {
  async Get(payload, store) {
    const key = parseRequest(keySchema, payload);
    const string = expectType(key, await store.get(key), 'string');
    return string ? { value: string.value, exists: true } : { value: '', exists: false };
  },
  async Set(payload, store) {
    const { key, value, expires } = parseRequest(setRequestSchema, payload);
    const expiresAt = expires > 0 ? Date.now() + expires * 1000 : undefined;
    await store.put(key, { type: 'string', value, expiresAt });
    return undefined;
  },
  Del(payload, store) {
    const key = parseRequest(keySchema, payload);
    return store.change(key, (current) => ({ write: 'delete', result: current !== undefined }));
  },
  async Contains(payload, store) {
    return (await store.get(parseRequest(keySchema, payload))) !== undefined;
  },
  Increment(payload, store) {
    const { key, value } = parseRequest(incrementRequestSchema, payload);
    return store.change(key, (current) => increment(key, value, current));
  },
  ListAdd(payload, store) {
    const { listName, value } = parseRequest(listItemRequestSchema, payload);
    return store.change(listName, (current) => {
      const items = [...(expectType(listName, current, 'list')?.items ?? []), value];
      return { write: { type: 'list', items }, result: items.length };
    });
  },
  ListDel(payload, store) {
    const { listName, value } = parseRequest(listItemRequestSchema, payload);
    return store.change(listName, (current) => {
      const items = expectType(listName, current, 'list')?.items ?? [];
      const index = items.indexOf(value);
      if (index < 0) return keep(false);
      return { write: collection('list', items.toSpliced(index, 1)), result: true };
    });
  },
  ListClear(payload, store) {
    const listName = parseRequest(keySchema, payload);
    return store.change(listName, (current) => {
      const list = expectType(listName, current, 'list');
      return { write: 'delete', result: list !== undefined };
    });
  },
  async ListRange(payload, store) {
    const { listName, start, stop } = parseRequest(listRangeRequestSchema, payload);
    const items = expectType(listName, await store.get(listName), 'list')?.items ?? [];
    return listRange(items, start, stop);
  },
  SetAdd(payload, store) {
    const { setName, value } = parseRequest(setItemRequestSchema, payload);
    return store.change(setName, (current) => {
      const members = expectType(setName, current, 'set')?.members ?? [];
      if (members.includes(value)) return keep(0);
      return { write: { type: 'set', members: [...members, value].sort() }, result: 1 };
    });
  },
  SetDel(payload, store) {
    const { setName, value } = parseRequest(setItemRequestSchema, payload);
    return store.change(setName, (current) => {
      const members = expectType(setName, current, 'set')?.members ?? [];
      if (!members.includes(value)) return keep(0);
      return {
        write: collection(
          'set',
          members.filter((member) => member !== value),
        ),
        result: 1,
      };
    });
  },
  async SetQuery(payload, store) {
    return (await setMembers(store, parseRequest(keySchema, payload))) ?? [];
  },
  async SetUnion(payload, store) {
    const names = parseRequest(namesSchema, payload);
    const sets = await Promise.all(names.map((name) => setMembers(store, name)));
    return [...new Set(sets.flatMap((members) => members ?? []))].sort();
  },
  async SetIntersection(payload, store) {
    const names = parseRequest(namesSchema, payload);
    if (names.length === 0) return [];
    const sets = await Promise.all(names.map((name) => setMembers(store, name)));
    const [first, ...rest] = sets.map((members) => new Set(members ?? []));
    return [...first!].filter((member) => rest.every((set) => set.has(member))).sort();
  },
  SetClear(payload, store) {
    const setName = parseRequest(keySchema, payload);
    return store.change(setName, (current) => {
      const set = expectType(setName, current, 'set');
      return { write: 'delete', result: set !== undefined };
    });
  },
};

/** One operation of the contract: its reply, msgpack-encoded, from the calling actor's store. */
export type KeyValueOperation = (payload: Uint8Array, store: BucketStore) => Promise<Uint8Array>;

/** Every operation name, `KeyValue.{Operation}`. */
export const KEYVALUE_OPERATIONS: readonly string[] = Object.keys(handlers).map((name) => `KeyValue.${name}`);

/**
 * The handler of `operation` (`KeyValue.Get`, …), or undefined for one the contract lacks. A
 * failure is a KeyValueError whose message starts with the operation and whose code is the
 * cause's (KEYVALUE_OPERATION_FAILED for an uncoded one, a NATS error).
 */
export function keyValueOperation(operation: string): KeyValueOperation | undefined {
  const name = operation.startsWith('KeyValue.') ? operation.slice('KeyValue.'.length) : undefined;
  const handler = name === undefined || !Object.hasOwn(handlers, name) ? undefined : handlers[name];
  if (handler === undefined) return undefined;
  return async (payload, store) => {
    try {
      return encodePayload(await handler(payload, store));
    } catch (error) {
      const code = errorCode(error);
      throw new KeyValueError(
        isCataloguedCode(code, LATTICE_ERROR_CODES) ? code : 'KEYVALUE_OPERATION_FAILED',
        `${operation}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  };
}
