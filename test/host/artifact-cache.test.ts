// The artifact cache outlives the host (issue 16, item 2): a host restarted on the same
// WASMCLOUD_ARTIFACT_CACHE_DIR starts an actor by its tag without the registry (the real CNCF
// registry, stopped), from the layer and the tag's last digest it kept; and the cache stays within
// its bound, evicting the layer used longest ago.

import { mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { decodeHttpResponse, encodeHttpRequest } from '../../lattice/httpserver/http-contract.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { BlobCache } from '../../lattice/oci/blob-cache.ts';
import { sha256Digest } from '../../lattice/oci/digest.ts';
import { OciClient } from '../../lattice/oci/oci-client.ts';
import { parseOciReference } from '../../lattice/oci/reference.ts';
import { builtActor } from '../helpers/actors.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { EventLog, invokeActor, launchActorFile } from '../helpers/lattice-client.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { type OciRegistry, startOciRegistry } from '../helpers/oci-registry.ts';

const LATTICE = 'artifactcache';
const clusterKey = KeyPair.create('cluster');
const echo = builtActor('wasmbus-echo');
const echoId = verifySignedWasm(echo).claims.sub;

let nats: NatsServer;
let nc: NatsConnection;
let registry: OciRegistry | undefined;
let dir: string;
const hosts: TestHost[] = [];

function startHost(cacheDir: string): Promise<TestHost> {
  return startTestHost({
    natsUrl: nats.url,
    settings: {
      latticePrefix: LATTICE,
      clusterSeed: clusterKey.seed,
      allowedInsecure: registry!.host,
      artifactCacheDir: cacheDir,
    },
  }).then((host) => {
    hosts.push(host);
    return host;
  });
}

async function echoAnswers(): Promise<number> {
  const request = encodeHttpRequest({
    method: 'GET',
    path: '/',
    queryString: '',
    header: {},
    body: new Uint8Array(),
  });
  const reply = await invokeActor(nc, LATTICE, clusterKey, echoId, 'HttpServer.HandleRequest', request);
  return decodeHttpResponse(reply).statusCode;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-artifact-cache-'));
  [nats, registry] = await Promise.all([startNatsServer(), startOciRegistry()]);
  nc = await connectNats({ url: nats.url });
  const pusher = new OciClient({ insecureRegistries: [registry.host] });
  await pusher.push(parseOciReference(registry.ref('echo:0.1.0')), { kind: 'actor', bytes: echo });
}, 60_000);

afterAll(async () => {
  for (const host of hosts) await host.host.stop();
  await nc?.close();
  await registry?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the artifact cache', () => {
  test('a restarted host starts an actor by tag from the cache while the registry is down', async () => {
    const cacheDir = join(dir, 'cache');
    const ref = registry!.ref('echo:0.1.0');
    const first = await startHost(cacheDir);
    expect(await launchActorFile(nc, new EventLog(nc, LATTICE), LATTICE, first.id, ref)).toBe(echoId);
    expect(await echoAnswers()).toBe(200);
    expect(first.logs.some((line) => line.includes(`pulled ${ref}`) && /cached[=:" ]+false/.test(line))).toBe(
      true,
    );
    await first.host.stop();
    await registry!.stop();

    const second = await startHost(cacheDir);
    expect(await launchActorFile(nc, new EventLog(nc, LATTICE), LATTICE, second.id, ref)).toBe(echoId);
    expect(await echoAnswers()).toBe(200);
    expect(
      second.logs.some((line) => line.includes('started') && line.includes('from the artifact cache')),
    ).toBe(true);
    // One layer, kept by digest.
    expect(readdirSync(join(cacheDir, 'sha256'))).toEqual([sha256Digest(echo).slice('sha256:'.length)]);
  }, 60_000);

  test('bounded: the layer used longest ago is evicted first; a read counts as a use', async () => {
    const cache = new BlobCache(join(dir, 'bounded'), { maxBytes: 2500 });
    const blob = (fill: number) => new Uint8Array(1000).fill(fill);
    const [a, b, c] = [blob(1), blob(2), blob(3)];
    await cache.put(sha256Digest(a), a);
    await cache.put(sha256Digest(b), b);
    // a older than b, then a is read: b is now the one used longest ago.
    utimesSync(cache.pathOf(sha256Digest(a)), new Date(1_000_000), new Date(1_000_000));
    utimesSync(cache.pathOf(sha256Digest(b)), new Date(2_000_000), new Date(2_000_000));
    expect(new Uint8Array((await cache.get(sha256Digest(a)))!)).toEqual(a);
    await cache.put(sha256Digest(c), c);
    expect(await cache.get(sha256Digest(b))).toBeUndefined();
    expect(new Uint8Array((await cache.get(sha256Digest(a)))!)).toEqual(a);
    expect(new Uint8Array((await cache.get(sha256Digest(c)))!)).toEqual(c);
  });
});
