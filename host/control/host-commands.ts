// The commands addressed to one host (`wasmbus.ctl.{lattice}.cmd.{hostId}.*`, protocol.md §1.4).
// Each is validated, acknowledged at once, and carried out in the background; the outcome arrives
// as an event (actor_started, actor_start_failed, provider_started, …). A request that can be
// refused on the spot (nothing running under that key) gets `accepted: false` with the reason.
// References and error text come from outside: they are bounded (`shown`, and `inBackground` for
// errors) before they reach a log line, an event or a reply.

import { isBuiltinRef } from '../../lattice/builtin-providers.ts';
import {
  ack,
  type CtlAck,
  launchActorRequestSchema,
  launchProviderRequestSchema,
  scaleActorRequestSchema,
  stopActorRequestSchema,
  stopHostRequestSchema,
  stopProviderRequestSchema,
  updateActorRequestSchema,
} from '../../lattice/control.ts';
import { DISPLAY_ERROR_LIMIT, truncateForDisplay } from '../../lattice/display-text.ts';
import { errorFields, errorMessage } from '../../lattice/errors.ts';
import { parseJsonMessage } from '../../lattice/json-message.ts';
import type { HostCommand } from '../../lattice/subjects.ts';
import type { RunningProvider } from '../providers/mod.ts';
import { refusalCode, refuse } from './refusal.ts';
import type { ControlContext } from './types.ts';

const shown = (value: string) => truncateForDisplay(value);

/**
 * Runs work after the ack has gone out; failures are reported by `onError` (the message bounded,
 * and the log fields that carry the error's code), never thrown.
 */
function inBackground(
  work: () => Promise<unknown>,
  onError: (message: string, fields: { code?: string }) => void,
): void {
  setImmediate(() => {
    work().catch((error: unknown) =>
      onError(truncateForDisplay(errorMessage(error), DISPLAY_ERROR_LIMIT), errorFields(error)),
    );
  });
}

function launchActor(context: ControlContext, body: Uint8Array): CtlAck {
  const request = parseJsonMessage(launchActorRequestSchema, body);
  if (!request.ok) return refuse('CONTROL_BAD_REQUEST', request.error);
  const { actor_ref, count, annotations } = request.value;
  inBackground(
    () => context.actors.start(actor_ref, count, annotations),
    (error, fields) => {
      context.log.warn(`actor ${shown(actor_ref)} failed to start: ${error}`, fields);
      context.events.publish('actor_start_failed', { actor_ref: shown(actor_ref), error });
    },
  );
  return ack();
}

function stopActor(context: ControlContext, body: Uint8Array): CtlAck {
  const request = parseJsonMessage(stopActorRequestSchema, body);
  if (!request.ok) return refuse('CONTROL_BAD_REQUEST', request.error);
  const { actor_ref, count, annotations } = request.value;
  if (!context.actors.resolveKey(actor_ref))
    return refuse('ACTOR_NOT_RUNNING', `actor ${shown(actor_ref)} is not running on this host`);
  inBackground(
    () => context.actors.stop(actor_ref, count, annotations),
    (error, fields) => context.log.warn(`stopping actor ${shown(actor_ref)} failed: ${error}`, fields),
  );
  return ack();
}

function scaleActor(context: ControlContext, body: Uint8Array): CtlAck {
  const request = parseJsonMessage(scaleActorRequestSchema, body);
  if (!request.ok) return refuse('CONTROL_BAD_REQUEST', request.error);
  const { actor_id, actor_ref, count, annotations, scale_to_zero } = request.value;
  inBackground(
    () => context.actors.scale(actor_id, actor_ref, count, annotations, scale_to_zero === true),
    (error, fields) => {
      context.log.warn(`scaling actor ${actor_id} failed: ${error}`, fields);
      context.events.publish('actor_start_failed', { actor_ref: shown(actor_ref), error });
    },
  );
  return ack();
}

/** OTP 0.57 runs the live update before answering and puts its outcome in the ack. */
async function updateActor(context: ControlContext, body: Uint8Array): Promise<CtlAck> {
  const request = parseJsonMessage(updateActorRequestSchema, body);
  if (!request.ok) return refuse('CONTROL_BAD_REQUEST', request.error);
  const { actor_id, new_actor_ref } = request.value;
  try {
    await context.actors.update(actor_id, new_actor_ref);
    return ack();
  } catch (error) {
    return refuse(
      refusalCode(error, 'ACTOR_UPDATE_FAILED'),
      truncateForDisplay(errorMessage(error), DISPLAY_ERROR_LIMIT),
    );
  }
}

function findProvider(context: ControlContext, ref: string, linkName: string): RunningProvider | undefined {
  return context.providers
    .running()
    .find((provider) => (provider.id === ref || provider.imageRef === ref) && provider.linkName === linkName);
}

function launchProvider(context: ControlContext, body: Uint8Array): CtlAck {
  const request = parseJsonMessage(launchProviderRequestSchema, body);
  if (!request.ok) return refuse('CONTROL_BAD_REQUEST', request.error);
  const { provider_ref, link_name, configuration, annotations } = request.value;
  if (findProvider(context, provider_ref, link_name)) {
    // As OTP: a second start of the same provider and link name is a no-op, not an error.
    context.log.warn(
      `provider ${shown(provider_ref)} (link ${shown(link_name)}) is already running; not starting it again`,
    );
    return ack();
  }
  inBackground(
    async () => {
      if (isBuiltinRef(provider_ref)) {
        await context.providers.startBuiltin({ ref: provider_ref, linkName: link_name, annotations });
        return;
      }
      const fetched = await context.artifacts.fetch(provider_ref, 'provider');
      const started = await context.providers.start({
        archive: fetched.bytes,
        imageRef: provider_ref,
        linkName: link_name,
        configuration,
        annotations,
      });
      await context.artifacts.recordStarted(fetched, started.id);
    },
    (error, fields) => {
      const [ref, link] = [shown(provider_ref), shown(link_name)];
      context.log.warn(`provider ${ref} (link ${link}) failed to start: ${error}`, fields);
      context.events.publish('provider_start_failed', { provider_ref: ref, link_name: link, error });
    },
  );
  return ack();
}

function stopProvider(context: ControlContext, body: Uint8Array): CtlAck {
  const request = parseJsonMessage(stopProviderRequestSchema, body);
  if (!request.ok) return refuse('CONTROL_BAD_REQUEST', request.error);
  const { provider_ref, link_name } = request.value;
  const provider = findProvider(context, provider_ref, link_name);
  if (!provider)
    return refuse(
      'PROVIDER_NOT_RUNNING',
      `provider ${shown(provider_ref)} (link ${shown(link_name)}) is not running on this host`,
    );
  inBackground(
    () => context.providers.stop(provider.id, provider.linkName),
    (error, fields) => context.log.warn(`stopping provider ${provider.id} failed: ${error}`, fields),
  );
  return ack();
}

/**
 * OTP acks, then about 100 ms later stops everything; `timeout` is accepted and, as there, unused.
 * Only a well-formed request naming this host stops it: an empty body, `{}` or another host's key
 * is refused (a stop cannot be taken back).
 */
function stopHost(context: ControlContext, body: Uint8Array): CtlAck {
  const request = parseJsonMessage(stopHostRequestSchema, body);
  if (!request.ok) return refuse('CONTROL_BAD_REQUEST', request.error);
  const { hostId } = context.host;
  if (request.value.host_id !== hostId)
    return refuse(
      'CONTROL_WRONG_HOST',
      `invalid stop-host request: host_id: names ${request.value.host_id}, but this is host ${hostId}`,
    );
  setTimeout(() => context.stopHost(), 100);
  return ack();
}

export function hostCommand(
  context: ControlContext,
  command: HostCommand,
  body: Uint8Array,
): CtlAck | Promise<CtlAck> {
  switch (command) {
    case 'la':
      return launchActor(context, body);
    case 'sa':
      return stopActor(context, body);
    case 'scale':
      return scaleActor(context, body);
    case 'upd':
      return updateActor(context, body);
    case 'lp':
      return launchProvider(context, body);
    case 'sp':
      return stopProvider(context, body);
    case 'stop':
      return stopHost(context, body);
  }
}
