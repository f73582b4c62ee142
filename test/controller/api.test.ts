// The controller's API end to end: a replica on a real nats-server with JetStream, asked through
// lattice/wadm-client.ts (what wash and the dashboard use) for every operation and every refusal,
// and then sent garbage on every subject, which it must answer with an error naming the problem
// and survive.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../controller/manifest/parse.ts';
import { parseJsonMessage } from '../../lattice/json-message.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import {
  type AppStatus,
  MAX_MANIFEST_BYTES,
  statusPushSchema,
  wadmStatusWildcard,
} from '../../lattice/wadm-api.ts';
import { WadmClient } from '../../lattice/wadm-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { startReplica, type TestReplica } from './controller-fixtures.ts';
import { manifestBytes, WARNED_MANIFEST } from './manifests.ts';

let server: NatsServer;
let replica: TestReplica;
let nc: NatsConnection;
let client: WadmClient;

beforeAll(async () => {
  server = await startNatsServer();
  replica = await startReplica({
    natsUrl: server.url,
    id: 'api-replica',
    parseManifest: (bytes) => parseManifest(bytes),
  });
  nc = await connectNats({ url: server.url });
  client = new WadmClient(nc);
  await eventually(() => replica.current(), 'the only replica to lead');
});

afterAll(async () => {
  await nc?.close();
  await replica?.stop();
  await server?.stop();
});

describe('model.put', () => {
  it('stores a first version (created), a second (newversion), and the same one again unchanged', async () => {
    const first = await client.put(manifestBytes('putapp', 'v1', { description: 'the first' }));
    expect(first).toEqual({
      result: 'created',
      total_versions: 1,
      current_version: 'v1',
      name: 'putapp',
      message: 'stored version v1 of application putapp',
    });
    const second = await client.put(manifestBytes('putapp', 'v2'));
    expect(second).toMatchObject({ result: 'newversion', total_versions: 2, current_version: 'v2' });
    const again = await client.put(manifestBytes('putapp', 'v2'));
    expect(again).toMatchObject({ result: 'newversion', total_versions: 2, current_version: 'v2' });
    expect(again.message).toContain('already stored with this manifest; nothing changed');
  });

  it('refuses an existing version with another manifest, and stores nothing', async () => {
    await client.put(manifestBytes('clash', 'v1'));
    const reply = await client.put(manifestBytes('clash', 'v1', { description: 'changed' }));
    expect(reply.result).toBe('error');
    expect(reply.message).toContain(
      'version v1 of application clash already exists with a different manifest',
    );
    expect((await client.versions('clash')).versions).toEqual([{ version: 'v1', deployed: false }]);
  });

  it("passes on the parser's refusal and warnings", async () => {
    const refused = await client.put(manifestBytes('bad', 'latest'));
    expect(refused).toMatchObject({
      result: 'error',
      message: "metadata.annotations.version: 'latest' is not allowed as a version",
    });
    const warned = await client.put(WARNED_MANIFEST);
    expect(warned.result).toBe('created');
    expect(warned.message).toBe(
      'stored version v1 of application warned; warning: spec.components[0].traits[1].properties.source_config: deprecated: use source.config',
    );
  });

  it('takes a manifest without a version under the version the parser made up', async () => {
    const reply = await client.put(manifestBytes('unversioned'));
    expect(reply.result).toBe('created');
    expect(reply.current_version).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/); // a ULID, as wadm assigns
    expect((await client.versions('unversioned')).versions.map((v) => v.version)).toEqual([
      reply.current_version,
    ]);
    // What get returns carries that version, so putting it again changes nothing.
    const stored = await client.get('unversioned');
    expect(stored.manifest).toMatchObject({ metadata: { annotations: { version: reply.current_version } } });
    const again = await client.put(new TextEncoder().encode(JSON.stringify(stored.manifest)));
    expect(again).toMatchObject({
      result: 'newversion',
      total_versions: 1,
      current_version: reply.current_version,
    });
  });

  it('refuses an empty manifest, one that is not UTF-8, and one over the size limit, naming each', async () => {
    expect(await client.put(new Uint8Array(0))).toMatchObject({
      result: 'error',
      message: 'the manifest is empty: send the application manifest (YAML or JSON)',
    });
    expect((await client.put(new Uint8Array([0xff, 0xfe, 0x00]))).message).toContain('not UTF-8');
    const huge = new Uint8Array(MAX_MANIFEST_BYTES + 1).fill(0x20);
    expect((await client.put(huge)).message).toBe(
      `the request body is ${MAX_MANIFEST_BYTES + 1} bytes; model.put takes at most ${MAX_MANIFEST_BYTES}`,
    );
  });
});

describe('model.get, model.versions and model.list', () => {
  beforeAll(async () => {
    await client.put(manifestBytes('readme', 'r1', { description: 'one' }));
    await client.put(manifestBytes('readme', 'r2', { description: 'two' }));
  });

  it('gets the latest version, or the one asked for, as the document that was put', async () => {
    const latest = await client.get('readme');
    expect(latest.result).toBe('success');
    expect(latest.manifest).toMatchObject({ metadata: { name: 'readme', annotations: { version: 'r2' } } });
    const older = await client.get('readme', 'r1');
    expect(older.manifest).toMatchObject({
      metadata: { annotations: { version: 'r1', description: 'one' } },
    });
  });

  it('answers notfound for an unknown application or version', async () => {
    expect(await client.get('nobody')).toMatchObject({
      result: 'notfound',
      message: 'application nobody does not exist',
    });
    expect(await client.get('readme', 'r9')).toMatchObject({
      result: 'notfound',
      message: 'application readme has no version r9 (it has r1, r2)',
    });
    expect(await client.versions('nobody')).toMatchObject({ result: 'notfound', versions: [] });
  });

  it('lists versions oldest first, and every application with its latest version and status', async () => {
    expect((await client.versions('readme')).versions).toEqual([
      { version: 'r1', deployed: false },
      { version: 'r2', deployed: false },
    ]);
    const listed = await client.list();
    expect(listed.map((app) => app.name)).toEqual([...listed.map((app) => app.name)].sort());
    expect(listed.find((app) => app.name === 'readme')).toEqual({
      name: 'readme',
      version: 'r2',
      description: 'two',
      deployed_version: null,
      status: 'undeployed',
      status_message: '',
    });
  });
});

describe('model.deploy, model.undeploy and model.status', () => {
  it('deploys the latest version by default, feeds the leader, and reports the leader status', async () => {
    await client.put(manifestBytes('web', 'w1'));
    await client.put(manifestBytes('web', 'w2'));
    const pushes: AppStatus[] = [];
    const subscription = nc.subscribe(wadmStatusWildcard('default'), {
      callback: (_error, msg) => {
        const push = parseJsonMessage(statusPushSchema, msg.data);
        if (push.ok && msg.subject === 'wadm.status.default.web') pushes.push(push.value);
      },
    });
    await nc.flush();

    expect(await client.deploy('web')).toEqual({
      result: 'acknowledged',
      message: 'deploying version w2 of application web',
      name: 'web',
      version: 'w2',
    });
    const reconciler = replica.current()!;
    await eventually(() => reconciler.desired().includes('web@w2'), 'the leader to be given web@w2');
    // Deployed, but the leader has said nothing yet: waiting, not an invented "deployed".
    const before = await client.status('web');
    expect(before.status?.status.type).toBe('waiting');

    const healthy: AppStatus = {
      status: { type: 'deployed', message: 'all scalers ready' },
      scalers: [{ id: 's1', kind: 'SpreadScaler', name: 'echo', status: { type: 'deployed', message: '' } }],
    };
    reconciler.report('web', healthy);
    await eventually(() => pushes.some((push) => push.status.type === 'deployed'), 'a status push for web');
    await eventually(
      async () => (await client.status('web')).status?.status.type === 'deployed',
      'status deployed',
    );
    expect(await client.status('web')).toEqual({
      result: 'ok',
      message: 'all scalers ready',
      status: healthy,
    });
    expect((await client.list()).find((app) => app.name === 'web')).toMatchObject({
      deployed_version: 'w2',
      status: 'deployed',
      status_message: 'all scalers ready',
    });

    // Another version: the leader's status of w2 is not shown as w1's.
    expect(await client.deploy('web', 'w1')).toMatchObject({ result: 'acknowledged', version: 'w1' });
    await eventually(() => reconciler.desired().includes('web@w1'), 'the leader to be given web@w1');
    expect((await client.status('web')).status?.status.type).toBe('waiting');

    expect(await client.undeploy('web')).toEqual({
      result: 'acknowledged',
      message: 'undeploying version w1 of application web',
    });
    await eventually(
      () => !reconciler.desired().some((app) => app.startsWith('web@')),
      'web to leave the desired state',
    );
    await eventually(() => pushes.some((push) => push.status.type === 'undeployed'), 'an undeployed push');
    expect(await client.status('web')).toMatchObject({
      result: 'ok',
      status: { status: { type: 'undeployed' } },
    });
    expect(await client.undeploy('web')).toEqual({
      result: 'acknowledged',
      message: 'application web is not deployed',
    });
    await subscription.unsubscribe();
  });

  it('answers notfound for an unknown application or version', async () => {
    await client.put(manifestBytes('solo', 's1'));
    expect(await client.deploy('nobody')).toMatchObject({
      result: 'notfound',
      message: 'application nobody does not exist',
    });
    expect(await client.deploy('solo', 's9')).toMatchObject({
      result: 'notfound',
      message: 'application solo has no version s9 (it has s1)',
    });
    expect(await client.undeploy('nobody')).toMatchObject({ result: 'notfound' });
    expect(await client.status('nobody')).toMatchObject({
      result: 'notfound',
      message: 'application nobody does not exist',
    });
  });
});

describe('model.del', () => {
  it('deletes one version (undeploying it when it was deployed), then the whole application', async () => {
    await client.put(manifestBytes('gone', 'g1'));
    await client.put(manifestBytes('gone', 'g2'));
    await client.put(manifestBytes('gone', 'g3'));
    await client.deploy('gone', 'g2');
    await eventually(() => replica.current()?.desired().includes('gone@g2'), 'gone@g2 to be desired');

    expect(await client.delete('gone', 'g9')).toEqual({
      result: 'noop',
      message: 'application gone has no version g9 (it has g1, g2, g3)',
      undeploy: false,
    });
    expect(await client.delete('gone', 'g1')).toEqual({
      result: 'deleted',
      message: 'deleted version g1 of application gone',
      undeploy: false,
    });
    expect(await client.delete('gone', 'g2')).toEqual({
      result: 'deleted',
      message: 'deleted version g2 of application gone, which was deployed: undeployed',
      undeploy: true,
    });
    await eventually(() => !replica.current()?.desired().includes('gone@g2'), 'gone to be undeployed');
    expect((await client.versions('gone')).versions).toEqual([{ version: 'g3', deployed: false }]);

    await client.deploy('gone');
    expect(await client.delete('gone')).toEqual({
      result: 'deleted',
      message: 'deleted application gone (1 version), undeployed',
      undeploy: true,
    });
    expect((await client.get('gone')).result).toBe('notfound');
    expect(await client.delete('gone')).toEqual({
      result: 'noop',
      message: 'application gone does not exist',
      undeploy: false,
    });
    // A name can be used again after its application was deleted.
    expect((await client.put(manifestBytes('gone', 'g1'))).result).toBe('created');
  });

  it('deleting the last version deletes the application', async () => {
    await client.put(manifestBytes('single', 'only'));
    const reply = await client.delete('single', 'only');
    expect(reply.message).toBe(
      'deleted version only of application single; it had no other version, so the application is gone',
    );
    expect((await client.status('single')).result).toBe('notfound');
  });
});

describe('garbage on every subject', () => {
  const encoder = new TextEncoder();
  const deep = encoder.encode(`${'['.repeat(5000)}${']'.repeat(5000)}`);
  const bodies: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array(0)],
    ['binary', new Uint8Array([0, 1, 2, 0xff, 0xfe, 0x80])],
    ['broken JSON', encoder.encode('{"version":')],
    ['a list', encoder.encode('[1,2,3]')],
    ['a string', encoder.encode('"v1"')],
    ['null', encoder.encode('null')],
    ['a number for the version', encoder.encode('{"version":5}')],
    ['an empty version', encoder.encode('{"version":""}')],
    ['deep nesting', deep],
    ['YAML that is no manifest', encoder.encode('a: [b, {c: d')],
    ['too large', new Uint8Array(MAX_MANIFEST_BYTES + 10).fill(0x7b)],
  ];
  const subjects = [
    ...['put', 'list'].map((op) => `wadm.api.default.model.${op}`),
    ...['get', 'versions', 'del', 'deploy', 'undeploy', 'status'].map(
      (op) => `wadm.api.default.model.${op}.garbage`,
    ),
    'wadm.api.default.model.get',
    'wadm.api.default.model.put.extra',
    'wadm.api.default.model.deploy.a.b',
    'wadm.api.default.model.status.bad%name',
    'wadm.api.default.model.explode',
    'wadm.api.default.model.del.\u00e9t\u00e9',
  ];

  it('answers every request with JSON, an error naming the problem where it cannot serve it', async () => {
    const replies: string[] = [];
    for (const subject of subjects) {
      for (const [what, body] of bodies) {
        const reply = await nc.request(subject, body, { timeout: 5000 });
        const parsed = JSON.parse(new TextDecoder().decode(reply.data)) as unknown;
        if (Array.isArray(parsed)) {
          expect(subject, `${what} on ${subject}`).toBe('wadm.api.default.model.list');
          continue;
        }
        const { result, message } = parsed as { result: string; message: string };
        replies.push(`${subject} ${what}: ${result} ${message}`);
        expect(typeof result, `${what} on ${subject}`).toBe('string');
        if (result === 'error') expect(message.length, `${what} on ${subject}`).toBeGreaterThan(10);
      }
    }
    const about = (needle: string) => replies.filter((line) => line.includes(needle));
    expect(about('model.explode')[0]).toContain(
      'unknown operation "explode": the API serves model.put, model.list',
    );
    expect(about('model.get empty')[0]).toContain('model.get needs exactly one application name after it');
    expect(about('model.put.extra')[0]).toContain('model.put takes no application name in its subject');
    expect(about('bad%name')[0]).toContain(`invalid application name "bad%name"`);
    expect(about('model.get.garbage broken JSON')[0]).toContain('error request body is not valid JSON');
    expect(about('model.deploy.garbage a number for the version')[0]).toContain(
      'error invalid model.deploy request: version: expected a string, got a number',
    );
    expect(about('model.del.garbage deep nesting')[0]).toContain('nests arrays or objects deeper than');
    expect(about('model.undeploy.garbage a list')[0]).toContain('invalid model.undeploy request');
    expect(about('model.put binary')[0]).toContain('not UTF-8');
    expect(about('model.status.garbage too large')[0]).toContain('model.status takes at most 16384');
    // Still serving.
    expect(await client.put(manifestBytes('afterwards', 'a1'))).toMatchObject({ result: 'created' });
  });
});

describe('WadmClient.list', () => {
  it("reports a controller's error reply to list with its message, not as a malformed reply", async () => {
    // A stand-in on another lattice answers list as a controller whose store failed would.
    const responder = nc.subscribe('wadm.api.broken.model.list', {
      callback: (_error, msg) =>
        msg.respond(new TextEncoder().encode('{"result":"error","message":"store unreadable"}')),
    });
    try {
      const broken = new WadmClient(nc, { latticePrefix: 'broken' });
      await expect(broken.list()).rejects.toMatchObject({
        code: 'WADM_REFUSED',
        message: 'the application controller could not list: store unreadable',
      });
    } finally {
      responder.unsubscribe();
    }
  });
});
