// The runtime's public types: what the host gives it (a host-call function, limits, a log)
// and what it gives back (loaded actors, invocation results).

import type { ActorClaims, VerifiedWasm } from '../../lattice/claims.ts';
import type { LogLevel } from '../../lattice/host-data.ts';
import type { NatsConnectionSettings } from '../../lattice/nats.ts';
import type { ReplayWindow } from '../../lattice/replay-guard.ts';
import type { TelemetrySettings } from '../../lattice/telemetry/settings.ts';
import type { WasmKind } from '../../lattice/wasm.ts';
import type { InvocationEventsMode } from './invocation-events.ts';

/** An actor's call out of the sandbox, after the runtime has checked its capability claims. */
export interface HostCallRequest {
  /** The calling actor's public key (M…). */
  actorId: string;
  /** `provider`: a contract call the host routes by link; `actor`: another actor by key or call alias. */
  target: 'provider' | 'actor';
  /** The link name ("binding"); `default` when the actor gave none. */
  linkName: string;
  /** The contract ID (provider calls), or the actor key or call alias (actor calls). */
  namespace: string;
  operation: string;
  payload: Uint8Array;
}

/** Supplied by the host: resolves links and sends the call. Rejecting gives the actor an error. */
export type HostCall = (request: HostCallRequest) => Promise<Uint8Array>;

/** One link of a built-in httpserver, as every worker opens its listener (builtin-http.ts). */
export interface BuiltinHttpLink {
  /** Names the listener across workers: one per actor, provider key and link name. */
  listenerId: string;
  actorId: string;
  providerId: string;
  linkName: string;
  contractId: string;
  values: Record<string, string>;
}

export type ActorLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** A line an actor wrote: through wasmcloud:builtin:logging, `__console_log`, or stdout/stderr. */
export interface ActorLogEntry {
  actorId: string;
  level: ActorLogLevel;
  text: string;
  /** The span current when the actor wrote the line, if any (its log line names them). */
  trace_id?: string | undefined;
  span_id?: string | undefined;
}

export interface RuntimeOptions {
  hostCall: HostCall;
  /** Worker threads; default: one per core. */
  workers?: number;
  /** Per invocation, including host calls; default 2000 ms, as the 2022 RPC timeout. */
  invocationTimeoutMs?: number;
  /** Linear memory per instance; default 128 MiB. */
  maxMemoryBytes?: number;
  /** Largest invocation payload accepted; default 16 MiB. */
  maxPayloadBytes?: number;
  /** Where actor log lines go; default: stderr, tagged with the actor's key. */
  log?: (entry: ActorLogEntry) => void;
  /** Lets workers serve their actors' RPC subjects from NATS themselves (the host sets it). */
  rpc?: WorkerRpcSettings;
  /**
   * Answers, through the host's NATS connection, a call served from NATS whose worker could not
   * answer it (stuck past the deadline, or replaced). Without it such callers time out.
   */
  answerCall?: (call: UnansweredCall) => void;
  /** Told when a call is stopped at its timeout or a worker is replaced for one (the host logs and publishes it). */
  onRunaway?: (report: RunawayReport) => void;
  /**
   * Calls of one actor that may wait for a free instance in each worker; one more is refused at once
   * with ACTOR_QUEUE_FULL (runtime/actor-slot.ts). Default 100.
   */
  actorQueueSize?: number;
  /** A call came for a dormant actor (loaded with 0 instances): the host should start one. */
  onWake?: (actorId: string) => void;
  /** Workers count calls, timings and provider calls for the host's metrics (default off). */
  metrics?: boolean | undefined;
  /**
   * Rewrites wasmbus modules with yield points (yield-points.ts), so a call is stopped at its
   * deadline and a long call does not block its worker; default true. Tests turn it off to
   * exercise the fallback, worker replacement.
   */
  yieldPoints?: boolean;
}

/** A call from NATS that the main thread answers in its worker's place. */
export interface UnansweredCall {
  replySubject: string;
  invocationId: string;
  actorId: string;
  operation: string;
  /** The InvocationResponse's `error`: the code, a colon, and what happened. */
  error: string;
}

/** An actor call that ran to its timeout. */
export interface RunawayReport {
  actorId: string;
  /** The operation it was running (a worker replaced for several calls names one of them). */
  operation: string;
  timeoutMs: number;
  /**
   * `interrupted`: stopped at a yield point, its worker served other calls all along;
   * `worker_replaced`: code without yield points (a component) kept its worker busy, so the
   * worker was terminated and replaced.
   */
  action: 'interrupted' | 'worker_replaced';
}

/** What a worker needs to serve invocations from NATS: its own connection and the trust list. */
export interface WorkerRpcSettings {
  nats: NatsConnectionSettings;
  latticePrefix: string;
  jsDomain?: string | undefined;
  /** WASMCLOUD_JS_REPLICAS, for the chunking object store; undefined: min(3, servers in the cluster). */
  jsReplicas?: number | undefined;
  /** Cluster keys (C…) whose signed invocations are accepted. */
  clusterIssuers: string[];
  /** The host's key: the source of invocation events. */
  hostId: string;
  /** The cluster seed: built-in providers sign their calls to actors of other hosts with it. */
  invocationSeed?: string | undefined;
  /** The host's replay guard table (lattice/replay-guard.ts), shared by every worker; the runtime makes it. */
  replayGuard?: SharedArrayBuffer | undefined;
  /** The `iat` window invocations must be issued in; default: from the runtime's invocation timeout. */
  replayWindow?: ReplayWindow | undefined;
  /** An invocation event per actor call served (`each`, the default) or none (`off`). */
  invocationEvents?: InvocationEventsMode | undefined;
  /** Traces: each worker records its own spans (worker-tracing.ts); none: only carried along. */
  tracing?: WorkerTracingSettings | undefined;
}

/** What a worker needs to record spans as the host would: the settings, resource and log form. */
export interface WorkerTracingSettings {
  settings: TelemetrySettings;
  /** Resource attributes of the host (host.id, host.version, host.friendly_name). */
  attributes: Record<string, string>;
  /** The host's log options, for the worker's own warnings (an unreachable exporter). */
  log: { level: LogLevel; structured: boolean };
}

export interface LoadOptions {
  /** Instances of this actor that may run at once (per worker); default 8. */
  maxConcurrency?: number;
  /** Serve the actor's RPC subject from the workers (needs `RuntimeOptions.rpc`); default false. */
  serve?: boolean;
  /**
   * verifySignedWasm's answer for these same bytes, when the caller has verified them already (so a
   * start verifies the claims once); without it the runtime verifies them.
   */
  verified?: VerifiedWasm;
}

/** A verified, compiled actor ready to invoke. */
export interface LoadedActor {
  id: string;
  kind: WasmKind;
  /** Upper-hex SHA-256 of the bytes without their claims: the compile cache key. */
  hash: string;
  claims: ActorClaims;
}
