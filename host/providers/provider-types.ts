// What the provider supervisor needs from its host, and what it reports about each provider.

import type { ProviderClaims } from '../../lattice/claims.ts';
import type { LogLevel } from '../../lattice/host-data.ts';
import type { KeyPair } from '../../lattice/keys.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import type { Logger } from '../../lattice/log.ts';
import type { NatsConnection, NatsConnectionSettings } from '../../lattice/nats.ts';
import type { EventPublisher } from '../events.ts';
import type { BuiltinCapabilityHost } from './builtin-capability-links.ts';
import type { BuiltinHttpHost } from './builtin-http-links.ts';

/** How a provider that died on its own is restarted: back-off doubling from `initialMs` to `maxMs`. */
export interface RestartPolicy {
  /** Wait before the first restart. Default 500 ms. */
  initialMs: number;
  /** The longest wait. Default 30 s. */
  maxMs: number;
  /** A process that stayed up this long starts again from `initialMs` when it dies. Default 60 s. */
  resetAfterMs: number;
}

export interface ProviderHostContext {
  hostId: string;
  latticePrefix: string;
  /** The cluster key: its seed goes to providers as `invocation_seed`. */
  clusterKey: KeyPair;
  clusterIssuers: string[];
  /** What to put in HostData (lattice_rpc_url/jwt/seed/tls); a creds file is read for its JWT and seed. */
  providerRpc: NatsConnectionSettings;
  rpcTimeoutMs: number;
  jsDomain: string | undefined;
  /** WASMCLOUD_JS_REPLICAS: copies of each bucket; undefined: min(3, servers in the NATS cluster). */
  jsReplicas: number | undefined;
  logLevel: LogLevel;
  structuredLogging: boolean;
  /** Grace after the shutdown request before SIGKILL (default 300). */
  shutdownDelayMs: number;
  /** The host's RPC connection: health checks, shutdown requests, link messages. */
  nc: NatsConnection;
  /** The links of a provider and link name, for HostData.link_definitions. */
  linksFor(providerId: string, linkName: string): LinkDefinition[];
  events: EventPublisher;
  log: Logger;
  /** Where binaries and bundles are written. */
  cacheDir: string;
  /** Between health checks; default 30000. */
  healthIntervalMs?: number | undefined;
  /** Before the first health check; default 5000. */
  healthFirstCheckMs?: number | undefined;
  /** Restart back-off; defaults as documented on RestartPolicy. */
  restartPolicy?: Partial<RestartPolicy> | undefined;
  /** The runtime's workers, which serve the built-in providers' links; without it no built-in starts. */
  builtinHttp?: BuiltinRuntime | undefined;
  /** Records a built-in provider's claims in the lattice data (CLAIMS_{V…}). */
  recordClaims?: ((claims: ProviderClaims) => Promise<void>) | undefined;
}

/** What the built-in providers need from the runtime: its workers, and this host's actors. */
export interface BuiltinRuntime extends BuiltinHttpHost, BuiltinCapabilityHost {
  /** The actor's claims when this host runs it. */
  actor(actorId: string): { claims: { wascap: { caps?: string[] | undefined } } } | undefined;
  invoke(actorId: string, operation: string, payload: Uint8Array): Promise<Uint8Array>;
}

export interface RunningProvider {
  id: string;
  linkName: string;
  contractId: string;
  /** Changes on every restart. */
  instanceId: string;
  imageRef: string;
  name: string;
  revision: number;
  annotations: Record<string, string>;
  claims: ProviderClaims;
  /** The last health check's verdict (false until the first one passes). */
  healthy: boolean;
  /** The OS process ID; undefined while waiting to restart. */
  pid: number | undefined;
  /** Times the host restarted its process after it died on its own (the metrics count them). */
  restarts: number;
}

export interface StartBuiltinRequest {
  /** `wasmcloud+builtin://NAME`. */
  ref: string;
  linkName: string;
  annotations: Record<string, string>;
}

export interface StartProviderRequest {
  /** The provider archive's bytes (tar or tar.gz). */
  archive: Uint8Array;
  imageRef: string;
  linkName: string;
  /** The opaque `configuration` string of the launch request (HostData.config_json). */
  configuration?: string | undefined;
  annotations: Record<string, string>;
}
