// The JSON records the controller keeps in JetStream KV, as zod schemas: an application's index
// (its versions in the order they were put, which one is deployed), one version (the manifest as
// sent and its parsed model), and the leader's latest status of an application. Every replica
// reads what another wrote, so each read is validated; the model's schema is typed against
// manifest/types.ts, so the compiler says when the two drift apart.

import { z } from 'zod';
import { appStatusSchema } from '../lattice/wadm-api.ts';
import type { AppManifest } from './manifest/types.ts';

/** An application's name as wadm allows it (wadm.md §2c); it is a subject token and a KV key token. */
export const APP_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Key of one stored version's record: random, made of characters valid in a KV key. */
export const VERSION_KEY_PATTERN = /^[a-f0-9]{32}$/;

const spreadSchema = z.object({
  name: z.string(),
  requirements: z.record(z.string(), z.string()),
  weight: z.number(),
});

const scalerSchema = z.object({
  type: z.enum(['spreadscaler', 'daemonscaler']),
  instances: z.number().int().min(0),
  spread: z.array(spreadSchema),
});

/** The autoscaler trait (actors only); without it a stored autoscaled app could not be read back. */
const autoscalerSchema = z.object({
  type: z.literal('autoscaler'),
  min: z.number().int().min(0),
  max: z.number().int().min(1),
  targetConcurrency: z.number().positive(),
  scaleDownDelayMs: z.number().min(0),
  spread: z.array(spreadSchema),
});

const linkSchema = z.object({
  target: z.string(),
  contract: z.string(),
  linkName: z.string(),
  values: z.record(z.string(), z.string()),
});

const actorSchema = z.object({
  kind: z.literal('actor'),
  name: z.string(),
  image: z.string(),
  scalers: z.array(z.discriminatedUnion('type', [scalerSchema, autoscalerSchema])),
  links: z.array(linkSchema),
});

const providerSchema = z.object({
  kind: z.literal('provider'),
  name: z.string(),
  image: z.string(),
  contract: z.string(),
  linkName: z.string(),
  // JSON has no undefined: an absent config is stored as a missing key (or null by other writers).
  config: z
    .string()
    .nullish()
    .transform((value) => value ?? undefined),
  scalers: z.array(scalerSchema),
});

const policySchema = z.object({
  name: z.string(),
  type: z.string(),
  properties: z.record(z.string(), z.unknown()),
});

export const storedManifestSchema: z.ZodType<AppManifest> = z.object({
  name: z.string().regex(APP_NAME_PATTERN),
  version: z.string().min(1),
  description: z
    .string()
    .nullish()
    .transform((value) => value ?? undefined),
  annotations: z.record(z.string(), z.string()),
  components: z.array(z.discriminatedUnion('kind', [actorSchema, providerSchema])),
  policies: z.array(policySchema),
  document: z.unknown(),
});

/** One entry of an application's version list. */
export const versionRefSchema = z.object({
  version: z.string().min(1),
  /** Where the version's record is: `{lattice}.{name}.v.{key}`. */
  key: z.string().regex(VERSION_KEY_PATTERN),
  /** The manifest's description, so `model.list` reads indexes only. */
  description: z.string().nullable(),
  /** When it was put (ISO 8601). */
  put_at: z.string(),
});
export type VersionRef = z.output<typeof versionRefSchema>;

/** `{lattice}.{name}`: what exists of an application and what should run. */
export const appIndexSchema = z
  .object({
    name: z.string().regex(APP_NAME_PATTERN),
    /** Oldest first; the last is the latest (deploy's default). Never empty. */
    versions: z.array(versionRefSchema).min(1),
    deployed_version: z.string().nullable(),
  })
  .describe('stored application index');
export type AppIndex = z.output<typeof appIndexSchema>;

/** `{lattice}.{name}.v.{key}`: one version, written once and never changed. */
export const storedVersionSchema = z
  .object({
    version: z.string().min(1),
    /** The manifest as it was sent (YAML or JSON text). */
    raw: z.string(),
    manifest: storedManifestSchema,
    put_at: z.string(),
  })
  .describe('stored manifest version');
export type StoredVersion = z.output<typeof storedVersionSchema>;

/** `wadm_status` `{lattice}.{name}`: the leader's latest status of the deployed version. */
export const storedStatusSchema = z
  .object({
    /** The version the status is about: a status of another version is not this one's. */
    version: z.string(),
    status: appStatusSchema,
    /** The replica that led when it was written. */
    reported_by: z.string(),
    updated_at: z.string(),
  })
  .describe('stored application status');
export type StoredStatus = z.output<typeof storedStatusSchema>;
