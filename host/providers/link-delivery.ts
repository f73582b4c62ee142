// Link messages to a provider process (protocol.md §4.3): msgpack LinkDefinition on
// `….{link}.linkdefs.put|del`, the five fields only.

import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { encodePayload } from '../../lattice/payload.ts';

export function encodeLinkMessage(link: LinkDefinition): Uint8Array {
  return encodePayload({
    actor_id: link.actor_id,
    provider_id: link.provider_id,
    link_name: link.link_name,
    contract_id: link.contract_id,
    values: link.values,
  });
}

/** The slot a link fills: an actor has one link per contract and link name. */
export function linkSlot(link: LinkDefinition): string {
  return `${link.actor_id}\u0000${link.contract_id}\u0000${link.link_name}`;
}

/** The same slot with the same values. */
export function sameLinkValues(a: LinkDefinition, b: LinkDefinition): boolean {
  if (a.provider_id !== b.provider_id || linkSlot(a) !== linkSlot(b)) return false;
  const keys = Object.keys(a.values);
  return (
    keys.length === Object.keys(b.values).length &&
    keys.every((key) => Object.hasOwn(b.values, key) && b.values[key] === a.values[key])
  );
}
