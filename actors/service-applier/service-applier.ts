// The service-applier actor (protocol.md §7.3). Linked to wasmcloud:messaging with
// SUBSCRIPTION=wasmbus.evt.{lattice}, it receives every lattice event and, for each
// link definition of an actor to wasmcloud:httpserver, applies (linkdef_set) or deletes
// (linkdef_deleted) a Kubernetes Service through the cosmonic:kubernetes_applier provider.
// The decisions live in service.ts; this module wires them to the WIT imports.

import type { OperationResponse } from 'cosmonic:kubernetes-applier/applier@0.1.0';
import { apply, delete as deleteObject } from 'cosmonic:kubernetes-applier/applier@0.1.0';
import { writeLog } from 'wasmcloud:builtin/logging@0.1.0';
import type { Message } from 'wasmcloud:messaging/types@0.1.0';
import { type Action, actionForMessage, MalformedEventError } from './service.ts';

const encoder = new TextEncoder();

/**
 * The text of an error. An import's err arrives as the bindings' ComponentError, made in
 * another realm (so `instanceof Error` is false): read its payload or message.
 */
function describe(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { payload, message } = error as { payload?: unknown; message?: unknown };
    if (typeof payload === 'string') return payload;
    if (typeof message === 'string') return message;
  }
  return String(error);
}

/**
 * Runs one applier call (`operation`, e.g. "apply Service m…"). Success is logged at info
 * level; a failure is logged at error level and becomes the export's err, naming the actor.
 */
function callApplier(operation: string, actorId: string, call: () => OperationResponse): void {
  let failure: string;
  try {
    const response = call();
    if (response.succeeded) {
      writeLog('info', `service-applier: ${operation} for actor ${actorId}: done`);
      return;
    }
    failure = response.error || 'the applier gave no reason';
  } catch (error) {
    failure = describe(error);
  }
  const message = `service-applier: could not ${operation} for actor ${actorId}: ${failure}`;
  writeLog('error', message);
  throw message;
}

function handleMessage(message: Message): void {
  let action: Action;
  try {
    action = actionForMessage(message.body);
  } catch (error) {
    if (!(error instanceof MalformedEventError)) throw `service-applier: ${describe(error)}`;
    // Acknowledge: redelivering a message that cannot be used would not help.
    writeLog('warn', `service-applier: ignoring a message on ${message.subject}: ${error.message}`);
    return;
  }
  switch (action.kind) {
    case 'ignore':
      return;
    case 'apply': {
      const { service } = action;
      const port = service.spec.ports[0]?.port;
      callApplier(`apply Service ${service.metadata.name} (port ${port})`, action.actorId, () =>
        apply(encoder.encode(JSON.stringify(service))),
      );
      return;
    }
    case 'delete': {
      const { group, version, kind, name, namespace } = action.request;
      callApplier(`delete Service ${name}`, action.actorId, () =>
        deleteObject(group, version, kind, name, namespace),
      );
      return;
    }
  }
}

/** wasmcloud:messaging/handler@0.1.0 */
export const handler = { handleMessage };
