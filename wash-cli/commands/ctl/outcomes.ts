// Which lattice event settles a start or stop command (protocol.md §2.2). Hosts ack a command at
// once and report the result later; these matchers pick that report out of the event stream.

import type { EventMatcher } from '../../../lattice/control-client.ts';
import { isEventOf } from '../../../lattice/events.ts';

export type Outcome = { ok: true; publicKey: string } | { ok: false; error: string };

/** `actor_started` for this ref (or key) on this host, or `actor_start_failed` for the ref. */
export function actorStart(hostId: string, ref: string, actorId: string | undefined): EventMatcher<Outcome> {
  return (event) => {
    if (event.source !== hostId) return undefined;
    if (isEventOf(event, 'actor_started')) {
      const { image_ref: imageRef, public_key: publicKey } = event.data;
      if (imageRef === ref || publicKey === actorId) return { ok: true, publicKey };
    }
    if (isEventOf(event, 'actor_start_failed') && event.data.actor_ref === ref)
      return { ok: false, error: event.data.error };
    return undefined;
  };
}

/** `provider_started` for this ref (or key) and link name on this host, or `provider_start_failed`. */
export function providerStart(
  hostId: string,
  ref: string,
  providerId: string | undefined,
  linkName: string,
): EventMatcher<Outcome> {
  return (event) => {
    if (event.source !== hostId) return undefined;
    if (isEventOf(event, 'provider_started') && event.data.link_name === linkName) {
      const { image_ref: imageRef, public_key: publicKey } = event.data;
      if (imageRef === ref || publicKey === providerId) return { ok: true, publicKey };
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
export function actorStop(hostId: string, actorId: string): EventMatcher<Outcome> {
  return (event) =>
    event.source === hostId && isEventOf(event, 'actor_stopped') && event.data.public_key === actorId
      ? { ok: true, publicKey: actorId }
      : undefined;
}

/** `provider_stopped` for this provider and link name on this host. */
export function providerStop(hostId: string, providerId: string, linkName: string): EventMatcher<Outcome> {
  return (event) =>
    event.source === hostId &&
    isEventOf(event, 'provider_stopped') &&
    event.data.public_key === providerId &&
    event.data.link_name === linkName
      ? { ok: true, publicKey: providerId }
      : undefined;
}
