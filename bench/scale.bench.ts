// The control plane at scale (issue 19, item 5), scaled to what runs in a few minutes on a small
// machine: one host (in this process, one worker) with SCALE_BENCH_ACTORS distinct signed actors
// (default 2,000; the target is 10,000) of SCALE_BENCH_INSTANCES instances each (default 25,
// so 50,000 instances), then SCALE_BENCH_LINKS link definitions (default 20,000). Printed beside
// the issue's targets: the actors' start time and the process's RSS, the heartbeat's bytes on the
// wire (beside the 2022 list it replaces) and its build time (also at the full 10,000 / 50,000,
// from a synthetic host), `wash ctl get inventory` and `wash ctl link query` wall time (beside
// `wash ctl link query` of no links, the cost of a wash process and one small request), and their
// sizes. First, what an idle host costs (idle-cost.ts), beside bare `node -e`.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HeartbeatSources, heartbeatData } from '../host/heartbeat.ts';
import { ControlClient } from '../lattice/control-client.ts';
import { cloudEvent, eventNameOf, parseCloudEvent } from '../lattice/events.ts';
import { encodeJsonMessage } from '../lattice/json-message.ts';
import { KeyPair } from '../lattice/keys.ts';
import { connectNats } from '../lattice/nats.ts';
import { latticeSubjects } from '../lattice/subjects.ts';
import { startTestHost } from '../test/helpers/host.ts';
import { startNatsServer } from '../test/helpers/nats-server.ts';
import { runWash } from '../test/helpers/wash.ts';
import { forwarderActor } from '../test/helpers/wat-forwarder.ts';
import { runIdleCostBench } from './idle-cost.ts';

const LATTICE = 'scalebench';
const TARGET = { actors: 10_000, instances: 50_000, links: 20_000 };

async function timed<T>(operation: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await operation();
  return { ms: performance.now() - start, value };
}

function row(cells: Array<string | number>): string {
  const widths = [50, 10, 22, 8];
  return cells.map((cell, index) => String(cell).padEnd(widths[index] ?? 0)).join(' ');
}

/** A host of `actors` actors with `each` instances, without running any: what a heartbeat reads. */
function syntheticHost(actors: number, each: number): HeartbeatSources {
  const running = Array.from({ length: actors }, () => ({
    id: KeyPair.create('module').publicKey,
    instances: Array.from({ length: each }, () => ({
      instanceId: crypto.randomUUID(),
      revision: 0,
      annotations: {},
    })),
  }));
  return {
    host: {
      hostId: KeyPair.create('server').publicKey,
      friendlyName: 'synthetic',
      labels: {},
      latticePrefix: LATTICE,
      clusterKey: '',
      clusterIssuers: [],
      jsDomain: undefined,
      ctlHost: '',
      rpcHost: '',
      provRpcHost: '',
      startedAt: Date.now(),
    },
    actors: { running: () => running },
    providers: { running: () => [] },
  };
}

function heartbeatBuildMs(sources: HeartbeatSources): number {
  for (let i = 0; i < 3; i++) heartbeatData(sources, 1024 * 1024);
  const rounds: number[] = [];
  for (let i = 0; i < 9; i++) {
    const start = performance.now();
    heartbeatData(sources, 1024 * 1024);
    rounds.push(performance.now() - start);
  }
  return rounds.sort((a, b) => a - b)[4]!;
}

export async function runScaleBench(): Promise<void> {
  await runIdleCostBench();
  const actorCount = Number(process.env.SCALE_BENCH_ACTORS ?? 2000);
  const each = Number(process.env.SCALE_BENCH_INSTANCES ?? 25);
  const linkCount = Number(process.env.SCALE_BENCH_LINKS ?? TARGET.links);
  const dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-scale-bench-'));
  const nats = await startNatsServer();
  const rssBefore = process.memoryUsage().rss;
  const host = await startTestHost({
    natsUrl: nats.url,
    settings: { latticePrefix: LATTICE, logLevel: 'warn' },
  });
  const nc = await connectNats({ url: nats.url });
  const client = new ControlClient(nc, { latticePrefix: LATTICE, timeoutMs: 30_000 });
  const heartbeats: number[] = [];
  nc.subscribe(latticeSubjects(LATTICE).events.subject(), {
    callback: (_error, msg) => {
      const event = parseCloudEvent(msg.data);
      if (event.ok && eventNameOf(event.value) === 'host_heartbeat') heartbeats.push(msg.data.length);
    },
  });
  const washFlags = ['-p', String(nats.port), '-x', LATTICE, '-o', 'json', '--timeout-ms', '30000'];
  const wash = (...args: string[]) =>
    timed(async () => {
      const run = await runWash([...args, ...washFlags], {
        env: { WASH_HOME: join(dir, 'wash-home'), HOME: dir },
      });
      if (run.code !== 0) throw new Error(`wash ${args.join(' ')} failed: ${run.stderr}`);
      return run.stdout.length;
    });
  try {
    console.log(
      `\nThe lattice at scale: one host (1 worker), ${actorCount} distinct signed actors x ${each} instances, ${linkCount} links (targets: ${TARGET.actors} actors, ${TARGET.instances} instances, ${TARGET.links} links)`,
    );
    const files: string[] = [];
    for (let i = 0; i < actorCount; i++) {
      const actor = await forwarderActor([], `scale-${i}`);
      const path = join(dir, `actor-${i}.wasm`);
      writeFileSync(path, actor.bytes);
      files.push(path);
    }
    const started = await timed(async () => {
      for (let i = 0; i < files.length; i += 20) {
        await Promise.all(files.slice(i, i + 20).map((path) => client.startActor(host.id, path, each)));
      }
      for (;;) {
        const load = await client.getLoad(host.id);
        const instances = load.actors.reduce((sum, actor) => sum + actor.instances, 0);
        if (load.actors.length === actorCount && instances === actorCount * each) return instances;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
    const rss = process.memoryUsage().rss;

    const before = heartbeats.length;
    await client.getHosts(500);
    while (heartbeats.length === before) await new Promise((resolve) => setTimeout(resolve, 20));
    const heartbeatBytes = heartbeats.at(-1)!;
    const full = syntheticHost(TARGET.actors, TARGET.instances / TARGET.actors);
    const fullBytes = encodeJsonMessage(
      cloudEvent('host_heartbeat', full.host.hostId, heartbeatData(full, 1024 * 1024)),
    ).length;
    const listBytes = (actors: number, instancesEach: number) =>
      actors * instancesEach * '{"public_key":"","instance_id":""},'.length +
      actors * instancesEach * (56 + 36);

    // The baseline: a wash process and the smallest query (no links yet), in this same run.
    const hosts = await wash('ctl', 'link', 'query');
    const inventory = await wash('ctl', 'get', 'inventory', host.id);
    const inventoryClient = await timed(() => client.getInventory(host.id));

    const provider = KeyPair.create('service').publicKey;
    const linked = await timed(async () => {
      for (let i = 0; i < linkCount; i += 500) {
        await Promise.all(
          Array.from({ length: Math.min(500, linkCount - i) }, () =>
            host.host.latticeData.putLink({
              actor_id: KeyPair.create('module').publicKey,
              provider_id: provider,
              contract_id: 'wasmcloud:keyvalue',
              link_name: 'default',
              values: { URL: 'nats://127.0.0.1:4222' },
            }),
          ),
        );
      }
      while (host.host.latticeData.links().length < linkCount)
        await new Promise((resolve) => setTimeout(resolve, 50));
    });
    const links = await wash('ctl', 'link', 'query');
    const linksClient = await timed(() => client.getLinks());

    console.log(row(['', 'measured', 'baseline', 'ratio', 'target']));
    console.log(
      row([
        `start ${actorCount} actors, ${started.value} instances (s)`,
        (started.ms / 1000).toFixed(1),
        '',
        '',
        '',
      ]),
    );
    console.log(
      row([
        'process RSS (MB, host + bench)',
        Math.round(rss / 1e6),
        `${Math.round(rssBefore / 1e6)} before host`,
        (rss / rssBefore).toFixed(1),
        '<= 2048 (10,000 actors)',
      ]),
    );
    console.log(
      row([
        `heartbeat bytes (${actorCount} actors)`,
        heartbeatBytes,
        `${listBytes(actorCount, each)} 2022 list`,
        (heartbeatBytes / listBytes(actorCount, each)).toFixed(3),
        '<= 65536',
      ]),
    );
    console.log(
      row([
        `heartbeat bytes (synthetic ${TARGET.actors}/${TARGET.instances})`,
        fullBytes,
        `${listBytes(TARGET.actors, TARGET.instances / TARGET.actors)} 2022 list`,
        (fullBytes / listBytes(TARGET.actors, TARGET.instances / TARGET.actors)).toFixed(3),
        '<= 65536',
      ]),
    );
    const real = heartbeatBuildMs(syntheticHost(actorCount, each));
    const target = heartbeatBuildMs(full);
    console.log(row([`heartbeat build ms (${actorCount} actors)`, real.toFixed(1), '', '', '']));
    console.log(
      row([`heartbeat build ms (${TARGET.actors}/${TARGET.instances})`, target.toFixed(1), '', '', '']),
    );
    console.log(
      row([
        `wash ctl get inventory (ms; ${Math.round(inventory.value / 1024)} KiB)`,
        Math.round(inventory.ms),
        `${Math.round(hosts.ms)} 0 links`,
        (inventory.ms / hosts.ms).toFixed(2),
        '<= 2000',
      ]),
    );
    console.log(row(['ControlClient.getInventory (ms)', Math.round(inventoryClient.ms), '', '', '']));
    console.log(
      row([
        `put ${linkCount} links into the bucket, all seen (s)`,
        (linked.ms / 1000).toFixed(1),
        '',
        '',
        '',
      ]),
    );
    console.log(
      row([
        `wash ctl link query (ms; ${Math.round(links.value / 1024)} KiB)`,
        Math.round(links.ms),
        `${Math.round(hosts.ms)} 0 links`,
        (links.ms / hosts.ms).toFixed(2),
        '<= 2000',
      ]),
    );
    console.log(row(['ControlClient.getLinks (ms)', Math.round(linksClient.ms), '', '', '']));
  } finally {
    await nc.close();
    await host.host.stop();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
