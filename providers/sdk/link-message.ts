// The msgpack LinkDefinition the host sends on `.linkdefs.put|del` (protocol.md §4.3). OTP adds
// `id` and `deleted`; those and any other extra keys are dropped here so a link compares equal to
// the same link from HostData.

import { DecodeError } from '../../lattice/errors.ts';
import { validateMessage } from '../../lattice/json-message.ts';
import { type LinkDefinition, linkDefinitionSchema } from '../../lattice/link-definition.ts';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';

/** The five fields of a link, nothing else. */
export function plainLink(link: LinkDefinition): LinkDefinition {
  return {
    actor_id: link.actor_id,
    provider_id: link.provider_id,
    link_name: link.link_name,
    contract_id: link.contract_id,
    values: link.values,
  };
}

/** Decodes a link message; throws DecodeError naming the bad field. */
export function decodeLinkMessage(bytes: Uint8Array): LinkDefinition {
  const value = decodePayload(bytes, 'link definition message');
  const validated = validateMessage(linkDefinitionSchema, value);
  if (!validated.ok) throw new DecodeError('LINK_MESSAGE_INVALID', validated.error);
  return plainLink(validated.value);
}

/** The msgpack bytes the host publishes to a provider. */
export function encodeLinkMessage(link: LinkDefinition): Uint8Array {
  return encodePayload(plainLink(link));
}

/** True when both links name the same actor, provider, contract and link name with the same values. */
export function sameLink(a: LinkDefinition, b: LinkDefinition): boolean {
  if (
    a.actor_id !== b.actor_id ||
    a.provider_id !== b.provider_id ||
    a.link_name !== b.link_name ||
    a.contract_id !== b.contract_id
  )
    return false;
  const aKeys = Object.keys(a.values);
  if (aKeys.length !== Object.keys(b.values).length) return false;
  return aKeys.every((key) => Object.hasOwn(b.values, key) && b.values[key] === a.values[key]);
}
