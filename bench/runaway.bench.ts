// A runaway actor costs only its caller (issue 12, item 4): echo latency on a host process with one
// worker, alone (the baseline) and while actors/wasmbus-loop's Loop.Forever is called once a second
// on the same host (each call runs to the 2 s timeout, so two loop calls are usually running),
// alternating in phases of the same run. Then what the yield points cost where nothing runs away:
// the same modules with and without them, called in this thread.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActorContext } from '../host/runtime/actor-context.ts';
import { WasmbusInstance } from '../host/runtime/wasmbus-instance.ts';
import { addYieldPoints, FUEL_PER_YIELD } from '../host/runtime/yield-points.ts';
import { verifySignedWasm } from '../lattice/claims.ts';
import { errorMessage } from '../lattice/errors.ts';
import { actorEntity, providerEntity } from '../lattice/invocation.ts';
import { InvocationSigner } from '../lattice/invocation-signer.ts';
import { KeyPair } from '../lattice/keys.ts';
import { connectNats } from '../lattice/nats.ts';
import { encodePayload } from '../lattice/payload.ts';
import { sendInvocation } from '../lattice/rpc.ts';
import { latticeSubjects } from '../lattice/subjects.ts';
import { builtActor } from '../test/helpers/actors.ts';
import { REPO_ROOT } from '../test/helpers/fixtures.ts';
import { startNatsServer } from '../test/helpers/nats-server.ts';
import { stopChild, waitForHostPing } from './child-processes.ts';
import { type Measurement, percentile, printComparison, printLatencies } from './harness.ts';

const LATTICE = 'runaway';
const HOST_MAIN = new URL('../host/main.ts', import.meta.url).pathname;
const TIMEOUT_MS = 2_000;
/** Each phase echoes for this long; phases alternate, alone and with the loop. */
const PHASE_MS = 4_000;
const ROUNDS = 3;
const LOOP_EVERY_MS = 1_000;
const GET = encodePayload({ method: 'GET', path: '/', query_string: '', header: {}, body: new Uint8Array() });

export async function runRunawayBench(): Promise<void> {
  const nats = await startNatsServer();
  const clusterKey = KeyPair.create('cluster');
  const dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-runaway-bench-'));
  const subjects = latticeSubjects(LATTICE);
  const host = spawn(
    process.execPath,
    [
      HOST_MAIN,
      '--rpc-port',
      new URL(nats.url).port,
      '--lattice-prefix',
      LATTICE,
      '--cluster-seed',
      clusterKey.seed,
      '--actor-workers',
      '1',
      '--rpc-timeout-ms',
      String(TIMEOUT_MS),
      '--log-level',
      'error',
      '--allow-file-load',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const nc = await connectNats({ url: nats.url });
  try {
    const hostId = await waitForHostPing(nc, LATTICE);
    const signer = new InvocationSigner(clusterKey, hostId);
    const origin = providerEntity(
      'VAMMGIMPCBWOMQHAPTXANYB52OQ3BCQPEITIAHSDC4IIKZJKQEYDEWKN',
      'wasmcloud:httpserver',
      'default',
    );
    const ids: Record<string, string> = {};
    for (const name of ['wasmbus-echo', 'wasmbus-loop']) {
      const bytes = builtActor(name);
      const path = join(dir, `${name}.wasm`);
      writeFileSync(path, bytes);
      ids[name] = verifySignedWasm(bytes).claims.sub;
      await nc.request(
        subjects.ctl.launchActor(hostId),
        new TextEncoder().encode(JSON.stringify({ actor_ref: path })),
        { timeout: 2_000 },
      );
    }
    // A client timeout well past the host's, so what answers is the host.
    const invoke = (actorId: string, operation: string, msg: Uint8Array) =>
      sendInvocation(
        nc,
        subjects.rpc.actor(actorId),
        signer.sign({ origin, target: actorEntity(actorId), operation, msg }),
        { timeoutMs: 3 * TIMEOUT_MS },
      );
    const echo = () => invoke(ids['wasmbus-echo']!, 'HttpServer.HandleRequest', GET);
    for (let attempt = 0; ; attempt++) {
      if (
        await echo().then(
          () => true,
          () => false,
        )
      )
        break;
      if (attempt > 100) throw new Error('wasmbus-echo did not start within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (let i = 0; i < 500; i++) await echo(); // warm-up

    const echoFor = async (ms: number, into: number[]) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const start = process.hrtime.bigint();
        await echo();
        into.push(Number(process.hrtime.bigint() - start) / 1000);
      }
    };
    const alone: number[] = [];
    const withLoop: number[] = [];
    const loopOutcomes: Array<{ ms: number; text: string }> = [];
    const fireLoop = () => {
      const started = Date.now();
      return invoke(ids['wasmbus-loop']!, 'Loop.Forever', new Uint8Array()).then(
        () => loopOutcomes.push({ ms: Date.now() - started, text: 'answered' }),
        (error: unknown) => loopOutcomes.push({ ms: Date.now() - started, text: errorMessage(error) }),
      );
    };
    for (let round = 0; round < ROUNDS; round++) {
      await echoFor(PHASE_MS, alone);
      const pending = [fireLoop()];
      const ticker = setInterval(() => pending.push(fireLoop()), LOOP_EVERY_MS);
      await echoFor(PHASE_MS, withLoop);
      clearInterval(ticker);
      await Promise.all(pending); // the next baseline starts with no loop running
    }
    printLatencies(
      `echo on a host with one worker, alone and while Loop.Forever is called every ${LOOP_EVERY_MS} ms (timeout ${TIMEOUT_MS} ms), ${ROUNDS} × ${PHASE_MS / 1000} s each`,
      { name: 'wasmbus-echo alone', samples: alone.sort((a, b) => a - b) },
      [{ name: 'wasmbus-echo beside a looping actor', samples: withLoop.sort((a, b) => a - b) }],
    );
    console.log(
      `  max: alone ${(alone.at(-1)! / 1000).toFixed(1)} ms, beside the loop ${(withLoop.at(-1)! / 1000).toFixed(1)} ms; echo calls: ${alone.length} / ${withLoop.length}`,
    );
    const timedOut = loopOutcomes.filter((outcome) => outcome.text.startsWith('ACTOR_TIMEOUT:'));
    const answeredIn = timedOut.map((outcome) => outcome.ms).sort((a, b) => a - b);
    console.log(
      `  Loop.Forever calls: ${loopOutcomes.length}, ACTOR_TIMEOUT ${timedOut.length}, answered after p50 ${percentile(answeredIn, 0.5)} ms / max ${answeredIn.at(-1)} ms (timeout ${TIMEOUT_MS} ms)`,
    );
    const others = loopOutcomes.filter((outcome) => !outcome.text.startsWith('ACTOR_TIMEOUT:'));
    if (others.length > 0)
      console.log(`  other outcomes: ${others.map((outcome) => outcome.text).join('; ')}`);
  } finally {
    await nc.close();
    await stopChild(host);
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  await yieldPointCost();
}

/** The same wasmbus modules with and without yield points, called in this thread. */
async function yieldPointCost(): Promise<void> {
  const context: ActorContext = {
    actorId: 'MBENCH',
    caps: new Set(),
    hostCall: () => Promise.reject(new Error('no host calls in this benchmark')),
    log: () => undefined,
  };
  const pair = async (name: string) => {
    const bytes = readFileSync(join(REPO_ROOT, 'actors', 'build', `${name}.wasm`));
    const create = (module: Uint8Array) =>
      WasmbusInstance.create(
        new WebAssembly.Module(Uint8Array.from(module)),
        context,
        Number.POSITIVE_INFINITY,
      );
    return { raw: await create(bytes), instrumented: await create(addYieldPoints(bytes)) };
  };
  const loop = await pair('wasmbus-loop');
  const echo = await pair('wasmbus-echo');
  const body = Uint8Array.from({ length: 1000 }, (_, i) => i % 256);
  const request = encodePayload({ method: 'POST', path: '/a/b', query_string: 'x=1', header: {}, body });
  const forever = Number.POSITIVE_INFINITY;
  const cases = [
    {
      label: 'Loop.Spin 20M rounds (one multiply a loop)',
      on: loop,
      op: 'Loop.Spin',
      msg: Buffer.from('20000000'),
      n: 3,
    },
    { label: 'Loop.Fib 25 (calls, no loop)', on: loop, op: 'Loop.Fib', msg: Buffer.from('25'), n: 10 },
    {
      label: 'wasmbus-echo HandleRequest, 1 KB body',
      on: echo,
      op: 'HttpServer.HandleRequest',
      msg: request,
      n: 300,
    },
  ];
  const rows: Array<{ ours: Measurement; baseline: Measurement }> = [];
  for (const { label, on, op, msg, n } of cases) {
    const [raw, instrumented] = await alternating(
      [() => on.raw.invoke(op, msg, forever), () => on.instrumented.invoke(op, msg, forever)],
      n,
    );
    rows.push({
      ours: {
        name: `${label}, yield points`,
        microseconds: instrumented!,
        operationsPerSecond: 1e6 / instrumented!,
      },
      baseline: { name: 'without', microseconds: raw!, operationsPerSecond: 1e6 / raw! },
    });
  }
  printComparison(`yield points (fuel ${FUEL_PER_YIELD}) where nothing runs away, in this thread`, rows);
}

/** Median µs per call of each operation over 11 rounds of `n` calls, the operations alternating. */
async function alternating(operations: ReadonlyArray<() => Promise<unknown>>, n: number): Promise<number[]> {
  for (const operation of operations) for (let i = 0; i < n; i++) await operation(); // warm-up
  const rounds = operations.map(() => [] as number[]);
  for (let round = 0; round < 11; round++) {
    for (const [index, operation] of operations.entries()) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await operation();
      rounds[index]!.push(Number(process.hrtime.bigint() - start) / 1000 / n);
    }
  }
  return rounds.map((times) => times.sort((a, b) => a - b)[5]!);
}
