// Proves a call needs nothing from the test process's main thread — where the in-process test hosts'
// main threads run (their control interface, their lattice data, the runtime's host-call router): a
// worker thread of this file makes the signed invocation over its own NATS connection while the main
// thread is blocked in Atomics.wait, and wakes it when the reply is in. A call that needed the main
// thread cannot finish while it is blocked, so the wait times out instead. The same thread can play
// a provider the call reaches (the test's own would be on the blocked main thread).

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ChunkStore } from '../../lattice/chunking.ts';
import { errorMessage } from '../../lattice/errors.ts';
import {
  actorEntity,
  decodeInvocation,
  type Invocation,
  type WasmCloudEntity,
} from '../../lattice/invocation.ts';
import { InvocationSigner } from '../../lattice/invocation-signer.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats } from '../../lattice/nats.ts';
import { invocationReply, sendInvocation } from '../../lattice/rpc.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { HOST } from './keys.ts';

export interface ThreadCall {
  natsUrl: string;
  lattice: string;
  clusterSeed: string;
  actorId: string;
  operation: string;
  payload: Uint8Array;
  origin: WasmCloudEntity;
  /** Answers invocations on this provider subject with `answer` (a msgpack payload) meanwhile. */
  provider?: { subject: string; answer: Uint8Array } | undefined;
}

export interface BlockedCallOutcome {
  /** `ok`: the reply came while the main thread was blocked; `timed-out`: it did not. */
  whileBlocked: 'ok' | 'timed-out';
  reply?: Uint8Array;
  error?: string;
  /** The invocations the provider subject received, in order. */
  providerCalls: Invocation[];
}

type FromCaller =
  | { type: 'ready' }
  | { type: 'done'; reply?: Uint8Array; error?: string; providerCalls: Invocation[] };

/**
 * Makes the call from a worker thread while this (the main) thread is blocked for up to `blockMs`.
 * The caller connects first (unblocked); the main thread blocks from the moment it says go.
 */
export async function callWhileMainThreadBlocked(
  call: ThreadCall,
  blockMs = 3_000,
): Promise<BlockedCallOutcome> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL(import.meta.url), { workerData: { call, flag: flag.buffer } });
  const messages: FromCaller[] = [];
  let wake: () => void = () => {};
  worker.on('message', (message: FromCaller) => {
    messages.push(message);
    wake();
  });
  const next = async (type: FromCaller['type']): Promise<FromCaller> => {
    for (;;) {
      const found = messages.find((message) => message.type === type);
      if (found) return found;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };
  try {
    await next('ready');
    worker.postMessage('go');
    const whileBlocked = Atomics.wait(flag, 0, 0, blockMs) === 'timed-out' ? 'timed-out' : 'ok';
    const done = (await next('done')) as Extract<FromCaller, { type: 'done' }>;
    return {
      whileBlocked,
      providerCalls: done.providerCalls,
      ...(done.reply ? { reply: done.reply } : {}),
      ...(done.error ? { error: done.error } : {}),
    };
  } finally {
    await worker.terminate();
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { call, flag } = workerData as { call: ThreadCall; flag: SharedArrayBuffer };
  const done = new Int32Array(flag);
  const nc = await connectNats({ url: call.natsUrl });
  const subjects = latticeSubjects(call.lattice);
  const chunks = new ChunkStore(nc, subjects);
  const signer = new InvocationSigner(KeyPair.fromSeed(call.clusterSeed, 'cluster'), HOST);
  const providerCalls: Invocation[] = [];
  const provider = call.provider;
  if (provider)
    nc.subscribe(provider.subject, {
      callback: (_error, msg) => {
        const invocation = decodeInvocation(msg.data);
        providerCalls.push(invocation);
        void invocationReply(invocation.id, provider.answer, undefined).then((reply) => msg.respond(reply));
      },
    });
  port.once('message', () => {
    const invocation = signer.sign({
      origin: call.origin,
      target: actorEntity(call.actorId),
      operation: call.operation,
      msg: call.payload,
    });
    sendInvocation(nc, subjects.rpc.actor(call.actorId), invocation, { timeoutMs: 10_000, chunks })
      .then(
        (reply) => ({ type: 'done' as const, reply, providerCalls }),
        (error: unknown) => ({ type: 'done' as const, error: errorMessage(error), providerCalls }),
      )
      .then((message) => {
        // Woken first, so a reply that came while it was blocked is counted as such.
        Atomics.store(done, 0, 1);
        Atomics.notify(done, 0);
        port.postMessage(message);
        return nc.close();
      });
  });
  await nc.flush();
  port.postMessage({ type: 'ready' });
}
