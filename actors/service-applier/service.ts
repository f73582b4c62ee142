// The pure logic of the service-applier actor (protocol.md §7.3), free of WIT imports so it
// can be tested from Node: a lattice CloudEvent (§2) in, the Kubernetes operation out. For
// every link definition of an actor to wasmcloud:httpserver there is one v1 Service named
// after the actor, selecting the pods labelled `wasmcloud.dev/route-to: "true"`.

export const LINKDEF_SET_EVENT = 'com.wasmcloud.lattice.linkdef_set';
export const LINKDEF_DELETED_EVENT = 'com.wasmcloud.lattice.linkdef_deleted';
export const HTTPSERVER_CONTRACT = 'wasmcloud:httpserver';
/** The port when the link sets neither `port` nor `address`. */
export const DEFAULT_PORT = 8080;

const LABEL_PREFIX = 'wasmcloud.dev';

/** The event cannot be acted on, and retrying it will not help. */
export class MalformedEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedEventError';
  }
}

/** The `data` of a linkdef_set / linkdef_deleted event (OTP linkdefs/manager.ex). */
export interface LinkDefinitionData {
  id?: string;
  actor_id: string;
  provider_id: string;
  link_name: string;
  contract_id: string;
  values?: Record<string, string> | undefined;
}

export interface ServicePort {
  protocol: 'TCP';
  port: number;
  targetPort: number;
}

/** The v1 Service the actor applies (serialized as JSON, which the applier accepts as YAML). */
export interface KubernetesService {
  apiVersion: 'v1';
  kind: 'Service';
  metadata: { name: string; labels: Record<string, string> };
  spec: { selector: Record<string, string>; ports: ServicePort[]; type: 'ClusterIP' };
}

/** The arguments of KubernetesApplier.Delete. */
export interface DeleteRequest {
  group: string;
  version: string;
  kind: string;
  name: string;
  /** undefined: the applier's default namespace. */
  namespace: string | undefined;
}

export type Action =
  | { kind: 'apply'; actorId: string; service: KubernetesService }
  | { kind: 'delete'; actorId: string; request: DeleteRequest }
  | { kind: 'ignore' };

const PORT_NUMBER = /^[0-9]{1,5}$/;
/** host:port, with an IPv6 host in brackets. */
const HOST_PORT = /^(?:\[[^\]]+\]|[^:[\]]+):([0-9]{1,5})$/;
/** A Service name must be a DNS-1035 label. */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

function parsePort(text: string, what: string): number {
  const port = PORT_NUMBER.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535))
    throw new MalformedEventError(`${what} ${JSON.stringify(text)} is not a port`);
  return port;
}

/**
 * The port of an httpserver link: the link value `port`, else the port of `address`
 * (host:port), else 8080. Value keys are matched case-insensitively. Throws a
 * MalformedEventError when the chosen value is not a valid port.
 */
export function portForLink(values: Record<string, string> | undefined): number {
  const lower = new Map<string, string>();
  for (const [key, value] of Object.entries(values ?? {})) lower.set(key.toLowerCase(), value);
  const port = lower.get('port');
  if (port !== undefined) return parsePort(port, 'link value port');
  const address = lower.get('address');
  if (address !== undefined) {
    const match = HOST_PORT.exec(address);
    if (!match?.[1])
      throw new MalformedEventError(`link value address ${JSON.stringify(address)} is not host:port`);
    return parsePort(match[1], `the port of address ${JSON.stringify(address)}:`);
  }
  return DEFAULT_PORT;
}

/** The Service's name: the actor's public key in lower case. */
export function serviceName(actorId: string): string {
  const name = actorId.toLowerCase();
  if (!DNS_1035_LABEL.test(name)) {
    throw new MalformedEventError(`actor id ${JSON.stringify(actorId)} does not make a valid Service name`);
  }
  return name;
}

/** The Service for an httpserver link definition; undefined for any other contract. */
export function serviceForLink(data: LinkDefinitionData): KubernetesService | undefined {
  if (data.contract_id !== HTTPSERVER_CONTRACT) return undefined;
  const port = portForLink(data.values);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: serviceName(data.actor_id),
      labels: {
        [`${LABEL_PREFIX}/actor-id`]: data.actor_id,
        // ':' is not allowed in a label value: only the part after it.
        [`${LABEL_PREFIX}/contract`]: 'httpserver',
        [`${LABEL_PREFIX}/link-name`]: data.link_name,
        [`${LABEL_PREFIX}/provider-id`]: data.provider_id,
      },
    },
    spec: {
      selector: { [`${LABEL_PREFIX}/route-to`]: 'true' },
      ports: [{ protocol: 'TCP', port, targetPort: port }],
      type: 'ClusterIP',
    },
  };
}

/** The delete of the Service of an httpserver link definition; undefined for any other contract. */
export function deleteForLink(
  data: Pick<LinkDefinitionData, 'actor_id' | 'contract_id'>,
): DeleteRequest | undefined {
  if (data.contract_id !== HTTPSERVER_CONTRACT) return undefined;
  return {
    group: '',
    version: 'v1',
    kind: 'Service',
    name: serviceName(data.actor_id),
    namespace: undefined,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(object: Record<string, unknown>, key: string, where: string): string {
  const value = object[key];
  if (typeof value !== 'string') throw new MalformedEventError(`${where} has no string ${key}`);
  return value;
}

function linkValues(data: Record<string, unknown>): Record<string, string> {
  const values = data.values;
  if (values === undefined || values === null) return {};
  if (!isRecord(values)) throw new MalformedEventError('event data values is not an object');
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== 'string') throw new MalformedEventError(`link value ${key} is not a string`);
    result[key] = value;
  }
  return result;
}

/** What to do for a parsed CloudEvent. Throws a MalformedEventError for an unusable one. */
export function actionForEvent(event: unknown): Action {
  if (!isRecord(event)) throw new MalformedEventError('the message is not a JSON object');
  const type = stringField(event, 'type', 'the event');
  if (type !== LINKDEF_SET_EVENT && type !== LINKDEF_DELETED_EVENT) return { kind: 'ignore' };
  const data = event.data;
  if (!isRecord(data)) throw new MalformedEventError(`${type} event has no data object`);
  const contractId = stringField(data, 'contract_id', `${type} data`);
  if (contractId !== HTTPSERVER_CONTRACT) return { kind: 'ignore' };
  const actorId = stringField(data, 'actor_id', `${type} data`);
  if (type === LINKDEF_DELETED_EVENT) {
    const request = deleteForLink({ actor_id: actorId, contract_id: contractId });
    return request ? { kind: 'delete', actorId, request } : { kind: 'ignore' };
  }
  const service = serviceForLink({
    actor_id: actorId,
    provider_id: stringField(data, 'provider_id', `${type} data`),
    link_name: stringField(data, 'link_name', `${type} data`),
    contract_id: contractId,
    values: linkValues(data),
  });
  return service ? { kind: 'apply', actorId, service } : { kind: 'ignore' };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parses a message body as a CloudEvent and decides what to do with it. */
export function actionForMessage(body: Uint8Array): Action {
  let event: unknown;
  try {
    event = JSON.parse(decoder.decode(body));
  } catch (error) {
    throw new MalformedEventError(
      `the message is not JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  return actionForEvent(event);
}
