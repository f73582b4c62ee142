// The scaler traits of both forms (wadm.md §2a, §2b): `spreadscaler` and `daemonscaler` with
// `instances` (the current name) or `replicas` (the 2022 name, still read by wadm as an alias) and
// an optional list of spreads. The output is already the model's ScalerSpec.

import { z } from 'zod';
import { nonEmptyStringSchema, optionalField } from '../../lattice/json-message.ts';
import {
  closedObject,
  DEFAULT_SPREAD_WEIGHT,
  instanceCountSchema,
  textMapSchema,
  weightSchema,
} from './schema-fields.ts';
import type { ScalerSpec, Spread } from './types.ts';

export const spreadSchema = closedObject({
  name: nonEmptyStringSchema,
  requirements: optionalField(textMapSchema),
  weight: optionalField(weightSchema),
}).transform(
  (spread): Spread => ({
    name: spread.name,
    requirements: spread.requirements ?? {},
    weight: spread.weight ?? DEFAULT_SPREAD_WEIGHT,
  }),
);

/** No spread means any host: the model always has at least one, so the reconciler has one case. */
export function anyHostSpread(): Spread {
  return { name: 'default', requirements: {}, weight: DEFAULT_SPREAD_WEIGHT };
}

/** Spread names used once; weights that can place something when there is something to place. */
export function checkSpreads(
  spreads: readonly Spread[],
  instances: number,
  context: z.core.$RefinementCtx<unknown>,
): void {
  const seen = new Set<string>();
  spreads.forEach((spread, index) => {
    if (seen.has(spread.name))
      context.addIssue({
        code: 'custom',
        path: ['spread', index, 'name'],
        message: `spread name '${spread.name}' is used twice in this scaler`,
      });
    seen.add(spread.name);
  });
  if (instances > 0 && spreads.length > 0 && spreads.every((spread) => spread.weight === 0))
    context.addIssue({
      code: 'custom',
      path: ['spread'],
      message: 'every weight is 0, so no instance could be placed',
    });
}

const scalerPropertiesSchema = closedObject({
  instances: optionalField(instanceCountSchema),
  replicas: optionalField(instanceCountSchema),
  spread: optionalField(z.array(spreadSchema)),
})
  .superRefine((properties, context) => {
    if (properties.instances === undefined && properties.replicas === undefined)
      context.addIssue({
        code: 'custom',
        path: ['instances'],
        message: 'missing (expected a non-negative integer; the 2022 name replicas is read too)',
      });
    if (properties.instances !== undefined && properties.replicas !== undefined)
      context.addIssue({
        code: 'custom',
        path: ['replicas'],
        message: 'instances is given too: replicas is its 2022 name, give one of them',
      });
    checkSpreads(properties.spread ?? [], properties.instances ?? properties.replicas ?? 0, context);
  })
  .transform((properties) => ({
    instances: properties.instances ?? properties.replicas ?? 0,
    spread: properties.spread?.length ? properties.spread : [anyHostSpread()],
  }));

function scalerTraitSchema<Type extends ScalerSpec['type']>(type: Type) {
  return closedObject({ type: z.literal(type), properties: scalerPropertiesSchema }).transform(
    (scaler): ScalerSpec & { type: Type } => ({ type, ...scaler.properties }),
  );
}

export const spreadscalerTraitSchema = scalerTraitSchema('spreadscaler');
export const daemonscalerTraitSchema = scalerTraitSchema('daemonscaler');
