// Which lattice event settles a dashboard action (protocol.md §2.2): hosts ack a start or stop at
// once and report the result later as an event. These matchers pick that report out of the stream:
// the success event for the ref (or the artifact's key, when the dashboard knows it), or the
// failure event for the same ref.

import type { EventMatcher } from '../../lattice/control-client.ts';
import { isEventOf } from '../../lattice/events.ts';

/** `name` is the one in the started artifact's claims, when the event carries them. */
export type Outcome =
  | { ok: true; publicKey: string; name?: string | undefined }
  | { ok: false; error: string };

export function actorStarted(
  hostId: string,
  ref: string,
  actorId: string | undefined,
): EventMatcher<Outcome> {
  return (event) => {
    if (event.source !== hostId) return undefined;
    if (isEventOf(event, 'actor_started')) {
      const { image_ref: imageRef, public_key: publicKey } = event.data;
      if (imageRef === ref || publicKey === actorId)
        return { ok: true, publicKey, name: event.data.claims?.name || undefined };
    }
    if (isEventOf(event, 'actor_start_failed') && event.data.actor_ref === ref)
      return { ok: false, error: event.data.error };
    return undefined;
  };
}

export function providerStarted(
  hostId: string,
  ref: string,
  providerId: string | undefined,
  linkName: string,
): EventMatcher<Outcome> {
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

export function actorStopped(hostId: string, actorId: string): EventMatcher<Outcome> {
  return (event) =>
    event.source === hostId && isEventOf(event, 'actor_stopped') && event.data.public_key === actorId
      ? { ok: true, publicKey: actorId }
      : undefined;
}

export function providerStopped(hostId: string, providerId: string, linkName: string): EventMatcher<Outcome> {
  return (event) =>
    event.source === hostId &&
    isEventOf(event, 'provider_stopped') &&
    event.data.public_key === providerId &&
    event.data.link_name === linkName
      ? { ok: true, publicKey: providerId }
      : undefined;
}

/** A failed start of more instances during a scale (the host reports it as actor_start_failed). */
export function scaleFailed(hostId: string, ref: string): EventMatcher<Outcome> {
  return (event) =>
    event.source === hostId && isEventOf(event, 'actor_start_failed') && event.data.actor_ref === ref
      ? { ok: false, error: event.data.error }
      : undefined;
}
