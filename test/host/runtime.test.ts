import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ActorLoadError,
  ActorRuntime,
  type HostCallRequest,
  INVOCATION_ERROR_CODES,
  type RunawayReport,
} from '../../host/runtime/mod.ts';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import { builtActor, signForTest, unsignedActor } from '../helpers/actors.ts';
import { eventually, eventuallyPasses } from '../helpers/eventually.ts';
import { misbehavingComponent } from '../helpers/wat-component.ts';

const GET_ROOT = encodePayload({
  method: 'GET',
  path: '/',
  queryString: '',
  header: {},
  body: new Uint8Array(),
});

interface HttpResponse {
  statusCode: number;
  header: Record<string, string[]>;
  body: Uint8Array;
}

function httpResponse(payload: Uint8Array): HttpResponse {
  return decodePayload(payload) as HttpResponse;
}

function bodyText(payload: Uint8Array): string {
  return Buffer.from(httpResponse(payload).body).toString();
}

/** A host-call function that keeps a counter store and records every call. */
function fakeHost() {
  let counter = 0;
  const calls: HostCallRequest[] = [];
  const hostCall = vi.fn(async (request: HostCallRequest) => {
    calls.push(request);
    if (request.operation === 'KeyValue.Increment') {
      const { value } = decodePayload(request.payload) as { value: number };
      counter += value;
      return encodePayload(counter);
    }
    if (request.target === 'actor' && request.operation === 'Test.Echo') return request.payload;
    throw new Error(`no link for ${request.namespace}`);
  });
  return { hostCall, calls };
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected the promise to reject');
}

describe('a wasmbus module (C, actors/wasmbus-kvcounter)', () => {
  const host = fakeHost();
  const logs: string[] = [];
  let runtime: ActorRuntime;
  let id: string;

  beforeAll(async () => {
    runtime = new ActorRuntime({
      hostCall: host.hostCall,
      workers: 2,
      log: (e) => logs.push(`${e.actorId} ${e.level} ${e.text}`),
    });
    ({ id } = await runtime.load(builtActor('wasmbus-kvcounter')));
  });
  afterAll(() => runtime.close());

  it('answers a request, calling the linked key-value store through the host', async () => {
    expect(bodyText(await runtime.invoke(id, 'HttpServer.HandleRequest', GET_ROOT))).toBe('{"counter":1}');
    expect(bodyText(await runtime.invoke(id, 'HttpServer.HandleRequest', GET_ROOT))).toBe('{"counter":2}');
    const call = host.calls.at(-1)!;
    expect(call).toMatchObject({
      actorId: id,
      target: 'provider',
      linkName: 'default',
      namespace: 'wasmcloud:keyvalue',
      operation: 'KeyValue.Increment',
    });
    expect(decodePayload(call.payload)).toEqual({ key: 'counter', value: 1 });
  });

  it('passes a host-call failure to the actor, which answers with its own error', async () => {
    const failing = new ActorRuntime({
      hostCall: async () => Promise.reject(new Error('no link for wasmcloud:keyvalue')),
      workers: 1,
    });
    try {
      const { id: actor } = await failing.load(builtActor('wasmbus-kvcounter'));
      const error = await rejection(failing.invoke(actor, 'HttpServer.HandleRequest', GET_ROOT));
      expect(error.code).toBe(INVOCATION_ERROR_CODES.actorError);
      expect(error.message).toContain('kvcounter: no link for wasmcloud:keyvalue');
    } finally {
      await failing.close();
    }
  });

  it('refuses a contract the claims do not list, without sending anything', async () => {
    const { bytes, id: unprivileged } = signForTest(unsignedActor('wasmbus-kvcounter'), {
      caps: ['wasmcloud:httpserver'],
    });
    await runtime.load(bytes);
    const before = host.hostCall.mock.calls.length;
    const error = await rejection(runtime.invoke(unprivileged, 'HttpServer.HandleRequest', GET_ROOT));
    expect(error.code).toBe(INVOCATION_ERROR_CODES.actorError);
    expect(error.message).toContain(`missing capability claim for wasmcloud:keyvalue`);
    expect(host.hostCall.mock.calls.length).toBe(before);
  });

  it('calls another actor by call alias through the host (no capability needed)', async () => {
    const reply = await runtime.invoke(id, 'Test.CallAlias', Buffer.from('ping'));
    expect(Buffer.from(reply).toString()).toBe('ping');
    expect(host.calls.at(-1)).toMatchObject({
      target: 'actor',
      namespace: 'wasmcloud-ts/other',
      operation: 'Test.Echo',
    });
  });

  it('logs __console_log lines tagged with the actor key', async () => {
    await runtime.invoke(id, 'Test.Log', Buffer.from('hello from wasm'));
    expect(logs).toContain(`${id} info hello from wasm`);
  });

  it('turns a trap into an error reply and keeps serving', async () => {
    const error = await rejection(runtime.invoke(id, 'Test.Trap', new Uint8Array()));
    expect(error.code).toBe(INVOCATION_ERROR_CODES.trap);
    expect(error.message).toMatch(/unreachable/);
    expect(Buffer.from(await runtime.invoke(id, 'Test.Echo', Buffer.from('still here'))).toString()).toBe(
      'still here',
    );
  });

  it('answers an unknown operation with the actor error', async () => {
    const error = await rejection(runtime.invoke(id, 'Nope.Nothing', new Uint8Array()));
    expect(error.code).toBe(INVOCATION_ERROR_CODES.actorError);
    expect(error.message).toContain('unknown operation: Nope.Nothing');
  });

  it('caps each instance memory: growing past 128 MiB fails inside the guest', async () => {
    expect(decodePayload(await runtime.invoke(id, 'Test.Grow', encodePayload(100)))).toBeGreaterThan(0);
    expect(decodePayload(await runtime.invoke(id, 'Test.Grow', encodePayload(4000)))).toBe(-1);
  });

  it('runs many concurrent calls', async () => {
    const replies = await Promise.all(
      Array.from({ length: 300 }, (_, i) => runtime.invoke(id, 'Test.Echo', Buffer.from(`call ${i}`))),
    );
    expect(replies.map((reply) => Buffer.from(reply).toString())).toEqual(replies.map((_, i) => `call ${i}`));
  });
});

describe('host calls suspend only their own instance (JSPI)', () => {
  it('keeps one worker serving while an instance awaits a slow host call', async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const runtime = new ActorRuntime({
      workers: 1,
      log: () => undefined,
      hostCall: async () => {
        await slow;
        return encodePayload(41);
      },
    });
    try {
      const { id } = await runtime.load(builtActor('wasmbus-kvcounter'));
      const waiting = runtime.invoke(id, 'HttpServer.HandleRequest', GET_ROOT);
      // The same worker, the same actor (another instance), answers meanwhile.
      const quick = await Promise.all(
        Array.from({ length: 5 }, (_, i) => runtime.invoke(id, 'Test.Echo', Buffer.from(`q${i}`))),
      );
      expect(quick.map((r) => Buffer.from(r).toString())).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
      release();
      expect(bodyText(await waiting)).toBe('{"counter":41}');
    } finally {
      await runtime.close();
    }
  });
});

describe('a component in C (actors/kvcounter)', () => {
  const host = fakeHost();
  let runtime: ActorRuntime;
  let id: string;

  beforeAll(async () => {
    runtime = new ActorRuntime({ hostCall: host.hostCall, workers: 2, log: () => undefined });
    ({ id } = await runtime.load(builtActor('kvcounter')));
  });
  afterAll(() => runtime.close());

  it('answers through the httpserver contract and calls key-value through the host', async () => {
    const response = httpResponse(await runtime.invoke(id, 'HttpServer.HandleRequest', GET_ROOT));
    expect(response.statusCode).toBe(200);
    expect(response.header).toEqual({ 'content-type': ['application/json'] });
    expect(Buffer.from(response.body).toString()).toBe('{"counter":1}');
    expect(decodePayload(host.calls[0]!.payload)).toEqual({ key: 'counter', value: 1 });
    expect(host.calls[0]).toMatchObject({
      target: 'provider',
      namespace: 'wasmcloud:keyvalue',
      operation: 'KeyValue.Increment',
    });
  });

  it('refuses key-value when the claims lack it; the actor reports the refusal', async () => {
    const { bytes, id: unprivileged } = signForTest(unsignedActor('kvcounter'), {
      caps: ['wasmcloud:httpserver', 'wasmcloud:builtin:logging'],
    });
    await runtime.load(bytes);
    const before = host.hostCall.mock.calls.length;
    const error = await rejection(runtime.invoke(unprivileged, 'HttpServer.HandleRequest', GET_ROOT));
    expect(error.code).toBe(INVOCATION_ERROR_CODES.actorError);
    expect(error.message).toContain('missing capability claim for wasmcloud:keyvalue');
    expect(host.hostCall.mock.calls.length).toBe(before);
  });

  it('rejects a payload that is not an HttpRequest, naming the field', async () => {
    const error = await rejection(
      runtime.invoke(id, 'HttpServer.HandleRequest', encodePayload({ method: 7 })),
    );
    expect(error.code).toBe(INVOCATION_ERROR_CODES.badPayload);
    expect(error.message).toMatch(/method: expected a string, got number/);
  });

  it('runs many concurrent calls, each counted once', async () => {
    const before = host.calls.length;
    await Promise.all(
      Array.from({ length: 100 }, () => runtime.invoke(id, 'HttpServer.HandleRequest', GET_ROOT)),
    );
    expect(host.calls.length - before).toBe(100);
  });
});

describe('a component in TypeScript (actors/echo)', () => {
  let runtime: ActorRuntime;
  let id: string;

  beforeAll(async () => {
    runtime = new ActorRuntime({ hostCall: fakeHost().hostCall, workers: 2 });
    ({ id } = await runtime.load(builtActor('echo')));
  });
  afterAll(() => runtime.close());

  it('answers GET / exactly as the 2022 echo did', async () => {
    expect(bodyText(await runtime.invoke(id, 'HttpServer.HandleRequest', GET_ROOT))).toBe(
      '{"body":[],"method":"GET","path":"/","query_string":""}',
    );
  });

  it('echoes method, path, query and body', async () => {
    const request = encodePayload({
      method: 'POST',
      path: '/x',
      queryString: 'a=1',
      header: { accept: ['*/*'] },
      body: Uint8Array.from([1, 2, 3]),
    });
    expect(JSON.parse(bodyText(await runtime.invoke(id, 'HttpServer.HandleRequest', request)))).toEqual({
      body: [1, 2, 3],
      method: 'POST',
      path: '/x',
      query_string: 'a=1',
    });
  });

  it('says plainly when asked for an operation it does not export', async () => {
    const error = await rejection(
      runtime.invoke(
        id,
        'MessageSubscriber.HandleMessage',
        encodePayload({ subject: 's', body: new Uint8Array() }),
      ),
    );
    expect(error.code).toBe(INVOCATION_ERROR_CODES.unknownOperation);
  });

  it('runs many concurrent calls', async () => {
    const replies = await Promise.all(
      Array.from({ length: 100 }, () => runtime.invoke(id, 'HttpServer.HandleRequest', GET_ROOT)),
    );
    expect(new Set(replies.map(bodyText)).size).toBe(1);
  });
});

describe('the service-applier component (TypeScript)', () => {
  it('applies a Service when an httpserver link is put, and deletes it when the link goes', async () => {
    const calls: HostCallRequest[] = [];
    const runtime = new ActorRuntime({
      workers: 1,
      log: () => undefined,
      hostCall: async (request) => {
        calls.push(request);
        return encodePayload({ succeeded: true });
      },
    });
    try {
      const { id } = await runtime.load(builtActor('service-applier'));
      const actorId = 'MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5';
      const event = (type: string) =>
        encodePayload({
          subject: 'wasmbus.evt.default',
          body: Buffer.from(
            JSON.stringify({
              type: `com.wasmcloud.lattice.${type}`,
              data: {
                actor_id: actorId,
                provider_id: 'VAG3',
                link_name: 'default',
                contract_id: 'wasmcloud:httpserver',
                values: { PORT: '8081' },
              },
            }),
          ),
        });
      await runtime.invoke(id, 'MessageSubscriber.HandleMessage', event('linkdef_set'));
      expect(calls[0]).toMatchObject({
        target: 'provider',
        namespace: 'cosmonic:kubernetes_applier',
        operation: 'KubernetesApplier.Apply',
      });
      const service = JSON.parse(Buffer.from(decodePayload(calls[0]!.payload) as Uint8Array).toString());
      expect(service).toMatchObject({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: actorId.toLowerCase() },
      });
      expect(service.spec.selector).toEqual({ 'wasmcloud.dev/route-to': 'true' });
      expect(service.spec.ports[0]).toMatchObject({ port: 8081, protocol: 'TCP' });

      await runtime.invoke(id, 'MessageSubscriber.HandleMessage', event('linkdef_deleted'));
      expect(calls[1]).toMatchObject({ operation: 'KubernetesApplier.Delete' });
      expect(decodePayload(calls[1]!.payload)).toMatchObject({
        version: 'v1',
        kind: 'Service',
        name: actorId.toLowerCase(),
      });
    } finally {
      await runtime.close();
    }
  });
});

describe('the WASI sandbox, through a component that uses it (actors/wasi-probe)', () => {
  it('sends stdout and stderr to the host log tagged with the actor key; clocks and random work', async () => {
    const logs: string[] = [];
    const runtime = new ActorRuntime({
      workers: 1,
      hostCall: fakeHost().hostCall,
      log: (e) => logs.push(`${e.actorId} ${e.level} ${e.text}`),
    });
    try {
      const { id } = await runtime.load(builtActor('wasi-probe'));
      const answer = JSON.parse(Buffer.from(await runtime.invoke(id, 'probe', new Uint8Array())).toString());
      expect(logs).toContain(`${id} info probe says hello on stdout`);
      expect(logs).toContain(`${id} warn probe says hello on stderr`);
      expect(Math.abs(answer.now - Date.now())).toBeLessThan(60_000);
      expect(answer.random).toBeGreaterThanOrEqual(0);
      expect(answer.random).toBeLessThan(1);
      expect(answer.monotonic).toBeGreaterThanOrEqual(0);
    } finally {
      await runtime.close();
    }
  });
});

describe('limits and misbehaving actors', () => {
  let runtime: ActorRuntime;
  let looper: string;
  let echo: string;
  let wasmbus: string;
  const runaways: RunawayReport[] = [];

  beforeAll(async () => {
    runtime = new ActorRuntime({
      hostCall: fakeHost().hostCall,
      workers: 2,
      // 1 s: echo calls on a busy 2-core machine must fit in it while a worker spins and is replaced.
      invocationTimeoutMs: 1_000,
      maxPayloadBytes: 64 * 1024,
      onRunaway: (report) => runaways.push(report),
    });
    const component = signForTest(await misbehavingComponent(), { name: 'misbehave' });
    looper = (await runtime.load(component.bytes)).id;
    echo = (await runtime.load(builtActor('echo'))).id;
    wasmbus = (await runtime.load(builtActor('wasmbus-kvcounter'))).id;
  });
  afterAll(() => runtime.close());

  it('stops a looping component with a timeout while every other actor keeps answering', async () => {
    // Instances of the echo component in both workers first: making one (StarlingMonkey) takes tens
    // of ms of the worker's thread, which is not what this test is about.
    await Promise.all(
      Array.from({ length: 8 }, () => runtime.invoke(echo, 'HttpServer.HandleRequest', GET_ROOT)),
    );
    const started = Date.now();
    const stuck = rejection(runtime.invoke(looper, 'loop', new Uint8Array()));
    // Once it spins: calls that reached its worker in the same batch of messages as the loop were
    // started there before the loop began, and are lost with the worker (docs/host.md, limits).
    await eventually(() => runtime.callLoad().get(looper)?.inFlight === 1, 'the looper running');
    // While one worker spins, calls keep being answered by the other.
    // A call the pool put on the spinning worker moves to the other once that one answers a ping
    // (worker-pool.ts, #takeBackQueued); when the other is itself busy making echo instances, a few
    // can still run out the timeout. Each gets one more try, as a caller would give it; most must
    // be answered at the first.
    let firstTry = 0;
    const meanwhile = await Promise.all(
      Array.from({ length: 20 }, async () => {
        try {
          const reply = await runtime.invoke(echo, 'HttpServer.HandleRequest', GET_ROOT);
          firstTry++;
          return reply;
        } catch {
          return runtime.invoke(echo, 'HttpServer.HandleRequest', GET_ROOT);
        }
      }),
    );
    expect(meanwhile).toHaveLength(20);
    expect(firstTry).toBeGreaterThanOrEqual(10);
    const error = await stuck;
    expect(error.code).toBe(INVOCATION_ERROR_CODES.timeout);
    expect(error.message).toMatch(/timed out after 1000 ms/);
    expect(Date.now() - started).toBeLessThan(2500);
    // After the stuck worker is replaced (the pool reports it, then the new worker loads the actors
    // again), every actor answers again, the looper too.
    await eventuallyPasses(
      async () =>
        expect(await runaways.find((report) => report.actorId === looper)?.action).toBe('worker_replaced'),
      {
        what: "runaways.find((report) => report.actorId === looper)?.action to be ('worker_replaced')",
        timeoutMs: 10_000,
      },
    );
    const back = await eventually(
      async () => Buffer.from(await runtime.invoke(looper, 'echo', Buffer.from('back'))).toString(),
      'the looper to answer from the replacement worker',
    );
    expect(back).toBe('back');
    expect(bodyText(await runtime.invoke(echo, 'HttpServer.HandleRequest', GET_ROOT))).toContain(
      '"method":"GET"',
    );
  });

  it('stops a looping wasmbus module at a yield point, without replacing its worker', async () => {
    const error = await rejection(runtime.invoke(wasmbus, 'Test.Loop', new Uint8Array()));
    expect(error.code).toBe(INVOCATION_ERROR_CODES.timeout);
    await eventuallyPasses(
      async () =>
        expect(await runaways.find((report) => report.actorId === wasmbus)).toEqual({
          actorId: wasmbus,
          operation: 'Test.Loop',
          timeoutMs: 1_000,
          action: 'interrupted',
        }),
      {
        what: "runaways.find((report) => report.actorId === wasmbus) to equal ({ actorId: wasmbus, operation: 'T...",
      },
    );
    // No worker to wait for: the next call is answered at once.
    expect(Buffer.from(await runtime.invoke(wasmbus, 'Test.Echo', Buffer.from('ok'))).toString()).toBe('ok');
  });

  it('without yield points, a looping wasmbus module stops its worker, which is replaced', async () => {
    // Its own list: the same actor key was interrupted in the test before.
    const reports: RunawayReport[] = [];
    const plain = new ActorRuntime({
      hostCall: fakeHost().hostCall,
      workers: 1,
      // Long enough for the worker to start on a loaded machine before the first call times out.
      invocationTimeoutMs: 3_000,
      yieldPoints: false,
      onRunaway: (report) => reports.push(report),
    });
    try {
      const { id } = await plain.load(builtActor('wasmbus-kvcounter'));
      await plain.invoke(id, 'Test.Echo', Buffer.from('warm'));
      const error = await rejection(plain.invoke(id, 'Test.Loop', new Uint8Array()));
      expect(error.code).toBe(INVOCATION_ERROR_CODES.timeout);
      await eventuallyPasses(
        async () =>
          expect(await reports.find((report) => report.actorId === id)).toEqual({
            actorId: id,
            operation: 'Test.Loop',
            timeoutMs: 3_000,
            action: 'worker_replaced',
          }),
        {
          what: "reports.find((report) => report.actorId === id) to equal ({ actorId: id, operation: 'Test.Loop', ...",
          timeoutMs: 5_000,
        },
      );
    } finally {
      await plain.close();
    }
  });

  it("turns a component's trap and its err into error replies", async () => {
    expect((await rejection(runtime.invoke(looper, 'trap', new Uint8Array()))).code).toBe(
      INVOCATION_ERROR_CODES.trap,
    );
    const failed = await rejection(runtime.invoke(looper, 'fail', new Uint8Array()));
    expect(failed.code).toBe(INVOCATION_ERROR_CODES.actorError);
    expect(failed.message).toContain('failed');
    expect(Buffer.from(await runtime.invoke(looper, 'echo', Buffer.from('fine'))).toString()).toBe('fine');
  });

  it('refuses an oversized payload before it reaches a worker', async () => {
    const error = await rejection(
      runtime.invoke(echo, 'HttpServer.HandleRequest', new Uint8Array(64 * 1024 + 1)),
    );
    expect(error.code).toBe(INVOCATION_ERROR_CODES.payloadTooLarge);
    expect(error.message).toMatch(/65537 bytes exceeds the limit of 65536 bytes/);
  });

  it('says when an actor is not loaded', async () => {
    expect((await rejection(runtime.invoke('MNOTLOADED', 'X', new Uint8Array()))).code).toBe(
      INVOCATION_ERROR_CODES.notLoaded,
    );
  });
});

describe('bytes the runtime refuses to load', () => {
  let runtime: ActorRuntime;
  beforeAll(() => {
    runtime = new ActorRuntime({ hostCall: fakeHost().hostCall, workers: 1 });
  });
  afterAll(() => runtime.close());

  async function loadError(bytes: Uint8Array): Promise<ActorLoadError> {
    return (await rejection(runtime.load(bytes))) as ActorLoadError;
  }

  it('refuses bytes that are not wasm', async () => {
    const error = await loadError(Buffer.from('definitely not wasm'));
    expect(error).toBeInstanceOf(ActorLoadError);
    expect(error.code).toBe('WASM_NOT_WASM');
  });

  it('refuses an unsigned module and an unsigned component', async () => {
    expect((await loadError(unsignedActor('wasmbus-kvcounter'))).message).toMatch(
      /no claims found in this module/,
    );
    expect((await loadError(unsignedActor('kvcounter'))).message).toMatch(
      /no claims found in this component/,
    );
  });

  it('refuses a tampered actor', async () => {
    const tampered = Uint8Array.from(builtActor('wasmbus-kvcounter'));
    const at = unsignedActor('wasmbus-kvcounter').length - 20; // inside the code, before the claims
    tampered[at]! ^= 0xff;
    const error = await loadError(tampered);
    expect(['CLAIMS_HASH_MISMATCH', 'WASM_TRUNCATED', 'WASM_MALFORMED']).toContain(error.code);
  });

  it('refuses expired and not-yet-valid claims', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(
      (await loadError(signForTest(unsignedActor('kvcounter'), { expiresAt: now - 1 }).bytes)).code,
    ).toBe('CLAIMS_EXPIRED');
    expect(
      (await loadError(signForTest(unsignedActor('kvcounter'), { notBefore: now + 3600 }).bytes)).code,
    ).toBe('CLAIMS_NOT_YET_VALID');
  });

  it('refuses a signed module that is not a wasmbus actor', async () => {
    const { ANSWER_MODULE } = await import('../helpers/wasm-fixtures.ts');
    const error = await loadError(signForTest(ANSWER_MODULE).bytes);
    expect(error.code).toBe('ACTOR_NOT_WASMBUS');
  });
});
