// The application controller's NATS API (wadm.md §3): subjects and the JSON shapes of requests,
// replies and status pushes. wadm (2022 Elixir, Rust 0.4–0.10) and its clients use these names;
// our controller serves them, wash's `app` commands and the dashboard call them. Shapes only:
// the controller's manifest model lives in controller/, the client in wadm-client.ts.

import { z } from 'zod';
import { assertSubjectToken } from './subjects.ts';

/** The operations under `wadm.api.{lattice}.model.*`. */
export const WADM_OPERATIONS = [
  'put',
  'list',
  'get',
  'versions',
  'del',
  'deploy',
  'undeploy',
  'status',
] as const;
export type WadmOperation = (typeof WADM_OPERATIONS)[number];

/** Operations whose subject ends in the application's name. */
export const WADM_NAMED_OPERATIONS: readonly WadmOperation[] = [
  'get',
  'versions',
  'del',
  'deploy',
  'undeploy',
  'status',
];

/** `wadm.api.{lattice}.model.{operation}[.{name}]`. */
export function wadmApiSubject(lattice: string, operation: WadmOperation, appName?: string): string {
  const base = `wadm.api.${assertSubjectToken('lattice', lattice)}.model.${operation}`;
  return appName === undefined ? base : `${base}.${assertSubjectToken('application name', appName)}`;
}

/** Subscription covering every API operation of one lattice. */
export function wadmApiWildcard(lattice: string): string {
  return `wadm.api.${assertSubjectToken('lattice', lattice)}.model.>`;
}

/** `wadm.status.{lattice}.{name}`: where an application's status is pushed when it changes. */
export function wadmStatusSubject(lattice: string, appName: string): string {
  return `wadm.status.${assertSubjectToken('lattice', lattice)}.${assertSubjectToken('application name', appName)}`;
}

/** Every status push of one lattice. */
export function wadmStatusWildcard(lattice: string): string {
  return `wadm.status.${assertSubjectToken('lattice', lattice)}.*`;
}

/**
 * The largest manifest the controller's `model.put` takes, and so what wash and the dashboard send:
 * a stored version keeps the text and its model in one KV value, under NATS's 1 MiB max_payload.
 */
export const MAX_MANIFEST_BYTES = 256 * 1024;

/** Annotations put on everything the controller starts (wadm.md §4). */
export const MANAGED_BY_ANNOTATION = 'wasmcloud.dev/managed-by';
export const APP_SPEC_ANNOTATION = 'wasmcloud.dev/appspec';
export const SCALER_ANNOTATION = 'wasmcloud.dev/scaler';
/** Value of MANAGED_BY_ANNOTATION for what our controller (and wadm) starts. */
export const MANAGED_BY_WADM = 'wadm';

// ---- status ----

/** `waiting | undeployed | reconciling | deployed | failed | unhealthy` (aliases read too). */
export const STATUS_TYPES = [
  'waiting',
  'undeployed',
  'reconciling',
  'deployed',
  'failed',
  'unhealthy',
] as const;
export type StatusType = (typeof STATUS_TYPES)[number];

/** Worst first: an application's status is its worst scaler's (wadm.md §3). */
export const STATUS_SEVERITY: readonly StatusType[] = [
  'failed',
  'undeployed',
  'waiting',
  'reconciling',
  'unhealthy',
  'deployed',
];

const statusTypeSchema = z.preprocess(
  (value) => (value === 'compensating' ? 'reconciling' : value === 'ready' ? 'deployed' : value),
  z.enum(STATUS_TYPES),
);

export const statusInfoSchema = z.object({ type: statusTypeSchema, message: z.string().default('') });
export type StatusInfo = z.output<typeof statusInfoSchema>;

export const scalerStatusSchema = z.object({
  id: z.string(),
  kind: z.string(),
  name: z.string(),
  status: statusInfoSchema,
});
export type ScalerStatus = z.output<typeof scalerStatusSchema>;

export const appStatusSchema = z.object({
  status: statusInfoSchema,
  scalers: z.array(scalerStatusSchema).default([]),
});
export type AppStatus = z.output<typeof appStatusSchema>;

/** The worst of some statuses, `deployed` for none. */
export function worstStatus(types: readonly StatusType[]): StatusType {
  for (const type of STATUS_SEVERITY) if (types.includes(type)) return type;
  return 'deployed';
}

// ---- requests ----

/** Body of get / del / deploy: an optional version (empty body = `{}`). */
export const versionRequestSchema = z.object({ version: z.string().min(1).optional() });
export type VersionRequest = z.output<typeof versionRequestSchema>;

// ---- replies ----

export const putReplySchema = z.object({
  result: z.enum(['error', 'created', 'newversion']),
  total_versions: z.number().int().default(0),
  current_version: z.string().default(''),
  message: z.string().default(''),
  name: z.string().default(''),
});
export type PutReply = z.output<typeof putReplySchema>;

export const appSummarySchema = z.object({
  name: z.string(),
  version: z.string(),
  description: z.string().nullish(),
  deployed_version: z.string().nullish(),
  status: statusTypeSchema,
  status_message: z.string().nullish(),
});
export type AppSummary = z.output<typeof appSummarySchema>;

/**
 * `model.list` answers a bare list (wadm 0.4–0.10); newer wadm wraps it (wadm #278). We answer the
 * bare list and read both, and the error reply every operation may give.
 */
export const listReplySchema = z.union([
  z.array(appSummarySchema),
  z.object({ result: z.string(), message: z.string().default(''), models: z.array(appSummarySchema) }),
  z.object({ result: z.literal('error'), message: z.string().default('') }),
]);
export type ListReply = z.output<typeof listReplySchema>;

export const getReplySchema = z.object({
  result: z.enum(['error', 'success', 'notfound']),
  message: z.string().default(''),
  manifest: z.unknown().optional(),
});
export type GetReply = z.output<typeof getReplySchema>;

export const versionsReplySchema = z.object({
  result: z.enum(['error', 'success', 'notfound']),
  message: z.string().default(''),
  versions: z.array(z.object({ version: z.string(), deployed: z.boolean() })).default([]),
});
export type VersionsReply = z.output<typeof versionsReplySchema>;

export const deleteReplySchema = z.object({
  result: z.enum(['deleted', 'error', 'noop']),
  message: z.string().default(''),
  undeploy: z.boolean().default(false),
});
export type DeleteReply = z.output<typeof deleteReplySchema>;

export const deployReplySchema = z.object({
  result: z.enum(['error', 'acknowledged', 'notfound']),
  message: z.string().default(''),
  name: z.string().optional(),
  version: z.string().optional(),
});
export type DeployReply = z.output<typeof deployReplySchema>;

export const undeployReplySchema = z.object({
  result: z.enum(['error', 'acknowledged', 'notfound']),
  message: z.string().default(''),
});
export type UndeployReply = z.output<typeof undeployReplySchema>;

export const statusReplySchema = z.object({
  result: z.enum(['error', 'ok', 'notfound']),
  message: z.string().default(''),
  status: appStatusSchema.optional(),
});
export type StatusReply = z.output<typeof statusReplySchema>;

/** A push on `wadm.status.{lattice}.{name}`: the application's status, as in a status reply. */
export const statusPushSchema = appStatusSchema;

/** The error reply every operation uses for a request it cannot serve. */
export function wadmErrorReply(message: string): { result: 'error'; message: string } {
  return { result: 'error', message };
}
