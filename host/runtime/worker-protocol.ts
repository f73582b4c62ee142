// Messages between the runtime (main thread) and its worker threads. Compiled
// WebAssembly.Modules travel in them without recompiling.

import type { MessagePort } from 'node:worker_threads';
import type { LatticeErrorCode } from '../../lattice/errors.ts';
import type { HostErrorCode } from '../errors.ts';
import type { InvocationMetricsSnapshot } from '../telemetry/invocation-metrics.ts';
import type { BuiltinCapabilityLink } from './builtin-links.ts';
import type { RouteChange } from './route-table.ts';
import type { ActorLogEntry, BuiltinHttpLink, HostCallRequest } from './types.ts';

/** A wasmbus core module, compiled with its memory cap. */
export interface WasmbusDefinition {
  kind: 'module';
  module: WebAssembly.Module;
}

/** A component: jco's instantiation glue (JS source) and its compiled core modules by file name. */
export interface ComponentDefinition {
  kind: 'component';
  glue: string;
  coreModules: Record<string, WebAssembly.Module>;
  /** The WIT interfaces the component exports, without versions (e.g. wasmcloud:httpserver/handler). */
  exportedInterfaces: string[];
}

export type ActorDefinition = WasmbusDefinition | ComponentDefinition;

export type ToWorker =
  | {
      type: 'load';
      actorId: string;
      definition: ActorDefinition;
      caps: string[];
      maxConcurrency: number;
      /** Join the actor's RPC queue group from this worker; answered with `serving`. */
      serve: boolean;
    }
  | { type: 'unload'; actorId: string }
  /** Another instance count for a loaded actor, in place: its instances and queue are kept (actor-slot.ts). */
  | { type: 'resize'; actorId: string; maxConcurrency: number }
  | {
      type: 'invoke';
      id: number;
      slot: number;
      actorId: string;
      operation: string;
      payload: Uint8Array;
      /** When the call must have ended, in ms since the epoch. */
      deadline: number;
    }
  | { type: 'host-reply'; callId: number; ok: true; payload: Uint8Array }
  /** A failed host call: its message, and its code when it had one (checked on arrival). */
  | { type: 'host-reply'; callId: number; ok: false; error: string; code: string | undefined }
  | { type: 'ping'; id: number }
  /** The worker's call counts for the host's metrics: answered with `metrics`. */
  | { type: 'metrics'; id: number }
  /** Changes of the host's routes (links, call aliases) for this worker's copy (route-table.ts). */
  | { type: 'routes'; changes: RouteChange[] }
  /** A direct channel to another worker of this host (posted with the port transferred). */
  | { type: 'peer'; peerId: number; port: MessagePort }
  /** That worker was replaced: its channel is closed. */
  | { type: 'peer-gone'; peerId: number }
  /** Open (or replace) a built-in httpserver link's listener in this worker; answered `http-listening`. */
  | { type: 'http-listen'; requestId: number; link: BuiltinHttpLink }
  /** Close it; answered `http-closed` once the port is let go. */
  | { type: 'http-close'; requestId: number; listenerId: string }
  /** Open (or reopen) a built-in keyvalue/messaging link in this worker; answered `builtin-linked`. */
  | { type: 'builtin-link'; requestId: number; link: BuiltinCapabilityLink }
  /** Close it; answered `builtin-unlinked`. */
  | { type: 'builtin-unlink'; requestId: number; linkId: string }
  /** Stop serving RPC (drain the NATS connection), then answer `closed`. */
  | { type: 'close' };

export type FromWorker =
  | { type: 'result'; id: number; ok: true; payload: Uint8Array }
  | { type: 'result'; id: number; ok: false; code: HostErrorCode | LatticeErrorCode; error: string }
  | { type: 'host-call'; callId: number; request: HostCallRequest }
  | { type: 'log'; entry: ActorLogEntry }
  | { type: 'pong'; id: number }
  | { type: 'metrics'; id: number; snapshot: InvocationMetricsSnapshot }
  /** A call came for a dormant actor (0 instances, scaled to zero): the host should start one. */
  | { type: 'wake'; actorId: string }
  | { type: 'http-listening'; requestId: number; listenerId: string; error?: string; code?: string }
  | { type: 'http-closed'; requestId: number; listenerId: string }
  | { type: 'builtin-linked'; requestId: number; linkId: string; error?: string; code?: string }
  | { type: 'builtin-unlinked'; requestId: number; linkId: string }
  | { type: 'closed' }
  /** A call of the actor reached its timeout and was stopped at a yield point (interrupt.ts). */
  | { type: 'interrupted'; actorId: string; operation: string; timeoutMs: number }
  /** The worker has joined (error: could not join) the actor's RPC queue group. */
  | { type: 'serving'; actorId: string; error?: string };

/**
 * The bytes of a view, in a buffer of their own. Posting a view clones its whole backing
 * buffer (Buffer's 8 KiB pool, msgpackr's scratch space): copy small views first.
 */
export function ownBytes(view: Uint8Array): Uint8Array {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength
    ? view
    : Uint8Array.prototype.slice.call(view);
}
