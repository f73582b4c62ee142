// Cold start from zero (issue 16, item 5): the first response of an actor scaled to zero, through the
// host's built-in httpserver, for the wasmbus echo (C module; target ≤ 50 ms) and the TypeScript echo
// component (target ≤ 300 ms), beside a warm request to the same actor in the same run. The actor is
// dormant (docs/host.md, "Scale to zero"): its module stays compiled in the workers, so the cold path
// is the request waiting in the actor's queue, the wake message to the main thread, one instance
// started, and the call. One host in this process (one worker), a real nats-server, real HTTP.
//
// COLDSTART_BENCH_ROUNDS (default 20): cold starts per actor; warm: 200 requests per actor.

import { builtinProviderKey } from '../lattice/builtin-providers.ts';
import { ControlClient } from '../lattice/control-client.ts';
import { KeyPair } from '../lattice/keys.ts';
import { connectNats } from '../lattice/nats.ts';
import { latticeSubjects } from '../lattice/subjects.ts';
import { startTestHost } from '../test/helpers/host.ts';
import { ctlRequest, EventLog, launchActorFile } from '../test/helpers/lattice-client.ts';
import { freePort, startNatsServer } from '../test/helpers/nats-server.ts';
import { percentile } from './harness.ts';

const LATTICE = 'coldbench';
const ACTORS = [
  { name: 'wasmbus echo (C module)', file: 'wasmbus-echo_s.wasm', targetMs: 50 },
  { name: 'TypeScript echo (component)', file: 'echo_s.wasm', targetMs: 300 },
];

async function get(port: number): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`GET answered ${response.status}`);
}

async function timed(operation: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await operation();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function runColdStartBench(): Promise<void> {
  const rounds = Number(process.env.COLDSTART_BENCH_ROUNDS ?? 20);
  const nats = await startNatsServer();
  const clusterKey = KeyPair.create('cluster');
  const host = await startTestHost({
    natsUrl: nats.url,
    settings: { latticePrefix: LATTICE, clusterSeed: clusterKey.seed, logLevel: 'warn' },
  });
  const nc = await connectNats({ url: nats.url });
  const subjects = latticeSubjects(LATTICE);
  const client = new ControlClient(nc, { latticePrefix: LATTICE, timeoutMs: 5000 });
  const events = new EventLog(nc, LATTICE);
  try {
    const builtinKey = builtinProviderKey(clusterKey.seed, 'httpserver').publicKey;
    await ctlRequest(nc, subjects.ctl.launchProvider(host.id), {
      provider_ref: 'wasmcloud+builtin://httpserver',
      link_name: 'default',
    });
    await events.waitFor('provider_started', (data) => data.public_key === builtinKey);
    console.log(
      `\nCold start from zero through the built-in httpserver (1 worker; module compiled and kept while dormant; ${rounds} cold starts each)`,
    );
    const header = ['actor', 'warm p50 ms', 'cold p50 ms', 'cold p99 ms', 'cold max ms', 'target', 'met'];
    const lines: string[][] = [];
    for (const actor of ACTORS) {
      const path = new URL(`../actors/build/${actor.file}`, import.meta.url).pathname;
      const actorId = await launchActorFile(nc, events, LATTICE, host.id, path);
      const port = await freePort();
      await ctlRequest(nc, subjects.ctl.linkPut(), {
        actor_id: actorId,
        provider_id: builtinKey,
        contract_id: 'wasmcloud:httpserver',
        link_name: 'default',
        values: { ADDRESS: `127.0.0.1:${port}` },
      });
      await until('the listener', () =>
        get(port).then(
          () => true,
          () => false,
        ),
      );
      const loadOf = async () => (await client.getLoad(host.id)).actors.find((entry) => entry.id === actorId);
      const warm: number[] = [];
      for (let i = 0; i < 50; i++) await get(port);
      for (let i = 0; i < 200; i++) warm.push(await timed(() => get(port)));
      const cold: number[] = [];
      for (let round = 0; round < rounds; round++) {
        await ctlRequest(nc, subjects.ctl.scaleActor(host.id), {
          actor_id: actorId,
          actor_ref: actorId,
          count: 0,
          annotations: {},
          scale_to_zero: true,
        });
        await until('scaled to zero', async () => (await loadOf())?.scaled_to_zero === true);
        cold.push(await timed(() => get(port)));
        await until('woken', async () => (await loadOf())?.instances === 1);
      }
      warm.sort((a, b) => a - b);
      cold.sort((a, b) => a - b);
      const p99 = percentile(cold, 0.99);
      lines.push([
        actor.name,
        percentile(warm, 0.5).toFixed(2),
        percentile(cold, 0.5).toFixed(2),
        p99.toFixed(2),
        cold[cold.length - 1]!.toFixed(2),
        `≤ ${actor.targetMs}`,
        p99 <= actor.targetMs ? 'yes' : 'NO',
      ]);
    }
    const widths = header.map((cell, i) => Math.max(cell.length, ...lines.map((line) => line[i]!.length)));
    for (const line of [header, ...lines])
      console.log(line.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
  } finally {
    await nc.close();
    await host.host.stop();
    await nats.stop();
  }
}
