// The dashboard's JSON API inputs (docs/dashboard.md): one zod schema per request body or query.
// Objects are strict, so a misspelt field is named instead of silently ignored, and every value
// that reaches the control interface is checked first: keys by shape, counts by range, link names
// as subject tokens, `KEY=VALUE` text parsed here with the bad entry named.

import { z } from 'zod';
import { errorMessage } from '../lattice/errors.ts';
import { actorKeySchema, hostKeySchema, providerKeySchema } from '../lattice/json-message.ts';
import { isSubjectToken } from '../lattice/subjects.ts';
import { MAX_MANIFEST_BYTES } from '../lattice/wadm-api.ts';
import { DashboardError } from './errors.ts';

// CIC 0.21 carries counts as u16.
const MAX_COUNT = 65_535;
const MAX_REF_LENGTH = 2048;
const MAX_CONFIGURATION_LENGTH = 64 * 1024;

const countSchema = (minimum: number) =>
  z
    .number('expected a whole number')
    .int('expected a whole number')
    .min(minimum, `must be at least ${minimum}`)
    .max(MAX_COUNT, `must be at most ${MAX_COUNT}`);

/** A reference the host resolves: an OCI reference or a path on the host's machine. Passed on as is. */
const refSchema = z
  .string('expected a string')
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_REF_LENGTH, `must be at most ${MAX_REF_LENGTH} characters`);

export const uploadIdSchema = z.uuid('expected an upload ID returned by POST /api/uploads');

const linkNameSchema = z
  .string('expected a string')
  .trim()
  .max(256, 'must be at most 256 characters')
  .refine((name) => name === '' || isSubjectToken(name), "may not contain '.', '*', '>' or whitespace")
  .transform((name) => name || 'default');

/** A contract ID such as `wasmcloud:httpserver`; a public key in its place is the usual mistake. */
const contractIdSchema = z
  .string('expected a string')
  .trim()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .refine((id) => !/\s/.test(id), 'may not contain whitespace')
  .refine(
    (id) => !/^[ACMNOUV][A-Z2-7]{55}$/.test(id),
    'this is a public key, not a contract ID (e.g. wasmcloud:httpserver)',
  );

const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Where a comma starts a new entry: before `KEY=`, so `SUBSCRIPTION=a,b` keeps its comma list. */
const ENTRY_SEPARATOR = /\r?\n|,(?=\s*[A-Za-z_][A-Za-z0-9_.-]*=)/;

/**
 * `KEY=VALUE` entries, one per line or separated by commas, into a map. The value is everything
 * after the first `=` (so base64 padding survives). Throws an INVALID_REQUEST naming the bad entry.
 */
export function parseKeyValueText(text: string): Record<string, string> {
  const entries: Array<[string, string]> = [];
  for (const raw of text.split(ENTRY_SEPARATOR)) {
    const entry = raw.trim();
    if (entry === '') continue;
    const at = entry.indexOf('=');
    const key = at < 0 ? entry : entry.slice(0, at).trim();
    if (at <= 0 || !KEY_PATTERN.test(key)) {
      throw new DashboardError(
        'INVALID_REQUEST',
        `"${entry.slice(0, 40)}" is not KEY=VALUE (a key is letters, digits, _ . -)`,
      );
    }
    if (entries.some(([seen]) => seen === key))
      throw new DashboardError('INVALID_REQUEST', `the key ${key} is given twice`);
    entries.push([key, entry.slice(at + 1).trim()]);
  }
  // fromEntries defines own properties, so a key such as "__proto__" cannot reach the prototype.
  return Object.fromEntries(entries);
}

/** A string map given as a JSON object or as `KEY=VALUE` text. */
const keyValuesSchema = z
  .union(
    [
      z.record(
        z.string().regex(KEY_PATTERN, 'a key is letters, digits, _ . -'),
        z.string('expected a string'),
      ),
      z.string(),
    ],
    'expected an object of strings or KEY=VALUE text',
  )
  .transform((value, context): Record<string, string> => {
    if (typeof value !== 'string') return value;
    try {
      return parseKeyValueText(value);
    } catch (error) {
      context.addIssue({ code: 'custom', message: errorMessage(error) });
      return z.NEVER;
    }
  })
  .optional()
  .transform((value) => value ?? {});

/** Exactly one of a reference and an upload. */
function oneSource(fieldName: 'actor_ref' | 'provider_ref') {
  return (request: Record<string, unknown>, context: z.core.$RefinementCtx) => {
    const given = [request[fieldName], request.upload_id].filter((value) => value !== undefined).length;
    if (given !== 1) {
      context.addIssue({
        code: 'custom',
        path: [fieldName],
        message: `give either ${fieldName} (a reference or a path on the host) or upload_id, ${given === 0 ? 'not neither' : 'not both'}`,
      });
    }
  };
}

/** Constraints choose among bidders, so they make sense only without a host. */
function constraintsOnlyForAuction(
  request: { host_id?: string | undefined; constraints: Record<string, string> },
  context: z.core.$RefinementCtx,
) {
  if (request.host_id !== undefined && Object.keys(request.constraints).length > 0) {
    context.addIssue({
      code: 'custom',
      path: ['constraints'],
      message: 'constraints choose a host in an auction; leave them out when host_id is given',
    });
  }
}

export const startActorBodySchema = z
  .strictObject({
    actor_ref: refSchema.optional(),
    upload_id: uploadIdSchema.optional(),
    /** Absent: an auction picks the host. */
    host_id: hostKeySchema.optional(),
    count: countSchema(1).default(1),
    constraints: keyValuesSchema,
  })
  .superRefine(oneSource('actor_ref'))
  .superRefine(constraintsOnlyForAuction)
  .describe('start-actor request');
export type StartActorBody = z.output<typeof startActorBodySchema>;

export const scaleActorBodySchema = z
  .strictObject({
    host_id: hostKeySchema,
    actor_id: actorKeySchema,
    count: countSchema(0),
    /** Where more instances come from; default: the reference the host started the actor from. */
    actor_ref: refSchema.optional(),
  })
  .describe('scale-actor request');
export type ScaleActorBody = z.output<typeof scaleActorBodySchema>;

export const stopActorBodySchema = z
  .strictObject({
    host_id: hostKeySchema,
    actor_id: actorKeySchema,
    /** 0 stops every instance on that host. */
    count: countSchema(0).default(0),
  })
  .describe('stop-actor request');
export type StopActorBody = z.output<typeof stopActorBodySchema>;

export const startProviderBodySchema = z
  .strictObject({
    provider_ref: refSchema.optional(),
    upload_id: uploadIdSchema.optional(),
    link_name: linkNameSchema.default('default'),
    host_id: hostKeySchema.optional(),
    constraints: keyValuesSchema,
    /** Handed to the provider as is (often JSON). */
    configuration: z
      .string('expected a string')
      .max(MAX_CONFIGURATION_LENGTH, `must be at most ${MAX_CONFIGURATION_LENGTH} characters`)
      .optional(),
  })
  .superRefine(oneSource('provider_ref'))
  .superRefine(constraintsOnlyForAuction)
  .describe('start-provider request');
export type StartProviderBody = z.output<typeof startProviderBodySchema>;

export const stopProviderBodySchema = z
  .strictObject({
    host_id: hostKeySchema,
    provider_id: providerKeySchema,
    link_name: linkNameSchema.default('default'),
    contract_id: contractIdSchema,
  })
  .describe('stop-provider request');
export type StopProviderBody = z.output<typeof stopProviderBodySchema>;

export const putLinkBodySchema = z
  .strictObject({
    actor_id: actorKeySchema,
    provider_id: providerKeySchema,
    contract_id: contractIdSchema,
    link_name: linkNameSchema.default('default'),
    values: keyValuesSchema,
  })
  .describe('link definition');
export type PutLinkBody = z.output<typeof putLinkBodySchema>;

export const deleteLinkBodySchema = z
  .strictObject({
    actor_id: actorKeySchema,
    contract_id: contractIdSchema,
    link_name: linkNameSchema.default('default'),
  })
  .describe('link deletion');
export type DeleteLinkBody = z.output<typeof deleteLinkBodySchema>;

/** The query of `POST /api/uploads` (the body is the file itself). */
export const uploadQuerySchema = z
  .strictObject({
    kind: z.enum(['actor', 'provider'], 'expected actor or provider'),
    /** The file's name, shown back to the user. */
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(255, 'must be at most 255 characters')
      .refine((name) => !/[/\\\0]/.test(name), 'a file name without / or \\')
      .optional(),
  })
  .describe('upload query');
export type UploadQuery = z.output<typeof uploadQuerySchema>;

/** A whole number in a query string. */
const queryCount = (minimum: number, maximum: number) =>
  z.coerce
    .number('expected a whole number')
    .int('expected a whole number')
    .min(minimum, `must be at least ${minimum}`)
    .max(maximum, `must be at most ${maximum}`);

/**
 * The query of `GET /api/lattice`: none for the whole document, or one page of one section (the
 * entries whose names or keys contain `filter`, in the document's order).
 */
export const latticeQuerySchema = z
  .strictObject({
    section: z.enum(['hosts', 'actors', 'providers', 'links'], 'expected hosts, actors, providers or links'),
    offset: queryCount(0, 10_000_000).default(0),
    limit: queryCount(1, 1000).default(100),
    filter: z.string().max(256, 'must be at most 256 characters').default(''),
  })
  .partial({ section: true })
  .describe('lattice query');
export type LatticeQuery = z.output<typeof latticeQuerySchema>;

/** The query of `GET /api/events`: whether the stream starts with the whole state (default) or not. */
export const eventsQuerySchema = z
  .strictObject({ state: z.enum(['whole', 'none'], 'expected whole or none').default('whole') })
  .describe('events query');

// ---- applications (the application controller's API, lattice/wadm-api.ts) ----

const MAX_VERSION_LENGTH = 256;

/** wadm's rule for an application's name (wadm.md §2c); it is also a subject token. */
const applicationNameSchema = z
  .string('expected a string')
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'an application name is letters, digits, - and _');

/** The path of `/api/applications/{name}[/…]`. */
export const applicationParamsSchema = z
  .strictObject({ name: applicationNameSchema })
  .describe('application name');
export type ApplicationParams = z.output<typeof applicationParamsSchema>;

const versionSchema = z
  .string('expected a string')
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_VERSION_LENGTH, `must be at most ${MAX_VERSION_LENGTH} characters`);

/** `POST /api/applications`: the manifest as the user wrote it, YAML or JSON text. */
export const putManifestBodySchema = z
  .strictObject({
    manifest: z
      .string('expected the manifest as text (YAML or JSON)')
      .refine((text) => text.trim() !== '', 'must not be empty')
      .refine(
        (text) => Buffer.byteLength(text) <= MAX_MANIFEST_BYTES,
        `must be at most ${MAX_MANIFEST_BYTES / 1024} KiB`,
      ),
    /** Deploy the version just stored (as `wash app deploy ./app.yaml` does). */
    deploy: z.boolean('expected true or false').default(false),
  })
  .describe('manifest upload');
export type PutManifestBody = z.output<typeof putManifestBodySchema>;

/** `…/deploy`: a version, or the newest one. */
export const deployApplicationBodySchema = z
  .strictObject({ version: versionSchema.optional() })
  .describe('deploy request');
export type DeployApplicationBody = z.output<typeof deployApplicationBodySchema>;

export const undeployApplicationBodySchema = z.strictObject({}).describe('undeploy request');

/** `…/delete`: one version, or every version. */
export const deleteApplicationBodySchema = z
  .strictObject({ version: versionSchema.optional() })
  .describe('delete request');
export type DeleteApplicationBody = z.output<typeof deleteApplicationBodySchema>;
