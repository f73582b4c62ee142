// A stand-in for the Kubernetes API server, for tests: no real API server can run here. It is an
// in-process node:http server (a kubeconfig may point at http://) that answers the core `v1`
// Service endpoints as the Kubernetes API does, and records every request so tests can assert.
//
// Faithful: bearer-token auth (401 Status without it; /version and the health paths are public,
// as system:public-info-viewer makes them), discovery (/api, /api/v1, /apis), Services under
// /api/v1/namespaces/{ns}/services[/{name}] (list with equality label selectors, get, create,
// replace with resourceVersion preconditions, delete returning the deleted object), errors as
// `kind: Status` objects with reason and code (NotFound, AlreadyExists, Conflict, Invalid,
// BadRequest, UnsupportedMediaType, MethodNotAllowed), one resourceVersion counter for all writes,
// Service defaulting (clusterIP, type, sessionAffinity, port protocol and targetPort) and the
// validation of names, labels, selectors, types and ports, creation in a missing namespace
// refused. PATCH takes application/apply-patch+yaml (server-side apply: create or update, the
// fieldManager query parameter required, `force`) and application/merge-patch+json.
//
// Simplified: field ownership treats lists as single fields (no merge keys), conflicts are
// reported only between managers of different names, managedFields lists each manager's fields
// without the `k:`/`v:` list entries, strategic-merge and JSON patches are refused with 415,
// there are no watches, no dryRun and no other kinds.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dump as dumpYaml, load as parseYaml } from 'js-yaml';
import { errorMessage } from '../../lattice/errors.ts';

type JsonObject = Record<string, unknown>;

export interface RecordedRequest {
  method: string;
  /** The URL path, e.g. `/api/v1/namespaces/default/services/web`. */
  path: string;
  query: Record<string, string>;
  /** The Content-Type without parameters. */
  contentType: string | undefined;
  authorization: string | undefined;
  body: string;
  /** The HTTP status answered. */
  status: number;
}

export interface KubeApiServerOptions {
  /** The bearer token every request must carry; default a random one. */
  token?: string;
  /** The namespaces that exist; default `default`, `kube-public`, `kube-system`. */
  namespaces?: readonly string[];
}

export interface KubeconfigOptions {
  /** The token to embed; default the server's. */
  token?: string;
  /** The namespace of the context (the client's default namespace). */
  namespace?: string;
  /** The server URL; default this server's. */
  server?: string;
}

export interface KubeApiServer {
  /** `http://127.0.0.1:{port}` */
  url: string;
  port: number;
  token: string;
  /** Every request answered, in order. */
  readonly requests: RecordedRequest[];
  /** A copy of a stored Service, or undefined. */
  service(namespace: string, name: string): JsonObject | undefined;
  /** Copies of the stored Services, of one namespace or all. */
  services(namespace?: string): JsonObject[];
  /** A kubeconfig (YAML) for this server with the token embedded. */
  kubeconfig(options?: KubeconfigOptions): string;
  stop(): Promise<void>;
}

// ---- Status errors ----

interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

class ApiStatusError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: JsonObject | undefined;
  constructor(code: number, reason: string, message: string, details?: JsonObject) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): JsonObject {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

const notFound = (resource: string, name: string) =>
  new ApiStatusError(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });
const badRequest = (message: string) => new ApiStatusError(400, 'BadRequest', message);
const invalid = (kind: string, name: string, causes: StatusCause[]) => {
  const listed = causes.map((cause) => `${cause.field}: ${cause.message}`);
  const summary = listed.length === 1 ? listed[0] : `[${listed.join(', ')}]`;
  return new ApiStatusError(422, 'Invalid', `${kind} "${name}" is invalid: ${summary}`, {
    name,
    kind,
    causes,
  });
};
const required = (field: string, detail = ''): StatusCause => ({
  reason: 'FieldValueRequired',
  message: `Required value${detail ? `: ${detail}` : ''}`,
  field,
});
const invalidValue = (field: string, value: unknown, detail: string): StatusCause => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
  field,
});
const unsupported = (field: string, value: unknown, supported: readonly string[]): StatusCause => ({
  reason: 'FieldValueNotSupported',
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((v) => `"${v}"`).join(', ')}`,
  field,
});

// ---- JSON helpers ----

function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

type Path = readonly string[];

function getAt(object: unknown, path: Path): unknown {
  let current = object;
  for (const segment of path) {
    if (!isRecord(current)) return undefined;
    current = current[segment];
  }
  return current;
}

function setAt(object: JsonObject, path: Path, value: unknown): void {
  let current = object;
  for (const segment of path.slice(0, -1)) {
    if (!isRecord(current[segment])) current[segment] = {};
    current = current[segment] as JsonObject;
  }
  current[path[path.length - 1] as string] = value;
}

/** Removes a field, and the maps it leaves empty below the top-level sections. */
function deleteAt(object: JsonObject, path: Path): void {
  const parents: JsonObject[] = [object];
  for (const segment of path.slice(0, -1)) {
    const next = parents[parents.length - 1]?.[segment];
    if (!isRecord(next)) return;
    parents.push(next);
  }
  delete parents[parents.length - 1]?.[path[path.length - 1] as string];
  for (let depth = parents.length - 1; depth >= 2; depth--) {
    if (Object.keys(parents[depth] as JsonObject).length > 0) break;
    delete parents[depth - 1]?.[path[depth - 1] as string];
  }
}

/** Fields the server sets; never owned by a manager. */
const SYSTEM_FIELDS = new Set(
  [
    ['apiVersion'],
    ['kind'],
    ['status'],
    ['metadata', 'name'],
    ['metadata', 'namespace'],
    ['metadata', 'uid'],
    ['metadata', 'resourceVersion'],
    ['metadata', 'creationTimestamp'],
    ['metadata', 'managedFields'],
    ['metadata', 'generation'],
  ].map((path) => JSON.stringify(path)),
);

/** Every leaf field of an object (lists and empty maps are leaves), as JSON-encoded paths. */
function leafPaths(object: unknown, prefix: string[] = [], out = new Set<string>()): Set<string> {
  if (!isRecord(object)) return out;
  for (const [key, value] of Object.entries(object)) {
    const path = [...prefix, key];
    const encoded = JSON.stringify(path);
    if (SYSTEM_FIELDS.has(encoded) || value === undefined) continue;
    if (isRecord(value) && Object.keys(value).length > 0) leafPaths(value, path, out);
    else out.add(encoded);
  }
  return out;
}

const decodePath = (encoded: string): string[] => JSON.parse(encoded) as string[];

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const result: JsonObject = isRecord(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

// ---- field ownership (managedFields) ----

interface FieldOwner {
  manager: string;
  operation: 'Apply' | 'Update';
  time: string;
  paths: Set<string>;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** managedFields as the API shows it: FieldsV1 with an `f:` key per field. */
function renderManagedFields(owners: readonly FieldOwner[]): JsonObject[] {
  return owners.map((owner) => {
    const fields: JsonObject = {};
    for (const encoded of owner.paths) {
      setAt(
        fields,
        decodePath(encoded).map((segment) => `f:${segment}`),
        {},
      );
    }
    return {
      manager: owner.manager,
      operation: owner.operation,
      apiVersion: 'v1',
      time: owner.time,
      fieldsType: 'FieldsV1',
      fieldsV1: fields,
    };
  });
}

/** An Update by `manager`: it owns the fields it changed; the others lose them. */
function recordUpdate(
  owners: FieldOwner[],
  manager: string,
  before: JsonObject | undefined,
  after: JsonObject,
): FieldOwner[] {
  const afterPaths = leafPaths(after);
  const changed = new Set(
    [...afterPaths].filter(
      (path) => !deepEqual(getAt(before, decodePath(path)), getAt(after, decodePath(path))),
    ),
  );
  const next = owners.map((owner) => ({
    ...owner,
    paths: new Set([...owner.paths].filter((path) => afterPaths.has(path) && !changed.has(path))),
  }));
  const mine = next.find((owner) => owner.manager === manager && owner.operation === 'Update');
  if (mine) {
    for (const path of changed) mine.paths.add(path);
    mine.time = now();
  } else if (changed.size > 0) {
    next.push({ manager, operation: 'Update', time: now(), paths: changed });
  }
  return next.filter((owner) => owner.paths.size > 0);
}

// ---- Services ----

const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'] as const;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

function labelCauses(field: string, labels: unknown, checkKeys: boolean): StatusCause[] {
  if (labels === undefined || labels === null) return [];
  if (!isRecord(labels)) return [invalidValue(field, labels, 'must be a map of strings')];
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const [prefix, name] = key.includes('/') ? key.split('/', 2) : [undefined, key];
    const keyOk =
      name !== undefined &&
      name.length <= 63 &&
      LABEL_NAME.test(name) &&
      (prefix === undefined || (prefix.length <= 253 && DNS_1123_SUBDOMAIN.test(prefix)));
    if (checkKeys && !keyOk) {
      causes.push(
        invalidValue(
          field,
          key,
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ),
      );
    }
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      causes.push(
        invalidValue(
          field,
          value,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ),
      );
    }
  }
  return causes;
}

function validateService(service: JsonObject): StatusCause[] {
  const metadata = service.metadata as JsonObject;
  const name = metadata.name;
  const causes: StatusCause[] = [];
  if (typeof name !== 'string' || name.length > 63 || !DNS_1035_LABEL.test(name)) {
    causes.push(
      invalidValue(
        'metadata.name',
        name,
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
      ),
    );
  }
  causes.push(...labelCauses('metadata.labels', metadata.labels, true));
  const spec = service.spec;
  if (!isRecord(spec)) return [...causes, required('spec')];
  causes.push(...labelCauses('spec.selector', spec.selector, true));
  const type = spec.type;
  if (!SERVICE_TYPES.includes(type as (typeof SERVICE_TYPES)[number])) {
    causes.push(unsupported('spec.type', type, SERVICE_TYPES));
  }
  const ports = spec.ports;
  if (ports !== undefined && !Array.isArray(ports)) {
    causes.push(invalidValue('spec.ports', ports, 'must be a list'));
  } else if (type !== 'ExternalName' && (ports === undefined || ports.length === 0)) {
    causes.push(required('spec.ports'));
  } else {
    for (const [index, port] of (ports ?? []).entries()) {
      const field = `spec.ports[${index}]`;
      if (!isRecord(port)) {
        causes.push(invalidValue(field, port, 'must be a map'));
        continue;
      }
      const number = port.port;
      if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > 65535) {
        causes.push(invalidValue(`${field}.port`, number, 'must be between 1 and 65535, inclusive'));
      }
      if (!PROTOCOLS.includes(port.protocol as (typeof PROTOCOLS)[number])) {
        causes.push(unsupported(`${field}.protocol`, port.protocol, PROTOCOLS));
      }
      const target = port.targetPort;
      const targetOk =
        (typeof target === 'number' && Number.isInteger(target) && target >= 1 && target <= 65535) ||
        (typeof target === 'string' && IANA_SVC_NAME.test(target));
      if (!targetOk) {
        causes.push(
          invalidValue(
            `${field}.targetPort`,
            target,
            'must be a port number between 1 and 65535 or a port name',
          ),
        );
      }
      if ((ports?.length ?? 0) > 1 && (typeof port.name !== 'string' || port.name === '')) {
        causes.push(required(`${field}.name`));
      }
    }
  }
  return causes;
}

// ---- the server ----

const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);
const MAX_BODY_BYTES = 3 * 1024 * 1024;
const PATCH_TYPES = ['application/merge-patch+json', 'application/apply-patch+yaml'];

interface StoredService {
  object: JsonObject;
  owners: FieldOwner[];
}

interface ParsedRequest {
  method: string;
  segments: string[];
  query: URLSearchParams;
  contentType: string | undefined;
  userAgent: string | undefined;
  body: string;
}

class KubeApiState {
  readonly namespaces: Set<string>;
  readonly services = new Map<string, StoredService>();
  resourceVersion = 0;
  #nextClusterIp = 10;
  readonly address: () => string;

  constructor(namespaces: readonly string[], address: () => string) {
    this.namespaces = new Set(namespaces);
    this.address = address;
  }

  #key(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  get(namespace: string, name: string): StoredService | undefined {
    return this.services.get(this.#key(namespace, name));
  }

  list(namespace: string | undefined, selector: string | null): JsonObject {
    const matches = parseSelector(selector);
    const items = [...this.services.values()]
      .map((stored) => stored.object)
      .filter((object) => namespace === undefined || (object.metadata as JsonObject).namespace === namespace)
      .filter((object) => matches(((object.metadata as JsonObject).labels ?? {}) as Record<string, string>))
      .sort((a, b) =>
        this.#key(
          String((a.metadata as JsonObject).namespace),
          String((a.metadata as JsonObject).name),
        ).localeCompare(
          this.#key(String((b.metadata as JsonObject).namespace), String((b.metadata as JsonObject).name)),
        ),
      );
    return {
      kind: 'ServiceList',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(this.resourceVersion) },
      items: clone(items),
    };
  }

  /** Defaults as the API server fills them in; `previous` keeps the allocated cluster IP. */
  #withDefaults(service: JsonObject, previous: JsonObject | undefined): JsonObject {
    const spec = isRecord(service.spec) ? service.spec : {};
    service.spec = spec;
    spec.type ??= 'ClusterIP';
    spec.sessionAffinity ??= 'None';
    if (spec.type !== 'ExternalName') {
      const previousIp = getAt(previous, ['spec', 'clusterIP']);
      spec.clusterIP ??= typeof previousIp === 'string' ? previousIp : `10.96.0.${this.#nextClusterIp++}`;
      spec.clusterIPs ??= [spec.clusterIP];
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
      spec.internalTrafficPolicy ??= 'Cluster';
    }
    if (Array.isArray(spec.ports)) {
      for (const port of spec.ports) {
        if (!isRecord(port)) continue;
        port.protocol ??= 'TCP';
        port.targetPort ??= port.port;
      }
    }
    service.status ??= { loadBalancer: {} };
    return service;
  }

  /** Validates, stamps and stores a Service; returns the stored copy. */
  #store(
    namespace: string,
    service: JsonObject,
    owners: FieldOwner[],
    previous: StoredService | undefined,
  ): JsonObject {
    const name = String((service.metadata as JsonObject).name);
    this.#withDefaults(service, previous?.object);
    const previousIp = getAt(previous?.object, ['spec', 'clusterIP']);
    const causes = validateService(service);
    if (previousIp !== undefined && !deepEqual(getAt(service, ['spec', 'clusterIP']), previousIp)) {
      causes.push(
        invalidValue('spec.clusterIP', getAt(service, ['spec', 'clusterIP']), 'field is immutable'),
      );
    }
    if (causes.length > 0) throw invalid('Service', name, causes);
    const previousMeta = (previous?.object.metadata ?? {}) as JsonObject;
    this.resourceVersion++;
    const metadata = service.metadata as JsonObject;
    service.apiVersion = 'v1';
    service.kind = 'Service';
    metadata.namespace = namespace;
    metadata.uid = previousMeta.uid ?? randomUUID();
    metadata.creationTimestamp = previousMeta.creationTimestamp ?? now();
    metadata.resourceVersion = String(this.resourceVersion);
    metadata.managedFields = renderManagedFields(owners);
    this.services.set(this.#key(namespace, name), { object: service, owners });
    return clone(service);
  }

  create(namespace: string, body: JsonObject, manager: string): JsonObject {
    if (!this.namespaces.has(namespace)) throw notFound('namespaces', namespace);
    const service = clone(body);
    const metadata = service.metadata as JsonObject;
    if (!metadata.name && typeof metadata.generateName === 'string') {
      metadata.name = `${metadata.generateName}${randomUUID().replace(/-/g, '').slice(0, 5)}`;
    }
    const name = metadata.name;
    if (typeof name !== 'string' || name === '') {
      throw invalid('Service', '', [required('metadata.name', 'name or generateName is required')]);
    }
    if (this.get(namespace, name)) {
      throw new ApiStatusError(409, 'AlreadyExists', `services "${name}" already exists`, {
        name,
        kind: 'services',
      });
    }
    this.#withDefaults(service, undefined);
    return this.#store(namespace, service, recordUpdate([], manager, undefined, service), undefined);
  }

  replace(namespace: string, name: string, body: JsonObject, manager: string): JsonObject {
    const existing = this.get(namespace, name);
    if (!existing) throw notFound('services', name);
    const service = clone(body);
    const metadata = service.metadata as JsonObject;
    const version = metadata.resourceVersion;
    if (version === undefined || version === '') {
      throw invalid('Service', name, [
        invalidValue('metadata.resourceVersion', '0x0', 'must be specified for an update'),
      ]);
    }
    if (version !== (existing.object.metadata as JsonObject).resourceVersion) throw modified(name);
    this.#withDefaults(service, existing.object);
    const owners = recordUpdate(existing.owners, manager, existing.object, service);
    return this.#store(namespace, service, owners, existing);
  }

  mergePatch(namespace: string, name: string, patch: JsonObject, manager: string): JsonObject {
    const existing = this.get(namespace, name);
    if (!existing) throw notFound('services', name);
    const version = getAt(patch, ['metadata', 'resourceVersion']);
    if (version !== undefined && version !== (existing.object.metadata as JsonObject).resourceVersion) {
      throw modified(name);
    }
    const service = mergePatch(existing.object, patch) as JsonObject;
    delete (service.metadata as JsonObject).managedFields;
    this.#withDefaults(service, existing.object);
    const owners = recordUpdate(existing.owners, manager, existing.object, service);
    return this.#store(namespace, service, owners, existing);
  }

  /** Server-side apply: creates, or merges the applied fields and records `manager` as their owner. */
  apply(namespace: string, name: string, applied: JsonObject, manager: string, force: boolean): JsonObject {
    const existing = this.get(namespace, name);
    const appliedPaths = leafPaths(applied);
    const time = now();
    if (!existing) {
      if (!this.namespaces.has(namespace)) throw notFound('namespaces', namespace);
      const service = clone(applied);
      return this.#store(
        namespace,
        service,
        [{ manager, operation: 'Apply', time, paths: appliedPaths }],
        undefined,
      );
    }
    const current = existing.object;
    const changedValue = (path: string) =>
      !deepEqual(getAt(current, decodePath(path)), getAt(applied, decodePath(path)));
    const conflicts = existing.owners.flatMap((owner) =>
      owner.manager === manager
        ? []
        : [...owner.paths]
            .filter((path) => appliedPaths.has(path) && changedValue(path))
            .map((path) => ({ manager: owner.manager, path })),
    );
    if (conflicts.length > 0 && !force) {
      const fields = conflicts.map(({ manager: other, path }) => ({
        reason: 'FieldManagerConflict',
        message: `conflict with "${other}"`,
        field: `.${decodePath(path).join('.')}`,
      }));
      const summary = fields.map((cause) => `${cause.message}: ${cause.field}`).join(', ');
      throw new ApiStatusError(
        409,
        'Conflict',
        `Apply failed with ${fields.length} conflict${fields.length === 1 ? '' : 's'}: ${summary}`,
        { causes: fields },
      );
    }
    const service = clone(current);
    delete (service.metadata as JsonObject).managedFields;
    const previousApply = existing.owners.find(
      (owner) => owner.manager === manager && owner.operation === 'Apply',
    );
    // Fields this manager applied before and no longer applies go, unless someone else owns them.
    for (const path of previousApply?.paths ?? []) {
      if (appliedPaths.has(path)) continue;
      const ownedElsewhere = existing.owners.some(
        (owner) => owner !== previousApply && owner.paths.has(path),
      );
      if (!ownedElsewhere) deleteAt(service, decodePath(path));
    }
    for (const path of appliedPaths)
      setAt(service, decodePath(path), clone(getAt(applied, decodePath(path))));
    // Others keep the applied fields they share at the same value, and lose the ones it changed.
    const owners = existing.owners
      .filter((owner) => owner !== previousApply)
      .map((owner) => ({
        ...owner,
        paths: new Set([...owner.paths].filter((path) => !(appliedPaths.has(path) && changedValue(path)))),
      }))
      .filter((owner) => owner.paths.size > 0);
    owners.push({ manager, operation: 'Apply', time, paths: appliedPaths });
    return this.#store(namespace, service, owners, existing);
  }

  delete(namespace: string, name: string): JsonObject {
    const existing = this.get(namespace, name);
    if (!existing) throw notFound('services', name);
    this.services.delete(this.#key(namespace, name));
    this.resourceVersion++;
    return clone(existing.object);
  }
}

const modified = (name: string) =>
  new ApiStatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on services "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, kind: 'services' },
  );

/** Equality-based label selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`, comma-separated. */
function parseSelector(selector: string | null): (labels: Record<string, string>) => boolean {
  if (!selector) return () => true;
  const tests = selector.split(',').map((requirement) => {
    const text = requirement.trim();
    const match = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(text);
    if (match) {
      const [, key = '', op, value] = match;
      return (labels: Record<string, string>) =>
        op === '!=' ? labels[key] !== value : labels[key] === value;
    }
    if (/^![^=!\s]+$/.test(text)) return (labels: Record<string, string>) => !(text.slice(1) in labels);
    if (/^[^=!\s]+$/.test(text)) return (labels: Record<string, string>) => text in labels;
    throw badRequest(
      `unable to parse requirement: ${JSON.stringify(text)} (this stand-in reads equality-based selectors)`,
    );
  });
  return (labels) => tests.every((test) => test(labels));
}

function parseBody(request: ParsedRequest, accepted: readonly string[]): JsonObject {
  const type = request.contentType ?? 'application/json';
  if (!accepted.includes(type)) {
    throw new ApiStatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    );
  }
  if (request.body.trim() === '') throw badRequest('the body of the request was empty');
  let parsed: unknown;
  try {
    parsed = type.endsWith('json') ? JSON.parse(request.body) : parseYaml(request.body);
  } catch (error) {
    throw badRequest(`error decoding ${type.endsWith('json') ? 'JSON' : 'YAML'}: ${errorMessage(error)}`);
  }
  if (!isRecord(parsed)) throw badRequest('the body of the request is not an object');
  return parsed;
}

/** Checks an object body against the URL: type, name, namespace. */
function checkObject(
  object: JsonObject,
  namespace: string,
  name: string | undefined,
  typeRequired: boolean,
): JsonObject {
  if (typeRequired && (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string')) {
    throw badRequest("an apply patch must set apiVersion and kind: Object 'Kind' is missing");
  }
  if (object.apiVersion !== undefined && object.apiVersion !== 'v1') {
    throw badRequest(
      `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (v1)`,
    );
  }
  if (object.kind !== undefined && object.kind !== 'Service') {
    throw badRequest(
      `the kind in the data (${String(object.kind)}) does not match the expected kind (Service)`,
    );
  }
  const metadata = object.metadata ?? {};
  if (!isRecord(metadata)) throw badRequest('metadata is not an object');
  object.metadata = metadata;
  if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (name !== undefined) {
    if (metadata.name === undefined && typeRequired) metadata.name = name;
    if (metadata.name !== name) {
      throw badRequest(
        `the name of the object (${String(metadata.name)}) does not match the name on the URL (${name})`,
      );
    }
  }
  return object;
}

function patchOptionsInvalid(field: string, detail: string): ApiStatusError {
  return new ApiStatusError(422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: ${field}: ${detail}`, {
    group: 'meta.k8s.io',
    kind: 'PatchOptions',
    causes: [{ reason: 'FieldValueInvalid', message: detail, field }],
  });
}

function managerOf(request: ParsedRequest): string {
  const given = request.query.get('fieldManager');
  if (given) return given;
  // As the API server does: the user agent's program name.
  return request.userAgent?.split('/')[0]?.trim() || 'unknown';
}

function discovery(state: KubeApiState, segments: string[]): JsonObject | undefined {
  const path = segments.join('/');
  if (path === 'api') {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: state.address() }],
    };
  }
  if (path === 'apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: [] };
  if (path === 'api/v1') {
    return {
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [
        {
          name: 'namespaces',
          singularName: 'namespace',
          namespaced: false,
          kind: 'Namespace',
          verbs: ['get', 'list'],
          shortNames: ['ns'],
        },
        {
          name: 'services',
          singularName: 'service',
          namespaced: true,
          kind: 'Service',
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'],
          shortNames: ['svc'],
          categories: ['all'],
        },
      ],
    };
  }
  return undefined;
}

function namespaceObject(name: string): JsonObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } };
}

function methodNotAllowed(): ApiStatusError {
  return new ApiStatusError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
  );
}

/** Answers one authorized request: [status code, body]. */
function route(state: KubeApiState, request: ParsedRequest): [number, unknown] {
  const { method, segments } = request;
  const path = segments.join('/');
  if (path === 'version') {
    if (method !== 'GET') throw methodNotAllowed();
    return [
      200,
      { major: '1', minor: '30', gitVersion: 'v1.30.0-wasmcloud-ts-stand-in', platform: 'linux/amd64' },
    ];
  }
  if (path === 'healthz' || path === 'livez' || path === 'readyz') return [200, 'ok'];
  const discovered = discovery(state, segments);
  if (discovered) {
    if (method !== 'GET') throw methodNotAllowed();
    return [200, discovered];
  }
  const [api, version, third, namespace, resource, name, ...rest] = segments;
  if (api !== 'api' || version !== 'v1' || rest.length > 0) throw pageNotFound();
  if (third === 'services' && segments.length === 3) {
    if (method !== 'GET') throw methodNotAllowed();
    return [200, state.list(undefined, request.query.get('labelSelector'))];
  }
  if (third !== 'namespaces') throw pageNotFound();
  if (namespace === undefined) {
    if (method !== 'GET') throw methodNotAllowed();
    return [
      200,
      {
        kind: 'NamespaceList',
        apiVersion: 'v1',
        metadata: {},
        items: [...state.namespaces].sort().map(namespaceObject),
      },
    ];
  }
  if (resource === undefined) {
    if (method !== 'GET') throw methodNotAllowed();
    if (!state.namespaces.has(namespace)) throw notFound('namespaces', namespace);
    return [200, namespaceObject(namespace)];
  }
  if (resource !== 'services') throw pageNotFound();
  if (name === undefined) {
    if (method === 'GET') return [200, state.list(namespace, request.query.get('labelSelector'))];
    if (method !== 'POST') throw methodNotAllowed();
    const body = checkObject(
      parseBody(request, ['application/json', 'application/yaml']),
      namespace,
      undefined,
      false,
    );
    return [201, state.create(namespace, body, managerOf(request))];
  }
  switch (method) {
    case 'GET': {
      const stored = state.get(namespace, name);
      if (!stored) throw notFound('services', name);
      return [200, clone(stored.object)];
    }
    case 'PUT': {
      const body = checkObject(
        parseBody(request, ['application/json', 'application/yaml']),
        namespace,
        name,
        false,
      );
      return [200, state.replace(namespace, name, body, managerOf(request))];
    }
    case 'PATCH': {
      const apply = request.contentType === 'application/apply-patch+yaml';
      const force = request.query.get('force');
      if (apply && !request.query.get('fieldManager')) {
        throw patchOptionsInvalid('fieldManager', 'Required value: is required for apply patch');
      }
      if (!apply && force !== null) {
        throw patchOptionsInvalid('force', 'Forbidden: may not be specified for non-apply patch');
      }
      const body = parseBody(request, PATCH_TYPES);
      if (!apply) return [200, state.mergePatch(namespace, name, body, managerOf(request))];
      const existed = state.get(namespace, name) !== undefined;
      const applied = state.apply(
        namespace,
        name,
        checkObject(body, namespace, name, true),
        managerOf(request),
        force === 'true',
      );
      return [existed ? 200 : 201, applied];
    }
    case 'DELETE':
      return [200, state.delete(namespace, name)];
    default:
      throw methodNotAllowed();
  }
}

function pageNotFound(): ApiStatusError {
  return new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () =>
      resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')),
    );
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** Starts the stand-in on a free port of 127.0.0.1. Call `stop()` in afterAll. */
export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const token = options.token ?? randomUUID();
  const requests: RecordedRequest[] = [];
  let address = '';
  const state = new KubeApiState(
    options.namespaces ?? ['default', 'kube-public', 'kube-system'],
    () => address,
  );

  const server = createServer(async (incoming, response) => {
    const url = new URL(incoming.url ?? '/', 'http://stand-in');
    const body = await readBody(incoming).catch(() => '');
    const request: ParsedRequest = {
      method: incoming.method ?? 'GET',
      segments: url.pathname
        .split('/')
        .filter((segment) => segment !== '')
        .map(decodeURIComponent),
      query: url.searchParams,
      contentType: incoming.headers['content-type']?.split(';')[0]?.trim().toLowerCase(),
      userAgent: incoming.headers['user-agent'],
      body: body ?? '',
    };
    let status: number;
    let answer: unknown;
    try {
      if (body === undefined) {
        throw new ApiStatusError(413, 'RequestEntityTooLarge', 'the request body is larger than 3 MiB');
      }
      const authorized = incoming.headers.authorization === `Bearer ${token}`;
      if (!PUBLIC_PATHS.has(url.pathname) && !authorized) {
        throw new ApiStatusError(401, 'Unauthorized', 'Unauthorized');
      }
      [status, answer] = route(state, request);
    } catch (error) {
      const failure =
        error instanceof ApiStatusError
          ? error
          : new ApiStatusError(500, 'InternalError', `Internal error occurred: ${errorMessage(error)}`);
      [status, answer] = [failure.code, failure.toStatus()];
    }
    requests.push({
      method: request.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: request.contentType,
      authorization: incoming.headers.authorization,
      body: request.body,
      status,
    });
    send(response, status, answer);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  address = `127.0.0.1:${port}`;
  const url = `http://${address}`;

  return {
    url,
    port,
    token,
    requests,
    service: (namespace, name) => {
      const stored = state.get(namespace, name);
      return stored && clone(stored.object);
    },
    services: (namespace) => state.list(namespace, null).items as JsonObject[],
    kubeconfig: (config = {}) =>
      dumpYaml({
        apiVersion: 'v1',
        kind: 'Config',
        // client-node refuses plain http:// unless TLS verification is off (there is no TLS).
        clusters: [
          { name: 'stand-in', cluster: { server: config.server ?? url, 'insecure-skip-tls-verify': true } },
        ],
        users: [{ name: 'tester', user: { token: config.token ?? token } }],
        contexts: [
          {
            name: 'stand-in',
            context: {
              cluster: 'stand-in',
              user: 'tester',
              ...(config.namespace ? { namespace: config.namespace } : {}),
            },
          },
        ],
        'current-context': 'stand-in',
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Clients keep connections alive; the server would wait for them.
        server.closeAllConnections();
      }),
  };
}
