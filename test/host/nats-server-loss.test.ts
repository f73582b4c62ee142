// Lattice state survives a NATS server (issue 19). On a three-server cluster with JetStream on each,
// every bucket the lattice creates keeps three replicas: the lattice data (an existing one-replica
// bucket is raised, said once in the log), the controller's buckets, the built-in keyvalue's bucket
// and the object store of chunked invocations. Then the server leading each bucket is killed in
// turn: link put and query, a host starting, the controller's put and deploy, kvcounter over the
// built-in keyvalue and the object store work again once a leader is elected; the server comes back
// and nothing written before or while it was gone is lost.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseManifest } from '../../controller/manifest/parse.ts';
import { builtinProviderKey } from '../../lattice/builtin-providers.ts';
import { ChunkStore } from '../../lattice/chunking.ts';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { ControlClient } from '../../lattice/control-client.ts';
import { errorMessage } from '../../lattice/errors.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type JetStreamManager, type NatsConnection } from '../../lattice/nats.ts';
import { decodePayload } from '../../lattice/payload.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { WadmClient } from '../../lattice/wadm-client.ts';
import { startReplica, type TestReplica } from '../controller/controller-fixtures.ts';
import { manifestBytes } from '../controller/manifests.ts';
import { builtActor } from '../helpers/actors.ts';
import { eventually } from '../helpers/eventually.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { leaderIndex, streamsCaughtUp } from '../helpers/jetstream-streams.ts';
import { invokeActor } from '../helpers/lattice-client.ts';
import { type NatsCluster, startNatsCluster } from '../helpers/nats-server.ts';

const LATTICE = 'survivor';
const COUNTER_BUCKET = 'survivor-counts';
const APP = 'survivor-app';
const subjects = latticeSubjects(LATTICE);
const clusterKey = KeyPair.create('cluster');
const keyvalueKey = builtinProviderKey(clusterKey.seed, 'keyvalue').publicKey;
const STREAMS = [
  `KV_${subjects.latticeData.bucket}`,
  'KV_wadm_manifests',
  'KV_wadm_status',
  'KV_wadm_leases',
  `KV_${COUNTER_BUCKET}`,
  `OBJ_${subjects.chunking.bucket}`,
];
/**
 * How long anything may take to work again after its leader died: an election, and slack for a loaded
 * machine (the object store took 5–15 s, once over 30 s with the rest of the suite running).
 */
const RECOVERY_MS = 45_000;

let cluster: NatsCluster;
let nc: NatsConnection;
let jsm: JetStreamManager;
let control: ControlClient;
let wadm: WadmClient;
let chunks: ChunkStore;
let replica: TestReplica | undefined;
let dir: string;
const hosts: TestHost[] = [];
/** What the lattice must still know at the end. */
const putLinks: string[] = [];
const putVersions: string[] = [];
const measured: string[] = [];
/** Every host's log lines, stopped hosts' too. */
const everyHostLog: string[] = [];

async function hostOn(serverIndex: number): Promise<TestHost> {
  const testHost = await startTestHost({
    natsUrl: cluster.servers[serverIndex]!.url,
    settings: { latticePrefix: LATTICE, clusterSeed: clusterKey.seed },
  });
  hosts.push(testHost);
  const { logs } = testHost;
  everyHostLog.push(...logs.map((line) => `${testHost.id.slice(0, 6)} ${line.trimEnd()}`));
  const push = logs.push.bind(logs);
  logs.push = (...lines: string[]) => {
    everyHostLog.push(...lines.map((line) => `${testHost.id.slice(0, 6)} ${line.trimEnd()}`));
    return push(...lines);
  };
  return testHost;
}

/** A link of a made-up actor to a made-up provider: what `wash ctl link put` stores. */
function markerLink(name: string) {
  return {
    actor_id: KeyPair.create('module').publicKey,
    provider_id: KeyPair.create('service').publicKey,
    contract_id: 'wasmcloud-ts:marker',
    link_name: name,
    values: { marker: name },
  };
}

/** kvcounter's count after one more HTTP request (the built-in keyvalue's Increment). */
async function count(actorId: string): Promise<number> {
  const reply = await invokeActor(
    nc,
    LATTICE,
    clusterKey,
    actorId,
    'HttpServer.HandleRequest',
    new Uint8Array(),
  );
  const response = decodePayload(reply) as { statusCode: number; body: Uint8Array };
  const text = new TextDecoder().decode(response.body);
  if (response.statusCode !== 200) throw new Error(`kvcounter answered ${response.statusCode}: ${text}`);
  return (JSON.parse(text) as { counter: number }).counter;
}

/** Whether `link` is the one put as `name` (a marker link's name, or kvcounter's actor key). */
function names(link: { link_name: string; actor_id: string }, name: string): boolean {
  return link.link_name === name || link.actor_id === name;
}

async function knowsEveryLink(testHost: TestHost, linkNames: readonly string[] = putLinks): Promise<void> {
  await eventually(
    () => linkNames.every((name) => testHost.host.latticeData.links().some((link) => names(link, name))),
    { what: `host ${testHost.id} knowing every link`, timeoutMs: RECOVERY_MS },
  );
}

/** Time for `step` to succeed, retried until it does. */
async function timeUntilWorks(what: string, step: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  const failures: string[] = [];
  await eventually(
    async () => {
      try {
        await step();
      } catch (error) {
        const said = errorMessage(error).slice(0, 160);
        if (!failures.at(-1)?.endsWith(said)) failures.push(`${Date.now() - started} ms: ${said}`);
        throw error;
      }
      return true;
    },
    { what, timeoutMs: RECOVERY_MS, intervalMs: 100 },
  );
  const ms = Date.now() - started;
  if (process.env.SERVER_LOSS_DEBUG) console.log(`${what}: ${ms} ms\n  ${failures.join('\n  ')}`);
  return ms;
}

beforeAll(async () => {
  cluster = await startNatsCluster(3);
  const [url, ...moreUrls] = cluster.urls;
  nc = await connectNats({ url: url!, moreUrls, reconnect: true, name: 'nats-server-loss test' });
  jsm = await nc.jetstreamManager();
  // A lattice data bucket made before buckets were replicated: one copy.
  await nc.jetstream().views.kv(subjects.latticeData.bucket, { history: 1, replicas: 1 });
  control = new ControlClient(nc, { latticePrefix: LATTICE, timeoutMs: 3_000 });
  wadm = new WadmClient(nc, { latticePrefix: LATTICE, timeoutMs: 3_000 });
  chunks = new ChunkStore(nc, subjects);
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-server-loss-'));
}, 60_000);

afterAll(async () => {
  await Promise.all(hosts.map((testHost) => testHost.host.stop()));
  await replica?.stop();
  await nc?.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
  if (measured.length > 0) console.log(`nats-server-loss: ${measured.join('; ')}`);
  if (process.env.SERVER_LOSS_DEBUG)
    for (const line of replica?.lines ?? []) console.log(`controller ${line.trimEnd()}`);
  if (process.env.SERVER_LOSS_DEBUG)
    for (const line of everyHostLog.filter((entry) => /lattice data|replicas/.test(entry))) console.log(line);
});

test('killing the server that leads each bucket loses nothing and stops nothing for longer than an election', async () => {
  const first = await hostOn(0);
  let restarting = await hostOn(1);
  replica = await startReplica({
    natsUrl: cluster.servers[2]!.url,
    id: 'controller-1',
    latticePrefix: LATTICE,
    parseManifest: (bytes) => parseManifest(bytes),
  });

  // The one-replica lattice data bucket was raised by whichever host opened it first, once.
  const raised = hosts
    .flatMap((testHost) => testHost.logs)
    .filter((line) => line.includes(`stream KV_${subjects.latticeData.bucket} raised from 1 to 3 replicas`));
  expect(raised).toHaveLength(1);

  // kvcounter on the first host, over the built-in keyvalue.
  await control.startProvider(first.id, 'wasmcloud+builtin://keyvalue');
  const kvcounterPath = join(dir, 'kvcounter.wasm');
  writeFileSync(kvcounterPath, builtActor('wasmbus-kvcounter'));
  const kvcounterId = verifySignedWasm(builtActor('wasmbus-kvcounter')).claims.sub;
  await control.startActor(first.id, kvcounterPath);
  await control.putLink({
    actor_id: kvcounterId,
    provider_id: keyvalueKey,
    contract_id: 'wasmcloud:keyvalue',
    values: { BUCKET: COUNTER_BUCKET },
  });
  let counter = await eventually(() => count(kvcounterId), {
    what: 'kvcounter counting over the built-in keyvalue',
    timeoutMs: 20_000,
  });
  putLinks.push(kvcounterId);

  // An application stored and deployed, and a chunked payload through the object store.
  expect((await wadm.put(manifestBytes(APP, 'v0'))).result).toBe('created');
  expect((await wadm.deploy(APP, 'v0')).result).toBe('acknowledged');
  putVersions.push('v0');
  await chunks.putRequest('warm-up', new Uint8Array(1024));
  expect((await chunks.takeRequest('warm-up', 1024)).length).toBe(1024);

  for (const stream of STREAMS) {
    const info = await jsm.streams.info(stream);
    expect({ stream, replicas: info.config.num_replicas }).toEqual({ stream, replicas: 3 });
  }

  // Kill the server leading the most buckets whose leader has not died yet, until every one has.
  const leadersKilled = new Set<string>();
  for (let round = 1; leadersKilled.size < STREAMS.length && round <= STREAMS.length; round++) {
    const leaders = await Promise.all(STREAMS.map((stream) => leaderIndex(jsm, cluster, stream)));
    const led = (server: number) =>
      STREAMS.filter((stream, index) => leaders[index] === server && !leadersKilled.has(stream));
    const victim = [0, 1, 2].reduce((best, server) =>
      led(server).length > led(best).length ? server : best,
    );
    for (const stream of led(victim)) leadersKilled.add(stream);
    const dying = STREAMS.filter((_, index) => leaders[index] === victim);
    const marker = `round-${round}`;
    const version = `v${round}`;

    await cluster.servers[victim]!.restart(async () => {
      // Everything at once, from the moment the server died, each retried until it works: a host
      // starting (a rescheduled pod) on a server still up, while the buckets elect new leaders.
      const killedAt = Date.now();
      const survivor = (victim + 1) % 3;
      const linksBefore = [...putLinks];
      const [hostStart, linkPutMs, wadmMs, kvMs, chunkMs] = await Promise.all([
        (async () => {
          const started = Date.now();
          const replacement = await hostOn(survivor);
          const startMs = Date.now() - started;
          const replaced = restarting;
          restarting = replacement;
          await replaced.host.stop();
          hosts.splice(hosts.indexOf(replaced), 1);
          // It has the lattice's links once it has read the bucket (after the election, if it started during it).
          await knowsEveryLink(replacement, linksBefore);
          return { startMs, loadedMs: Date.now() - killedAt };
        })(),
        timeUntilWorks(`link put ${marker}`, () => control.putLink(markerLink(marker))),
        timeUntilWorks(`controller put and deploy of ${version}`, async () => {
          // A put whose reply was lost may have stored the version: the retry is answered the same.
          const put = await wadm.put(manifestBytes(APP, version));
          expect(put.result, put.message).toBe('newversion');
          const deploy = await wadm.deploy(APP, version);
          expect(deploy.result, deploy.message).toBe('acknowledged');
        }),
        timeUntilWorks('kvcounter counting', async () => {
          const next = await count(kvcounterId);
          expect(next).toBeGreaterThan(counter);
          counter = next;
        }),
        timeUntilWorks('a chunked payload through the object store', async () => {
          await chunks.putRequest(marker, new Uint8Array(2048));
          expect((await chunks.takeRequest(marker, 2048)).length).toBe(2048);
        }),
      ]);
      putLinks.push(marker);
      putVersions.push(version);
      // The put reaches the hosts that were running through their watch of the bucket (a watch
      // whose consumer died with the server is started again); the new host once it reads it.
      const seenStarted = Date.now();
      for (const testHost of hosts) if (testHost !== restarting) await knowsEveryLink(testHost);
      const seenMs = Date.now() - seenStarted;
      await knowsEveryLink(restarting);
      const linkQueryMs = await timeUntilWorks('a link query with every link', async () => {
        const links = await control.getLinks();
        for (const name of putLinks) expect(links.some((link) => names(link, name))).toBe(true);
      });
      measured.push(
        `round ${round} (killed the leader of ${dying.join(', ')}): host start ${hostStart.startMs} ms, link put ${linkPutMs} ms, seen by the other hosts ${seenMs} ms later, new host has the links ${hostStart.loadedMs} ms after the kill, link query ${linkQueryMs} ms after that, wadm put+deploy ${wadmMs} ms, kvcounter ${kvMs} ms, object store ${chunkMs} ms`,
      );
    });

    // Back: every bucket on three current replicas again, and all that was written is there.
    await streamsCaughtUp(jsm, STREAMS, 3);
    const links = await control.getLinks();
    for (const name of putLinks) expect(links.some((link) => names(link, name))).toBe(true);
    for (const testHost of hosts) await knowsEveryLink(testHost);
    const versions = await wadm.versions(APP);
    expect(versions.result).toBe('success');
    expect(versions.versions.map((entry) => entry.version)).toEqual(expect.arrayContaining(putVersions));
    expect(await count(kvcounterId)).toBe(counter + 1);
    counter += 1;
  }
  expect([...leadersKilled].sort()).toEqual([...STREAMS].sort());
  // The controller rode out every election: it leads again, and never gave up starting its work.
  await eventually(() => replica?.controller.leading, { what: 'the controller leading', timeoutMs: 20_000 });
  expect(replica?.lines.filter((line) => line.startsWith('FATAL'))).toEqual([]);
}, 240_000);
