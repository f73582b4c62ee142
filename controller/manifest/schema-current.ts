// What only the current form has (wadm.md §2b): named config lists (`{name, properties?}`; an entry
// without properties refers to config kept elsewhere), secrets, and the `link` trait with its WIT
// namespace, package and interfaces, its `source` and `target` blocks, and the older `target:
// "<name>"`, `source_config` and `target_config` spellings wadm still reads.

import { z } from 'zod';
import { nonEmptyStringSchema, optionalField } from '../../lattice/json-message.ts';
import { closedObject, textMapSchema } from './schema-fields.ts';

export const configPropertySchema = closedObject({
  name: nonEmptyStringSchema,
  properties: optionalField(textMapSchema),
});
export type ConfigProperty = z.output<typeof configPropertySchema>;

export const configListSchema = z.array(configPropertySchema);

export const secretPropertySchema = closedObject({
  name: nonEmptyStringSchema,
  properties: closedObject({
    policy: nonEmptyStringSchema,
    key: nonEmptyStringSchema,
    field: optionalField(nonEmptyStringSchema),
    version: optionalField(nonEmptyStringSchema),
  }),
});

export const secretListSchema = z.array(secretPropertySchema);

const linkEndSchema = {
  config: optionalField(configListSchema),
  secrets: optionalField(secretListSchema),
};

/** A WIT namespace or package name: `wasmcloud`, `httpserver`, `wasi`, `http`. */
const witNameSchema = nonEmptyStringSchema.regex(
  /^[^\s:/@]+$/,
  "expected a name without spaces, ':', '/' or '@'",
);

export const linkTraitSchema = closedObject({
  type: z.literal('link'),
  properties: closedObject({
    namespace: witNameSchema,
    package: witNameSchema,
    interfaces: z.array(nonEmptyStringSchema).min(1, 'expected at least one interface'),
    name: optionalField(nonEmptyStringSchema),
    source: optionalField(closedObject(linkEndSchema)),
    target: z.union([nonEmptyStringSchema, closedObject({ name: nonEmptyStringSchema, ...linkEndSchema })]),
    source_config: optionalField(configListSchema),
    target_config: optionalField(configListSchema),
  }).superRefine((link, context) => {
    if (link.source !== undefined && link.source_config !== undefined)
      context.addIssue({
        code: 'custom',
        path: ['source_config'],
        message: 'source is given too: source_config is its older spelling, give source.config only',
      });
    if (typeof link.target !== 'string' && link.target_config !== undefined)
      context.addIssue({
        code: 'custom',
        path: ['target_config'],
        message: 'target is an object: give its config as target.config',
      });
  }),
});

export type LinkTrait = z.output<typeof linkTraitSchema>;
