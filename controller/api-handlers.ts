// What each operation of the wadm API does (wadm.md §3), given the request already routed and its
// application name checked by api.ts: read or change the shared store, and build the reply in
// the shapes of lattice/wadm-api.ts. Any replica may run any of these; nothing here depends on
// being the leader (status comes from the leader's records in the status store).

import { z } from 'zod';
import { decodeJsonBytes, validateMessage } from '../lattice/json-message.ts';
import {
  type AppSummary,
  type DeleteReply,
  type DeployReply,
  type GetReply,
  type PutReply,
  type StatusReply,
  type UndeployReply,
  type VersionsReply,
  versionRequestSchema,
  type WadmOperation,
  wadmErrorReply,
} from '../lattice/wadm-api.ts';
import type { ManifestParseResult } from './manifest/types.ts';
import type { StatusStore } from './status-store.ts';
import type { ManifestStore } from './store.ts';

/** The manifest parser (manifest/parse.ts's parseManifest), passed in so the API does not pick it. */
export type ManifestParser = (bytes: Uint8Array) => ManifestParseResult;

export interface ApiContext {
  store: ManifestStore;
  statuses: StatusStore;
  parseManifest: ManifestParser;
}

/** A reply of any operation, or the error reply they share. */
export type ApiReply =
  | PutReply
  | AppSummary[]
  | GetReply
  | VersionsReply
  | DeleteReply
  | DeployReply
  | UndeployReply
  | StatusReply
  | ReturnType<typeof wadmErrorReply>;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** An optional JSON body: empty means `{}` (wadm's clients send nothing as often as `{}`). */
function jsonBody<S extends z.ZodType>(
  schema: S,
  body: Uint8Array,
): { ok: true; value: z.output<S> } | { ok: false; error: string } {
  if (body.length === 0) return validateMessage(schema, {});
  const decoded = decodeJsonBytes(body);
  return decoded.ok ? validateMessage(schema, decoded.value) : decoded;
}

function versionBody(operation: WadmOperation, body: Uint8Array) {
  return jsonBody(versionRequestSchema.describe(`model.${operation} request`), body);
}

async function put(
  context: ApiContext,
  body: Uint8Array,
): Promise<PutReply | ReturnType<typeof wadmErrorReply>> {
  if (body.length === 0)
    return wadmErrorReply('the manifest is empty: send the application manifest (YAML or JSON)');
  let raw: string;
  try {
    raw = strictUtf8.decode(body);
  } catch {
    return wadmErrorReply('the manifest is not UTF-8 text: send the application manifest (YAML or JSON)');
  }
  const parsed = context.parseManifest(body);
  if (!parsed.ok) return wadmErrorReply(parsed.error);
  const { manifest, warnings } = parsed;
  const outcome = await context.store.put(manifest, raw);
  if (outcome.result === 'error') return wadmErrorReply(outcome.message);
  const said = outcome.unchanged
    ? `version ${outcome.version} of application ${manifest.name} is already stored with this manifest; nothing changed`
    : `stored version ${outcome.version} of application ${manifest.name}`;
  return {
    result: outcome.result,
    total_versions: outcome.totalVersions,
    current_version: outcome.version,
    name: manifest.name,
    message: [said, ...warnings.map((warning) => `warning: ${warning}`)].join('; '),
  };
}

async function list(context: ApiContext): Promise<AppSummary[]> {
  const apps = await context.store.apps();
  return Promise.all(
    apps.map(async (index): Promise<AppSummary> => {
      const latest = index.versions[index.versions.length - 1]!;
      const { status } = await context.statuses.statusOf(index);
      return {
        name: index.name,
        version: latest.version,
        description: latest.description,
        deployed_version: index.deployed_version,
        status: status.type,
        status_message: status.message,
      };
    }),
  );
}

async function get(context: ApiContext, name: string, body: Uint8Array): Promise<GetReply> {
  const request = versionBody('get', body);
  if (!request.ok) return wadmErrorReply(request.error);
  const index = await context.store.app(name);
  if (index === undefined) return { result: 'notfound', message: `application ${name} does not exist` };
  const wanted = request.value.version;
  const ref =
    wanted === undefined
      ? index.versions[index.versions.length - 1]
      : index.versions.find((r) => r.version === wanted);
  if (ref === undefined) {
    return {
      result: 'notfound',
      message: `application ${name} has no version ${wanted} (it has ${index.versions.map((r) => r.version).join(', ')})`,
    };
  }
  const stored = await context.store.version(name, ref);
  if (stored === undefined) {
    return wadmErrorReply(
      `the manifest of version ${ref.version} of application ${name} is missing from the store (its put did not finish); delete that version and put it again`,
    );
  }
  return { result: 'success', message: '', manifest: stored.manifest.document };
}

async function versions(context: ApiContext, name: string): Promise<VersionsReply> {
  const index = await context.store.app(name);
  if (index === undefined)
    return { result: 'notfound', message: `application ${name} does not exist`, versions: [] };
  return {
    result: 'success',
    message: '',
    versions: index.versions.map((ref) => ({
      version: ref.version,
      deployed: ref.version === index.deployed_version,
    })),
  };
}

async function del(context: ApiContext, name: string, body: Uint8Array): Promise<DeleteReply> {
  const request = versionBody('del', body);
  if (!request.ok) return { ...wadmErrorReply(request.error), undeploy: false };
  const outcome = await context.store.deleteVersion(name, request.value.version);
  return { result: outcome.result, message: outcome.message, undeploy: outcome.undeployed };
}

async function deploy(context: ApiContext, name: string, body: Uint8Array): Promise<DeployReply> {
  const request = versionBody('deploy', body);
  if (!request.ok) return wadmErrorReply(request.error);
  const outcome = await context.store.deploy(name, request.value.version);
  if (outcome.result === 'notfound') return outcome;
  return { result: 'acknowledged', message: outcome.message, name, version: outcome.version };
}

/** wadm's undeploy takes an object (0.4 had `non_destructive`); its fields change nothing here. */
const undeployRequestSchema = z.looseObject({}).describe('model.undeploy request');

async function undeploy(context: ApiContext, name: string, body: Uint8Array): Promise<UndeployReply> {
  const request = jsonBody(undeployRequestSchema, body);
  if (!request.ok) return wadmErrorReply(request.error);
  return context.store.undeploy(name);
}

async function status(context: ApiContext, name: string): Promise<StatusReply> {
  const index = await context.store.app(name);
  if (index === undefined) return { result: 'notfound', message: `application ${name} does not exist` };
  const current = await context.statuses.statusOf(index);
  return { result: 'ok', message: current.status.message, status: current };
}

/**
 * Runs one operation. `name` is set exactly for the named operations (api.ts checked it).
 * List and versions and status take no body (wadm ignores one); the others read theirs.
 */
export function handleOperation(
  context: ApiContext,
  operation: WadmOperation,
  name: string | undefined,
  body: Uint8Array,
): Promise<ApiReply> {
  const app = name ?? '';
  switch (operation) {
    case 'put':
      return put(context, body);
    case 'list':
      return list(context);
    case 'get':
      return get(context, app, body);
    case 'versions':
      return versions(context, app);
    case 'del':
      return del(context, app, body);
    case 'deploy':
      return deploy(context, app, body);
    case 'undeploy':
      return undeploy(context, app, body);
    case 'status':
      return status(context, app);
  }
}
