// The actor runtime: instantiation and call cost inside a worker (runtime-worker.ts), the cost
// of a call from the dispatching thread (hop included), and memory for 1,000 instances —
// each beside a baseline measured in the same run (raw WebAssembly.Instance, a raw export
// call, a bare postMessage round trip to a worker).

import { Worker } from 'node:worker_threads';
import { prepareActor } from '../host/runtime/actor-loader.ts';
import { ActorRuntime } from '../host/runtime/mod.ts';
import type { ComponentDefinition, WasmbusDefinition } from '../host/runtime/worker-protocol.ts';
import { encodePayload } from '../lattice/payload.ts';
import { builtActor, signForTest } from '../test/helpers/actors.ts';
import { misbehavingComponent } from '../test/helpers/wat-component.ts';
import { latencyP50, type Measurement, printComparison } from './harness.ts';
import type { KindResult } from './runtime-worker.ts';

const MAX_PAGES = 2048;

async function postMessageBaseline(): Promise<Measurement> {
  const worker = new Worker(
    'import { parentPort } from "node:worker_threads"; parentPort.on("message", (m) => parentPort.postMessage(m));',
    {
      eval: true,
    },
  );
  const payload = new Uint8Array(64);
  const roundTrip = () =>
    new Promise<void>((resolve) => {
      worker.once('message', () => resolve());
      worker.postMessage({ type: 'invoke', id: 1, payload });
    });
  try {
    return await latencyP50('bare postMessage round trip', roundTrip);
  } finally {
    await worker.terminate();
  }
}

export async function runRuntimeBench(): Promise<void> {
  const small = signForTest(await misbehavingComponent(), { name: 'bench-small' }).bytes;
  const wasmbusBytes = builtActor('wasmbus-kvcounter');
  const jsBytes = builtActor('echo');
  const prepared = {
    wasmbus: (await prepareActor(wasmbusBytes, MAX_PAGES)).definition as WasmbusDefinition,
    small: (await prepareActor(small, MAX_PAGES)).definition as ComponentDefinition,
    js: (await prepareActor(jsBytes, MAX_PAGES)).definition as ComponentDefinition,
  };

  const inWorker = await new Promise<
    Record<'wasmbus' | 'small' | 'js', KindResult> & {
      thousandInstancesBytes: { first: number; second: number };
    }
  >((resolve, reject) => {
    const worker = new Worker(new URL('./runtime-worker.ts', import.meta.url), { workerData: prepared });
    worker.once('message', (message) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', reject);
  });

  const rows = [];
  for (const kind of ['small', 'wasmbus', 'js'] as const) {
    const result = inWorker[kind];
    if (result.rawInstantiate) rows.push({ ours: result.instantiate, baseline: result.rawInstantiate });
  }
  printComparison('Runtime: instantiate one instance, inside a worker', rows);
  const missing = (['small', 'wasmbus', 'js'] as const).filter((kind) => !inWorker[kind].rawInstantiate);
  for (const kind of missing) {
    console.log(
      `${inWorker[kind].instantiate.name}: ${inWorker[kind].instantiate.microseconds.toFixed(1)} µs (its core module imports more than functions: no raw baseline)`,
    );
  }

  const hop = await postMessageBaseline();
  const runtime = new ActorRuntime({
    workers: 1,
    hostCall: () => Promise.reject(new Error('none')),
    log: () => undefined,
  });
  try {
    const ids = {
      small: (await runtime.load(small)).id,
      wasmbus: (await runtime.load(wasmbusBytes)).id,
      js: (await runtime.load(jsBytes)).id,
    };
    const request = encodePayload({
      method: 'GET',
      path: '/',
      queryString: '',
      header: {},
      body: new Uint8Array(),
    });
    const fromMain = {
      small: await latencyP50('small component: invoke from main', () =>
        runtime.invoke(ids.small, 'echo', Buffer.from('hello')),
      ),
      wasmbus: await latencyP50('wasmbus module: invoke from main', () =>
        runtime.invoke(ids.wasmbus, 'Test.Echo', Buffer.from('hello')),
      ),
      js: await latencyP50('JS component: invoke from main', () =>
        runtime.invoke(ids.js, 'HttpServer.HandleRequest', request),
      ),
    };
    const callRows = [];
    for (const kind of ['small', 'wasmbus', 'js'] as const) {
      const result = inWorker[kind];
      callRows.push({ ours: result.call, baseline: result.rawCall ?? hop });
      callRows.push({ ours: fromMain[kind], baseline: hop });
    }
    printComparison(
      'Runtime: one call (no host calls); baselines: a raw export call, or a bare postMessage round trip',
      callRows,
    );
  } finally {
    await runtime.close();
  }
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  const { first, second } = inWorker.thousandInstancesBytes;
  console.log(
    `1,000 live instances of the small component: ${mb(first)} MB of RSS for the first thousand, ${mb(second)} MB for the next (target ≤ 150 MB)`,
  );
}
