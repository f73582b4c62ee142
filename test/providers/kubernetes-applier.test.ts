// The kubernetes-applier provider (cosmonic:kubernetes_applier). No Kubernetes API server can run
// here: the provider talks to the stand-in of test/helpers/kube-api-server.ts, an HTTP server
// answering the core v1 Service endpoints as the API does (checked on its own first). The
// provider runs as a real process, started by a real host from its signed archive; it is called
// as a linked actor would call it, and by the real service-applier actor running in that host.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudEvent } from '../../lattice/events.ts';
import { providerEntity } from '../../lattice/invocation.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { type LinkDefinition, withLinkId } from '../../lattice/link-definition.ts';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import { FIELD_MANAGER } from '../../providers/kubernetes-applier/applier-client.ts';
import { loadKubeConfig } from '../../providers/kubernetes-applier/kubeconfig-source.ts';
import { eventually } from '../helpers/eventually.ts';
import { type KubeApiServer, type RecordedRequest, startKubeApiServer } from '../helpers/kube-api-server.ts';
import { freePort } from '../helpers/nats-server.ts';
import { ProviderLattice } from '../helpers/provider-lattice.ts';

const CONTRACT = 'cosmonic:kubernetes_applier';
const NAMESPACE = 'lattice-apps';

let dir: string;
let kube: KubeApiServer;

const base64 = (text: string) => Buffer.from(text).toString('base64');
const utf8 = (text: string) => new TextEncoder().encode(text);
interface StoredMetadata {
  uid: string;
  resourceVersion: string;
  managedFields: unknown[];
}

/** The metadata of an object the stand-in holds (fails the test when there is none). */
function metadataOf(object: Record<string, unknown> | undefined): StoredMetadata {
  if (object === undefined) throw new Error('the stand-in holds no such object');
  return object.metadata as StoredMetadata;
}

/** The stand-in's requests from index `from` on, as "METHOD path status". */
const requestLines = (from: number) =>
  kube.requests.slice(from).map((r) => `${r.method} ${r.path} ${r.status}`);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-kapplier-'));
  kube = await startKubeApiServer({ namespaces: ['default', NAMESPACE] });
});

afterAll(async () => {
  await kube?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function api(
  method: string,
  path: string,
  options: { body?: unknown; contentType?: string; token?: string | null } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? kube.token : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${kube.url}${path}`, {
    method,
    headers,
    ...(options.body !== undefined
      ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }
      : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the Kubernetes API stand-in', () => {
  const services = '/api/v1/namespaces/default/services';
  const service = (name: string, port = 80) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { ports: [{ port }] },
  });

  it('refuses requests without the bearer token with a 401 Status; /version is public', async () => {
    expect(await api('GET', '/api/v1', { token: null })).toEqual({
      status: 401,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      },
    });
    expect((await api('GET', '/api/v1', { token: 'wrong' })).status).toBe(401);
    expect((await api('GET', '/version', { token: null })).status).toBe(200);
    const discovery = await api('GET', '/api/v1');
    expect(discovery.body.resources).toContainEqual(
      expect.objectContaining({ name: 'services', kind: 'Service', namespaced: true }),
    );
  });

  it('creates, reads, replaces with a resourceVersion precondition, lists and deletes Services', async () => {
    const created = await api('POST', services, { body: service('plain') });
    expect(created.status).toBe(201);
    const meta = created.body.metadata as Record<string, unknown>;
    expect(created.body.spec).toMatchObject({
      type: 'ClusterIP',
      clusterIP: expect.stringMatching(/^10\.96\./),
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    });
    expect(await api('POST', services, { body: service('plain') })).toMatchObject({
      status: 409,
      body: { reason: 'AlreadyExists', message: 'services "plain" already exists', code: 409 },
    });
    const stale = { ...service('plain', 81), metadata: { name: 'plain', resourceVersion: '999999' } };
    expect(await api('PUT', `${services}/plain`, { body: stale })).toMatchObject({
      status: 409,
      body: { reason: 'Conflict' },
    });
    const fresh = {
      ...service('plain', 81),
      metadata: { name: 'plain', resourceVersion: meta.resourceVersion },
    };
    const replaced = await api('PUT', `${services}/plain`, { body: fresh });
    expect(replaced.status).toBe(200);
    const replacedMeta = replaced.body.metadata as Record<string, unknown>;
    expect(Number(replacedMeta.resourceVersion)).toBeGreaterThan(Number(meta.resourceVersion));
    expect(replacedMeta.uid).toBe(meta.uid);
    const list = await api('GET', services);
    expect(list.body).toMatchObject({ kind: 'ServiceList', items: [{ metadata: { name: 'plain' } }] });
    expect((await api('DELETE', `${services}/plain`)).status).toBe(200);
    expect(await api('GET', `${services}/plain`)).toMatchObject({
      status: 404,
      body: { kind: 'Status', reason: 'NotFound', message: 'services "plain" not found', code: 404 },
    });
  });

  it('validates Services (422 Invalid with causes) and refuses a missing namespace (404)', async () => {
    const bad = await api('POST', services, {
      body: { ...service('Bad_Name', 70000), metadata: { name: 'Bad_Name', labels: { ok: 'a:b' } } },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.reason).toBe('Invalid');
    const causes = (bad.body.details as { causes: { field: string }[] }).causes.map((cause) => cause.field);
    expect(causes).toEqual(
      expect.arrayContaining(['metadata.name', 'metadata.labels', 'spec.ports[0].port']),
    );
    expect(await api('POST', '/api/v1/namespaces/nowhere/services', { body: service('x') })).toMatchObject({
      status: 404,
      body: { message: 'namespaces "nowhere" not found' },
    });
  });

  it('server-side applies: create, update, field ownership, conflicts between managers, force', async () => {
    const path = `${services}/applied`;
    const apply = (body: unknown, query: string) =>
      api('PATCH', `${path}?${query}`, { body, contentType: 'application/apply-patch+yaml' });
    expect(await apply(service('applied'), '')).toMatchObject({
      status: 422,
      body: { message: expect.stringContaining('fieldManager: Required value') },
    });
    expect((await apply(service('applied'), 'fieldManager=alice')).status).toBe(201);
    const yaml =
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: applied\nspec:\n  ports:\n  - port: 8080\n';
    const updated = await api('PATCH', `${path}?fieldManager=alice`, {
      body: yaml,
      contentType: 'application/apply-patch+yaml',
    });
    expect(updated.status).toBe(200);
    expect(updated.body.spec).toMatchObject({ ports: [{ port: 8080 }] });
    const managed = (updated.body.metadata as { managedFields: { manager: string; operation: string }[] })
      .managedFields;
    expect(managed).toEqual([expect.objectContaining({ manager: 'alice', operation: 'Apply' })]);
    const conflict = await apply(service('applied', 9090), 'fieldManager=bob');
    expect(conflict).toMatchObject({
      status: 409,
      body: {
        reason: 'Conflict',
        message: 'Apply failed with 1 conflict: conflict with "alice": .spec.ports',
      },
    });
    expect((await apply(service('applied', 9090), 'fieldManager=bob&force=true')).status).toBe(200);
    expect(kube.service('default', 'applied')?.spec).toMatchObject({ ports: [{ port: 9090 }] });
    expect(
      (await api('PATCH', path, { body: {}, contentType: 'application/strategic-merge-patch+json' })).status,
    ).toBe(415);
    const merged = await api('PATCH', path, {
      body: { metadata: { labels: { team: 'a' } } },
      contentType: 'application/merge-patch+json',
    });
    expect(merged.body.metadata).toMatchObject({ labels: { team: 'a' } });
    expect((await api('DELETE', path)).status).toBe(200);
  });
});

describe('kubeconfig sources', () => {
  const nowhere = { serviceAccountDir: '/nonexistent/sa', homeDir: '/nonexistent/home', env: {} };
  const withUser = (user: Record<string, unknown>) =>
    base64(
      JSON.stringify({
        clusters: [{ name: 'c', cluster: { server: 'https://k8s.example:6443' } }],
        users: [{ name: 'u', user }],
        contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'ctx',
      }),
    );

  it('reads config_b64 (keys in any case), with the context namespace', () => {
    const loaded = loadKubeConfig({ Config_B64: base64(kube.kubeconfig({ namespace: NAMESPACE })) }, nowhere);
    expect(loaded).toMatchObject({ source: 'config_b64', server: kube.url, namespace: NAMESPACE });
  });

  it('refuses config_b64 that would make the provider read files or run commands', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ 'client-key': '/etc/key.pem' }, /user "u" sets client-key \(use client-key-data\)/],
      [{ 'client-certificate': 'cert.pem' }, /sets client-certificate/],
      [{ 'token-file': '/var/token' }, /sets token-file \(use token\)/],
      [{ exec: { command: 'sh' } }, /sets exec \(it runs a command/],
      [{ 'auth-provider': { name: 'gcp' } }, /sets auth-provider/],
    ];
    for (const [user, message] of cases) {
      expect(() => loadKubeConfig({ config_b64: withUser(user) }, nowhere)).toThrow(message);
    }
    const caFile = base64(
      JSON.stringify({
        clusters: [{ name: 'c', cluster: { server: 'https://k', 'certificate-authority': '/ca.crt' } }],
      }),
    );
    expect(() => loadKubeConfig({ config_b64: caFile }, nowhere)).toThrow(
      /cluster "c" sets certificate-authority \(use certificate-authority-data\)/,
    );
  });

  it('names what is wrong with a bad config_b64 or config_file', () => {
    const refused = (values: Record<string, string>) => () => loadKubeConfig(values, nowhere);
    expect(refused({ config_b64: 'not base64!' })).toThrow('config_b64 is not valid base64');
    expect(refused({ config_b64: base64('clusters: [') })).toThrow(/config_b64 is not a YAML kubeconfig/);
    expect(refused({ config_b64: base64('- a list') })).toThrow(/not a kubeconfig \(not a YAML map\)/);
    expect(refused({ config_b64: 'abc' })).toThrow('config_b64 is not valid base64');
    const noContext = base64(JSON.stringify({ clusters: [{ name: 'c', cluster: { server: 'https://k' } }] }));
    expect(refused({ config_b64: noContext })).toThrow(/has no current-context/);
    const plainHttp = base64(kube.kubeconfig().replace('insecure-skip-tls-verify: true', 'foo: 1'));
    expect(refused({ config_b64: plainHttp })).toThrow(
      /plain http:\/\/ server; that needs insecure-skip-tls-verify/,
    );
    expect(refused({ config_b64: withUser({ token: 't' }), config_file: '/x' })).toThrow(
      'give config_b64 or config_file, not both',
    );
    expect(refused({ config_file: 'relative/config' })).toThrow(/is not absolute/);
    expect(refused({ config_file: join(dir, 'missing') })).toThrow(
      /cannot load the kubeconfig .*missing: ENOENT/,
    );
  });

  it('with no config, uses the service account, else the default kubeconfig, else says where it looked', () => {
    const sa = join(dir, 'serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'sa-token');
    writeFileSync(join(sa, 'namespace'), 'pod-namespace\n');
    const inCluster = loadKubeConfig({}, { ...nowhere, serviceAccountDir: sa });
    expect(inCluster).toMatchObject({
      server: 'https://kubernetes.default.svc',
      namespace: 'pod-namespace',
      source: `service account ${sa}`,
    });
    expect(inCluster.kubeConfig.getCurrentUser()?.authProvider).toEqual({
      name: 'tokenFile',
      config: { tokenFile: join(sa, 'token') },
    });
    const withEnv = loadKubeConfig(
      {},
      {
        ...nowhere,
        serviceAccountDir: sa,
        env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
      },
    );
    expect(withEnv.server).toBe('https://10.0.0.1:443');

    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), kube.kubeconfig());
    expect(loadKubeConfig({}, { ...nowhere, homeDir: home })).toMatchObject({
      server: kube.url,
      source: `kubeconfig ${join(home, '.kube', 'config')}`,
    });
    expect(() => loadKubeConfig({}, nowhere)).toThrow(
      'no config_b64 or config_file link value, and none to infer: no service account token at /nonexistent/sa/token and no kubeconfig at /nonexistent/home/.kube/config',
    );
  });
});

describe('the provider, started by a host from its archive', () => {
  const LATTICE = 'kapplier';
  let lattice: ProviderLattice;
  let providerKey: string;

  beforeAll(async () => {
    lattice = await ProviderLattice.start({ lattice: LATTICE, name: 'kapplier-host' });
    const provider = await lattice.buildProvider('kubernetes-applier');
    providerKey = provider.providerKey;
    // A failed start throws the host's reason.
    await lattice.startProvider(provider);
  }, 90_000);

  afterAll(async () => {
    await lattice?.stop();
  });

  /** Puts a link from `actorId` to the applier and waits until the provider accepted or refused it. */
  async function link(actorId: string, values: Record<string, string>): Promise<string> {
    const definition: LinkDefinition = {
      actor_id: actorId,
      provider_id: providerKey,
      contract_id: CONTRACT,
      link_name: 'default',
      values,
    };
    await lattice.putLink(definition);
    const outcome = new RegExp(`(Linked actor|Refused the link of actor) ${actorId}.*`);
    return eventually(
      () => lattice.host.logs.find((entry) => outcome.test(entry)),
      `the provider to accept or refuse the link of ${actorId}`,
      20_000,
    );
  }

  /** Calls the applier as the linked actor `actorId` would; the decoded reply. */
  async function callApplier(actorId: string, operation: string, payload: Uint8Array): Promise<unknown> {
    const reply = await lattice.callProvider({
      actorId,
      providerKey,
      contractId: CONTRACT,
      operation,
      msg: payload,
      timeoutMs: 15_000,
    });
    return decodePayload(reply);
  }

  const apply = (actorId: string, text: string) =>
    callApplier(actorId, 'KubernetesApplier.Apply', encodePayload(utf8(text)));
  const remove = (actorId: string, request: Record<string, unknown>) =>
    callApplier(actorId, 'KubernetesApplier.Delete', encodePayload(request));

  it('Apply creates, Apply again server-side applies, Delete twice succeeds', async () => {
    const actorId = KeyPair.create('module').publicKey;
    const accepted = await link(actorId, { config_b64: base64(kube.kubeconfig({ namespace: NAMESPACE })) });
    expect(accepted).toMatch(`Linked actor ${actorId}`);
    expect(lattice.host.logs.join('\n')).toMatch(
      `actor ${actorId}: Kubernetes API server ${kube.url} (config_b64), default namespace ${NAMESPACE}`,
    );

    const from = kube.requests.length;
    const yaml = [
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: web',
      '  labels: {app: web}',
      'spec:',
      '  selector: {app: web}',
      '  ports:',
      '  - port: 80',
    ].join('\n');
    expect(await apply(actorId, yaml)).toEqual({ succeeded: true });
    const created = kube.service(NAMESPACE, 'web');
    expect(created).toMatchObject({
      metadata: { name: 'web', namespace: NAMESPACE, labels: { app: 'web' } },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP' }] },
    });
    const servicePath = `/api/v1/namespaces/${NAMESPACE}/services`;
    expect(requestLines(from)).toEqual([`GET ${servicePath}/web 404`, `POST ${servicePath} 201`]);
    const post = kube.requests.at(-1) as RecordedRequest;
    expect(post.query).toEqual({ fieldManager: FIELD_MANAGER });
    expect(post.authorization).toBe(`Bearer ${kube.token}`);

    // Applied again (as JSON, new port and label): the object exists, so a server-side apply.
    const again = from + 2;
    const json = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
      spec: { selector: { app: 'web' }, ports: [{ port: 8080 }] },
    });
    expect(await apply(actorId, json)).toEqual({ succeeded: true });
    expect(requestLines(again)).toEqual([`GET ${servicePath}/web 200`, `PATCH ${servicePath}/web 200`]);
    const patch = kube.requests.at(-1) as RecordedRequest;
    expect(patch.contentType).toBe('application/apply-patch+yaml');
    expect(patch.query).toEqual({ fieldManager: FIELD_MANAGER });
    const updated = kube.service(NAMESPACE, 'web');
    expect(updated).toMatchObject({
      metadata: { uid: metadataOf(created).uid, labels: { tier: 'front' } },
      spec: { ports: [{ port: 8080, targetPort: 8080 }] },
    });
    const version = (object: Record<string, unknown> | undefined) =>
      Number(metadataOf(object).resourceVersion);
    expect(version(updated)).toBeGreaterThan(version(created));
    expect(metadataOf(updated).managedFields).toContainEqual(
      expect.objectContaining({ manager: FIELD_MANAGER, operation: 'Apply' }),
    );

    const request = { group: '', version: 'v1', kind: 'Service', name: 'web' };
    const deletes = kube.requests.length;
    expect(await remove(actorId, request)).toEqual({ succeeded: true });
    expect(kube.service(NAMESPACE, 'web')).toBeUndefined();
    expect(await remove(actorId, request)).toEqual({ succeeded: true });
    expect(requestLines(deletes)).toEqual([`DELETE ${servicePath}/web 200`, `DELETE ${servicePath}/web 404`]);
    // An explicit namespace wins over the context's.
    expect(await remove(actorId, { ...request, namespace: 'default' })).toEqual({ succeeded: true });
    expect(requestLines(deletes + 2)).toEqual(['DELETE /api/v1/namespaces/default/services/web 404']);
  }, 60_000);

  it('answers failures at the API server with succeeded: false and bad payloads with an error', async () => {
    const actorId = KeyPair.create('module').publicKey;
    expect(await link(actorId, { CONFIG_B64: base64(kube.kubeconfig()) })).toMatch('Linked actor');
    const service = (port: number) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'bad' },
        spec: { ports: [{ port }] },
      });
    expect(await apply(actorId, service(70000))).toEqual({
      succeeded: false,
      error: expect.stringMatching(
        /^cannot create Service default\/bad: 422 Invalid: Service "bad" is invalid: .*spec\.ports\[0\]\.port: Invalid value: 70000/,
      ),
    });
    expect(await apply(actorId, 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}')).toEqual({
      succeeded: false,
      error: 'cannot apply Pod p: the API server has no kind Pod in v1',
    });
    expect(await apply(actorId, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}')).toEqual({
      succeeded: false,
      error: 'cannot apply Deployment d: the API server does not serve apps/v1',
    });
    expect(await remove(actorId, { group: 'apps', version: 'v1', kind: 'Deployment', name: 'd' })).toEqual({
      succeeded: false,
      error: 'cannot delete Deployment d: the API server does not serve apps/v1',
    });

    await expect(apply(actorId, 'kind: [')).rejects.toThrow(
      /KubernetesApplier.Apply: the object is not YAML or JSON/,
    );
    await expect(apply(actorId, `${service(80)}\n---\n${service(81)}`)).rejects.toThrow(
      'KubernetesApplier.Apply takes exactly one object; the payload holds 2 documents',
    );
    await expect(apply(actorId, 'apiVersion: v1\nkind: Service\nmetadata: {}')).rejects.toThrow(
      'KubernetesApplier.Apply: not a Kubernetes object: metadata.name: the object has no name',
    );
    await expect(
      callApplier(actorId, 'KubernetesApplier.Apply', encodePayload({ not: 'bytes' })),
    ).rejects.toThrow('KubernetesApplier.Apply: expected the object as bytes (YAML or JSON text)');
    await expect(remove(actorId, { group: '', version: 'v1', name: 'x' })).rejects.toThrow(
      /invalid KubernetesApplier.Delete request .*: kind: /,
    );
    await expect(callApplier(actorId, 'KubernetesApplier.Patch', new Uint8Array())).rejects.toThrow(
      /KubernetesApplier.Patch/,
    );
    expect(kube.service('default', 'bad')).toBeUndefined();
  }, 60_000);

  it('refuses a link whose kubeconfig is unreachable, rejected or invalid, with the reason', async () => {
    const closedPort = await freePort();
    const cases: [Record<string, string>, string | RegExp][] = [
      [
        { config_b64: base64(kube.kubeconfig({ server: `http://127.0.0.1:${closedPort}` })) },
        new RegExp(
          `cannot reach the Kubernetes API server at http://127\\.0\\.0\\.1:${closedPort}: .*ECONNREFUSED`,
        ),
      ],
      [
        { config_b64: base64(kube.kubeconfig({ token: 'stolen' })) },
        `the Kubernetes API server at ${kube.url} refused the client: 401 Unauthorized: Unauthorized`,
      ],
      [
        {
          config_b64: base64(
            kube.kubeconfig().replace(/^(\s+)token:/m, '$1client-key: /root/key.pem\n$1token:'),
          ),
        },
        'config_b64 must embed its certificates and tokens: user "tester" sets client-key',
      ],
      [{ config_b64: '%%%' }, 'config_b64 is not valid base64'],
      [
        { config_file: join(dir, 'no-such-kubeconfig') },
        /cannot load the kubeconfig .*no-such-kubeconfig: ENOENT/,
      ],
    ];
    for (const [values, reason] of cases) {
      const actorId = KeyPair.create('module').publicKey;
      const line = await link(actorId, values);
      expect(line).toMatch(`Refused the link of actor ${actorId}: `);
      expect(line).toMatch(reason);
      // Refused: the actor's calls are not served.
      await expect(remove(actorId, { group: '', version: 'v1', kind: 'Service', name: 'x' })).rejects.toThrow(
        /has no link to this provider/,
      );
    }

    // A config_file that exists is read from the provider's machine.
    const file = join(dir, 'kubeconfig.yaml');
    writeFileSync(file, kube.kubeconfig({ namespace: NAMESPACE }));
    const actorId = KeyPair.create('module').publicKey;
    expect(await link(actorId, { config_file: file })).toMatch(`Linked actor ${actorId}`);
    expect(await remove(actorId, { group: '', version: 'v1', kind: 'Service', name: 'x' })).toEqual({
      succeeded: true,
    });
  }, 90_000);

  describe('with the service-applier actor', () => {
    const HTTP_PROVIDER = KeyPair.create('service').publicKey;
    const MESSAGING_PROVIDER = KeyPair.create('service').publicKey;
    let actorId: string;

    beforeAll(async () => {
      actorId = await lattice.startActor('service-applier');
      expect(await link(actorId, { config_b64: base64(kube.kubeconfig({ namespace: NAMESPACE })) })).toMatch(
        'Linked actor',
      );
      // actor_started can be published before the actor's RPC subscription is in place (seen
      // as "no responders"): wait until it answers an event it ignores.
      const ignored = { specversion: '1.0', type: 'com.wasmcloud.lattice.host_heartbeat', data: {} };
      await eventually(
        () =>
          deliverEvent(ignored).then(
            () => true,
            (error: Error) => {
              if (/no responders/.test(error.message)) return false;
              throw error;
            },
          ),
        'the service-applier actor to answer',
        15_000,
      );
    }, 60_000);

    /** Delivers a lattice event to the actor as the messaging provider would. */
    function deliverEvent(event: unknown): Promise<Uint8Array> {
      const message = encodePayload({
        subject: `wasmbus.evt.${LATTICE}`,
        body: utf8(JSON.stringify(event)),
      });
      return lattice.invokeActor(
        actorId,
        'MessageSubscriber.HandleMessage',
        message,
        providerEntity(MESSAGING_PROVIDER, 'wasmcloud:messaging', 'default'),
      );
    }

    const deliver = (name: 'linkdef_set' | 'linkdef_deleted', link: LinkDefinition) =>
      deliverEvent(cloudEvent(name, lattice.host.id, withLinkId(link)));

    const httpLink = (values: Record<string, string>, linkName = 'default'): LinkDefinition => ({
      actor_id: actorId,
      provider_id: HTTP_PROVIDER,
      contract_id: 'wasmcloud:httpserver',
      link_name: linkName,
      values,
    });

    it('keeps a Service per httpserver link: linkdef_set applies it, linkdef_deleted deletes it', async () => {
      const name = actorId.toLowerCase();
      await deliver('linkdef_set', httpLink({ PORT: '8081' }));
      expect(kube.service(NAMESPACE, name)).toMatchObject({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name,
          namespace: NAMESPACE,
          labels: {
            'wasmcloud.dev/actor-id': actorId,
            'wasmcloud.dev/contract': 'httpserver',
            'wasmcloud.dev/link-name': 'default',
            'wasmcloud.dev/provider-id': HTTP_PROVIDER,
          },
        },
        spec: {
          type: 'ClusterIP',
          selector: { 'wasmcloud.dev/route-to': 'true' },
          ports: [{ protocol: 'TCP', port: 8081, targetPort: 8081 }],
        },
      });

      // The link set again with an address instead of a port: the Service follows.
      const from = kube.requests.length;
      await deliver('linkdef_set', httpLink({ address: '0.0.0.0:9090' }));
      expect(kube.service(NAMESPACE, name)?.spec).toMatchObject({
        ports: [{ port: 9090, targetPort: 9090 }],
      });
      expect(kube.requests.slice(from).map((r) => r.method)).toEqual(['GET', 'PATCH']);

      // Links to other contracts are none of its business.
      const other = kube.requests.length;
      await deliver('linkdef_set', { ...httpLink({}), contract_id: 'wasmcloud:keyvalue' });
      expect(kube.requests.length).toBe(other);

      await deliver('linkdef_deleted', httpLink({ address: '0.0.0.0:9090' }));
      expect(kube.service(NAMESPACE, name)).toBeUndefined();
      expect(kube.requests.at(-1)).toMatchObject({
        method: 'DELETE',
        path: `/api/v1/namespaces/${NAMESPACE}/services/${name}`,
        status: 200,
      });
    }, 60_000);

    it("reports the API server's refusal as the actor's error", async () => {
      // A link name that is not a valid label value: the API server refuses the Service.
      await expect(deliver('linkdef_set', httpLink({}, 'not_a_label_'))).rejects.toThrow(
        /service-applier: could not apply Service .* for actor .*: cannot create Service lattice-apps\/.*: 422 Invalid: .*metadata\.labels/,
      );
      expect(kube.service(NAMESPACE, actorId.toLowerCase())).toBeUndefined();
    }, 60_000);
  });
});
