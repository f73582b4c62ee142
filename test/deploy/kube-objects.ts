// Rendered chart output as Kubernetes objects: parsed from multi-document YAML, each built as its
// kubernetes-models class (by apiVersion and kind) and validated against the Kubernetes schema.
// That schema lets unknown fields through (a misspelt `readinessprobe` would pass), so each object
// also goes through client-node's typed serializer, which keeps only the fields the API defines:
// whatever does not come back is a field Kubernetes would not know.

import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { loadAll } from 'js-yaml';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import {
  type IRole,
  type IRoleBinding,
  Role,
  RoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import {
  ConfigMap,
  type IConfigMap,
  type ISecret,
  type IService,
  type IServiceAccount,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';

/** The kinds this chart renders. Anything else fails the test: it would not be validated. */
const MODELS = {
  'v1/ServiceAccount': ServiceAccount,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
} as const;

/** client-node's model name of each kind. */
const SERIALIZER_TYPES: Record<keyof typeof MODELS, string> = {
  'v1/ServiceAccount': 'V1ServiceAccount',
  'v1/Secret': 'V1Secret',
  'v1/ConfigMap': 'V1ConfigMap',
  'v1/Service': 'V1Service',
  'apps/v1/Deployment': 'V1Deployment',
  'rbac.authorization.k8s.io/v1/Role': 'V1Role',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'V1RoleBinding',
};

/** Paths present in `original` but not in `kept`. */
export function droppedFields(original: unknown, kept: unknown, path = ''): string[] {
  if (original === null || typeof original !== 'object') return [];
  if (kept === null || typeof kept !== 'object') return [path || '(root)'];
  return Object.entries(original).flatMap(([key, value]) => {
    const at = Array.isArray(original) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (!(key in kept)) return [at];
    return droppedFields(value, (kept as Record<string, unknown>)[key], at);
  });
}

/** The fields of an object that the Kubernetes API does not define. */
export function unknownFields(key: keyof typeof MODELS, document: unknown): string[] {
  const type = SERIALIZER_TYPES[key];
  const kept: unknown = ObjectSerializer.serialize(ObjectSerializer.deserialize(document, type), type);
  return droppedFields(document, kept);
}

export interface KubeObjects {
  /** `apiVersion/kind` of every document, in output order. */
  kinds: string[];
  /** The hosts' Deployment: the one whose pods run the container wasmcloud-host. */
  deployment: IDeployment;
  /** The application controller's own Deployment (`…-wadm`), rendered with an existing NATS. */
  wadmDeployment: IDeployment | undefined;
  serviceAccounts: IServiceAccount[];
  secrets: ISecret[];
  configMaps: IConfigMap[];
  services: IService[];
  roles: IRole[];
  roleBindings: IRoleBinding[];
}

interface TypeHead {
  apiVersion?: unknown;
  kind?: unknown;
}

/** Parses and validates `helm template` output; throws naming the first invalid object. */
export function kubeObjects(rendered: string): KubeObjects {
  const objects: Omit<KubeObjects, 'deployment' | 'wadmDeployment'> = {
    kinds: [],
    serviceAccounts: [],
    secrets: [],
    configMaps: [],
    services: [],
    roles: [],
    roleBindings: [],
  };
  const deployments: IDeployment[] = [];
  for (const document of loadAll(rendered)) {
    if (document === null || document === undefined) continue;
    const head = document as TypeHead;
    const key = `${String(head.apiVersion)}/${String(head.kind)}`;
    objects.kinds.push(key);
    if (!(key in MODELS)) throw new Error(`the chart rendered ${key}, which this test does not know`);
    const Model = MODELS[key as keyof typeof MODELS];
    const model = new Model(document as never);
    const name = (document as { metadata?: { name?: string } }).metadata?.name ?? '(no name)';
    try {
      model.validate();
    } catch (error) {
      throw new Error(`${key} ${name} is invalid: ${(error as Error).message}`);
    }
    const unknown = unknownFields(key as keyof typeof MODELS, document);
    if (unknown.length > 0)
      throw new Error(`${key} ${name} has fields Kubernetes does not know: ${unknown.join(', ')}`);
    const plain = model.toJSON();
    if (key === 'apps/v1/Deployment') deployments.push(plain as IDeployment);
    else if (key === 'v1/ServiceAccount') objects.serviceAccounts.push(plain as IServiceAccount);
    else if (key === 'v1/Secret') objects.secrets.push(plain as ISecret);
    else if (key === 'v1/ConfigMap') objects.configMaps.push(plain as IConfigMap);
    else if (key === 'v1/Service') objects.services.push(plain as IService);
    else if (key === 'rbac.authorization.k8s.io/v1/Role') objects.roles.push(plain as IRole);
    else objects.roleBindings.push(plain as IRoleBinding);
  }
  const runs = (deployment: IDeployment, container: string) =>
    deployment.spec?.template.spec?.containers.some((candidate) => candidate.name === container) === true;
  const hosts = deployments.filter((deployment) => runs(deployment, 'wasmcloud-host'));
  const controllers = deployments.filter((deployment) => !runs(deployment, 'wasmcloud-host'));
  if (hosts.length !== 1) throw new Error(`expected one hosts' Deployment, got ${hosts.length}`);
  if (controllers.length > 1 || controllers.some((deployment) => !runs(deployment, 'wadm'))) {
    throw new Error(
      `expected at most one other Deployment, the controller's: got ${controllers.map((d) => d.metadata?.name).join(', ')}`,
    );
  }
  return { ...objects, deployment: hosts[0]!, wadmDeployment: controllers[0] };
}
