// Same-host actor → actor calls through a call alias (issue 15, item 4): what one costs from inside a
// worker, measured as the difference between an actor's Test.CallAlias (which calls Test.Echo on the
// actor with the call alias wasmcloud-ts/other) and its own Test.Echo, interleaved. Two runtimes in
// this process, one worker each: one with the routes mirrored into its worker (the call runs in the
// calling worker, local-calls.ts), one without (the call goes to the main thread and back, as every
// call out did before). No NATS in either: this is the call itself.

import type { RouteChange } from '../host/runtime/mod.ts';
import { ActorRuntime } from '../host/runtime/mod.ts';
import { verifySignedWasm } from '../lattice/claims.ts';
import { builtActor, signForTest, unsignedActor } from '../test/helpers/actors.ts';
import { interleavedLatencies, percentile } from './harness.ts';

const ALIAS = 'wasmcloud-ts/other';

export interface LocalCallFigures {
  /** p50 of the inner call alone (Test.CallAlias − Test.Echo), µs. */
  inWorkerP50: number;
  viaMainThreadP50: number;
}

export async function measureLocalCalls(): Promise<LocalCallFigures> {
  const callerBytes = builtActor('wasmbus-kvcounter');
  const callerId = verifySignedWasm(callerBytes).claims.sub;
  const target = signForTest(unsignedActor('wasmbus-kvcounter'), { name: 'other', callAlias: ALIAS });
  const payload = new Uint8Array(100).fill(42);

  const routed = new ActorRuntime({
    workers: 1,
    hostCall: () => Promise.reject(new Error('the worker routes this runtime’s calls itself')),
  });
  const routes: RouteChange[] = [{ kind: 'claims-put', publicKey: target.id, callAlias: ALIAS }];
  routed.updateRoutes(routes);
  const viaMain: ActorRuntime = new ActorRuntime({
    workers: 1,
    // As outbound.ts does for a local target: the main thread invokes it in a worker.
    hostCall: (request) => viaMain.invoke(target.id, request.operation, request.payload),
  });
  try {
    for (const runtime of [routed, viaMain]) {
      await runtime.load(callerBytes);
      await runtime.load(target.bytes);
    }
    const call = (runtime: ActorRuntime, operation: string) => () =>
      runtime.invoke(callerId, operation, payload);
    const [routedEcho, routedAlias, mainEcho, mainAlias] = await interleavedLatencies(
      [
        { name: 'in worker: Test.Echo', operation: call(routed, 'Test.Echo') },
        { name: 'in worker: Test.CallAlias', operation: call(routed, 'Test.CallAlias') },
        { name: 'via main thread: Test.Echo', operation: call(viaMain, 'Test.Echo') },
        { name: 'via main thread: Test.CallAlias', operation: call(viaMain, 'Test.CallAlias') },
      ],
      // Short rounds, many of them: a burst of load on a 2-core machine falls on every case alike.
      { rounds: 30, perRound: 100 },
    );
    const p50 = (samples: { samples: number[] } | undefined) => percentile(samples!.samples, 0.5);
    const figures = {
      inWorkerP50: p50(routedAlias) - p50(routedEcho),
      viaMainThreadP50: p50(mainAlias) - p50(mainEcho),
    };
    console.log('\nsame-host actor → actor call through a call alias, from inside a worker (no NATS)');
    console.log(
      `  in the calling worker (routes mirrored)   ${figures.inWorkerP50.toFixed(1)} µs p50  (target ≤ 30; Test.CallAlias ${p50(routedAlias).toFixed(0)} − Test.Echo ${p50(routedEcho).toFixed(0)}, each called from the main thread)`,
    );
    console.log(
      `  through the main thread (before)          ${figures.viaMainThreadP50.toFixed(1)} µs p50  (Test.CallAlias ${p50(mainAlias).toFixed(0)} − Test.Echo ${p50(mainEcho).toFixed(0)})`,
    );
    return figures;
  } finally {
    await routed.close();
    await viaMain.close();
  }
}
