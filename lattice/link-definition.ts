// Link definitions (protocol.md §4): which provider, under which contract and link name, serves an
// actor's calls. The same shape travels as JSON (control interface, KV, events) and msgpack
// (`.linkdefs.put|del` to providers).

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isSubjectToken } from './subjects.ts';

export const DEFAULT_LINK_NAME = 'default';

/**
 * A link name; absent, `null` or `""` mean `default`. A Rust client that leaves the field unset
 * sends `""` (serde default), and a provider started under `default` must still match it. The name
 * becomes a token of the provider's RPC subject, so it may not hold `.`, `*`, `>` or whitespace.
 */
export const linkNameSchema = z
  .string()
  .refine(
    (name) => name === '' || isSubjectToken(name),
    "a link name may not contain '.', '*', '>' or whitespace",
  )
  .nullish()
  .transform((name) => name || DEFAULT_LINK_NAME);

/** Link values: a string-to-string map that may be absent or `null` on the wire; a fresh `{}` then. */
const linkValuesSchema = z
  .record(z.string(), z.string())
  .nullish()
  .transform((values): Record<string, string> => values ?? {});

const nonEmptyString = z.string().min(1, 'must not be empty');

export const linkDefinitionShape = {
  actor_id: nonEmptyString,
  provider_id: nonEmptyString,
  link_name: linkNameSchema,
  contract_id: nonEmptyString,
  values: linkValuesSchema,
};

/** A link as clients, hosts and providers exchange it. Unknown fields (OTP adds `deleted`) are kept. */
export const linkDefinitionSchema = z.looseObject(linkDefinitionShape).describe('link definition');
export type LinkDefinition = z.output<typeof linkDefinitionSchema>;

/** The form stored under `LINKDEF_{id}` and published in `linkdef_*` events: the link plus its ID. */
export const storedLinkDefinitionSchema = z
  .looseObject({ ...linkDefinitionShape, id: nonEmptyString })
  .describe('stored link definition');
export type StoredLinkDefinition = z.output<typeof storedLinkDefinitionSchema>;

/**
 * The deterministic link ID of OTP ≥ 0.60: `UPPERHEX(SHA256(actor_id ‖ contract_id ‖ link_name))`,
 * the three strings joined with nothing between them. Equal IDs mean the same link slot.
 */
export function linkDefinitionId(actorId: string, contractId: string, linkName: string): string {
  return createHash('sha256')
    .update(`${actorId}${contractId}${linkName}`, 'utf8')
    .digest('hex')
    .toUpperCase();
}

/** The link with its deterministic ID, ready for the KV bucket or a `linkdef_set` event. */
export function withLinkId(link: LinkDefinition): StoredLinkDefinition {
  return { ...link, id: linkDefinitionId(link.actor_id, link.contract_id, link.link_name) };
}
