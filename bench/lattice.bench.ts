// The lattice round trip (issue 4): a signed invocation of a small payload to an actor on a host
// process through NATS, beside a raw NATS request/reply to a trivial responder process, in the
// same run, interleaved: one host with the default invocation events (each), one with
// WASMCLOUD_INVOCATION_EVENTS=off. Then the parts that make up the difference: signing,
// verification, the main-thread → worker hop with the wasm call (which the lattice path avoids), and
// msgpack; and a same-host actor → actor call through a call alias from inside a worker
// (lattice-local-calls.ts). LATTICE_BENCH_PROFILE_DIR=dir: the hosts write V8 CPU profiles there.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ActorRuntime } from '../host/runtime/mod.ts';
import { verifySignedWasm } from '../lattice/claims.ts';
import { actorEntity, decodeInvocation, encodeInvocation, providerEntity } from '../lattice/invocation.ts';
import { InvocationSigner } from '../lattice/invocation-signer.ts';
import { validateInvocation } from '../lattice/invocation-validation.ts';
import { KeyPair } from '../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../lattice/nats.ts';
import { replayWindowFor } from '../lattice/replay-guard.ts';
import { sendInvocation } from '../lattice/rpc.ts';
import { latticeSubjects } from '../lattice/subjects.ts';
import { builtActor } from '../test/helpers/actors.ts';
import { startNatsServer } from '../test/helpers/nats-server.ts';
import { stopChild, waitForHostPing } from './child-processes.ts';
import { interleavedLatencies, measure, percentile, printLatencies } from './harness.ts';
import { measureLocalCalls } from './lattice-local-calls.ts';
import { measureReplayGuard } from './replay-guard-cost.ts';

const LATTICE = 'bench';
const ACTOR = 'wasmbus-kvcounter'; // a C wasmbus module; Test.Echo answers its payload
const HOST_MAIN = new URL('../host/main.ts', import.meta.url).pathname;
const RESPONDER = new URL('./nats-responder.ts', import.meta.url).pathname;
/** The invocations come from an httpserver provider, as a real one's would. */
const ORIGIN = providerEntity(
  'VAMMGIMPCBWOMQHAPTXANYB52OQ3BCQPEITIAHSDC4IIKZJKQEYDEWKN',
  'wasmcloud:httpserver',
  'default',
);

function spawnNode(args: string[]): ChildProcess {
  return spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
}

async function waitForLine(child: ChildProcess, pattern: RegExp): Promise<void> {
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) if (pattern.test(line)) return;
  throw new Error(`child exited before printing ${pattern}`);
}

/** A host process on a lattice of its own, running the actor; a signed Test.Echo call to it. */
interface BenchHost {
  child: ChildProcess;
  hostId: string;
  invoke: () => Promise<Uint8Array>;
}

/**
 * Starts a host on `lattice` with `args` (e.g. its invocation-events setting) and the actor, and waits
 * until the actor answers. `profileDir`: the host writes V8 CPU profiles there (every thread).
 */
async function startBenchHost(
  nc: NatsConnection,
  natsPort: string,
  lattice: string,
  clusterKey: KeyPair,
  actor: { path: string; id: string },
  payload: Uint8Array,
  args: string[],
): Promise<BenchHost> {
  const profileDir = process.env.LATTICE_BENCH_PROFILE_DIR;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(
    process.execPath,
    [
      ...profile,
      HOST_MAIN,
      '--rpc-port',
      natsPort,
      '--lattice-prefix',
      lattice,
      '--cluster-seed',
      clusterKey.seed,
      '--log-level',
      'warn',
      '--allow-file-load',
      '--dashboard-port',
      'off',
      ...args,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const subjects = latticeSubjects(lattice);
  const hostId = await waitForHostPing(nc, lattice);
  await nc.request(
    subjects.ctl.launchActor(hostId),
    new TextEncoder().encode(JSON.stringify({ actor_ref: actor.path })),
    { timeout: 2_000 },
  );
  const signer = new InvocationSigner(clusterKey, hostId);
  const invoke = () =>
    sendInvocation(
      nc,
      subjects.rpc.actor(actor.id),
      signer.sign({ origin: ORIGIN, target: actorEntity(actor.id), operation: 'Test.Echo', msg: payload }),
      { timeoutMs: 2_000 },
    );
  for (let attempt = 0; ; attempt++) {
    const ok = await invoke().then(
      () => true,
      () => false,
    );
    if (ok) break;
    if (attempt > 100) throw new Error('the actor did not start within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, hostId, invoke };
}

export async function runLatticeBench(): Promise<void> {
  const nats = await startNatsServer();
  const clusterKey = KeyPair.create('cluster');
  const dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-bench-'));
  const actorPath = join(dir, `${ACTOR}.wasm`);
  const actorBytes = builtActor(ACTOR);
  writeFileSync(actorPath, actorBytes);
  const actorId = verifySignedWasm(actorBytes).claims.sub;

  const responder = spawnNode([RESPONDER, nats.url, 'bench.echo']);
  const port = new URL(nats.url).port;
  const nc = await connectNats({ url: nats.url });
  const hosts: BenchHost[] = [];
  try {
    await waitForLine(responder, /ready/);
    const payload = new Uint8Array(100).fill(42);
    const actor = { path: actorPath, id: actorId };
    // One host per invocation-events setting, each on a lattice of its own (one at a time: a ping
    // answered by the first host must not be taken for the second's).
    const each = await startBenchHost(nc, port, LATTICE, clusterKey, actor, payload, []);
    hosts.push(each);
    const off = await startBenchHost(nc, port, `${LATTICE}-off`, clusterKey, actor, payload, [
      '--invocation-events',
      'off',
    ]);
    hosts.push(off);
    const invoke = each.invoke;
    const signer = new InvocationSigner(clusterKey, each.hostId);
    const origin = ORIGIN;

    const [raw, lattice, latticeOff] = await interleavedLatencies([
      { name: 'raw NATS request/reply (two processes)', operation: () => nc.request('bench.echo', payload) },
      { name: `signed invocation → host → ${ACTOR} Test.Echo`, operation: invoke },
      { name: 'the same, host with WASMCLOUD_INVOCATION_EVENTS=off', operation: off.invoke },
    ]);
    printLatencies('lattice round trip, 100-byte payload, sequential', raw!, [lattice!, latticeOff!]);

    // The parts, measured alone in this process.
    const invocation = signer.sign({
      origin,
      target: actorEntity(actorId),
      operation: 'Test.Echo',
      msg: payload,
    });
    const encoded = encodeInvocation(invocation);
    const issuers = new Set([clusterKey.publicKey]);
    const sign = measure('sign', () =>
      signer.sign({ origin, target: actorEntity(actorId), operation: 'Test.Echo', msg: payload }),
    );
    // As the host checks it: with the `iat` window of replay protection.
    const replayWindow = replayWindowFor(2_000);
    const verify = measure('verify', () =>
      validateInvocation(invocation, { clusterIssuers: issuers, replayWindow }),
    );
    const replayGuard = measureReplayGuard(() =>
      signer.sign({ origin, target: actorEntity(actorId), operation: 'Test.Echo', msg: payload }),
    );
    const codec = measure('encode + decode', () => decodeInvocation(encodeInvocation(invocation)));
    const runtime = new ActorRuntime({
      workers: 1,
      hostCall: () => Promise.reject(new Error('no host calls')),
    });
    await runtime.load(actorBytes);
    const [workerCall] = await interleavedLatencies(
      [{ name: 'worker', operation: () => runtime.invoke(actorId, 'Test.Echo', payload) }],
      { rounds: 5 },
    );
    await runtime.close();
    await measureLocalCalls();
    const rawP50 = percentile(raw!.samples, 0.5);
    const latticeP50 = percentile(lattice!.samples, 0.5);
    console.log('\nwhere the difference goes (µs, measured alone)');
    console.log(`  raw NATS round trip (p50)             ${rawP50.toFixed(0)}`);
    console.log(`  + sign invocation (client)            ${sign.microseconds.toFixed(0)}`);
    console.log(`  + verify invocation (host)            ${verify.microseconds.toFixed(0)}`);
    console.log(
      `  + replay guard (host)                 ${replayGuard.microseconds.toFixed(2)}  (${replayGuard.note}; target ≤ 5)`,
    );
    console.log(
      `  (main thread → worker → wasm (p50)    ${percentile(workerCall!.samples, 0.5).toFixed(0)}  not on this path: workers serve NATS themselves)`,
    );
    console.log(
      `  + invocation encode + decode          ${codec.microseconds.toFixed(0)}  (${encoded.length} bytes)`,
    );
    console.log(
      `  = lattice round trip (p50)            ${latticeP50.toFixed(0)}  (${(latticeP50 / rawP50).toFixed(2)}× raw)`,
    );
  } finally {
    await nc.close();
    for (const host of hosts) await stopChild(host.child);
    await stopChild(responder);
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
