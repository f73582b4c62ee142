// What only the 2022 form has (wadm.md §2a, wadm v0.4): the `linkdef` trait, which names a
// capability component and gives the link values, and a capability's `contract`, `link_name` and
// free-form `config` (a string passed as it is, any other value passed as its JSON).

import { z } from 'zod';
import { nonEmptyStringSchema, optionalField } from '../../lattice/json-message.ts';
import { closedObject, textMapSchema } from './schema-fields.ts';

export const linkdefTraitSchema = closedObject({
  type: z.literal('linkdef'),
  properties: closedObject({
    /** The name of a capability component of the same manifest. */
    target: nonEmptyStringSchema,
    values: optionalField(textMapSchema),
  }),
});

/** A contract ID: `wasmcloud:httpserver`, `cosmonic:kubernetes_applier`. */
export const contractSchema = nonEmptyStringSchema.regex(
  /^[^\s:]+:\S+$/,
  'expected a contract ID such as wasmcloud:httpserver (namespace:name, no spaces)',
);

/**
 * 2022 provider config: anything but a list (a list is the current form's named config). The
 * alternatives are kept apart so a union with the list form says what is wrong inside a list.
 */
export const rawProviderConfigSchemas = [
  z.string(),
  z.number(),
  z.boolean(),
  z.record(z.string(), z.unknown()),
] as const;
export type RawProviderConfig = z.output<(typeof rawProviderConfigSchemas)[number]>;

/** The provider's `config_json` at start: a string as it is, any other value as its JSON. */
export function rawProviderConfigJson(config: RawProviderConfig): string {
  return typeof config === 'string' ? config : JSON.stringify(config);
}
