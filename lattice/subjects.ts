// NATS subjects, queue groups and JetStream names of the 2022 lattice protocol (protocol.md §1.2,
// §2, §3.1, §3.5, §4.2, §6), built from a lattice prefix.
//
// Every value put into a subject (lattice, host ID, key, link name, event name) is checked to be a
// single plain token: a token holding `.`, `*`, `>` or whitespace would silently turn a subject
// built from outside input into another subject or a wildcard.

import { DecodeError } from './errors.ts';

const SUBJECT_TOKEN = /^[^.*>\s]+$/u;

/** True when `value` can stand as one subject token: non-empty, no `.`, `*`, `>` or whitespace. */
export function isSubjectToken(value: unknown): value is string {
  return typeof value === 'string' && SUBJECT_TOKEN.test(value);
}

/** Returns `value` when it is a plain subject token, else throws a DecodeError naming `what`. */
export function assertSubjectToken(what: string, value: unknown): string {
  if (isSubjectToken(value)) return value;
  const shown =
    typeof value === 'string'
      ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)
      : typeof value;
  throw new DecodeError(
    'SUBJECT_INVALID_TOKEN',
    `invalid ${what} ${shown}: it must be non-empty and contain no '.', '*', '>' or whitespace`,
  );
}

/** The host commands addressed to `wasmbus.ctl.{lattice}.cmd.{hostId}.{command}`. */
export const HOST_COMMANDS = ['la', 'sa', 'scale', 'upd', 'lp', 'sp', 'stop'] as const;
export type HostCommand = (typeof HOST_COMMANDS)[number];

function isHostCommand(value: string): value is HostCommand {
  return (HOST_COMMANDS as readonly string[]).includes(value);
}

/** What a control subject asks for, as recognised by `ctl.operationOf`. */
export type ControlOperation =
  | { kind: 'ping_hosts' }
  | { kind: 'get_claims' }
  | { kind: 'get_links' }
  | { kind: 'host_inventory'; hostId: string }
  | { kind: 'host_load'; hostId: string }
  | { kind: 'host_metrics'; hostId: string }
  | { kind: 'linkdefs_put' }
  | { kind: 'linkdefs_del' }
  | { kind: 'registries_put' }
  | { kind: 'auction_actor' }
  | { kind: 'auction_provider' }
  | { kind: 'host_command'; hostId: string; command: HostCommand };

/** Queue group of every provider's RPC subscription (wasmbus-rpc `RPC_SUBSCRIPTION_QUEUE_GROUP`). */
export const PROVIDER_RPC_QUEUE_GROUP = 'rpc';

/** Prefix of the lattice-data KV keys, by kind of entry. */
const KV_KEY_PREFIX = { linkdef: 'LINKDEF_', claims: 'CLAIMS_', refmap: 'REFMAP_' } as const;

/** One entry of the `LATTICEDATA_{lattice}` bucket, recognised from its key. */
export type LatticeDataKey =
  | { kind: 'linkdef'; id: string }
  | { kind: 'claims'; publicKey: string }
  | { kind: 'refmap'; ociRef: string };

/** Recognises a `LATTICEDATA_*` key; undefined for keys this protocol version does not define. */
export function parseLatticeDataKey(key: string): LatticeDataKey | undefined {
  if (key.startsWith(KV_KEY_PREFIX.linkdef) && key.length > KV_KEY_PREFIX.linkdef.length) {
    return { kind: 'linkdef', id: key.slice(KV_KEY_PREFIX.linkdef.length) };
  }
  if (key.startsWith(KV_KEY_PREFIX.claims) && key.length > KV_KEY_PREFIX.claims.length) {
    return { kind: 'claims', publicKey: key.slice(KV_KEY_PREFIX.claims.length) };
  }
  if (key.startsWith(KV_KEY_PREFIX.refmap) && key.length > KV_KEY_PREFIX.refmap.length) {
    const encoded = key.slice(KV_KEY_PREFIX.refmap.length);
    if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
    return { kind: 'refmap', ociRef: Buffer.from(encoded, 'base64url').toString('utf8') };
  }
  return undefined;
}

function controlSubjects(lattice: string) {
  const prefix = `wasmbus.ctl.${lattice}`;
  const command = (hostId: string, cmd: HostCommand) =>
    `${prefix}.cmd.${assertSubjectToken('host ID', hostId)}.${cmd}`;
  return {
    /** `wasmbus.ctl.{lattice}`: the start of every control subject. */
    prefix,
    /** The queue group shared by all hosts for `get.*` and `linkdefs.*` (one host answers). */
    queueGroup: prefix,
    ping: () => `${prefix}.ping.hosts`,
    getClaims: () => `${prefix}.get.claims`,
    getLinks: () => `${prefix}.get.links`,
    hostInventory: (hostId: string) => `${prefix}.get.${assertSubjectToken('host ID', hostId)}.inv`,
    /** A wasmcloud-ts addition: the host's calls in flight and queued per actor (control.ts hostLoadSchema). */
    hostLoad: (hostId: string) => `${prefix}.get.${assertSubjectToken('host ID', hostId)}.load`,
    /** A wasmcloud-ts addition: the host's call counters per actor and provider (control.ts hostMetricsSchema). */
    hostMetrics: (hostId: string) => `${prefix}.get.${assertSubjectToken('host ID', hostId)}.metrics`,
    linkPut: () => `${prefix}.linkdefs.put`,
    linkDel: () => `${prefix}.linkdefs.del`,
    registriesPut: () => `${prefix}.registries.put`,
    actorAuction: () => `${prefix}.auction.actor`,
    providerAuction: () => `${prefix}.auction.provider`,
    command,
    launchActor: (hostId: string) => command(hostId, 'la'),
    stopActor: (hostId: string) => command(hostId, 'sa'),
    scaleActor: (hostId: string) => command(hostId, 'scale'),
    updateActor: (hostId: string) => command(hostId, 'upd'),
    launchProvider: (hostId: string) => command(hostId, 'lp'),
    stopProvider: (hostId: string) => command(hostId, 'sp'),
    stopHost: (hostId: string) => command(hostId, 'stop'),
    /** The subscriptions a host makes (§1.2); only `get` and `linkdefs` use `queueGroup`. */
    subscriptions: {
      hostCommands: (hostId: string) => `${prefix}.cmd.${assertSubjectToken('host ID', hostId)}.*`,
      hostInventory: (hostId: string) => `${prefix}.get.${assertSubjectToken('host ID', hostId)}.inv`,
      hostLoad: (hostId: string) => `${prefix}.get.${assertSubjectToken('host ID', hostId)}.load`,
      hostMetrics: (hostId: string) => `${prefix}.get.${assertSubjectToken('host ID', hostId)}.metrics`,
      get: () => `${prefix}.get.*`,
      linkdefs: () => `${prefix}.linkdefs.*`,
      auctions: () => `${prefix}.auction.>`,
      ping: () => `${prefix}.ping.hosts`,
      registries: () => `${prefix}.registries.put`,
    },
    /** Recognises a concrete control subject of this lattice; undefined for anything else. */
    operationOf(subject: string): ControlOperation | undefined {
      if (!subject.startsWith(`${prefix}.`)) return undefined;
      const tokens = subject.slice(prefix.length + 1).split('.');
      const [first, second, third] = tokens;
      if (tokens.length === 2) {
        const pair = `${first}.${second}`;
        switch (pair) {
          case 'ping.hosts':
            return { kind: 'ping_hosts' };
          case 'get.claims':
            return { kind: 'get_claims' };
          case 'get.links':
            return { kind: 'get_links' };
          case 'linkdefs.put':
            return { kind: 'linkdefs_put' };
          case 'linkdefs.del':
            return { kind: 'linkdefs_del' };
          case 'registries.put':
            return { kind: 'registries_put' };
          case 'auction.actor':
            return { kind: 'auction_actor' };
          case 'auction.provider':
            return { kind: 'auction_provider' };
          default:
            return undefined;
        }
      }
      if (tokens.length !== 3 || second === undefined || second === '' || third === undefined)
        return undefined;
      if (first === 'get' && third === 'inv') return { kind: 'host_inventory', hostId: second };
      if (first === 'get' && third === 'load') return { kind: 'host_load', hostId: second };
      if (first === 'get' && third === 'metrics') return { kind: 'host_metrics', hostId: second };
      if (first === 'cmd' && isHostCommand(third))
        return { kind: 'host_command', hostId: second, command: third };
      return undefined;
    },
  };
}

function eventSubjects(lattice: string) {
  return {
    /** `wasmbus.evt.{lattice}`: where the 2022 host publishes every CloudEvent. */
    subject: () => `wasmbus.evt.${lattice}`,
    /** `wasmbus.evt.{lattice}.{name}`: the per-event subject 0.82 publishes to as well (and 1.x only). */
    named: (eventName: string) => `wasmbus.evt.${lattice}.${assertSubjectToken('event name', eventName)}`,
    /** `wasmbus.rpcevt.{lattice}`: invocation_succeeded/failed from OTP v0.59 on. */
    invocations: () => `wasmbus.rpcevt.${lattice}`,
  };
}

function rpcSubjects(lattice: string) {
  const actor = (actorKey: string) => `wasmbus.rpc.${lattice}.${assertSubjectToken('actor key', actorKey)}`;
  const provider = (providerKey: string, linkName: string) =>
    `wasmbus.rpc.${lattice}.${assertSubjectToken('provider key', providerKey)}.${assertSubjectToken('link name', linkName)}`;
  return {
    actor,
    /** Hosts running an actor queue-subscribe with the actor's own subject as the group. */
    actorQueueGroup: actor,
    provider,
    providerQueueGroup: PROVIDER_RPC_QUEUE_GROUP,
    providerLinkPut: (providerKey: string, linkName: string) =>
      `${provider(providerKey, linkName)}.linkdefs.put`,
    providerLinkDel: (providerKey: string, linkName: string) =>
      `${provider(providerKey, linkName)}.linkdefs.del`,
    providerHealth: (providerKey: string, linkName: string) => `${provider(providerKey, linkName)}.health`,
    providerShutdown: (providerKey: string, linkName: string) =>
      `${provider(providerKey, linkName)}.shutdown`,
  };
}

function latticeDataNames(lattice: string) {
  return {
    /** The KV bucket holding links, claims and refmaps (OTP ≥ 0.60). */
    bucket: `LATTICEDATA_${lattice}`,
    linkdefKey: (linkId: string) =>
      `${KV_KEY_PREFIX.linkdef}${assertSubjectToken('link definition ID', linkId)}`,
    claimsKey: (publicKey: string) => `${KV_KEY_PREFIX.claims}${assertSubjectToken('public key', publicKey)}`,
    /** The OCI reference is base64url without padding, as OTP's `sanitize_for_topic` does. */
    refmapKey: (ociRef: string) => {
      if (ociRef.length === 0)
        throw new DecodeError('SUBJECT_INVALID_TOKEN', 'invalid OCI reference: it is empty');
      return `${KV_KEY_PREFIX.refmap}${Buffer.from(ociRef, 'utf8').toString('base64url')}`;
    },
  };
}

/** What every chunked control reply's object name starts with: the client reads and deletes no other. */
export const CONTROL_REPLY_OBJECT_PREFIX = 'ctl-reply-';

function chunkingNames(lattice: string) {
  return {
    /** The object store that holds oversized invocation payloads is named after the lattice. */
    bucket: lattice,
    requestObject: (invocationId: string) => assertSubjectToken('invocation ID', invocationId),
    responseObject: (invocationId: string) => `${assertSubjectToken('invocation ID', invocationId)}-r`,
    /** A control reply larger than max_payload (a wasmcloud-ts addition, lattice/control-chunking.ts). */
    controlReplyObject: (replyId: string) =>
      `${CONTROL_REPLY_OBJECT_PREFIX}${assertSubjectToken('reply ID', replyId)}`,
  };
}

/**
 * Every subject and name of one lattice. Subjects are functions (some take a host ID, key or link
 * name); queue groups, prefixes and bucket names are plain strings.
 */
export function latticeSubjects(latticePrefix: string) {
  const lattice = assertSubjectToken('lattice prefix', latticePrefix);
  return {
    lattice,
    ctl: controlSubjects(lattice),
    events: eventSubjects(lattice),
    rpc: rpcSubjects(lattice),
    /** The optional config service a host asks at boot (§1.5). */
    configService: () => `wasmbus.cfg.${lattice}.req`,
    latticeData: latticeDataNames(lattice),
    chunking: chunkingNames(lattice),
  };
}

export type LatticeSubjects = ReturnType<typeof latticeSubjects>;
