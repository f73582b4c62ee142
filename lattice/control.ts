// The 2022 control interface (protocol.md §1.4, §14): zod schemas and types of every request a host
// answers on `wasmbus.ctl.{lattice}.*` and of every reply. Decoding lives in json-message.ts.
//
// Parsing is lenient where 2022 peers were: unknown fields are kept, optional fields may be absent
// or `null`. It is strict where a value ends up in a subject, a key or the host's own decisions.

import { z } from 'zod';
import {
  actorKeySchema,
  fieldWithDefault,
  hostKeySchema,
  nonEmptyStringSchema,
  nonNegativeIntSchema,
  optionalField,
  providerKeySchema,
  stringMapField,
} from './json-message.ts';
import { linkDefinitionSchema, linkDefinitionShape, linkNameSchema } from './link-definition.ts';

// ---- numbers ----

// CIC 0.21 carries counts as u16.
const MAX_COUNT = 65_535;
const instanceCount = (minimum: number) =>
  z.number().int().min(minimum, `must be at least ${minimum}`).max(MAX_COUNT, `must be at most ${MAX_COUNT}`);

// ---- acks ----

/**
 * The early reply to every command: `{"accepted": true, "error": ""}`. Our hosts add `code` to a
 * refusal, the code of docs/errors.md beside the 2022 `error` text; 2022 hosts send none.
 */
export const ctlAckSchema = z
  .looseObject({
    accepted: z.boolean(),
    error: fieldWithDefault(z.string(), () => ''),
    code: z.string().optional(),
  })
  .describe('ack');
export type CtlAck = z.output<typeof ctlAckSchema>;

export function ack(): CtlAck {
  return { accepted: true, error: '' };
}

/** A refusal: the 2022 `{"accepted": false, "error": …}` with the refusal's code added. */
export function nack(code: string, error: string): CtlAck {
  return { accepted: false, error, code };
}

// ---- queries and their replies ----

/**
 * The body of `ping.hosts`: empty in 2022. A wasmcloud-ts addition: `{"heartbeat": false}` asks the
 * host to answer without publishing the heartbeat it otherwise sends after each ping (a controller
 * pinging every 2 s for liveness needs only the answer). Absent, `null` or any other body: heartbeat.
 */
export const hostPingRequestSchema = z
  .looseObject({ heartbeat: optionalField(z.boolean()) })
  .describe('ping request');
export type HostPingRequest = z.output<typeof hostPingRequestSchema>;

/** A host's answer to `ping.hosts`. `cluster_issuers` is one comma-joined string, not a list. */
export const hostPingReplySchema = z
  .looseObject({
    id: hostKeySchema,
    uptime_seconds: nonNegativeIntSchema,
    labels: stringMapField(),
    friendly_name: optionalField(z.string()),
    uptime_human: optionalField(z.string()),
    version: optionalField(z.string()),
    cluster_issuers: optionalField(z.string()),
    js_domain: optionalField(z.string()),
    ctl_host: optionalField(z.string()),
    prov_rpc_host: optionalField(z.string()),
    rpc_host: optionalField(z.string()),
    lattice_prefix: optionalField(z.string()),
    issuer: optionalField(z.string()), // OTP ≥ 0.60: the host's cluster key
  })
  .describe('ping reply');
export type HostPingReply = z.output<typeof hostPingReplySchema>;

export const actorInstanceSchema = z.looseObject({
  instance_id: z.string(),
  revision: z.number().int(),
  annotations: stringMapField(),
});
export type ActorInstance = z.output<typeof actorInstanceSchema>;

export const actorDescriptionSchema = z.looseObject({
  id: nonEmptyStringSchema,
  image_ref: optionalField(z.string()),
  name: optionalField(z.string()),
  instances: z.array(actorInstanceSchema),
  /** A wasmcloud-ts addition: true on an actor scaled to zero (no instances, woken by its next call). */
  scaled_to_zero: optionalField(z.boolean()),
});
export type ActorDescription = z.output<typeof actorDescriptionSchema>;

export const providerDescriptionSchema = z.looseObject({
  id: nonEmptyStringSchema,
  link_name: linkNameSchema,
  revision: z.number().int(),
  image_ref: optionalField(z.string()),
  name: optionalField(z.string()),
  contract_id: optionalField(z.string()), // OTP ≥ 0.60
  instance_id: optionalField(z.string()),
  annotations: stringMapField(),
});
export type ProviderDescription = z.output<typeof providerDescriptionSchema>;

/** The reply to `get.{host}.inv`. wash fails to decode it without `labels`, `actors` and `providers`. */
export const hostInventorySchema = z
  .looseObject({
    host_id: hostKeySchema,
    labels: z.record(z.string(), z.string()),
    actors: z.array(actorDescriptionSchema),
    providers: z.array(providerDescriptionSchema),
    friendly_name: optionalField(z.string()),
  })
  .describe('host inventory');
export type HostInventory = z.output<typeof hostInventorySchema>;

/**
 * One actor's calls on one host, in the reply to `get.{host}.load` (a wasmcloud-ts addition).
 * `in_flight`: calls running on an instance now; `queued`: calls waiting for one; `max_concurrency`:
 * how many of its calls the host runs at once; `calls_total`: calls taken by the host's workers (it
 * goes down when a worker is replaced: a change means calls came); `last_call_at`: ms since the
 * epoch, 0 = never;
 * `scaled_to_zero`: kept dormant at 0 instances (it starts on its next call).
 */
export const actorLoadSchema = z.looseObject({
  id: nonEmptyStringSchema,
  instances: nonNegativeIntSchema,
  in_flight: nonNegativeIntSchema,
  queued: nonNegativeIntSchema,
  max_concurrency: nonNegativeIntSchema,
  calls_total: nonNegativeIntSchema,
  last_call_at: nonNegativeIntSchema,
  scaled_to_zero: fieldWithDefault(z.boolean(), () => false),
});
export type ActorLoad = z.output<typeof actorLoadSchema>;

/**
 * The reply to `get.{host}.load` (a wasmcloud-ts addition; 2022 hosts do not answer it): the calls
 * of every actor the host runs, from counters it keeps anyway, so asking every second costs little.
 */
export const hostLoadSchema = z
  .looseObject({ host_id: hostKeySchema, actors: z.array(actorLoadSchema) })
  .describe('host load');
export type HostLoad = z.output<typeof hostLoadSchema>;

/**
 * One actor's calls served on one host, in the reply to `get.{host}.metrics` (a wasmcloud-ts
 * addition): cumulative since the host started, summed over operations. `duration_buckets[i]`
 * counts calls that took at most `duration_bounds_ns[i]`; the last, one more than the bounds, the
 * rest. `duration_sum_ns`: their total time.
 */
export const actorMetricsSchema = z.looseObject({
  id: nonEmptyStringSchema,
  calls_total: nonNegativeIntSchema,
  errors_total: nonNegativeIntSchema,
  duration_sum_ns: z.number().min(0),
  duration_buckets: z.array(nonNegativeIntSchema),
});
export type ActorMetrics = z.output<typeof actorMetricsSchema>;

/**
 * Calls this host's actors made to one provider over one link (cumulative), in the reply to
 * `get.{host}.metrics`. `provider_id` is empty for a call whose link was gone when it ended.
 */
export const providerMetricsSchema = z.looseObject({
  provider_id: z.string(),
  link_name: z.string(),
  contract_id: z.string(),
  requests_total: nonNegativeIntSchema,
  errors_total: nonNegativeIntSchema,
});
export type ProviderMetrics = z.output<typeof providerMetricsSchema>;

/**
 * The reply to `get.{host}.metrics` (a wasmcloud-ts addition; 2022 hosts do not answer it): the
 * counters behind the host's /metrics, per actor and per provider, for the dashboard's rates and
 * latencies. `metrics_enabled: false` (WASMCLOUD_METRICS_ENABLED=false): nothing is counted and
 * the lists are empty.
 */
export const hostMetricsSchema = z
  .looseObject({
    host_id: hostKeySchema,
    metrics_enabled: z.boolean(),
    duration_bounds_ns: z.array(z.number().positive()),
    actors: z.array(actorMetricsSchema),
    providers: z.array(providerMetricsSchema),
  })
  .describe('host metrics');
export type HostMetricsReply = z.output<typeof hostMetricsSchema>;

/** The reply to `get.claims`: one string-to-string map per actor or provider (caps and tags comma-joined). */
export const claimsListSchema = z
  .looseObject({ claims: z.array(z.record(z.string(), z.string())) })
  .describe('claims list');
export type ClaimsList = z.output<typeof claimsListSchema>;

/** The reply to `get.links`. */
export const linksListSchema = z.looseObject({ links: z.array(linkDefinitionSchema) }).describe('links list');
export type LinksList = z.output<typeof linksListSchema>;

// ---- link definitions ----

/** `linkdefs.put`: a link definition whose actor and provider are given by public key. */
export const linkPutRequestSchema = z
  .looseObject({ ...linkDefinitionShape, actor_id: actorKeySchema, provider_id: providerKeySchema })
  .describe('link-put request');
export type LinkPutRequest = z.output<typeof linkPutRequestSchema>;

/** `linkdefs.del`: the link's identity (actor, contract, link name). CIC 0.21 also sends `provider_id`. */
export const linkDelRequestSchema = z
  .looseObject({
    actor_id: actorKeySchema,
    contract_id: nonEmptyStringSchema,
    link_name: linkNameSchema,
    provider_id: optionalField(z.string()),
  })
  .describe('link-del request');
export type LinkDelRequest = z.output<typeof linkDelRequestSchema>;

// ---- host commands (`cmd.{host}.*`) ----
// `*_ref` fields take a public key, an OCI reference or a file path, so they are only checked to be
// non-empty strings; the host resolves them.

/** `cmd.{host}.la` */
export const launchActorRequestSchema = z
  .looseObject({
    actor_ref: nonEmptyStringSchema,
    count: fieldWithDefault(instanceCount(1), () => 1),
    annotations: stringMapField(),
    host_id: optionalField(z.string()),
  })
  .describe('launch-actor request');
export type LaunchActorRequest = z.output<typeof launchActorRequestSchema>;

/** `cmd.{host}.sa`; a count of 0 stops every instance. */
export const stopActorRequestSchema = z
  .looseObject({
    actor_ref: nonEmptyStringSchema,
    count: instanceCount(0),
    annotations: stringMapField(),
    host_id: optionalField(z.string()),
  })
  .describe('stop-actor request');
export type StopActorRequest = z.output<typeof stopActorRequestSchema>;

/**
 * `cmd.{host}.scale`. `scale_to_zero: true` with `count: 0` (a wasmcloud-ts addition) asks the host
 * to keep the actor dormant (its reference, claims, links and listeners) rather than remove it;
 * absent (read as false, and left absent so a 2022 request parses as it did) or false: the 2022
 * meaning. Any other value than a boolean is refused.
 */
export const scaleActorRequestSchema = z
  .looseObject({
    actor_id: actorKeySchema,
    actor_ref: nonEmptyStringSchema,
    count: instanceCount(0),
    annotations: stringMapField(),
    host_id: optionalField(z.string()),
    scale_to_zero: optionalField(z.boolean()),
  })
  .describe('scale-actor request');
export type ScaleActorRequest = z.output<typeof scaleActorRequestSchema>;

/** `cmd.{host}.upd`: live update; the new module must carry the same actor key. */
export const updateActorRequestSchema = z
  .looseObject({
    actor_id: actorKeySchema,
    new_actor_ref: nonEmptyStringSchema,
    annotations: stringMapField(),
    host_id: optionalField(z.string()),
  })
  .describe('update-actor request');
export type UpdateActorRequest = z.output<typeof updateActorRequestSchema>;

/** `cmd.{host}.lp`; `configuration` is an opaque string handed to the provider (often base64 JSON). */
export const launchProviderRequestSchema = z
  .looseObject({
    provider_ref: nonEmptyStringSchema,
    link_name: linkNameSchema,
    configuration: optionalField(z.string()),
    annotations: stringMapField(),
    host_id: optionalField(z.string()),
  })
  .describe('launch-provider request');
export type LaunchProviderRequest = z.output<typeof launchProviderRequestSchema>;

/** `cmd.{host}.sp` */
export const stopProviderRequestSchema = z
  .looseObject({
    provider_ref: nonEmptyStringSchema,
    link_name: linkNameSchema,
    contract_id: optionalField(z.string()),
    annotations: stringMapField(),
    host_id: optionalField(z.string()),
  })
  .describe('stop-provider request');
export type StopProviderRequest = z.output<typeof stopProviderRequestSchema>;

/**
 * `cmd.{host}.stop`. `host_id` is required: CIC always sends it, and a stop cannot be undone, so a
 * body that does not name the host (`{}`, `{"timeout": null}`) is refused rather than obeyed; the
 * host also checks it names itself. `timeout` is CIC's `Option<u64>`: absent or `null` is "none"
 * (OTP ignores it either way); any other non-number is refused.
 */
export const stopHostRequestSchema = z
  .looseObject({
    host_id: hostKeySchema,
    timeout: optionalField(nonNegativeIntSchema),
  })
  .describe('stop-host request');
export type StopHostRequest = z.output<typeof stopHostRequestSchema>;

// ---- registries ----

export const registryCredentialSchema = z.looseObject({
  username: optionalField(z.string()),
  password: optionalField(z.string()),
  token: optionalField(z.string()),
  registryType: optionalField(z.string()), // "oci" or "bindle"
});
export type RegistryCredential = z.output<typeof registryCredentialSchema>;

/** `registries.put`: credentials keyed by registry server (or `bindle://server`). */
// A registry is `host[:port]` (a DNS name is at most 253 characters) or `bindle://host[:port]`.
const MAX_REGISTRY_NAME = 512;

export const registriesPutRequestSchema = z
  .record(
    z
      .string()
      .min(1, 'a registry name must not be empty')
      .max(MAX_REGISTRY_NAME, `a registry name must be at most ${MAX_REGISTRY_NAME} characters`),
    registryCredentialSchema,
  )
  .describe('registries-put request');
export type RegistriesPutRequest = z.output<typeof registriesPutRequestSchema>;

// ---- auctions ----
// A host bids only when its labels are a superset of `constraints`; others stay silent.

export const actorAuctionRequestSchema = z
  .looseObject({ actor_ref: nonEmptyStringSchema, constraints: stringMapField() })
  .describe('actor auction request');
export type ActorAuctionRequest = z.output<typeof actorAuctionRequestSchema>;

export const actorAuctionReplySchema = z
  .looseObject({ actor_ref: nonEmptyStringSchema, constraints: stringMapField(), host_id: hostKeySchema })
  .describe('actor auction reply');
export type ActorAuctionReply = z.output<typeof actorAuctionReplySchema>;

export const providerAuctionRequestSchema = z
  .looseObject({
    provider_ref: nonEmptyStringSchema,
    link_name: linkNameSchema,
    constraints: stringMapField(),
  })
  .describe('provider auction request');
export type ProviderAuctionRequest = z.output<typeof providerAuctionRequestSchema>;

export const providerAuctionReplySchema = z
  .looseObject({
    provider_ref: nonEmptyStringSchema,
    link_name: linkNameSchema,
    constraints: stringMapField(),
    host_id: hostKeySchema,
  })
  .describe('provider auction reply');
export type ProviderAuctionReply = z.output<typeof providerAuctionReplySchema>;
