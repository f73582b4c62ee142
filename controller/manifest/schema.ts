// The whole application manifest (OAM `core.oam.dev/v1beta1`, `kind: Application`) as one zod
// schema that reads both forms: a component is an actor (`actor`, or `component` in the current
// form) or a capability, and its traits may be of either form (real manifests mix them, e.g. a
// `component` with `linkdef` traits). Objects are closed where wadm's are; `metadata` is open.
// Cross-references (link targets, duplicates, contracts) are checked later, in validate.ts.

import { z } from 'zod';
import { truncateForDisplay } from '../../lattice/display-text.ts';
import { nonEmptyStringSchema, optionalField } from '../../lattice/json-message.ts';
import { contractSchema, linkdefTraitSchema, rawProviderConfigSchemas } from './schema-2022.ts';
import { autoscalerTraitSchema } from './schema-autoscaler.ts';
import { configListSchema, linkTraitSchema, secretListSchema } from './schema-current.ts';
import { closedObject, nameSchema, scalarTextSchema, textMapSchema } from './schema-fields.ts';
import { daemonscalerTraitSchema, spreadscalerTraitSchema } from './schema-scaler.ts';

export const OAM_API_VERSION = 'core.oam.dev/v1beta1';
export const OAM_KIND = 'Application';
export const VERSION_ANNOTATION = 'version';
export const DESCRIPTION_ANNOTATION = 'description';
/** wadm forbids it: it would read as "whatever is newest". */
export const LATEST_VERSION = 'latest';
export const MAX_VERSION_LENGTH = 128;

export const TRAIT_TYPES = ['spreadscaler', 'daemonscaler', 'autoscaler', 'linkdef', 'link'] as const;
export const COMPONENT_TYPES = ['actor', 'component', 'capability'] as const;

/** `unknown trait type 'autoscaler' (known: …)` rather than zod's bare "Invalid input". */
function unknownTypeMessage(what: string, known: readonly string[]) {
  return (issue: z.core.$ZodRawIssue): string | undefined => {
    if (issue.code !== 'invalid_union') return undefined;
    const input = issue.input;
    const type = input !== null && typeof input === 'object' ? (input as { type?: unknown }).type : undefined;
    const knownList = known.join(', ');
    if (type === undefined) return `missing ${what} type (known: ${knownList})`;
    const shown = typeof type === 'string' ? `'${truncateForDisplay(type, 64)}'` : JSON.stringify(type);
    return `unknown ${what} type ${truncateForDisplay(String(shown), 80)} (known: ${knownList})`;
  };
}

const traitSchema = z.discriminatedUnion(
  'type',
  [
    spreadscalerTraitSchema,
    daemonscalerTraitSchema,
    autoscalerTraitSchema,
    linkdefTraitSchema,
    linkTraitSchema,
  ],
  { error: unknownTypeMessage('trait', TRAIT_TYPES) },
);
export type ManifestTrait = z.output<typeof traitSchema>;

const componentIdSchema = nonEmptyStringSchema;

const actorComponentSchema = closedObject({
  name: nameSchema,
  type: z.enum(['actor', 'component']),
  properties: closedObject({
    /** An OCI reference or a file path; the host resolves it. */
    image: nonEmptyStringSchema,
    id: optionalField(componentIdSchema),
    config: optionalField(configListSchema),
    secrets: optionalField(secretListSchema),
  }),
  traits: optionalField(z.array(traitSchema)),
});

const capabilityComponentSchema = closedObject({
  name: nameSchema,
  type: z.literal('capability'),
  properties: closedObject({
    image: nonEmptyStringSchema,
    id: optionalField(componentIdSchema),
    contract: optionalField(contractSchema),
    link_name: optionalField(nonEmptyStringSchema),
    // A list is the current form's named config; anything else is the 2022 free-form config.
    config: optionalField(z.union([configListSchema, ...rawProviderConfigSchemas])),
    secrets: optionalField(secretListSchema),
  }),
  traits: optionalField(z.array(traitSchema)),
});

const componentSchema = z.discriminatedUnion('type', [actorComponentSchema, capabilityComponentSchema], {
  error: unknownTypeMessage('component', COMPONENT_TYPES),
});
export type ManifestComponent = z.output<typeof componentSchema>;
export type CapabilityManifestComponent = z.output<typeof capabilityComponentSchema>;

const policySchema = closedObject({
  name: nonEmptyStringSchema,
  type: nonEmptyStringSchema,
  properties: optionalField(z.record(z.string(), z.unknown())),
});

const metadataSchema = z
  .looseObject({
    name: nameSchema,
    // Kept raw here so a version YAML read as a number can be refused rather than rewritten.
    annotations: optionalField(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
    labels: optionalField(textMapSchema),
  })
  .superRefine((metadata, context) => {
    const version = metadata.annotations?.[VERSION_ANNOTATION];
    const path = ['annotations', VERSION_ANNOTATION];
    if (version === undefined) return;
    if (typeof version !== 'string')
      context.addIssue({
        code: 'custom',
        path,
        message: `expected a string, got a ${typeof version}: put it in quotes so YAML keeps it as written`,
      });
    else if (version === LATEST_VERSION)
      context.addIssue({ code: 'custom', path, message: `'${LATEST_VERSION}' is not allowed as a version` });
    else if (version.length > MAX_VERSION_LENGTH)
      context.addIssue({ code: 'custom', path, message: `must be at most ${MAX_VERSION_LENGTH} characters` });
  })
  .transform((metadata) => ({
    name: metadata.name,
    annotations: Object.fromEntries<string>(
      Object.entries(metadata.annotations ?? {}).map(([key, value]) => [key, scalarTextSchema.parse(value)]),
    ),
  }));

export const manifestSchema = closedObject({
  apiVersion: z.literal(OAM_API_VERSION, { error: `expected ${OAM_API_VERSION}` }),
  kind: z.literal(OAM_KIND, { error: `expected ${OAM_KIND}` }),
  metadata: metadataSchema,
  spec: closedObject({
    components: z.array(componentSchema).min(1, 'expected at least one component'),
    policies: optionalField(z.array(policySchema)),
  }),
});
export type ManifestDocument = z.output<typeof manifestSchema>;
