// Field schemas both manifest forms share (wadm.md §2): names, instance counts and weights, text
// maps, and closed objects that name the keys they allow. Messages say what was expected in words
// a person fixing a YAML file understands; the path is added by problems.ts.

import { z } from 'zod';
import { nonEmptyStringSchema } from '../../lattice/json-message.ts';

/**
 * An application's or a component's name: wadm allows letters, digits, `-` and `_`; we keep to
 * ASCII letters because the application's name is a NATS subject token and a KV key token.
 */
export const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
export const MAX_NAME_LENGTH = 128;
/** More instances of one component than this is a typo (`replicas: 40000` for `4`), not a plan. */
export const MAX_INSTANCES = 10_000;
/** A spread's weight when it gives none (wadm's DEFAULT_SPREAD_WEIGHT). */
export const DEFAULT_SPREAD_WEIGHT = 100;

export const nameSchema = nonEmptyStringSchema
  .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`)
  .regex(NAME_PATTERN, "may hold only letters (A-Z, a-z), digits, '-' and '_'");

/**
 * An object that refuses keys it does not know (wadm's `deny_unknown_fields`), saying which it
 * allows; problems.ts turns the one issue into one line per unknown key.
 */
export function closedObject<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown key (allowed here: ${allowed})` : undefined,
  });
}

/** A value kept as text: YAML reads `port: 8080` as a number and `enabled: true` as a boolean. */
export const scalarTextSchema = z
  .union([z.string(), z.number(), z.boolean()], {
    error: 'expected text (a string, a number or true/false)',
  })
  .transform((value) => String(value));

/** Link values, label requirements, config properties: text keyed by text. */
export const textMapSchema = z.record(z.string(), scalarTextSchema);

function nonNegativeIntegerSchema(max: number, tooLarge: string) {
  return z
    .custom<number>((value) => typeof value === 'number' && Number.isInteger(value) && value >= 0, {
      error: 'expected a non-negative integer',
    })
    .refine((value) => value <= max, { error: tooLarge });
}

export const instanceCountSchema = nonNegativeIntegerSchema(
  MAX_INSTANCES,
  `expected at most ${MAX_INSTANCES} instances`,
);
/** Weights are relative; a bound keeps their sum an exact integer. */
export const weightSchema = nonNegativeIntegerSchema(1_000_000, 'expected a weight of at most 1000000');
