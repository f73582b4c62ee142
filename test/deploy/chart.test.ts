// The Helm chart charts/wasmcloud-host, rendered by the helm-render stand-in (no helm binary can run
// here) for the default values, the Kubernetes walk-through's values and the other ways to run it;
// every object validated with kubernetes-models; the environment given to the host checked against
// the settings the host really reads (HOST_SETTINGS) and resolved by the host's own config code.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import type { IContainer, IEnvVar } from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveControllerConfig } from '../../controller/config.ts';
import { HOST_SETTINGS, hostLabels, resolveHostConfig, settingsFromEnv } from '../../host/config.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { TELEMETRY_VARIABLES } from '../../lattice/telemetry/settings.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import { buildHelmRenderer, HelmRenderError, type HelmRenderer } from '../helpers/helm-render/render.ts';
import { CONTROLLER_VARIABLES } from './controller-settings.ts';
import { type KubeObjects, kubeObjects } from './kube-objects.ts';

const CHART = join(REPO_ROOT, 'charts', 'wasmcloud-host');
const RELEASE = { name: 'demo', namespace: 'wasmcloud' };
const FULLNAME = 'demo-wasmcloud-host';
/** A pod name, for the variables the chart takes from the pod's metadata. */
const POD_NAME = `${FULLNAME}-7d9c6b5f4-x2k8q`;
const WALK_THROUGH = `wasmcloud:
  enableApplierSupport: true
  customLabels:
    wasmcloud.dev/route-to: "true"
`;
// The OTEL_* variables are read by lattice/telemetry/settings.ts, beside HOST_SETTINGS.
const HOST_VARIABLES = new Set<string>([
  ...Object.values(HOST_SETTINGS).map((spec) => spec.env),
  ...TELEMETRY_VARIABLES,
]);

let renderer: HelmRenderer;
const workDir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-chart-test-'));

beforeAll(async () => {
  renderer = await buildHelmRenderer();
}, 120_000);

afterAll(() => {
  renderer?.remove();
  rmSync(workDir, { recursive: true, force: true });
});

async function render(values: string[] = [], kubeVersion?: string): Promise<KubeObjects> {
  return kubeObjects(await renderer.template(CHART, { ...RELEASE, values, kubeVersion }));
}

async function renderFailure(values: string[]): Promise<string> {
  const error = await renderer.template(CHART, { ...RELEASE, values }).then(
    () => new Error('expected the chart to refuse these values'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HelmRenderError);
  return (error as Error).message;
}

function container(objects: KubeObjects, name: string): IContainer {
  const spec = objects.deployment.spec?.template.spec;
  const all = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
  const found = all.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no container ${name} in ${all.map((c) => c.name).join(', ')}`);
  return found;
}

/** A container's environment as the kubelet would give it to the process. */
function environmentOf(objects: KubeObjects, of: IContainer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of of.env ?? []) {
    const value = resolveVariable(objects, variable);
    if (value !== undefined) env[variable.name] = value;
  }
  return env;
}

/** The host container's environment as the kubelet would give it to the process. */
function hostEnvironment(objects: KubeObjects): Record<string, string> {
  return environmentOf(objects, container(objects, 'wasmcloud-host'));
}

function resolveVariable(objects: KubeObjects, variable: IEnvVar): string | undefined {
  if (variable.value !== undefined) return variable.value;
  const from = variable.valueFrom;
  if (from?.fieldRef?.fieldPath === 'metadata.name') return POD_NAME;
  const ref = from?.secretKeyRef;
  if (ref) {
    const secret = objects.secrets.find((candidate) => candidate.metadata?.name === ref.name);
    const data = secret?.data?.[ref.key];
    if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8');
    if (ref.optional) return undefined;
    throw new Error(`${variable.name} refers to ${ref.name}/${ref.key}, which the chart does not render`);
  }
  throw new Error(`${variable.name} has a source this test does not know: ${JSON.stringify(from)}`);
}

/** Every variable the chart sets is one the host reads, or a HOST_* label. */
function expectOnlyHostVariables(objects: KubeObjects): void {
  for (const variable of container(objects, 'wasmcloud-host').env ?? []) {
    const known = HOST_VARIABLES.has(variable.name) || /^HOST_[A-Z0-9_]+$/.test(variable.name);
    expect(known, `${variable.name} is not a variable the host reads`).toBe(true);
  }
}

function natsConfig(objects: KubeObjects): string {
  const map = objects.configMaps.find((candidate) => candidate.metadata?.name === `${FULLNAME}-nats`);
  const text = map?.data?.['nats.conf'];
  if (text === undefined) throw new Error('no nats.conf ConfigMap');
  return text;
}

/** Checks nats.conf with the real nats-server (`-t` parses the configuration and exits). */
async function expectValidNatsConfig(config: string): Promise<void> {
  const file = join(workDir, `nats-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, config);
  const { stderr } = await promisify(execFile)('nats-server', ['-c', file, '-t'], {
    env: { PATH: process.env.PATH ?? '', POD_NAME },
  });
  expect(stderr).toMatch(/configuration file .* is valid/);
}

describe('default values', () => {
  test('render into valid objects: ServiceAccount, nats ConfigMap, Service, Deployment, and no RBAC', async () => {
    const objects = await render();
    expect(objects.kinds).toEqual(['v1/ServiceAccount', 'v1/ConfigMap', 'v1/Service', 'apps/v1/Deployment']);
    expect(objects.roles).toEqual([]);
    expect(objects.secrets).toEqual([]);
  });

  test('the object checks are not vacuous: a misspelt field and a string port are caught', async () => {
    const rendered = await renderer.template(CHART, RELEASE);
    expect(() => kubeObjects(rendered.replace('readinessProbe:', 'readinessprobe:'))).toThrow(
      /apps\/v1\/Deployment demo-wasmcloud-host has fields Kubernetes does not know: spec\.template\.spec\.containers\[0\]\.readinessprobe$/,
    );
    expect(() => kubeObjects(rendered.replace('containerPort: 4000', 'containerPort: "4000"'))).toThrow(
      /containerPort must be integer/,
    );
  });

  test('the host joins the sidecar NATS, names itself after the pod and serves the dashboard on 0.0.0.0:4000', async () => {
    const objects = await render();
    expectOnlyHostVariables(objects);
    const env = hostEnvironment(objects);
    const config = resolveHostConfig(settingsFromEnv(env), hostLabels(env));
    expect(config.rpc.url).toBe('127.0.0.1:4222');
    expect(config.ctl.url).toBe('127.0.0.1:4222');
    expect(config.providerRpc.url).toBe('127.0.0.1:4222');
    expect(config.dashboard).toEqual({ host: '0.0.0.0', port: 4000 });
    expect(config.friendlyName).toBe(POD_NAME);
    expect(config.latticePrefix).toBe('default');
    expect(config.labels).toMatchObject({ kubernetes: 'true' });
  });

  test('the host container: image from appVersion, non-root, read-only root, probes on the dashboard port', async () => {
    const objects = await render();
    const chart = load(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(chart.appVersion).toBe(packageJson.version);
    const host = container(objects, 'wasmcloud-host');
    expect(host.image).toBe(`wasmcloud-ts-host:${packageJson.version}`);
    expect(host.ports).toEqual([
      { name: 'washboard', containerPort: 4000, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
    ]);
    expect(host.livenessProbe?.httpGet).toEqual({ path: '/api/livez', port: 'washboard' });
    expect(host.readinessProbe?.httpGet).toEqual({ path: '/api/readyz', port: 'washboard' });
    expect(host.startupProbe?.httpGet).toEqual({ path: '/api/livez', port: 'washboard' });
    expect(host.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(host.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    const pod = objects.deployment.spec?.template.spec;
    expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    // Service links would put variables such as WASMCLOUD_RPC_PORT=tcp://… into the host's environment.
    expect(pod?.enableServiceLinks).toBe(false);
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(pod?.serviceAccountName).toBe(FULLNAME);
  });

  test('NATS is a native sidecar with JetStream, started before the host, its nats.conf accepted by nats-server', async () => {
    const objects = await render();
    const pod = objects.deployment.spec?.template.spec;
    // The application controller runs beside the sidecar (see "the application controller").
    expect(pod?.containers.map((c) => c.name)).toEqual(['wasmcloud-host', 'wadm']);
    const nats = container(objects, 'nats');
    expect(pod?.initContainers?.map((c) => c.name)).toEqual(['nats']);
    expect(nats.restartPolicy).toBe('Always');
    expect(nats.image).toBe('nats:2.10-alpine');
    expect(nats.args).toEqual(['--config', '/etc/nats/nats.conf']);
    expect(nats.ports?.map((port) => [port.name, port.containerPort])).toEqual([
      ['nats', 4222],
      ['nats-monitor', 8222],
    ]);
    expect(nats.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'nats-monitor' });
    const config = natsConfig(objects);
    expect(config).toMatch(/jetstream \{\s*store_dir: "\/data\/jetstream"\s*\}/);
    expect(config).not.toContain('leafnodes');
    await expectValidNatsConfig(config);
    const volumes = Object.fromEntries((pod?.volumes ?? []).map((volume) => [volume.name, volume]));
    expect(volumes['nats-config']?.configMap?.name).toBe(`${FULLNAME}-nats`);
    expect(volumes['nats-data']?.emptyDir).toEqual({});
  });

  test('on Kubernetes before 1.29 the sidecar is an ordinary container', async () => {
    const objects = await render([], 'v1.28.5');
    const pod = objects.deployment.spec?.template.spec;
    expect(pod?.initContainers).toBeUndefined();
    expect(pod?.containers.map((c) => c.name)).toEqual(['wasmcloud-host', 'nats', 'wadm']);
    expect(container(objects, 'nats').restartPolicy).toBeUndefined();
  });

  test('the Service selects the pods and reaches the dashboard (4000) and NATS (4222) by port name', async () => {
    const objects = await render();
    const [service] = objects.services;
    expect(service?.metadata?.name).toBe(FULLNAME);
    expect(service?.spec?.type).toBe('ClusterIP');
    expect(service?.spec?.ports).toEqual([
      { name: 'washboard', port: 4000, targetPort: 'washboard', protocol: 'TCP' },
      { name: 'nats', port: 4222, targetPort: 'nats', protocol: 'TCP' },
    ]);
    const podLabels = objects.deployment.spec?.template.metadata?.labels ?? {};
    for (const [key, value] of Object.entries(service?.spec?.selector ?? {})) {
      expect(podLabels[key]).toBe(value);
    }
    expect(objects.deployment.spec?.selector.matchLabels).toEqual(service?.spec?.selector);
  });

  test('NOTES.txt tells how to reach the dashboard through the Deployment the chart renders', async () => {
    const notes = await renderer.notes(CHART, RELEASE);
    const objects = await render();
    expect(objects.deployment.metadata?.name).toBe(FULLNAME);
    expect(notes).toContain(`kubectl --namespace wasmcloud port-forward deployment/${FULLNAME} 4000`);
    expect(notes).toContain('http://localhost:4000');
    expect(notes).toContain(`http://${FULLNAME}.wasmcloud.svc:4000`);
    expect(notes).toContain('wasmcloud.config.clusterSeed');
  });
});

describe('the Kubernetes walk-through values (enableApplierSupport, customLabels)', () => {
  test('render a ServiceAccount, a Role on core services and a RoleBinding to it', async () => {
    const objects = await render([WALK_THROUGH]);
    expect(objects.kinds).toEqual([
      'v1/ServiceAccount',
      'v1/ConfigMap',
      'rbac.authorization.k8s.io/v1/Role',
      'rbac.authorization.k8s.io/v1/RoleBinding',
      'v1/Service',
      'apps/v1/Deployment',
    ]);
    const [role] = objects.roles;
    expect(role?.metadata?.name).toBe(`${FULLNAME}-service-manager`);
    expect(role?.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['services'],
        verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'],
      },
    ]);
    const [binding] = objects.roleBindings;
    expect(binding?.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: role?.metadata?.name,
    });
    const [account] = objects.serviceAccounts;
    expect(binding?.subjects).toEqual([
      { kind: 'ServiceAccount', name: account?.metadata?.name, namespace: 'wasmcloud' },
    ]);
    const pod = objects.deployment.spec?.template.spec;
    expect(pod?.serviceAccountName).toBe(account?.metadata?.name);
    expect(pod?.automountServiceAccountToken).toBe(true);
  });

  test('the pods carry wasmcloud.dev/route-to for the Services the service-applier creates; the selector does not', async () => {
    const objects = await render([WALK_THROUGH]);
    const labels = objects.deployment.spec?.template.metadata?.labels;
    expect(labels).toEqual({
      'app.kubernetes.io/name': 'wasmcloud-host',
      'app.kubernetes.io/instance': 'demo',
      'wasmcloud.dev/route-to': 'true',
    });
    // The selector of a Deployment cannot change after install: custom labels stay out of it.
    expect(objects.deployment.spec?.selector.matchLabels).not.toHaveProperty('wasmcloud.dev/route-to');
    expectOnlyHostVariables(objects);
  });

  test("every object carries the chart's labels, so `helm`-style selection finds them all", async () => {
    const objects = await render([WALK_THROUGH]);
    const all = [
      objects.deployment,
      ...objects.serviceAccounts,
      ...objects.configMaps,
      ...objects.services,
      ...objects.roles,
      ...objects.roleBindings,
    ];
    expect(all).toHaveLength(6);
    for (const object of all) {
      expect(object.metadata?.labels, object.metadata?.name).toEqual({
        'helm.sh/chart': 'wasmcloud-host-0.1.0',
        'app.kubernetes.io/name': 'wasmcloud-host',
        'app.kubernetes.io/instance': 'demo',
        'app.kubernetes.io/version': '0.1.0',
        'app.kubernetes.io/managed-by': 'Helm',
      });
    }
  });

  test('the service account is created for the applier even when serviceAccount.create is false', async () => {
    const objects = await render([WALK_THROUGH, 'serviceAccount: {create: false}\n']);
    expect(objects.serviceAccounts.map((account) => account.metadata?.name)).toEqual([FULLNAME]);
    const plain = await render(['serviceAccount: {create: false}\n']);
    expect(plain.serviceAccounts).toEqual([]);
    expect(plain.deployment.spec?.template.spec?.serviceAccountName).toBe('default');
  });
});

describe('host settings from wasmcloud.config', () => {
  const cluster = KeyPair.create('cluster');
  const otherIssuer = KeyPair.create('cluster').publicKey;
  const host = KeyPair.create('server');
  const rpcUser = KeyPair.create('user');
  const everything = `
wasmcloud:
  config:
    latticePrefix: blue
    clusterSeed: ${cluster.seed}
    clusterIssuers: [${otherIssuer}]
    hostSeed: ${host.seed}
    hostName: edge-host
    rpcJWT: eyJ.rpc.jwt
    rpcSeed: ${rpcUser.seed}
    controlNatsHost: ctl.nats.internal
    controlNatsPort: 4333
    rpcTimeout: 5000
    providerShutdownDelay: 900
    jetstreamDomain: hub
    actorWorkers: 2
    actorQueueSize: 50
    artifactCacheDir: /cache/artifacts
    artifactCacheMaxBytes: 2097152
    invocationEvents: "off"
    ociAllowLatest: true
    ociAllowedInsecure: [registry.local:5000, localhost:5000]
    logging: {structuredLoggingEnabled: true, logLevel: debug}
    registry: {url: "registry.example:5443", username: deployer, password: "s3cret pass"}
    hostLabels: {zone: eu_1, kubernetes: "true"}
nats:
  enabled: false
  url: tls://nats.nats.svc:4443
`;

  test('every value reaches the host under its variable; seeds come from the Secret', async () => {
    const objects = await render([everything]);
    expectOnlyHostVariables(objects);
    const [secret] = objects.secrets;
    expect(secret?.metadata?.name).toBe(FULLNAME);
    expect(Object.keys(secret?.data ?? {}).sort()).toEqual([
      'clusterSeed',
      'hostSeed',
      'registryPassword',
      'rpcSeed',
    ]);
    const hostContainer = container(objects, 'wasmcloud-host');
    const literal = (hostContainer.env ?? []).filter((variable) => variable.value !== undefined);
    // No seed is written into the pod spec itself.
    for (const variable of literal) {
      expect(variable.value).not.toMatch(/^S[CNU][A-Z2-7]{50,}$/);
      expect(variable.value).not.toBe('s3cret pass');
    }

    const env = hostEnvironment(objects);
    const config = resolveHostConfig(settingsFromEnv(env), hostLabels(env));
    expect(config.latticePrefix).toBe('blue');
    expect(config.clusterKey.publicKey).toBe(cluster.publicKey);
    expect(config.clusterIssuers.sort()).toEqual([cluster.publicKey, otherIssuer].sort());
    expect(config.hostKey.publicKey).toBe(host.publicKey);
    expect(config.friendlyName).toBe('edge-host');
    expect(config.rpc).toMatchObject({ url: 'nats.nats.svc:4443', jwt: 'eyJ.rpc.jwt', seed: rpcUser.seed });
    expect(config.rpc.tls).toBe(true);
    expect(config.ctl.url).toBe('ctl.nats.internal:4333');
    expect(config.providerRpc.url).toBe('nats.nats.svc:4443');
    expect(config.rpcTimeoutMs).toBe(5000);
    expect(config.providerShutdownDelayMs).toBe(900);
    expect(config.jsDomain).toBe('hub');
    expect(config.actorWorkers).toBe(2);
    expect(config.actorQueueSize).toBe(50);
    expect(config.artifactCache).toEqual({ dir: '/cache/artifacts', maxBytes: 2_097_152 });
    expect(config.invocationEvents).toBe('off');
    expect(config.allowLatest).toBe(true);
    expect(config.allowedInsecure).toEqual(['registry.local:5000', 'localhost:5000']);
    expect(config.structuredLogging).toBe(true);
    expect(config.logLevel).toBe('debug');
    expect(config.labels).toMatchObject({ zone: 'eu_1', kubernetes: 'true' });
    expect(config.ociRegistry).toEqual({
      registry: 'registry.example:5443',
      username: 'deployer',
      password: 's3cret pass',
    });
  });

  test('with an existing NATS there is no sidecar, no nats ConfigMap and no NATS port on the Service', async () => {
    const objects = await render([everything]);
    const pod = objects.deployment.spec?.template.spec;
    expect(pod?.initContainers).toBeUndefined();
    expect(pod?.containers.map((c) => c.name)).toEqual(['wasmcloud-host']);
    expect(objects.configMaps).toEqual([]);
    expect(objects.services[0]?.spec?.ports?.map((port) => port.name)).toEqual(['washboard']);
    expect(pod?.volumes?.map((volume) => volume.name)).toEqual(['tmp']);
  });

  test('the 2022 connection values rpcNatsHost/rpcNatsPort still choose the NATS', async () => {
    const objects = await render([
      'wasmcloud: {config: {rpcNatsHost: nats.example, rpcNatsPort: 4999, providerNatsHost: prov.example}}\n',
    ]);
    const env = hostEnvironment(objects);
    const config = resolveHostConfig(settingsFromEnv(env), hostLabels(env));
    expect(config.rpc.url).toBe('nats.example:4999');
    expect(config.providerRpc.url).toBe('prov.example:4999');
  });

  test('seeds can come from an existing Secret instead: optional references, no Secret rendered', async () => {
    const objects = await render(['wasmcloud: {config: {existingSecret: lattice-keys}}\n']);
    expect(objects.secrets).toEqual([]);
    const refs = (container(objects, 'wasmcloud-host').env ?? []).filter((v) => v.valueFrom?.secretKeyRef);
    expect(refs.map((v) => [v.name, v.valueFrom?.secretKeyRef?.key])).toEqual(
      expect.arrayContaining([
        ['WASMCLOUD_CLUSTER_SEED', 'clusterSeed'],
        ['WASMCLOUD_HOST_SEED', 'hostSeed'],
        ['WASMCLOUD_RPC_SEED', 'rpcSeed'],
        ['WASMCLOUD_PROV_RPC_SEED', 'providerRpcSeed'],
        ['WASMCLOUD_CTL_SEED', 'ctlSeed'],
        ['OCI_REGISTRY_PASSWORD', 'registryPassword'],
      ]),
    );
    for (const variable of refs) {
      expect(variable.valueFrom?.secretKeyRef).toMatchObject({ name: 'lattice-keys', optional: true });
    }
    expectOnlyHostVariables(objects);
  });

  test('a changed seed changes the pod template, so the pods restart with it', async () => {
    const one = await render([`wasmcloud: {config: {clusterSeed: ${KeyPair.create('cluster').seed}}}\n`]);
    const two = await render([`wasmcloud: {config: {clusterSeed: ${KeyPair.create('cluster').seed}}}\n`]);
    const checksum = (objects: KubeObjects) =>
      objects.deployment.spec?.template.metadata?.annotations?.['checksum/config'];
    expect(checksum(one)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(one)).not.toBe(checksum(two));
  });
});

describe('the NATS sidecar as a leaf node', () => {
  const leaf = `
replicaCount: 3
nats:
  jetstreamDomain: leaf
  leafnode:
    enabled: true
    clusterURL: nats-leaf://hub.example:7422
    credentials: |
      -----BEGIN NATS USER JWT-----
      eyJ0eXAiOiJKV1QifQ.e30.sig
      ------END NATS USER JWT------
`;

  test('replicas join the remote cluster: leafnodes remote with the credentials from a Secret, a JetStream domain', async () => {
    const objects = await render([leaf]);
    expect(objects.deployment.spec?.replicas).toBe(3);
    const config = natsConfig(objects);
    expect(config).toContain('url: "nats-leaf://hub.example:7422"');
    expect(config).toContain('credentials: "/etc/nats-credentials/nats.creds"');
    expect(config).toContain('domain: "leaf"');
    await expectValidNatsConfig(config);
    const creds = objects.secrets.find((secret) => secret.metadata?.name === `${FULLNAME}-nats`);
    expect(Buffer.from(creds?.data?.['nats.creds'] ?? '', 'base64').toString()).toContain('NATS USER JWT');
    const pod = objects.deployment.spec?.template.spec;
    expect(pod?.volumes?.find((volume) => volume.name === 'nats-credentials')?.secret?.secretName).toBe(
      `${FULLNAME}-nats`,
    );
    expect(container(objects, 'nats').volumeMounts).toContainEqual({
      name: 'nats-credentials',
      mountPath: '/etc/nats-credentials',
      readOnly: true,
    });
  });
});

describe('values the chart refuses, with the reason', () => {
  test('a leaf node without credentials', async () => {
    expect(await renderFailure(['nats: {leafnode: {enabled: true}}\n'])).toMatch(
      /^Error: execution error at \(wasmcloud-host\/templates\/nats\.yaml:\d+:\d+\): nats\.leafnode\.credentials is required when nats\.leafnode\.enabled/,
    );
  });

  test('replicas that would each have a NATS, and so a lattice, of their own', async () => {
    expect(await renderFailure(['replicaCount: 2\n'])).toMatch(
      /replicaCount > 1 with a plain NATS sidecar would give each replica a lattice of its own/,
    );
  });

  test('bucket replicas a single sidecar cannot keep', async () => {
    expect(await renderFailure(['wasmcloud: {config: {jetstreamReplicas: 3}}\n'])).toMatch(
      /wasmcloud\.config\.jetstreamReplicas > 1 with a plain NATS sidecar/,
    );
    expect(await renderFailure(['wasmcloud: {config: {jetstreamReplicas: 6}}\n'])).toMatch(
      /jetstreamReplicas/,
    );
  });

  test('no sidecar and no NATS URL, or a URL that is not NATS', async () => {
    expect(await renderFailure(['nats: {enabled: false}\n'])).toMatch(
      /nats\.url is required when nats\.enabled is false/,
    );
    expect(await renderFailure(['nats: {enabled: false, url: "http://nats:4222"}\n'])).toMatch(
      /nats\.url "http:\/\/nats:4222": expected nats:\/\/host:port or tls:\/\/host:port/,
    );
  });

  test('a host label key that cannot be part of a variable name', async () => {
    expect(await renderFailure(['wasmcloud: {config: {hostLabels: {"topology.zone": a}}}\n'])).toMatch(
      /hostLabels key "topology\.zone": only letters, digits and _ are allowed/,
    );
  });

  test('2022 values this host does not read', async () => {
    expect(await renderFailure(['wasmcloud: {config: {hostKey: NABC}}\n'])).toMatch(
      /wasmcloud\.config\.hostKey is not read by this host/,
    );
    expect(await renderFailure(['wasmcloud: {config: {providerRpcTimeout: 100}}\n'])).toMatch(
      /providerRpcTimeout is not read by this host: providers use wasmcloud\.config\.rpcTimeout/,
    );
  });

  test('registry credentials without the registry they are for', async () => {
    expect(await renderFailure(['wasmcloud: {config: {registry: {username: me, password: pw}}}\n'])).toMatch(
      /registry\.username and password need wasmcloud\.config\.registry\.url/,
    );
  });

  test('one host seed for several replicas', async () => {
    const values = `replicaCount: 2\nnats: {enabled: false, url: "nats://nats:4222"}\nwasmcloud: {config: {hostSeed: ${KeyPair.create('server').seed}}}\n`;
    expect(await renderFailure([values])).toMatch(/would give every replica the same host ID/);
  });
});

describe('the application controller (wadm.enabled, wadm.replicas)', () => {
  const CONTROLLER_COMMAND = ['/usr/bin/tini', '--', 'node', 'controller/main.ts'];
  const external = 'nats: {enabled: false, url: "nats://nats.nats.svc:4222"}\n';

  /** Checks the controller container against the host's: image, command, variables, NATS, lattice. */
  function expectControllerOfHost(objects: KubeObjects, wadm: IContainer): Record<string, string> {
    const host = container(objects, 'wasmcloud-host');
    expect(wadm.image).toBe(host.image);
    expect(wadm.imagePullPolicy).toBe(host.imagePullPolicy);
    // `command` replaces the image's entrypoint (which starts a host); tini stays PID 1.
    expect(wadm.command).toEqual(CONTROLLER_COMMAND);
    expect(wadm.args).toBeUndefined();
    expect(wadm.securityContext).toEqual(host.securityContext);
    expect(wadm.ports).toBeUndefined();
    for (const variable of wadm.env ?? []) {
      expect(CONTROLLER_VARIABLES.has(variable.name), `${variable.name} is not read by the controller`).toBe(
        true,
      );
    }
    const env = environmentOf(objects, wadm);
    const hostEnv = hostEnvironment(objects);
    const hostConfig = resolveHostConfig(settingsFromEnv(hostEnv), hostLabels(hostEnv));
    // Resolved by the controller's own config code: it reaches the lattice where the hosts'
    // control interface does, with the same credentials, lattice and JetStream domain.
    const config = resolveControllerConfig({}, env);
    expect(config.nats.url).toBe(hostConfig.ctl.url);
    expect(config.nats.jwt).toBe(hostConfig.ctl.jwt);
    expect(config.nats.seed).toBe(hostConfig.ctl.seed);
    expect(config.latticePrefix).toBe(hostConfig.latticePrefix);
    expect(config.jsDomain).toBe(hostConfig.jsDomain);
    expect(config.jsReplicas).toBe(hostConfig.jsReplicas);
    return env;
  }

  test('by default it runs in the host pod beside the NATS sidecar, on 127.0.0.1:4222; no Deployment of its own', async () => {
    for (const kubeVersion of [undefined, 'v1.28.5']) {
      const objects = await render([], kubeVersion);
      expect(objects.wadmDeployment).toBeUndefined();
      const env = expectControllerOfHost(objects, container(objects, 'wadm'));
      expect(env).toEqual({ WASMCLOUD_CTL_HOST: '127.0.0.1', WASMCLOUD_CTL_PORT: '4222' });
    }
    const resources = { requests: { cpu: '50m', memory: '96Mi' } };
    const sized = await render([`wadm: {resources: ${JSON.stringify(resources)}}\n`]);
    expect(container(sized, 'wadm').resources).toEqual(resources);
  });

  test('with an existing NATS it is a Deployment of wadm.replicas pods, connected as the hosts control interface is', async () => {
    const ctlUser = KeyPair.create('user');
    const values = `${external}wadm: {replicas: 3}
wasmcloud:
  config:
    latticePrefix: blue
    jetstreamDomain: hub
    jetstreamReplicas: 3
    controlNatsHost: ctl.nats.internal
    controlNatsPort: 4333
    ctlJWT: eyJ.ctl.jwt
    ctlSeed: ${ctlUser.seed}
`;
    const objects = await render([values]);
    expect(objects.kinds).toEqual([
      'v1/ServiceAccount',
      'v1/Secret',
      'v1/Service',
      'apps/v1/Deployment',
      'apps/v1/Deployment',
    ]);
    expect(objects.deployment.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['wasmcloud-host']);
    const deployment = objects.wadmDeployment;
    expect(deployment?.metadata?.name).toBe(`${FULLNAME}-wadm`);
    expect(deployment?.metadata?.labels).toEqual(objects.deployment.metadata?.labels);
    expect(deployment?.spec?.replicas).toBe(3);
    const pod = deployment?.spec?.template;
    expect(pod?.spec?.containers.map((c) => c.name)).toEqual(['wadm']);
    expect(pod?.spec?.automountServiceAccountToken).toBe(false);
    expect(pod?.spec?.enableServiceLinks).toBe(false);
    expect(pod?.spec?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    // Neither the hosts' Deployment nor their Service selects the controller's pods, and its own
    // selector does not select the hosts'.
    const matches = (
      selector: Record<string, string> | undefined,
      labels: Record<string, string> | undefined,
    ) => Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);
    const hostPodLabels = objects.deployment.spec?.template.metadata?.labels;
    expect(matches(deployment?.spec?.selector.matchLabels, pod?.metadata?.labels)).toBe(true);
    expect(matches(objects.deployment.spec?.selector.matchLabels, pod?.metadata?.labels)).toBe(false);
    expect(matches(objects.services[0]?.spec?.selector, pod?.metadata?.labels)).toBe(false);
    expect(matches(deployment?.spec?.selector.matchLabels, hostPodLabels)).toBe(false);

    const wadm = pod?.spec?.containers[0];
    if (!wadm) throw new Error('no controller container');
    const env = expectControllerOfHost(objects, wadm);
    expect(env).toEqual({
      WASMCLOUD_CTL_HOST: 'ctl.nats.internal',
      WASMCLOUD_CTL_PORT: '4333',
      WASMCLOUD_CTL_JWT: 'eyJ.ctl.jwt',
      WASMCLOUD_CTL_SEED: ctlUser.seed,
      WASMCLOUD_LATTICE_PREFIX: 'blue',
      WASMCLOUD_JS_DOMAIN: 'hub',
      WASMCLOUD_JS_REPLICAS: '3',
    });
    // The seed comes from the Secret, never written into the pod spec.
    const seed = (wadm.env ?? []).find((variable) => variable.name === 'WASMCLOUD_CTL_SEED');
    expect(seed?.valueFrom?.secretKeyRef).toEqual({ name: FULLNAME, key: 'ctlSeed' });

    // Without controlNats* it joins nats.url, as the hosts do.
    const plain = await render([external]);
    const plainWadm = plain.wadmDeployment?.spec?.template.spec?.containers[0];
    if (!plainWadm) throw new Error('no controller container');
    expect(expectControllerOfHost(plain, plainWadm)).toEqual({
      WASMCLOUD_CTL_HOST: 'nats.nats.svc',
      WASMCLOUD_CTL_PORT: '4222',
    });
    expect(plain.wadmDeployment?.spec?.replicas).toBe(1);
    // tls://… turns TLS on for the controller as for the hosts.
    const tls = await render(['nats: {enabled: false, url: "tls://nats.nats.svc:4443"}\n']);
    const tlsWadm = tls.wadmDeployment?.spec?.template.spec?.containers[0];
    if (!tlsWadm) throw new Error('no controller container');
    expect(expectControllerOfHost(tls, tlsWadm)).toEqual({
      WASMCLOUD_CTL_HOST: 'nats.nats.svc',
      WASMCLOUD_CTL_PORT: '4443',
      WASMCLOUD_CTL_TLS: 'true',
    });
    expect(resolveControllerConfig({}, environmentOf(tls, tlsWadm)).nats.tls).toBe(true);
  });

  test('wadm.enabled: false renders no controller, with the sidecar or with an existing NATS', async () => {
    const sidecar = await render(['wadm: {enabled: false}\n']);
    expect(sidecar.deployment.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['wasmcloud-host']);
    expect(sidecar.wadmDeployment).toBeUndefined();
    const existing = await render([external, 'wadm: {enabled: false}\n']);
    expect(existing.kinds.filter((kind) => kind === 'apps/v1/Deployment')).toHaveLength(1);
    expect(existing.wadmDeployment).toBeUndefined();
  });

  test('wadm.replicas > 1 with the NATS sidecar is refused: there is no controller Deployment to size', async () => {
    expect(await renderFailure(['wadm: {replicas: 2}\n'])).toMatch(
      /wadm\.replicas > 1 with the NATS sidecar: the controller then runs in each host pod/,
    );
  });

  test('NOTES.txt says the controller runs and how to deploy an application', async () => {
    const notes = await renderer.notes(CHART, RELEASE);
    expect(notes).toContain('wash app deploy');
    expect(notes).toContain('application controller');
    const external2 = await renderer.notes(CHART, {
      ...RELEASE,
      values: [external, 'wadm: {replicas: 2}\n'],
    });
    expect(external2).toContain(`2 replica(s) of deployment/${FULLNAME}-wadm`);
    const off = await renderer.notes(CHART, { ...RELEASE, values: ['wadm: {enabled: false}\n'] });
    expect(off).not.toContain('application controller');
  });
});

describe('metrics and traces (wasmcloud.metrics, wasmcloud.config.otel)', () => {
  /** The host's telemetry as its own config code resolves the rendered environment. */
  function hostTelemetry(objects: KubeObjects) {
    const env = hostEnvironment(objects);
    const config = resolveHostConfig(settingsFromEnv(env), hostLabels(env), env);
    return { env, config };
  }

  function podAnnotations(objects: KubeObjects): Record<string, string> {
    return objects.deployment.spec?.template.metadata?.annotations ?? {};
  }

  test('by default /metrics has a port of its own on 0.0.0.0, named metrics, and the pods carry the scrape annotations', async () => {
    const objects = await render();
    expectOnlyHostVariables(objects);
    const annotations = podAnnotations(objects);
    expect(annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9090',
      'prometheus.io/path': '/metrics',
    });
    // The annotated port is the container port the host listens on for /metrics.
    const port = container(objects, 'wasmcloud-host').ports?.find(
      (candidate) => candidate.name === 'metrics',
    );
    expect(String(port?.containerPort)).toBe(annotations['prometheus.io/port']);
    const { env, config } = hostTelemetry(objects);
    expect(config.metricsListener).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(config.telemetry.metrics.enabled).toBe(true);
    // Nothing pushed and no spans recorded until an endpoint is given.
    expect(config.telemetry.metrics.otlpUrl).toBeUndefined();
    expect(config.telemetry.traces.enabled).toBe(false);
    expect(Object.keys(env).filter((name) => name.startsWith('OTEL_'))).toEqual([]);
  });

  test('metrics.port moves the listener, the container port and the annotation together', async () => {
    const objects = await render(['wasmcloud: {metrics: {port: 9464}}\n']);
    expect(podAnnotations(objects)['prometheus.io/port']).toBe('9464');
    expect(container(objects, 'wasmcloud-host').ports).toContainEqual({
      name: 'metrics',
      containerPort: 9464,
      protocol: 'TCP',
    });
    expect(hostTelemetry(objects).config.metricsListener).toEqual({ host: '0.0.0.0', port: 9464 });
  });

  test('metrics.enabled: false turns the host’s metrics off: no port, no annotations', async () => {
    const objects = await render(['wasmcloud: {metrics: {enabled: false}}\n']);
    expect(Object.keys(podAnnotations(objects)).filter((key) => key.startsWith('prometheus.io/'))).toEqual(
      [],
    );
    expect(container(objects, 'wasmcloud-host').ports?.map((port) => port.name)).toEqual(['washboard']);
    const { config } = hostTelemetry(objects);
    expect(config.telemetry.metrics.enabled).toBe(false);
    expect(config.metricsListener).toBeUndefined();
  });

  test('podAnnotations are kept beside the scrape annotations and may override them', async () => {
    const objects = await render(['podAnnotations: {prometheus.io/scrape: "false", team: lattice}\n']);
    expect(podAnnotations(objects)).toMatchObject({
      'prometheus.io/scrape': 'false',
      'prometheus.io/port': '9090',
      team: 'lattice',
    });
    expect(podAnnotations(objects)['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
  });

  test('the otel block reaches the host as the standard OTEL_* variables, read by its own settings code', async () => {
    const values = `
wasmcloud:
  config:
    otel:
      endpoint: http://otel-collector.observability:4318
      metricsEndpoint: http://metrics-gateway:4318/v1/metrics
      headersSecret: {name: otlp-auth, key: api-headers}
      tracesEnabled: true
      sampler: parentbased_traceidratio
      samplerRatio: 0.25
      metricExportInterval: 3600000
      serviceName: edge-hosts
      resourceAttributes: {deployment.environment: prod, k8s.cluster.name: eu-1}
`;
    const objects = await render([values]);
    expectOnlyHostVariables(objects);
    // The headers come from the user's Secret, never from the pod spec: stand one in to resolve them.
    const headers = (container(objects, 'wasmcloud-host').env ?? []).find(
      (variable) => variable.name === 'OTEL_EXPORTER_OTLP_HEADERS',
    );
    expect(headers?.value).toBeUndefined();
    expect(headers?.valueFrom?.secretKeyRef).toEqual({ name: 'otlp-auth', key: 'api-headers' });
    objects.secrets.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'otlp-auth' },
      data: { 'api-headers': Buffer.from('x-api-key=k3y').toString('base64') },
    });
    const { env, config } = hostTelemetry(objects);
    expect(env.OTEL_TRACES_SAMPLER_ARG).toBe('0.25');
    expect(env.OTEL_METRIC_EXPORT_INTERVAL).toBe('3600000');
    expect(config.telemetry).toMatchObject({
      metrics: {
        enabled: true,
        otlpUrl: 'http://metrics-gateway:4318/v1/metrics',
        exportIntervalMs: 3_600_000,
      },
      traces: {
        enabled: true,
        otlpUrl: 'http://otel-collector.observability:4318/v1/traces',
        sampler: 'parentbased_traceidratio',
        sampleRatio: 0.25,
      },
      serviceName: 'edge-hosts',
      resourceAttributes: { 'deployment.environment': 'prod', 'k8s.cluster.name': 'eu-1' },
      otlpHeaders: { traces: { 'x-api-key': 'k3y' }, metrics: { 'x-api-key': 'k3y' } },
    });
    // The controller reads no OTEL_* variable: none is given to it.
    expect((container(objects, 'wadm').env ?? []).map((variable) => variable.name)).not.toContain(
      'OTEL_EXPORTER_OTLP_ENDPOINT',
    );
  });

  test('a ratio of 0 is set (not taken for "empty"), tracesEnabled: false and exporter none switch spans off', async () => {
    const objects = await render([
      'wasmcloud: {config: {otel: {endpoint: "http://c:4318", samplerRatio: 0, tracesEnabled: false}}}\n',
    ]);
    const { env, config } = hostTelemetry(objects);
    expect(env.OTEL_TRACES_SAMPLER_ARG).toBe('0');
    expect(env.WASMCLOUD_TRACES_ENABLED).toBe('false');
    expect(config.telemetry.traces.enabled).toBe(false);
    expect(config.telemetry.metrics.otlpUrl).toBe('http://c:4318/v1/metrics');
    const none = hostTelemetry(
      await render(['wasmcloud: {config: {otel: {endpoint: "http://c:4318", exporter: none}}}\n']),
    );
    expect(none.env.OTEL_TRACES_EXPORTER).toBe('none');
    expect(none.config.telemetry.traces.enabled).toBe(false);
  });

  test('the 2022 chart’s otel values (exporter, endpoint) now turn traces on', async () => {
    const objects = await render([
      'wasmcloud: {config: {otel: {exporter: otlp, endpoint: "http://tempo.monitoring:4318"}}}\n',
    ]);
    const { config } = hostTelemetry(objects);
    expect(config.telemetry.traces).toMatchObject({
      enabled: true,
      otlpUrl: 'http://tempo.monitoring:4318/v1/traces',
    });
  });

  test('the schema refuses a bad sampler, ratio, endpoint, interval, resource attribute or metrics port', async () => {
    const refusal = async (values: string) => (await renderFailure([values])).replace(/\s+/g, ' ');
    expect(await refusal('wasmcloud: {config: {otel: {sampler: sometimes}}}\n')).toMatch(
      /wasmcloud\.config\.otel\.sampler: must be equal to one of the allowed values/,
    );
    expect(await refusal('wasmcloud: {config: {otel: {samplerRatio: 1.5}}}\n')).toMatch(
      /wasmcloud\.config\.otel\.samplerRatio: must be <= 1/,
    );
    expect(await refusal('wasmcloud: {config: {otel: {samplerRatio: "half"}}}\n')).toMatch(
      /wasmcloud\.config\.otel\.samplerRatio: must match pattern/,
    );
    expect(await refusal('wasmcloud: {config: {otel: {endpoint: "otel-collector:4317"}}}\n')).toMatch(
      /wasmcloud\.config\.otel\.endpoint: must match pattern/,
    );
    expect(await refusal('wasmcloud: {config: {otel: {metricExportInterval: 10}}}\n')).toMatch(
      /wasmcloud\.config\.otel\.metricExportInterval: must be >= 100/,
    );
    expect(await refusal('wasmcloud: {config: {otel: {resourceAttributes: {team: "a,b"}}}}\n')).toMatch(
      /wasmcloud\.config\.otel\.resourceAttributes\.team: must match pattern/,
    );
    expect(await refusal('wasmcloud: {config: {otel: {protocol: grpc}}}\n')).toMatch(
      /wasmcloud\.config\.otel: additional property protocol is not allowed/,
    );
    expect(await refusal('wasmcloud: {metrics: {port: "9090"}}\n')).toMatch(
      /wasmcloud\.metrics\.port: must be integer/,
    );
  });

  test('the chart refuses a metrics port another listener of the pod has', async () => {
    expect(await renderFailure(['wasmcloud: {metrics: {port: 4000}}\n'])).toMatch(
      /wasmcloud\.metrics\.port 4000 is wasmcloud\.dashboardPort too/,
    );
    expect(await renderFailure(['wasmcloud: {metrics: {port: 8222}}\n'])).toMatch(
      /wasmcloud\.metrics\.port 8222 is taken by the NATS sidecar/,
    );
    // Without the sidecar 4222 is free in the pod.
    const external = await render([
      'nats: {enabled: false, url: "nats://nats:4222"}\nwasmcloud: {metrics: {port: 4222}}\n',
    ]);
    expect(hostTelemetry(external).config.metricsListener).toEqual({ host: '0.0.0.0', port: 4222 });
    // The controller's own pods serve no metrics: no scrape annotations there.
    const annotations = external.wadmDeployment?.spec?.template.metadata?.annotations ?? {};
    expect(Object.keys(annotations).filter((key) => key.startsWith('prometheus.io/'))).toEqual([]);
  });

  test('NOTES.txt says where the metrics are and where OTLP goes', async () => {
    const notes = await renderer.notes(CHART, {
      ...RELEASE,
      values: ['wasmcloud: {config: {otel: {endpoint: "http://c:4318"}}}\n'],
    });
    expect(notes).toContain(':9090/metrics');
    expect(notes).toContain('OTLP/HTTP to http://c:4318');
    const off = await renderer.notes(CHART, {
      ...RELEASE,
      values: ['wasmcloud: {metrics: {enabled: false}}\n'],
    });
    expect(off).not.toContain('/metrics');
  });
});
