// Lattice events (protocol.md §2): JSON CloudEvents 1.0 with `type = com.wasmcloud.lattice.{name}`
// and the host key as `source`, published on `wasmbus.evt.{lattice}`. The data schemas follow the
// OTP 0.57 catalogue and accept the OTP 0.60 variants (heartbeat counts, no provider instance IDs).

import { z } from 'zod';
import { type CloudEvent, EVENT_TYPE_PREFIX } from './cloud-event.ts';
import {
  decodeJsonBytes,
  describeIssues,
  fieldWithDefault,
  nonEmptyStringSchema,
  nonNegativeIntSchema,
  optionalField,
  type ParseResult,
  stringMapField,
  validateMessage,
} from './json-message.ts';
import { linkNameSchema, storedLinkDefinitionSchema } from './link-definition.ts';

// ---- envelope ----

export { type CloudEvent, cloudEvent, EVENT_TYPE_PREFIX } from './cloud-event.ts';

export const cloudEventEnvelopeSchema = z
  .looseObject({
    specversion: z.literal('1.0', 'expected "1.0"'),
    time: z.iso.datetime({ offset: true, error: 'expected an ISO-8601 date and time' }),
    type: z.string().startsWith(EVENT_TYPE_PREFIX, `expected a type starting with "${EVENT_TYPE_PREFIX}"`),
    source: nonEmptyStringSchema,
    datacontenttype: fieldWithDefault(z.string(), () => 'application/json'),
    id: nonEmptyStringSchema,
    data: z.unknown(),
  })
  .describe('cloud event');

// ---- data of each event ----

const actorEventClaimsSchema = z.looseObject({
  call_alias: optionalField(z.string()),
  // A list from the OTP host; comma-joined text in some re-encodings.
  caps: optionalField(z.union([z.array(z.string()), z.string()], 'expected a list of strings or a string')),
  issuer: optionalField(z.string()),
  tags: optionalField(z.union([z.array(z.string()), z.string()], 'expected a list of strings or a string')),
  name: optionalField(z.string()),
  version: optionalField(z.string()),
  revision: optionalField(z.number().int()),
  not_before_human: optionalField(z.string()),
  expires_human: optionalField(z.string()),
});

const providerEventClaimsSchema = z.looseObject({
  issuer: optionalField(z.string()),
  tags: optionalField(z.union([z.array(z.string()), z.string()], 'expected a list of strings or a string')),
  name: optionalField(z.string()),
  version: optionalField(z.string()),
  not_before_human: optionalField(z.string()),
  expires_human: optionalField(z.string()),
});

/** OTP 0.57 lists each running instance; OTP 0.60 sends a map of actor key to instance count. */
const heartbeatActorsSchema = z.union(
  [
    z.array(z.looseObject({ public_key: nonEmptyStringSchema, instance_id: optionalField(z.string()) })),
    z.record(z.string(), nonNegativeIntSchema),
  ],
  'expected a list of {public_key, instance_id} or a map of actor key to instance count',
);

/**
 * The whole picture of a host's actors in a few bytes (a wasmcloud-ts addition to the heartbeat):
 * how many actors run (with at least one instance), how many instances, and a digest of every
 * `actor key → instance count` (lattice/heartbeat-actors.ts) to compare with an inventory.
 */
const heartbeatActorSummarySchema = z.looseObject({
  actors: nonNegativeIntSchema,
  instances: nonNegativeIntSchema,
  digest: z.string(),
});

const heartbeatProviderSchema = z.looseObject({
  public_key: nonEmptyStringSchema,
  link_name: linkNameSchema,
  contract_id: optionalField(z.string()),
  instance_id: optionalField(z.string()), // dropped in OTP 0.60
});

/** An invocation's origin or target; an actor has empty `contract_id` and `link_name`. */
const invocationEntitySchema = z.looseObject({
  public_key: nonEmptyStringSchema,
  contract_id: fieldWithDefault(z.string(), () => ''),
  link_name: fieldWithDefault(z.string(), () => ''),
});

const invocationEventSchema = z.looseObject({
  source: invocationEntitySchema,
  dest: invocationEntitySchema,
  operation: nonEmptyStringSchema,
  bytes: nonNegativeIntSchema,
});

const healthCheckEventSchema = z.looseObject({ public_key: nonEmptyStringSchema, link_name: linkNameSchema });

/** The `data` schema of every 2022 event, by event name (the suffix of `type`). */
export const eventDataSchemas = {
  host_started: z.looseObject({
    labels: stringMapField(),
    friendly_name: optionalField(z.string()),
    uptime_seconds: optionalField(nonNegativeIntSchema), // OTP ≥ 0.60
    version: optionalField(z.string()), // OTP ≥ 0.60
  }),
  host_stopped: z.looseObject({ labels: stringMapField() }),
  host_heartbeat: z.looseObject({
    actors: fieldWithDefault(heartbeatActorsSchema, () => ({})),
    providers: fieldWithDefault(z.array(heartbeatProviderSchema), () => []),
    labels: stringMapField(),
    friendly_name: optionalField(z.string()),
    version: optionalField(z.string()),
    uptime_seconds: optionalField(nonNegativeIntSchema),
    uptime_human: optionalField(z.string()),
    // wasmcloud-ts additions (docs/host.md, "Heartbeats at scale"): `actors` above is cut to fit
    // max_payload; these two carry the whole picture, `actor_counts` while it fits.
    actor_counts: optionalField(z.record(z.string(), nonNegativeIntSchema)),
    actor_summary: optionalField(heartbeatActorSummarySchema),
  }),
  actor_started: z.looseObject({
    public_key: nonEmptyStringSchema,
    image_ref: optionalField(z.string()),
    api_version: optionalField(z.number()),
    instance_id: z.string(),
    annotations: stringMapField(),
    claims: optionalField(actorEventClaimsSchema),
  }),
  actor_stopped: z.looseObject({ public_key: nonEmptyStringSchema, instance_id: z.string() }),
  actor_updated: z.looseObject({
    public_key: nonEmptyStringSchema,
    revision: z.number().int(),
    instance_id: z.string(),
  }),
  actor_update_failed: z.looseObject({
    public_key: nonEmptyStringSchema,
    revision: z.number().int(),
    instance_id: z.string(),
    reason: z.string(),
  }),
  actor_start_failed: z.looseObject({ actor_ref: nonEmptyStringSchema, error: z.string() }),
  provider_started: z.looseObject({
    public_key: nonEmptyStringSchema,
    image_ref: optionalField(z.string()),
    link_name: linkNameSchema,
    contract_id: nonEmptyStringSchema,
    instance_id: z.string(),
    annotations: stringMapField(),
    claims: optionalField(providerEventClaimsSchema),
  }),
  provider_stopped: z.looseObject({
    public_key: nonEmptyStringSchema,
    link_name: linkNameSchema,
    contract_id: nonEmptyStringSchema,
    instance_id: z.string(),
    reason: optionalField(z.string()), // "normal" or the exit reason
  }),
  provider_start_failed: z.looseObject({
    provider_ref: nonEmptyStringSchema,
    link_name: linkNameSchema,
    error: z.string(),
  }),
  health_check_passed: healthCheckEventSchema,
  health_check_failed: healthCheckEventSchema,
  linkdef_set: storedLinkDefinitionSchema,
  linkdef_deleted: storedLinkDefinitionSchema,
  refmap_set: z.looseObject({ oci_url: nonEmptyStringSchema, public_key: nonEmptyStringSchema }),
  invocation_succeeded: invocationEventSchema,
  invocation_failed: invocationEventSchema,
  // wasmcloud-ts: an actor's call ran to its timeout (`timeout_ms`) and was stopped; its caller got
  // ACTOR_TIMEOUT. `action` is `interrupted` (stopped at a yield point while its worker served
  // other calls) or `worker_replaced` (code without yield points kept its worker busy).
  actor_interrupted: z.looseObject({
    public_key: nonEmptyStringSchema,
    operation: z.string(),
    timeout_ms: nonNegativeIntSchema,
    action: nonEmptyStringSchema,
  }),
  // wasmcloud-ts: a host's NATS connection is back. Nothing can be published while it is down, so
  // this one event tells both when it went (`disconnected_at`) and for how long. `connection` is
  // `control` or `rpc`; `server` the `host:port` it is connected to again.
  nats_reconnected: z.looseObject({
    connection: nonEmptyStringSchema,
    server: nonEmptyStringSchema,
    down_ms: nonNegativeIntSchema,
    disconnected_at: optionalField(z.string()),
  }),
} as const;

export type EventName = keyof typeof eventDataSchemas;
export const EVENT_NAMES = Object.keys(eventDataSchemas) as EventName[];

/** The data type of a known event; `unknown` for any other name. */
export type EventData<Name extends string> = Name extends EventName
  ? z.output<(typeof eventDataSchemas)[Name]>
  : unknown;

export type HostHeartbeatData = EventData<'host_heartbeat'>;

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(eventDataSchemas, name);
}

/** The event name of a CloudEvent (`actor_started` for `com.wasmcloud.lattice.actor_started`). */
export function eventNameOf(event: Pick<CloudEvent, 'type'>): string {
  return event.type.startsWith(EVENT_TYPE_PREFIX) ? event.type.slice(EVENT_TYPE_PREFIX.length) : event.type;
}

/** Narrows a parsed event to a known name; its data was validated by `parseCloudEvent`. */
export function isEventOf<Name extends EventName>(
  event: CloudEvent,
  name: Name,
): event is CloudEvent<EventData<Name>> {
  return event.type === `${EVENT_TYPE_PREFIX}${name}`;
}

// ---- building and parsing ----

/**
 * Decodes a CloudEvent from NATS bytes, checks the envelope and, for known event names, the data.
 * Events of other names (1.x, 0.82 batch events) pass with their data unchecked.
 */
export function parseCloudEvent(bytes: Uint8Array): ParseResult<CloudEvent> {
  const decoded = decodeJsonBytes(bytes, 'event');
  if (!decoded.ok) return decoded;
  const envelope = validateMessage(cloudEventEnvelopeSchema, decoded.value);
  if (!envelope.ok) return envelope;
  const name = eventNameOf(envelope.value);
  // Unknown names (1.x, 0.82 batch events) pass as they are; `data` is spelled out to make it a required key.
  if (!isEventName(name)) return { ok: true, value: { ...envelope.value, data: envelope.value.data } };
  const data = eventDataSchemas[name].safeParse(envelope.value.data, { reportInput: true });
  if (!data.success)
    return { ok: false, error: `invalid ${name} event: ${describeIssues(prefixPaths(data.error.issues))}` };
  return { ok: true, value: { ...envelope.value, data: data.data } };
}

function prefixPaths(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.map((issue) => ({ ...issue, path: ['data', ...issue.path] }));
}

/** Instances per actor key from either heartbeat form (a list of instances, or counts). */
export function heartbeatActorCounts(data: Pick<HostHeartbeatData, 'actors'>): Record<string, number> {
  const counts = new Map<string, number>();
  if (Array.isArray(data.actors)) {
    for (const instance of data.actors)
      counts.set(instance.public_key, (counts.get(instance.public_key) ?? 0) + 1);
  } else {
    for (const [actorKey, count] of Object.entries(data.actors)) counts.set(actorKey, count);
  }
  // fromEntries defines own properties, so a key such as "__proto__" cannot reach the prototype.
  return Object.fromEntries(counts);
}
