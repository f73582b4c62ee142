// The replica rule of the lattice's JetStream buckets on a lone server (the three-server cluster is
// test/host/nats-server-loss.test.ts): by default one copy, as many as there are servers; a number
// chosen with WASMCLOUD_JS_REPLICAS that the server cannot keep is a coded error saying so; the
// setting's text is checked as the host and the controller read it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clusterServers,
  openReplicatedKv,
  openReplicatedObjectStore,
  wantedReplicas,
} from '../../lattice/jetstream-replicas.ts';
import { jsReplicasText } from '../../lattice/jetstream-replicas-setting.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

let nats: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

describe('on a lone NATS server', () => {
  it('wants one replica by default and creates buckets and object stores with one', async () => {
    expect(clusterServers(nc)).toBe(1);
    expect(wantedReplicas(nc, undefined)).toBe(1);
    expect(wantedReplicas(nc, 3)).toBe(3);
    const js = nc.jetstream();
    const kv = await openReplicatedKv(js, nc, 'lone-kv', { history: 1 });
    expect((await kv.status()).streamInfo.config.num_replicas).toBe(1);
    const store = await openReplicatedObjectStore(js, nc, 'lone-os', {});
    expect((await store.status()).streamInfo.config.num_replicas).toBe(1);
  });

  it('refuses replicas it cannot keep when they were asked for, naming the setting', async () => {
    const lines: string[] = [];
    const log = {
      info: (line: string) => void lines.push(line),
      warn: (line: string) => void lines.push(line),
    };
    await expect(
      openReplicatedKv(nc.jetstream(), nc, 'asked-for-three', { history: 1 }, { setting: 3, log }),
    ).rejects.toMatchObject({
      code: 'JETSTREAM_REPLICAS_UNPLACEABLE',
      message: expect.stringMatching(
        /^cannot keep 3 replicas of KV bucket asked-for-three: .*\(WASMCLOUD_JS_REPLICAS=3; the NATS cluster reports 1 servers\)$/,
      ),
    });
    expect(lines).toEqual([]);
  });
});

describe('WASMCLOUD_JS_REPLICAS', () => {
  it('is a whole number from 1 to 5', () => {
    expect(jsReplicasText.parse(' 3 ')).toBe(3);
    for (const bad of ['0', '6', 'three', '2.5', ''])
      expect(jsReplicasText.safeParse(bad).success).toBe(false);
  });
});
