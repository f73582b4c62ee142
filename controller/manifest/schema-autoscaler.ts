// The `autoscaler` trait (a wasmcloud-ts addition, read in both manifest forms, actors only):
// `{min, max, targetConcurrency, scaleDownDelay, spread}`. `scaleDownDelay` is a duration: a number
// of seconds, or text such as `30s`, `2m`, `500ms`. The output is the model's AutoscalerSpec; that an
// actor has no other scaler beside it is checked in validate.ts (it needs the whole trait list).

import { z } from 'zod';
import { optionalField } from '../../lattice/json-message.ts';
import { closedObject, instanceCountSchema } from './schema-fields.ts';
import { anyHostSpread, checkSpreads, spreadSchema } from './schema-scaler.ts';
import type { AutoscalerSpec } from './types.ts';

/** How long demand must stay lower before instances go, when the trait does not say. */
export const DEFAULT_SCALE_DOWN_DELAY_MS = 60_000;
/** A day: a longer delay is a typo (`scaleDownDelay: 6000` meant as ms), not a plan. */
export const MAX_SCALE_DOWN_DELAY_MS = 24 * 60 * 60_000;
/** More in-flight calls per instance than this is a typo too. */
export const MAX_TARGET_CONCURRENCY = 10_000;

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_TEXT = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const DURATION_HELP = 'expected a duration: seconds as a number, or text such as 30s, 2m, 500ms';

/** A duration in ms from seconds (a number) or text with a unit; undefined when it is neither. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const match = DURATION_TEXT.exec(value.trim());
  if (match === null) return undefined;
  return Number(match[1]) * (DURATION_UNITS_MS[match[2]!] ?? 1);
}

const durationSchema = z
  .custom<number | string>((value) => parseDurationMs(value) !== undefined, { error: DURATION_HELP })
  .transform((value) => Math.round(parseDurationMs(value)!))
  .refine((ms) => ms <= MAX_SCALE_DOWN_DELAY_MS, { error: 'expected a duration of at most 24 h' });

const targetConcurrencySchema = z
  .custom<number>((value) => typeof value === 'number' && Number.isFinite(value) && value > 0, {
    error: 'expected a number of in-flight calls per instance, greater than 0',
  })
  .refine((value) => value <= MAX_TARGET_CONCURRENCY, {
    error: `expected at most ${MAX_TARGET_CONCURRENCY} calls per instance`,
  });

const autoscalerPropertiesSchema = closedObject({
  min: instanceCountSchema,
  max: instanceCountSchema,
  targetConcurrency: targetConcurrencySchema,
  scaleDownDelay: optionalField(durationSchema),
  spread: optionalField(z.array(spreadSchema)),
})
  .superRefine((properties, context) => {
    if (properties.max < 1)
      context.addIssue({ code: 'custom', path: ['max'], message: 'expected at least 1 instance' });
    else if (properties.max < properties.min)
      context.addIssue({
        code: 'custom',
        path: ['max'],
        message: `expected at least min (${properties.min})`,
      });
    checkSpreads(properties.spread ?? [], properties.max, context);
  })
  .transform(
    (properties): Omit<AutoscalerSpec, 'type'> => ({
      min: properties.min,
      max: properties.max,
      targetConcurrency: properties.targetConcurrency,
      scaleDownDelayMs: properties.scaleDownDelay ?? DEFAULT_SCALE_DOWN_DELAY_MS,
      spread: properties.spread?.length ? properties.spread : [anyHostSpread()],
    }),
  );

export const autoscalerTraitSchema = closedObject({
  type: z.literal('autoscaler'),
  properties: autoscalerPropertiesSchema,
}).transform((trait): AutoscalerSpec => ({ type: 'autoscaler', ...trait.properties }));
