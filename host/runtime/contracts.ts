// The contracts as both kinds of actor see them. A 2022 operation (`KeyValue.Get`) travels as
// msgpack; a component calls or exports the matching WIT function (actors/wit/*.wit). This
// table says, for every operation, which WIT function it is and how its input and output
// map between the two, so a provider cannot tell a component from a module.

import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import { HostError } from '../errors.ts';

/** How one field converts between its jco JS value and its 2022 msgpack value. */
type FieldType = 'string' | 'bool' | 'int' | 'bytes' | 'header-map' | 'option-string' | 'string-list';

type Field = readonly [name: string, type: FieldType];

/** The shape of an operation's input or output on the wire, and as WIT params / result. */
type Shape =
  /** No payload; no params; `result<_, string>` or no result. */
  | { kind: 'none' }
  /** A scalar payload; one param; a scalar result. */
  | { kind: 'scalar'; type: FieldType }
  /** A msgpack map; in WIT, one record param (or a record result) with the same fields. */
  | { kind: 'record'; fields: readonly Field[] }
  /** A msgpack map; in WIT, one param per field, in order. */
  | { kind: 'params'; fields: readonly Field[] };

export interface OperationSpec {
  /** The 2022 operation name on the wire. */
  operation: string;
  /** The contract ID whose capability claim the call needs. */
  contract: string;
  /** The WIT interface without version, e.g. `wasmcloud:keyvalue/key-value`. */
  witInterface: string;
  /** The function's name as jco exposes it (camelCase). */
  functionName: string;
  input: Shape;
  output: Shape;
  /** True when the WIT function returns `result<T, string>` (errors travel as the invocation error). */
  fallible: boolean;
}

const HEADER_RECORD: readonly Field[] = [
  ['header', 'header-map'],
  ['body', 'bytes'],
];
const HTTP_REQUEST: Shape = {
  kind: 'record',
  fields: [['method', 'string'], ['path', 'string'], ['queryString', 'string'], ...HEADER_RECORD],
};
const HTTP_RESPONSE: Shape = { kind: 'record', fields: [['statusCode', 'int'], ...HEADER_RECORD] };
const MESSAGE: Shape = {
  kind: 'record',
  fields: [
    ['subject', 'string'],
    ['replyTo', 'option-string'],
    ['body', 'bytes'],
  ],
};
const OPERATION_RESPONSE: Shape = {
  kind: 'record',
  fields: [
    ['succeeded', 'bool'],
    ['error', 'option-string'],
  ],
};
const scalar = (type: FieldType): Shape => ({ kind: 'scalar', type });
const params = (...fields: Field[]): Shape => ({ kind: 'params', fields });
const NONE: Shape = { kind: 'none' };

function kv(operation: string, functionName: string, input: Shape, output: Shape): OperationSpec {
  return {
    operation: `KeyValue.${operation}`,
    contract: 'wasmcloud:keyvalue',
    witInterface: 'wasmcloud:keyvalue/key-value',
    functionName,
    input,
    output,
    fallible: true,
  };
}

/** Calls an actor makes to a provider (component imports). */
export const IMPORTED_OPERATIONS: readonly OperationSpec[] = [
  kv('Get', 'get', scalar('string'), {
    kind: 'record',
    fields: [
      ['value', 'string'],
      ['exists', 'bool'],
    ],
  }),
  kv('Set', 'set', params(['key', 'string'], ['value', 'string'], ['expires', 'int']), NONE),
  kv('Del', 'del', scalar('string'), scalar('bool')),
  kv('Contains', 'contains', scalar('string'), scalar('bool')),
  kv('Increment', 'increment', params(['key', 'string'], ['value', 'int']), scalar('int')),
  kv('ListAdd', 'listAdd', params(['listName', 'string'], ['value', 'string']), scalar('int')),
  kv('ListDel', 'listDel', params(['listName', 'string'], ['value', 'string']), scalar('bool')),
  kv('ListClear', 'listClear', scalar('string'), scalar('bool')),
  kv(
    'ListRange',
    'listRange',
    params(['listName', 'string'], ['start', 'int'], ['stop', 'int']),
    scalar('string-list'),
  ),
  kv('SetAdd', 'setAdd', params(['setName', 'string'], ['value', 'string']), scalar('int')),
  kv('SetDel', 'setDel', params(['setName', 'string'], ['value', 'string']), scalar('int')),
  kv('SetQuery', 'setQuery', scalar('string'), scalar('string-list')),
  kv('SetUnion', 'setUnion', scalar('string-list'), scalar('string-list')),
  kv('SetIntersection', 'setIntersection', scalar('string-list'), scalar('string-list')),
  kv('SetClear', 'setClear', scalar('string'), scalar('bool')),
  {
    operation: 'Messaging.Publish',
    contract: 'wasmcloud:messaging',
    witInterface: 'wasmcloud:messaging/consumer',
    functionName: 'publish',
    input: params(['subject', 'string'], ['replyTo', 'option-string'], ['body', 'bytes']),
    output: NONE,
    fallible: true,
  },
  {
    operation: 'Messaging.Request',
    contract: 'wasmcloud:messaging',
    witInterface: 'wasmcloud:messaging/consumer',
    functionName: 'request',
    input: params(['subject', 'string'], ['body', 'bytes'], ['timeoutMs', 'int']),
    output: MESSAGE,
    fallible: true,
  },
  {
    operation: 'KubernetesApplier.Apply',
    contract: 'cosmonic:kubernetes_applier',
    witInterface: 'cosmonic:kubernetes-applier/applier',
    functionName: 'apply',
    input: scalar('bytes'),
    output: OPERATION_RESPONSE,
    fallible: true,
  },
  {
    operation: 'KubernetesApplier.Delete',
    contract: 'cosmonic:kubernetes_applier',
    witInterface: 'cosmonic:kubernetes-applier/applier',
    functionName: 'delete',
    input: params(
      ['group', 'string'],
      ['version', 'string'],
      ['kind', 'string'],
      ['name', 'string'],
      ['namespace', 'option-string'],
    ),
    output: OPERATION_RESPONSE,
    fallible: true,
  },
];

/** Calls a provider makes to an actor (component exports). */
export const EXPORTED_OPERATIONS: readonly OperationSpec[] = [
  {
    operation: 'HttpServer.HandleRequest',
    contract: 'wasmcloud:httpserver',
    witInterface: 'wasmcloud:httpserver/handler',
    functionName: 'handleRequest',
    input: HTTP_REQUEST,
    output: HTTP_RESPONSE,
    fallible: true,
  },
  {
    operation: 'MessageSubscriber.HandleMessage',
    contract: 'wasmcloud:messaging',
    witInterface: 'wasmcloud:messaging/handler',
    functionName: 'handleMessage',
    input: MESSAGE,
    output: NONE,
    fallible: true,
  },
];

/** The generic actor-to-actor interfaces (wasmcloud:actor). */
export const ACTOR_CALL_INTERFACE = 'wasmcloud:actor/call';
export const ACTOR_HANDLER_INTERFACE = 'wasmcloud:actor/handler';
export const CONTRACT_VERSION = '0.1.0';

export const EXPORTS_BY_OPERATION = new Map(EXPORTED_OPERATIONS.map((spec) => [spec.operation, spec]));

// ---- field conversions ----

/** A value from the wire that is not what the contract says. */
export class PayloadShapeError extends HostError {}

function toWireField(type: FieldType, value: unknown): unknown {
  switch (type) {
    case 'header-map': {
      const map: Record<string, string[]> = {};
      for (const [name, values] of (value ?? []) as Array<[string, string[]]>)
        map[name] = [...(map[name] ?? []), ...values];
      return map;
    }
    case 'bytes':
      return value instanceof Uint8Array ? value : new Uint8Array(0);
    case 'int':
      return typeof value === 'bigint' ? Number(value) : value;
    default:
      return value ?? undefined;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'nil';
  if (value instanceof Uint8Array) return 'bytes';
  return Array.isArray(value) ? 'a list' : typeof value;
}

function fromWireField(type: FieldType, value: unknown, where: string): unknown {
  const mismatch = (expected: string) =>
    new PayloadShapeError('BAD_PAYLOAD', `${where}: expected ${expected}, got ${describe(value)}`);
  switch (type) {
    case 'string':
      if (value === undefined || value === null) return '';
      if (typeof value !== 'string') throw mismatch('a string');
      return value;
    case 'option-string':
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'string') throw mismatch('a string or nil');
      return value;
    case 'bool':
      if (value === undefined || value === null) return false;
      if (typeof value !== 'boolean') throw mismatch('a boolean');
      return value;
    case 'int':
      if (value === undefined || value === null) return 0;
      if (typeof value !== 'number' || !Number.isInteger(value)) throw mismatch('an integer');
      return value;
    case 'bytes':
      if (value === undefined || value === null) return new Uint8Array(0);
      if (value instanceof Uint8Array) return value;
      if (typeof value === 'string') return Buffer.from(value, 'latin1'); // the Elixir host sends str
      throw mismatch('bytes');
    case 'string-list':
      if (value === undefined || value === null) return [];
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
        throw mismatch('a list of strings');
      return value;
    case 'header-map': {
      if (value === undefined || value === null) return [];
      if (typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array)
        throw mismatch('a map');
      return Object.entries(value).map(([name, values]) => {
        const list = Array.isArray(values) ? values : [values];
        if (!list.every((v) => typeof v === 'string'))
          throw new PayloadShapeError('BAD_PAYLOAD', `${where}.${name}: expected strings`);
        return [name, list];
      });
    }
  }
}

function recordToWire(fields: readonly Field[], record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, type] of fields) out[name] = toWireField(type, record[name]);
  return out;
}

function recordFromWire(fields: readonly Field[], wire: unknown, what: string): Record<string, unknown> {
  if (
    wire === undefined ||
    wire === null ||
    typeof wire !== 'object' ||
    Array.isArray(wire) ||
    wire instanceof Uint8Array
  ) {
    throw new PayloadShapeError('BAD_PAYLOAD', `${what}: expected a map, got ${describe(wire)}`);
  }
  const map = wire as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, type] of fields) out[name] = fromWireField(type, map[name], `${what}.${name}`);
  return out;
}

// ---- whole payloads ----

/** JS arguments of a WIT function → the 2022 msgpack payload. */
export function argumentsToPayload(shape: Shape, args: readonly unknown[]): Uint8Array {
  switch (shape.kind) {
    case 'none':
      return encodePayload(undefined);
    case 'scalar':
      return encodePayload(toWireField(shape.type, args[0]));
    case 'record':
      return encodePayload(recordToWire(shape.fields, (args[0] ?? {}) as Record<string, unknown>));
    case 'params':
      return encodePayload(
        recordToWire(shape.fields, Object.fromEntries(shape.fields.map(([name], i) => [name, args[i]]))),
      );
  }
}

/** The 2022 msgpack payload → JS arguments of a WIT function. Throws PayloadShapeError. */
export function payloadToArguments(shape: Shape, payload: Uint8Array, what: string): unknown[] {
  const wire = decodePayload(payload, what);
  switch (shape.kind) {
    case 'none':
      return [];
    case 'scalar':
      return [fromWireField(shape.type, wire, what)];
    case 'record':
      return [recordFromWire(shape.fields, wire, what)];
    case 'params': {
      const record = recordFromWire(shape.fields, wire, what);
      return shape.fields.map(([name]) => record[name]);
    }
  }
}

/** A WIT function's JS return value → the 2022 msgpack payload. */
export function resultToPayload(shape: Shape, value: unknown): Uint8Array {
  switch (shape.kind) {
    case 'none':
      return encodePayload(undefined);
    case 'scalar':
      return encodePayload(toWireField(shape.type, value));
    case 'record':
    case 'params':
      return encodePayload(recordToWire(shape.fields, (value ?? {}) as Record<string, unknown>));
  }
}

/** The 2022 msgpack reply → a WIT function's JS return value. Throws PayloadShapeError. */
export function payloadToResult(shape: Shape, payload: Uint8Array, what: string): unknown {
  switch (shape.kind) {
    case 'none':
      return undefined;
    case 'scalar':
      return fromWireField(shape.type, decodePayload(payload, what), what);
    case 'record':
    case 'params':
      return recordFromWire(shape.fields, decodePayload(payload, what), what);
  }
}
