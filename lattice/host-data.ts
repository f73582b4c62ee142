// Provider start-up data (protocol.md §6.1, §6.5): the host writes base64(JSON HostData) + "\n" to a
// provider's stdin, and the provider reads that one line before anything else.
//
// Hosts disagree on the logging flag's name: OTP 0.57 sends `enable_structured_logging`, the
// interface schema and OTP 0.63 `structured_logging`. Decoding accepts either and keeps one
// `structured_logging`; encoding writes both so providers of either era read it.

import { z } from 'zod';
import { DecodeError } from './errors.ts';
import { MOST_REPLICAS } from './jetstream-replicas.ts';
import {
  decodeJsonBytes,
  fieldWithDefault,
  nonEmptyStringSchema,
  optionalField,
  stringMapField,
  validateMessage,
} from './json-message.ts';
import { linkDefinitionSchema, linkNameSchema } from './link-definition.ts';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const DEFAULT_RPC_TIMEOUT_MS = 2000;

// Level names arrive in either case depending on the host's serializer.
const logLevelSchema = z
  .string()
  .transform((level) => level.toLowerCase())
  .pipe(z.enum(LOG_LEVELS, `expected one of ${LOG_LEVELS.join(', ')}`));

// OTP writes `lattice_rpc_tls` as a boolean, the early Rust host as 0.
const tlsFlagSchema = z
  .union([z.boolean(), z.literal(0), z.literal(1)], 'expected true, false, 0 or 1')
  .transform((flag) => flag === true || flag === 1);

export const hostDataSchema = z
  .looseObject({
    host_id: nonEmptyStringSchema,
    lattice_rpc_prefix: nonEmptyStringSchema,
    link_name: linkNameSchema,
    lattice_rpc_user_jwt: fieldWithDefault(z.string(), () => ''),
    lattice_rpc_user_seed: fieldWithDefault(z.string(), () => ''),
    lattice_rpc_url: nonEmptyStringSchema,
    lattice_rpc_tls: fieldWithDefault(tlsFlagSchema, () => false),
    /** wasmcloud-ts: the CA (PEM file) the lattice's NATS certificate is signed by, when not a system CA. */
    lattice_rpc_tls_ca_file: optionalField(z.string()),
    env_values: stringMapField(),
    instance_id: nonEmptyStringSchema,
    provider_key: nonEmptyStringSchema,
    link_definitions: fieldWithDefault(z.array(linkDefinitionSchema), () => []),
    /** The opaque `configuration` string of the launch-provider request. */
    config_json: optionalField(z.string()),
    default_rpc_timeout_ms: fieldWithDefault(
      z.number().int().min(1, 'must be at least 1'),
      () => DEFAULT_RPC_TIMEOUT_MS,
    ),
    cluster_issuers: fieldWithDefault(z.array(z.string()), () => []),
    /** The cluster seed providers sign invocations with (OTP 0.57). */
    invocation_seed: optionalField(z.string()),
    js_domain: optionalField(z.string()), // OTP ≥ 0.60
    /** wasmcloud-ts: the host's WASMCLOUD_JS_REPLICAS, for buckets the provider creates on the lattice's NATS. */
    js_replicas: optionalField(z.number().int().min(1).max(MOST_REPLICAS)),
    log_level: optionalField(logLevelSchema),
    structured_logging: optionalField(z.boolean()),
    enable_structured_logging: optionalField(z.boolean()),
    config: optionalField(z.record(z.string(), z.string())), // 1.x named config, resolved
    otel_config: optionalField(z.record(z.string(), z.unknown())), // 1.x
  })
  .transform(({ structured_logging, enable_structured_logging, ...rest }) => ({
    ...rest,
    structured_logging: structured_logging ?? enable_structured_logging ?? false,
  }))
  .describe('host data');
export type HostData = z.output<typeof hostDataSchema>;

/** The stdin line for a provider: base64 of the JSON, then a newline. */
export function encodeHostDataLine(data: HostData): string {
  const json = JSON.stringify({ ...data, enable_structured_logging: data.structured_logging });
  return `${Buffer.from(json, 'utf8').toString('base64')}\n`;
}

// Standard or URL-safe alphabet, padding optional (Node decodes both).
const BASE64_TEXT = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Decodes the provider's first stdin line; throws DecodeError saying what is wrong with it. */
export function decodeHostDataLine(line: string): HostData {
  const text = line.trim();
  if (text.length === 0) {
    throw new DecodeError(
      'HOST_DATA_EMPTY',
      'host data is empty: expected one line of base64-encoded JSON on stdin',
    );
  }
  const padded = text.endsWith('=');
  if (!BASE64_TEXT.test(text) || text.length % 4 === 1 || (padded && text.length % 4 !== 0)) {
    throw new DecodeError(
      'HOST_DATA_NOT_BASE64',
      'host data is not base64: expected one line of base64-encoded JSON',
    );
  }
  const decoded = decodeJsonBytes(Buffer.from(text, 'base64'), 'decoded host data');
  if (!decoded.ok) throw new DecodeError('HOST_DATA_NOT_JSON', decoded.error);
  const validated = validateMessage(hostDataSchema, decoded.value);
  if (!validated.ok) throw new DecodeError('HOST_DATA_INVALID', validated.error);
  return validated.value;
}
