// Decoding JSON messages from outside (control requests and replies, events, provider start-up
// data): UTF-8 + JSON + a zod schema, with one readable line naming each bad field. Also the
// field helpers those schemas share (optional fields that may be null, defaults, key shapes).

import { z } from 'zod';
import { DISPLAY_VALUE_LIMIT, truncateForDisplay } from './display-text.ts';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-depth.ts';

/** The outcome of decoding a message from outside: its value, or a message for a person. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export const ACTOR_KEY_PATTERN = /^M[A-Z2-7]{55}$/;
export const PROVIDER_KEY_PATTERN = /^V[A-Z2-7]{55}$/;
export const HOST_KEY_PATTERN = /^N[A-Z2-7]{55}$/;

export const actorKeySchema = z
  .string()
  .regex(ACTOR_KEY_PATTERN, 'expected an actor public key (56 characters, starting with M)');
export const providerKeySchema = z
  .string()
  .regex(PROVIDER_KEY_PATTERN, 'expected a provider public key (56 characters, starting with V)');
export const hostKeySchema = z
  .string()
  .regex(HOST_KEY_PATTERN, 'expected a host public key (56 characters, starting with N)');

export const nonNegativeIntSchema = z.number().int().min(0, 'must not be negative');
export const nonEmptyStringSchema = z.string().min(1, 'must not be empty');

/** An optional field; `null` counts as absent because some 2022 encoders sent it for "none". */
export function optionalField<T extends z.ZodType>(schema: T) {
  return schema
    .nullish()
    .transform((value) => value ?? undefined)
    .optional();
}

/** A field that takes `fallback()` when absent or `null` (a function, so objects are never shared). */
export function fieldWithDefault<T extends z.ZodType>(schema: T, fallback: () => NonNullable<z.output<T>>) {
  return schema.nullish().transform((value): NonNullable<z.output<T>> => value ?? fallback());
}

/** A string-to-string map (labels, annotations, constraints, values); `{}` when absent. */
export function stringMapField() {
  return fieldWithDefault(z.record(z.string(), z.string()), () => ({}));
}

const TYPE_PHRASES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  record: 'an object',
  array: 'a list',
  null: 'null',
};

function describeValueType(value: unknown): string {
  if (value === null) return 'null';
  // JSON.parse reads 1e400 as Infinity.
  if (typeof value === 'number' && !Number.isFinite(value)) return 'a number too large to represent';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'boolean') return `${value}`;
  return `a ${typeof value}`;
}

/** Characters of an object key shown in a field path. */
const MAX_PATH_KEY = 64;

/** A field path as a person reads it: `spec.components[1].traits[0]`, odd keys quoted (`labels["a.b"]`). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && key.length <= MAX_PATH_KEY && /^[A-Za-z_$][\w$]*$/.test(key))
      out += out ? `.${key}` : key;
    // Label keys such as "hostcore.os"; keys come from outside, so a long one is cut.
    else out += `[${JSON.stringify(truncateForDisplay(String(key), MAX_PATH_KEY))}]`;
  }
  return out;
}

function describeProblem(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      // Input values are never quoted: bodies can carry secrets (registry passwords, seeds).
      const expected = TYPE_PHRASES[issue.expected] ?? issue.expected;
      if (issue.input === undefined) return `missing (expected ${expected})`;
      if (issue.expected === 'int' && typeof issue.input === 'number')
        return `expected ${expected}, got a fraction`;
      return `expected ${expected}, got ${describeValueType(issue.input)}`;
    }
    case 'invalid_key':
      return `invalid key: ${issue.issues.map(describeProblem).join(', ')}`;
    case 'invalid_union':
      // zod's own text is a bare "Invalid input"; schemas that care pass their own message.
      return issue.message === 'Invalid input' ? 'matches none of the accepted forms' : issue.message;
    default:
      return issue.message;
  }
}

function describeIssue(issue: z.core.$ZodIssue, basePath: readonly PropertyKey[] = []): string {
  const path = [...basePath, ...issue.path];
  if (issue.code === 'invalid_union') {
    // When the value has the type of exactly one alternative, that alternative's complaints say most.
    const sameType = issue.errors.filter(
      (branch) => !branch.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0),
    );
    const [only] = sameType;
    if (sameType.length === 1 && only && only.length > 0)
      return only.map((inner) => describeIssue(inner, path)).join('; ');
  }
  const where = formatPath(path);
  const problem = describeProblem(issue);
  return where ? `${where}: ${problem}` : problem;
}

const MAX_REPORTED_ISSUES = 5;

/**
 * One line naming each problem and the field it is in, e.g. `actor_ref: expected a string, got a
 * number`; past `maxShown` problems (5: a control reply is one short line) the rest are counted.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], maxShown = MAX_REPORTED_ISSUES): string {
  // zod still runs a string's length checks on a list; a wrong type is the only thing worth saying.
  const mistyped = new Set(
    issues.filter((issue) => issue.code === 'invalid_type').map((issue) => formatPath(issue.path)),
  );
  const relevant = issues.filter(
    (issue) => issue.code === 'invalid_type' || !mistyped.has(formatPath(issue.path)),
  );
  // zod's own texts may quote keys from outside (`Unrecognized key: "…"`): each line is bounded.
  const shown = relevant
    .slice(0, maxShown)
    .map((issue) => truncateForDisplay(describeIssue(issue), DISPLAY_VALUE_LIMIT));
  const hidden = relevant.length - shown.length;
  return hidden > 0 ? `${shown.join('; ')}; and ${hidden} more` : shown.join('; ');
}

function describeJsonSyntaxError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // V8 quotes the start of the text (`Unexpected token 'x', "…" is not valid JSON`); drop the quote.
  const quoteAt = message.indexOf(', "');
  const unquoted =
    quoteAt >= 0 && message.endsWith('is not valid JSON') ? message.slice(0, quoteAt) : message;
  return unquoted.charAt(0).toLowerCase() + unquoted.slice(1, 200);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 JSON bytes; `what` names the bytes in the error (`request body`, `event`, …). */
export function decodeJsonBytes(bytes: Uint8Array, what = 'request body'): ParseResult<unknown> {
  if (bytes.length === 0) return { ok: false, error: `${what} is not valid JSON: it is empty` };
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return { ok: false, error: `${what} is not valid JSON: it is not UTF-8 text` };
  }
  if (jsonNestsDeeperThan(bytes))
    return { ok: false, error: `${what} nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: `${what} is not valid JSON: ${describeJsonSyntaxError(error)}` };
  }
}

/** Validates a decoded value; the error starts `invalid {schema description}: `. */
export function validateMessage<S extends z.ZodType>(schema: S, value: unknown): ParseResult<z.output<S>> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    error: `invalid ${schema.description ?? 'message'}: ${describeIssues(result.error.issues)}`,
  };
}

/**
 * Decodes a JSON message (a control request or reply, or any schema described with `.describe()`)
 * from NATS bytes, e.g. `invalid launch-actor request: actor_ref: expected a string, got a number`.
 */
export function parseJsonMessage<S extends z.ZodType>(
  schema: S,
  bytes: Uint8Array,
): ParseResult<z.output<S>> {
  const decoded = decodeJsonBytes(bytes);
  return decoded.ok ? validateMessage(schema, decoded.value) : decoded;
}

const utf8 = new TextEncoder();

/** JSON bytes of a message, for publishing. */
export function encodeJsonMessage(message: unknown): Uint8Array {
  return utf8.encode(JSON.stringify(message));
}
