// The host's catalogue of error codes (lattice/errors.ts explains the model): every code the host
// throws, refuses a control request with or logs, with what it means; docs/errors.md lists them.
// Every error class of host/ extends HostError. A host error that wraps a lattice error may carry
// that error's code (an OCI_* code of a failed pull, a CLAIMS_* code of a bad module) so the reason
// stays as precise as it was. The invocation codes (ACTOR_ERROR, ACTOR_TIMEOUT, …) are on the wire:
// a failed call's error text starts with one (`ACTOR_TIMEOUT: …`), so they never change.

import {
  type ErrorCatalogue,
  isCataloguedCode,
  LATTICE_ERROR_CODES,
  LatticeError,
  type LatticeErrorCode,
} from '../lattice/errors.ts';

export const HOST_ERROR_CODES = {
  // settings (config.ts, cli.ts)
  HOST_CONFIG_INVALID:
    'A WASMCLOUD_* variable or flag with a value the host cannot use; the message names each.',
  HOST_LABEL_INVALID: 'A --label that is not KEY=VALUE.',
  // artifacts (artifacts.ts)
  ARTIFACT_BAD_REFERENCE: 'A reference that is neither a file path nor an OCI reference.',
  ARTIFACT_FILE_NOT_ALLOWED: 'A file this host does not start from (WASMCLOUD_ALLOW_FILE_LOAD[_DIRS]).',
  ARTIFACT_NOT_FOUND: 'No file at the path given.',
  ARTIFACT_NOT_A_FILE: 'The path names a directory or another kind of entry, not a file.',
  ARTIFACT_TOO_LARGE: 'A file larger than the host loads.',
  // loading actors (runtime/actor-loader.ts, memory-cap.ts, wasm-reader.ts)
  ACTOR_INVALID_WASM: 'A module that does not compile.',
  ACTOR_INVALID_COMPONENT: 'A component that cannot be transpiled or instantiated.',
  ACTOR_NOT_WASMBUS: 'A module without the exports of the wasmbus ABI (memory, __guest_call).',
  ACTOR_UNKNOWN_IMPORT: 'A module or component importing something the host does not provide.',
  ACTOR_MEMORY_CAP:
    'A module needing more memory than the cap (WASMCLOUD_MAX_LINEAR_MEMORY), or 64-bit memory.',
  ACTOR_NOT_INTERRUPTIBLE:
    'A module the host cannot add yield points to, so it could not stop a call at its timeout.',
  WASM_DECODE: 'Module bytes the yield-point instrumentation cannot read.',
  // actor commands (actors/actor-supervisor.ts)
  ACTOR_NOT_RUNNING: 'The actor named is not running on this host.',
  ACTOR_KEY_MISMATCH: 'The reference holds another actor than the one named (scale, live update).',
  ACTOR_SERVE_FAILED: "The runtime's workers could not join the actor's RPC queue group.",
  // invocations (runtime/): the first word of a failed call's error text
  ACTOR_ERROR: 'The actor answered the call with an error of its own.',
  ACTOR_TRAP: 'The actor trapped (unreachable, out-of-bounds access, stack overflow, a refused host call…).',
  ACTOR_TIMEOUT: 'The call was still running at its timeout and was stopped.',
  ACTOR_EXITED: 'A component called wasi:cli/exit.',
  WORKER_RESTARTED: 'The worker running the call was replaced because another actor on it was stuck.',
  ACTOR_NOT_LOADED: 'No actor with that key is loaded in the runtime.',
  UNKNOWN_OPERATION: 'The actor does not handle that operation.',
  PAYLOAD_TOO_LARGE: 'A payload larger than the runtime accepts.',
  BAD_PAYLOAD: 'A payload without the shape its contract says.',
  RUNTIME_CLOSED: 'The actor runtime was closed (the host is stopping).',
  RUNTIME_NO_RPC: 'The runtime was asked to serve RPC without RPC settings (a bug).',
  WORKER_NOT_A_THREAD: 'host/runtime/worker.ts was run outside a worker thread.',
  INVOCATION_WRONG_ACTOR: "An invocation on an actor's subject addressed to another actor.",
  // an actor's calls out (rpc/outbound.ts, runtime/actor-context.ts, runtime/builtins.ts)
  CALL_NOT_LINKED: 'The actor called a contract it has no link definition for.',
  CALL_NO_TARGET: 'The actor called an actor key or call alias that nothing in the lattice has.',
  CALL_MISSING_CAPABILITY: 'The actor called a contract its claims do not list.',
  HOST_CALL_FAILED: "An actor's call out failed on the main thread for a reason without a code of its own.",
  BUILTIN_UNKNOWN_OPERATION:
    'A built-in contract (logging, numbergen) called with an operation it does not have.',
  BUILTIN_BAD_ARGUMENT: 'A built-in operation called with arguments it cannot take.',
  // providers (providers/)
  PROVIDER_ALREADY_RUNNING: 'The provider runs already under that link name.',
  PROVIDER_BAD_LINK_NAME: 'A link name that cannot be part of a NATS subject.',
  PROVIDER_BAD_SUBJECT: 'A provider archive whose claims are not about a provider (V…) key.',
  PROVIDER_NO_TARGET: 'A provider archive without a binary this host can run.',
  PROVIDER_CACHE_WRITE_FAILED: "The provider binary could not be written to the host's cache folder.",
  PROVIDER_CREDENTIALS_UNREADABLE: "The providers' NATS creds file cannot be read or holds no JWT and seed.",
  PROVIDER_SPAWN_FAILED: 'The provider process could not be started.',
  PROVIDER_HOST_STOPPING: 'A provider start that came while the host was stopping.',
  PROVIDER_NOT_RUNNING: 'The provider named is not running on this host under that link name.',
  // built-in providers (providers/builtin-*.ts, runtime/builtin-http.ts, runtime/builtin-links.ts)
  BUILTIN_LISTEN_REFUSED:
    'A built-in httpserver link refused: its address is in use (by another process or another link).',
  BUILTIN_LINK_REFUSED:
    'A built-in httpserver link refused for another reason: bad link values, unreadable TLS files, no permission.',
  BUILTIN_CAPABILITY_LINK_REFUSED:
    'A built-in keyvalue or messaging link refused: bad link values, its NATS or bucket unavailable (the message says which).',
  BUILTIN_PROVIDER_NO_OPERATION:
    'A call to a built-in keyvalue or messaging provider naming an operation its contract lacks.',
  // the lattice data bucket (lattice-data.ts)
  LATTICE_DATA_UNAVAILABLE: 'The LATTICEDATA KV bucket could not be opened (is JetStream enabled?).',
  // control-interface refusals (control/): the `code` beside `error` in `{"accepted": false, …}`
  CONTROL_BAD_REQUEST: 'A control request that is not JSON of the shape the protocol requires.',
  CONTROL_UNKNOWN_SUBJECT: 'A control request on a subject the host does not serve.',
  CONTROL_WRONG_HOST: 'A control request naming another host than the one it reached.',
  CONTROL_REPLY_TOO_LARGE:
    "A control reply larger than the NATS server's max_payload, asked for by a client that does not follow chunked replies: the refusal names its size.",
  CONTROL_REPLY_CHUNKED:
    "A control reply larger than the NATS server's max_payload, left in the lattice's object store for the asker (`chunked_reply` names the object).",
  CONTROL_REPLY_UNSENT:
    'A control reply that could not be sent, or not stored in the object store (logged with its subject and size).',
  // events and heartbeats (events.ts, heartbeat.ts)
  EVENT_TOO_LARGE:
    "An event larger than the NATS server's max_payload: logged with its subject and size, not published.",
  EVENT_PUBLISH_FAILED: 'An event the NATS client refused to publish (logged with its subject and size).',
  CONTROL_FAILED: 'A control request that failed for a reason without a code of its own.',
  LINK_STORE_FAILED:
    'A link definition that could not be written to or deleted from the lattice data bucket.',
  LINK_NOT_FOUND: 'No link definition for that actor, contract and link name.',
  ACTOR_UPDATE_FAILED: 'A live update that failed for a reason without a code of its own.',
  // start and stop (host.ts, release-stack.ts, fatal-errors.ts)
  RELEASE_FAILED: 'One or more steps of releasing what the host acquired failed (each is logged).',
  UNCAUGHT: 'An error nothing caught: the host logs it, stops and exits 1.',
  HOST_STOP_TIMEOUT: 'The stop after an uncaught error took longer than its limit; the host exited anyway.',
} as const satisfies ErrorCatalogue;

export type HostErrorCode = keyof typeof HOST_ERROR_CODES;

/** The base of every host error: a host code, or the lattice code of the error it wraps. */
export class HostError extends LatticeError<HostErrorCode | LatticeErrorCode> {}

/** Whether `code` (e.g. one that crossed a worker boundary as a string) is a host or lattice code. */
export function isHostErrorCode(code: unknown): code is HostErrorCode | LatticeErrorCode {
  return isCataloguedCode(code, HOST_ERROR_CODES, LATTICE_ERROR_CODES);
}
