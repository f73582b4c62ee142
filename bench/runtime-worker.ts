// Runs inside a worker thread (as actors do): instantiation time, in-thread call latency and
// memory per instance for each kind of actor, beside the raw WebAssembly.Instance of the same
// core module and a raw call of its export. Receives prepared definitions from runtime.bench.ts.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import type { ActorContext } from '../host/runtime/actor-context.ts';
import { ComponentActor, type ComponentInstance } from '../host/runtime/component-instance.ts';
import { WasmbusInstance } from '../host/runtime/wasmbus-instance.ts';
import type { ComponentDefinition, WasmbusDefinition } from '../host/runtime/worker-protocol.ts';
import { encodePayload } from '../lattice/payload.ts';
import { type Measurement, measure, measureAsync } from './harness.ts';

interface Input {
  wasmbus: WasmbusDefinition;
  small: ComponentDefinition;
  js: ComponentDefinition;
}

export interface KindResult {
  instantiate: Measurement;
  rawInstantiate: Measurement | undefined;
  call: Measurement;
  rawCall: Measurement | undefined;
}

// A gc() for this thread, so the memory figure counts live instances, not garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const context: ActorContext = {
  actorId: 'MBENCH',
  caps: new Set(),
  hostCall: () => Promise.reject(new Error('no host calls in this benchmark')),
  log: () => undefined,
};

/** Stub imports for a core module that imports only functions; undefined when it needs more. */
function stubImports(module: WebAssembly.Module): WebAssembly.Imports | undefined {
  const imports: Record<string, Record<string, () => number>> = {};
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== 'function') return undefined;
    imports[from] ??= {};
    imports[from][name] = () => 0;
  }
  return imports;
}

/** The component's main core module: the one its glue instantiates first (the largest). */
function mainCoreModule(definition: ComponentDefinition): WebAssembly.Module {
  return definition.coreModules['actor.core.wasm']!;
}

async function wasmbusKind(definition: WasmbusDefinition): Promise<KindResult> {
  const instantiate = await measureAsync(
    'wasmbus module: instantiate',
    () => WasmbusInstance.create(definition.module, context, Number.POSITIVE_INFINITY),
    50,
  );
  const raw = stubImports(definition.module);
  const rawInstantiate = raw
    ? measure('raw WebAssembly.Instance', () => new WebAssembly.Instance(definition.module, raw), {
        iterationsPerRound: 50,
      })
    : undefined;
  const instance = await WasmbusInstance.create(definition.module, context, Number.POSITIVE_INFINITY);
  const payload = Buffer.from('hello');
  const call = await measureAsync(
    'wasmbus module: call (Test.Echo)',
    () => instance.invoke('Test.Echo', payload, Number.POSITIVE_INFINITY),
    2000,
  );
  // The raw ABI without JSPI or our bookkeeping: __guest_call answering through plain imports.
  let rawCall: Measurement | undefined;
  if (raw) {
    let memory: WebAssembly.Memory | undefined;
    const op = Buffer.from('Test.Echo');
    const bytes = (ptr: number, len: number) => new Uint8Array(memory!.buffer, ptr, len);
    const wasmbus = {
      ...raw.wasmbus,
      __guest_request: (opPtr: number, msgPtr: number) => {
        bytes(opPtr, op.length).set(op);
        bytes(msgPtr, payload.length).set(payload);
      },
      __guest_response: (ptr: number, len: number) => bytes(ptr, len).slice(),
    };
    const rawInstance = new WebAssembly.Instance(definition.module, { wasmbus });
    memory = rawInstance.exports.memory as WebAssembly.Memory;
    const guestCall = rawInstance.exports.__guest_call as (a: number, b: number) => number;
    rawCall = measure('raw __guest_call', () => guestCall(op.length, payload.length), {
      iterationsPerRound: 2000,
    });
  }
  return { instantiate, rawInstantiate, call, rawCall };
}

async function componentKind(
  label: string,
  definition: ComponentDefinition,
  operation: string,
  payload: Uint8Array,
): Promise<KindResult> {
  const actor = new ComponentActor(definition, context);
  await actor.instantiate(); // imports the glue once
  const instantiate = await measureAsync(
    `${label}: instantiate`,
    () => actor.instantiate(),
    label.startsWith('JS') ? 20 : 200,
  );
  const core = mainCoreModule(definition);
  const raw = stubImports(core);
  const rawInstantiate = raw
    ? measure('raw WebAssembly.Instance', () => new WebAssembly.Instance(core, raw), {
        iterationsPerRound: label.startsWith('JS') ? 5 : 50,
      })
    : undefined;
  const instance: ComponentInstance = await actor.instantiate();
  const call = await measureAsync(`${label}: call`, () => instance.invoke(operation, payload), 2000);
  return { instantiate, rawInstantiate, call, rawCall: undefined };
}

/**
 * Memory of live instances of the small component: RSS growth over the first thousand
 * (includes warming the allocators: an upper bound) and over a second thousand.
 */
async function thousandInstances(
  definition: ComponentDefinition,
): Promise<{ first: number; second: number }> {
  const actor = new ComponentActor(definition, context);
  await actor.instantiate();
  const live: ComponentInstance[] = [];
  const rss = () => {
    gc();
    return process.memoryUsage().rss;
  };
  const start = rss();
  for (let i = 0; i < 1000; i++) live.push(await actor.instantiate());
  const middle = rss();
  for (let i = 0; i < 1000; i++) live.push(await actor.instantiate());
  const end = rss();
  if (live.length !== 2000) throw new Error('lost instances');
  return { first: middle - start, second: end - middle };
}

const input = workerData as Input;
const echoRequest = encodePayload({
  method: 'GET',
  path: '/',
  queryString: '',
  header: {},
  body: new Uint8Array(),
});
// Memory first, before the other measurements leave garbage that a gc() would return.
const thousandInstancesBytes = await thousandInstances(input.small);
const results = {
  thousandInstancesBytes,
  wasmbus: await wasmbusKind(input.wasmbus),
  small: await componentKind('small component (WAT)', input.small, 'echo', Buffer.from('hello')),
  js: await componentKind('JS component (echo)', input.js, 'HttpServer.HandleRequest', echoRequest),
};
parentPort!.postMessage(results);
