// Everything an actor instance can reach outside its sandbox, in one place: each call out
// goes through `callOut`, which runs built-ins in place, refuses contracts the actor's
// claims do not list (before anything is sent), and hands the rest to the host — inside a CLIENT
// span when traces are on (the call's trace context goes along with it: lattice/rpc.ts).

import { SpanKind } from '@opentelemetry/api';
import { isPublicKey } from '../../lattice/keys.ts';
import { missingCapabilityText } from '../../lattice/missing-capability.ts';
import { inSpan } from '../../lattice/telemetry/spans.ts';
import { activeTracer } from '../../lattice/telemetry/tracing.ts';
import { HostError } from '../errors.ts';
import { LOGGING_CONTRACT, NUMBERGEN_CONTRACT, runBuiltin } from './builtins.ts';
import type { ActorLogLevel, HostCallRequest } from './types.ts';

export interface ActorContext {
  actorId: string;
  caps: ReadonlySet<string>;
  /** Sends a call to the host (on the main thread); rejects with the error the actor should see. */
  hostCall: (request: HostCallRequest) => Promise<Uint8Array>;
  log: (level: ActorLogLevel, text: string) => void;
}

const BUILTINS = new Set([LOGGING_CONTRACT, NUMBERGEN_CONTRACT]);

/** A call out is refused before anything leaves the sandbox; the message is what the actor sees. */
export class CallRefusedError extends HostError {}

/** Contract IDs hold a ':' (wasmcloud:keyvalue); call aliases use '/' (wasmcloud/ponger). */
function isContractId(namespace: string): boolean {
  return namespace.includes(':');
}

export function missingCapability(actorId: string, contract: string): CallRefusedError {
  return new CallRefusedError(
    'CALL_MISSING_CAPABILITY',
    `Invocation not authorized: ${missingCapabilityText(actorId, contract)}`,
  );
}

/** The host call in a CLIENT span named after the target and operation (RPC conventions). */
function hostCallInSpan(context: ActorContext, request: HostCallRequest): Promise<Uint8Array> {
  if (activeTracer() === undefined) return context.hostCall(request);
  return inSpan(
    `${request.namespace}/${request.operation}`,
    SpanKind.CLIENT,
    {
      'rpc.system': 'wasmbus',
      'rpc.service': request.namespace,
      'rpc.method': request.operation,
      'wasmcloud.link_name': request.linkName,
      'wasmcloud.actor.id': request.actorId,
    },
    () => context.hostCall(request),
  );
}

/**
 * One call out of an actor. `namespace` is a contract ID (a provider call through the link
 * `linkName`), an actor key (M…) or a call alias (another actor).
 */
export async function callOut(
  context: ActorContext,
  linkName: string,
  namespace: string,
  operation: string,
  payload: Uint8Array,
): Promise<Uint8Array> {
  const link = linkName === '' ? 'default' : linkName;
  if (isPublicKey(namespace, 'module') || !isContractId(namespace)) {
    return hostCallInSpan(context, {
      actorId: context.actorId,
      target: 'actor',
      linkName: link,
      namespace,
      operation,
      payload,
    });
  }
  if (!context.caps.has(namespace)) throw missingCapability(context.actorId, namespace);
  if (BUILTINS.has(namespace)) return runBuiltin(namespace, operation, payload, context.log);
  return hostCallInSpan(context, {
    actorId: context.actorId,
    target: 'provider',
    linkName: link,
    namespace,
    operation,
    payload,
  });
}
