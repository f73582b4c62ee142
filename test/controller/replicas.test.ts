// Several replicas of the controller on one lattice: each request is answered once, by either;
// only the leader runs a reconciler, and it learns of every change whichever replica made it;
// any replica shows the leader's status; when the leader stops, the other takes over with the
// whole desired state; concurrent writes through two replicas are all kept.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFESTS_BUCKET, openBucket } from '../../controller/kv-buckets.ts';
import { parseManifest } from '../../controller/manifest/parse.ts';
import { ManifestStore } from '../../controller/store.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { WadmClient } from '../../lattice/wadm-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { startReplica, type TestReplica } from './controller-fixtures.ts';
import { manifestBytes } from './manifests.ts';

let server: NatsServer;
let nc: NatsConnection;
let client: WadmClient;
const replicas: TestReplica[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  for (const id of ['replica-a', 'replica-b']) {
    replicas.push(
      await startReplica({
        natsUrl: server.url,
        id,
        parseManifest: (bytes) => parseManifest(bytes),
        logLevel: 'debug',
      }),
    );
  }
  nc = await connectNats({ url: server.url });
  client = new WadmClient(nc);
});

afterAll(async () => {
  await nc?.close();
  for (const replica of replicas) await replica.stop();
  await server?.stop();
});

function leader(): TestReplica | undefined {
  const leading = replicas.filter((replica) => replica.current() !== undefined);
  if (leading.length > 1) throw new Error(`two replicas lead: ${leading.map((r) => r.id).join(', ')}`);
  return leading[0];
}

const answered = (replica: TestReplica, operation: string) =>
  replica.lines.filter((line) => line.includes(`DEBUG model.${operation} `)).length;

describe('two replicas', () => {
  it('exactly one leads; each request is answered once, by one replica or the other', async () => {
    await eventually(() => leader(), 'a leader');
    const requests = 40;
    await Promise.all(Array.from({ length: requests }, () => client.list()));
    const counts = replicas.map((replica) => answered(replica, 'list'));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(requests);
    expect(
      counts.every((count) => count > 0),
      `answers per replica: ${counts.join(', ')}`,
    ).toBe(true);
  });

  it("the leader's reconciler learns of each deploy, whichever replica answered it", async () => {
    for (let i = 1; i <= 6; i++) {
      await client.put(manifestBytes(`app${i}`, 'v1'));
      expect((await client.deploy(`app${i}`)).result).toBe('acknowledged');
    }
    const reconciler = leader()!.current()!;
    const expected = Array.from({ length: 6 }, (_, i) => `app${i + 1}@v1`).sort();
    await eventually(() => expected.every((app) => reconciler.desired().includes(app)), 'all six deployed');
    expect(replicas.every((replica) => answered(replica, 'deploy') > 0)).toBe(true);
  });

  it("every replica answers status and list with the leader's report", async () => {
    leader()!
      .current()!
      .report('app1', { status: { type: 'deployed', message: 'ready on 3 hosts' }, scalers: [] });
    await eventually(
      async () => (await client.status('app1')).status?.status.type === 'deployed',
      'app1 deployed',
    );
    const before = replicas.map((replica) => answered(replica, 'status'));
    const replies = await Promise.all(Array.from({ length: 20 }, () => client.status('app1')));
    expect(new Set(replies.map((reply) => reply.message))).toEqual(new Set(['ready on 3 hosts']));
    const after = replicas.map((replica) => answered(replica, 'status'));
    expect(
      after.every((count, i) => count > before[i]!),
      'both replicas answered',
    ).toBe(true);
    const summaries = await client.list();
    expect(summaries.find((app) => app.name === 'app1')).toMatchObject({ status: 'deployed' });
    expect(summaries.find((app) => app.name === 'app2')).toMatchObject({ status: 'waiting' });
  });

  it('when the leader stops, the other leads at once with the whole desired state', async () => {
    const old = leader()!;
    const oldReconciler = old.current()!;
    await old.stop();
    expect(oldReconciler.closed).toBe(true);
    const next = await eventually(() => leader(), 'the other replica to lead', 3000);
    expect(next.id).not.toBe(old.id);
    const reconciler = next.current()!;
    await eventually(() => reconciler.given.length > 0, 'the new leader to feed its reconciler');
    expect(reconciler.given[0]!.map(({ manifest }) => manifest.name).sort()).toEqual([
      'app1',
      'app2',
      'app3',
      'app4',
      'app5',
      'app6',
    ]);
    // The stopped replica no longer answers; the other serves alone.
    expect((await client.undeploy('app6')).result).toBe('acknowledged');
    await eventually(() => !reconciler.desired().includes('app6@v1'), 'app6 to leave the desired state');
  });
});

describe('the store under concurrent writers', () => {
  it('keeps every version when two replicas put versions of one application at once', async () => {
    const stores = await Promise.all(
      [1, 2].map(async () => {
        const connection = await connectNats({ url: server.url });
        return {
          connection,
          store: new ManifestStore(await openBucket(connection, MANIFESTS_BUCKET), 'race'),
        };
      }),
    );
    const puts = Array.from({ length: 30 }, (_, i) => {
      const { store } = stores[i % 2]!;
      const parsed = parseManifest(manifestBytes('contended', `c${i}`));
      if (!parsed.ok) throw new Error(parsed.error);
      return store.put(parsed.manifest, `text ${i}`);
    });
    const outcomes = await Promise.all(puts);
    expect(outcomes.filter((outcome) => outcome.result === 'created')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.result === 'newversion')).toHaveLength(29);
    const index = await stores[0]!.store.app('contended');
    expect(index?.versions.map((ref) => ref.version).sort()).toEqual(
      Array.from({ length: 30 }, (_, i) => `c${i}`).sort(),
    );
    // Concurrent deploys of different versions: one of them is the last word, and it is a real version.
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => stores[i % 2]!.store.deploy('contended', `c${i}`)),
    );
    const deployed = (await stores[1]!.store.app('contended'))?.deployed_version;
    expect(deployed).toMatch(/^c\d$/);
    for (const { connection } of stores) await connection.close();
  });
});
