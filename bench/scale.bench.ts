// The control plane at scale (issue 19, item 5): one host process (`node host/main.ts` as operators
// start it, the compiled host when current, one worker) with SCALE_BENCH_ACTORS distinct signed
// actors (default 10,000: one module signed under 10,000 keys, as an operator's fleet of one
// code base differs only in its claims) of SCALE_BENCH_INSTANCES instances each (default 5, so
// 50,000 instances), then SCALE_BENCH_LINKS link definitions (default 20,000). Printed beside the
// issue's targets: the actors' start time and the host's RSS, the heartbeat's bytes on the wire
// (beside the 2022 list it replaces) and its build time (in this process, at the same size),
// `wash ctl get inventory` and `wash ctl link query` wall time beside `wash ctl link query` of no
// links (a wash process and one small request), and the same queries from this process
// (ControlClient), so the query's own cost shows apart from wash's start. First, what an idle host
// costs (idle-cost.ts), beside bare `node -e`; SCALE_BENCH_IDLE=0 leaves that section out.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@bytecodealliance/jco';
import { buildCompiledHost } from '../host/build.ts';
import { COMPILED_HOST, currentCompiledHost } from '../host/compiled-host.ts';
import { type HeartbeatSources, heartbeatData } from '../host/heartbeat.ts';
import { ControlClient } from '../lattice/control-client.ts';
import { eventNameOf, parseCloudEvent } from '../lattice/events.ts';
import { KeyPair } from '../lattice/keys.ts';
import { withLinkId } from '../lattice/link-definition.ts';
import { connectNats } from '../lattice/nats.ts';
import { latticeSubjects } from '../lattice/subjects.ts';
import { signForTest } from '../test/helpers/actors.ts';
import { startHostProcess } from '../test/helpers/host-process.ts';
import { startNatsServer } from '../test/helpers/nats-server.ts';
import { runWash } from '../test/helpers/wash.ts';
import { FORWARDER_WAT } from '../test/helpers/wat-forwarder.ts';
import { runIdleCostBench } from './idle-cost.ts';
import { rssBytes } from './process-usage.ts';

const LATTICE = 'scalebench';
const TARGET = { actors: 10_000, instances: 50_000, links: 20_000, rssMb: 2048, heartbeat: 65_536 };
/** Start commands in flight at once, as a deployment tool would send them. */
const STARTS_IN_FLIGHT = 20;

async function timed<T>(operation: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await operation();
  return { ms: performance.now() - start, value };
}

function row(cells: Array<string | number>): string {
  const widths = [52, 10, 24, 8];
  return cells.map((cell, index) => String(cell).padEnd(widths[index] ?? 0)).join(' ');
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

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
  if (process.env.SCALE_BENCH_IDLE !== '0') await runIdleCostBench();
  const actorCount = Number(process.env.SCALE_BENCH_ACTORS ?? TARGET.actors);
  const each = Number(process.env.SCALE_BENCH_INSTANCES ?? TARGET.instances / TARGET.actors);
  const linkCount = Number(process.env.SCALE_BENCH_LINKS ?? TARGET.links);
  const dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-scale-bench-'));
  if (currentCompiledHost() === undefined) await buildCompiledHost();
  const nats = await startNatsServer();
  const nc = await connectNats({ url: nats.url });
  const subjects = latticeSubjects(LATTICE);
  const heartbeats: number[] = [];
  nc.subscribe(subjects.events.subject(), {
    callback: (_error, msg) => {
      const event = parseCloudEvent(msg.data);
      if (event.ok && eventNameOf(event.value) === 'host_heartbeat') heartbeats.push(msg.data.length);
    },
  });
  const hostStart = await timed(() =>
    startHostProcess({
      env: { WASMCLOUD_DASHBOARD_PORT: 'off', WASMCLOUD_ACTOR_WORKERS: '1' },
      args: ['--rpc-port', String(nats.port), '--lattice-prefix', LATTICE, '--allow-file-load'],
      timeoutMs: 60_000,
    }),
  );
  const host = hostStart.value;
  const pid = host.child.pid!;
  const client = new ControlClient(nc, { latticePrefix: LATTICE, timeoutMs: 60_000 });
  const washFlags = ['-p', String(nats.port), '-x', LATTICE, '-o', 'json', '--timeout-ms', '60000'];
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
      `\nThe lattice at scale: one host process (${currentCompiledHost() === COMPILED_HOST ? 'compiled' : 'from .ts'}, 1 worker), ${actorCount} distinct signed actors x ${each} instances, ${linkCount} links (targets: ${TARGET.actors} actors, ${TARGET.instances} instances, ${TARGET.links} links); load average ${load()}`,
    );
    const rssIdle = rssBytes(pid);
    // One module, signed under a key of its own for each actor (node:crypto Ed25519).
    const signing = await timed(async () => {
      const module = await parse(FORWARDER_WAT);
      const files: string[] = [];
      for (let i = 0; i < actorCount; i++) {
        const path = join(dir, `actor-${i}.wasm`);
        writeFileSync(path, signForTest(module, { name: `scale-${i}` }).bytes);
        files.push(path);
      }
      return files;
    });
    const files = signing.value;
    const started = await timed(async () => {
      for (let i = 0; i < files.length; i += STARTS_IN_FLIGHT) {
        await Promise.all(
          files.slice(i, i + STARTS_IN_FLIGHT).map((path) => client.startActor(host.id, path, each)),
        );
      }
      for (;;) {
        const load = await client.getLoad(host.id);
        const instances = load.actors.reduce((sum, actor) => sum + actor.instances, 0);
        if (load.actors.length === actorCount && instances === actorCount * each) return instances;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
    const rssActors = rssBytes(pid);

    const before = heartbeats.length;
    await client.getHosts(500);
    while (heartbeats.length === before) await new Promise((resolve) => setTimeout(resolve, 20));
    const heartbeatBytes = heartbeats.at(-1)!;
    const listBytes = (actors: number, instancesEach: number) =>
      actors * instancesEach * '{"public_key":"","instance_id":""},'.length +
      actors * instancesEach * (56 + 36);

    // The baseline: a wash process and the smallest query (no links yet), in this same run.
    const small = await wash('ctl', 'link', 'query');
    const inventory = await wash('ctl', 'get', 'inventory', host.id);
    const inventoryClient = await timed(async () => {
      const got = await client.getInventory(host.id);
      return got.actors.reduce((sum, actor) => sum + actor.instances.length, 0);
    });

    // Links straight into the lattice data bucket, as many hosts' link puts would land there.
    const kv = await nc.jetstream().views.kv(subjects.latticeData.bucket);
    const provider = KeyPair.create('service').publicKey;
    const linked = await timed(async () => {
      for (let i = 0; i < linkCount; i += 200) {
        await Promise.all(
          Array.from({ length: Math.min(200, linkCount - i) }, () => {
            const stored = withLinkId({
              actor_id: KeyPair.create('module').publicKey,
              provider_id: provider,
              contract_id: 'wasmcloud:keyvalue',
              link_name: 'default',
              values: { URL: 'nats://127.0.0.1:4222' },
            });
            return kv.put(subjects.latticeData.linkdefKey(stored.id), JSON.stringify(stored));
          }),
        );
      }
      while ((await client.getLinks()).length < linkCount)
        await new Promise((resolve) => setTimeout(resolve, 200));
    });
    const links = await wash('ctl', 'link', 'query');
    const linksClient = await timed(async () => (await client.getLinks()).length);
    const rssEnd = rssBytes(pid);
    const full = syntheticHost(actorCount, each);
    const buildMs = heartbeatBuildMs(full);

    const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
    console.log(row(['', 'measured', 'baseline', 'ratio', 'target']));
    console.log(row(['host start (ms, to its "host started" line)', Math.round(hostStart.ms), '', '', '']));
    console.log(
      row([
        `sign ${actorCount} actors (one module, node:crypto) (s)`,
        (signing.ms / 1000).toFixed(1),
        '',
        '',
        '',
      ]),
    );
    console.log(
      row([
        `start ${actorCount} actors, ${started.value} instances (s)`,
        (started.ms / 1000).toFixed(1),
        `${((started.ms / actorCount) * 1000).toFixed(0)} µs per actor`,
        '',
        '',
      ]),
    );
    console.log(
      row([
        `host RSS with them (MiB)`,
        mb(rssActors),
        `${mb(rssIdle)} idle host`,
        (rssActors / rssIdle).toFixed(1),
        `<= ${TARGET.rssMb}`,
      ]),
    );
    console.log(
      row([`host RSS with them and ${linkCount} links (MiB)`, mb(rssEnd), '', '', `<= ${TARGET.rssMb}`]),
    );
    console.log(
      row([
        `heartbeat bytes (${actorCount} actors, ${started.value} instances)`,
        heartbeatBytes,
        `${listBytes(actorCount, each)} 2022 list`,
        (heartbeatBytes / listBytes(actorCount, each)).toFixed(3),
        `<= ${TARGET.heartbeat}`,
      ]),
    );
    console.log(row([`heartbeat build (ms, same size, in this process)`, buildMs.toFixed(1), '', '', '']));
    console.log(
      row([
        `wash ctl get inventory (ms; ${Math.round(inventory.value / 1024)} KiB)`,
        Math.round(inventory.ms),
        `${Math.round(small.ms)} wash, 0 links`,
        (inventory.ms / small.ms).toFixed(2),
        '<= 2000',
      ]),
    );
    console.log(
      row([
        `  ControlClient.getInventory (ms; ${inventoryClient.value} instances)`,
        Math.round(inventoryClient.ms),
        '',
        '',
        '<= 2000',
      ]),
    );
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
        `${Math.round(small.ms)} wash, 0 links`,
        (links.ms / small.ms).toFixed(2),
        '<= 2000',
      ]),
    );
    console.log(
      row([
        `  ControlClient.getLinks (ms; ${linksClient.value} links)`,
        Math.round(linksClient.ms),
        '',
        '',
        '<= 2000',
      ]),
    );
    console.log(`  load average at the end: ${load()}`);
  } finally {
    await nc.close();
    await host.stop();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
