// Which lattice event settles a start or stop command (protocol.md §2.2). Hosts ack a command at
// once and report the result later as an event; these matchers, for
// `ControlClient.commandWithOutcome`, pick that report out of the stream: the success event for the
// ref (or the artifact's key, when the caller knows it), or the failure event for the same ref.

import type { EventMatcher } from './control-client.ts';
import { isEventOf } from './events.ts';

/** `name` is the one in the started artifact's claims, when the event carries them. */
export type ControlOutcome =
  | { ok: true; publicKey: string; name?: string | undefined }
  | { ok: false; error: string };

/** `actor_started` for this ref (or key) on this host, or `actor_start_failed` for the ref. */
export function actorStarted(
  hostId: string,
  ref: string,
  actorId: string | undefined,
): EventMatcher<ControlOutcome> {
  const failed = actorStartFailed(hostId, ref);
  return (event) => {
    if (event.source !== hostId) return undefined;
    if (isEventOf(event, 'actor_started')) {
      const { image_ref: imageRef, public_key: publicKey } = event.data;
      if (imageRef === ref || publicKey === actorId)
        return { ok: true, publicKey, name: event.data.claims?.name || undefined };
    }
    return failed(event);
  };
}

/**
 * `actor_start_failed` for this ref on this host alone: a scale that fails to start more instances
 * is reported this way, while its success shows only in the inventory.
 */
export function actorStartFailed(hostId: string, ref: string): EventMatcher<ControlOutcome> {
  return (event) =>
    event.source === hostId && isEventOf(event, 'actor_start_failed') && event.data.actor_ref === ref
      ? { ok: false, error: event.data.error }
      : undefined;
}

/** `provider_started` for this ref (or key) and link name on this host, or `provider_start_failed`. */
export function providerStarted(
  hostId: string,
  ref: string,
  providerId: string | undefined,
  linkName: string,
): EventMatcher<ControlOutcome> {
  return (event) => {
    if (event.source !== hostId) return undefined;
    if (isEventOf(event, 'provider_started') && event.data.link_name === linkName) {
      const { image_ref: imageRef, public_key: publicKey } = event.data;
      if (imageRef === ref || publicKey === providerId)
        return { ok: true, publicKey, name: event.data.claims?.name || undefined };
    }
    if (
      isEventOf(event, 'provider_start_failed') &&
      event.data.provider_ref === ref &&
      event.data.link_name === linkName
    )
      return { ok: false, error: event.data.error };
    return undefined;
  };
}

/** `actor_stopped` for this actor on this host. */
export function actorStopped(hostId: string, actorId: string): EventMatcher<ControlOutcome> {
  return (event) =>
    event.source === hostId && isEventOf(event, 'actor_stopped') && event.data.public_key === actorId
      ? { ok: true, publicKey: actorId }
      : undefined;
}

/** `provider_stopped` for this provider and link name on this host. */
export function providerStopped(
  hostId: string,
  providerId: string,
  linkName: string,
): EventMatcher<ControlOutcome> {
  return (event) =>
    event.source === hostId &&
    isEventOf(event, 'provider_stopped') &&
    event.data.public_key === providerId &&
    event.data.link_name === linkName
      ? { ok: true, publicKey: providerId }
      : undefined;
}
