// The httpserver end to end, table-driven over its two forms: the provider process (built into a
// signed archive from providers/httpserver) and the host's built-in (wasmcloud+builtin://httpserver,
// served by the runtime's workers). Each is started by a real host through the control interface,
// linked to real actors (echo, the wasmbus kvcounter) and to a "fake actor" whose invocations this
// test answers itself (to see exactly what is sent, and to answer slowly or wrongly; the built-in
// calls it over the lattice, as it does every actor its host does not run). Requests go over real
// sockets; both forms must answer, refuse and log alike.

import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { builtinProviderKey } from '../../lattice/builtin-providers.ts';
import { actorEntity, type Invocation, providerEntity } from '../../lattice/invocation.ts';
import { validateInvocation } from '../../lattice/invocation-validation.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import { invocationErrorReply, invocationReply, receiveInvocation } from '../../lattice/rpc.ts';
import { signForTest, unsignedActor } from '../helpers/actors.ts';
import { eventually, eventuallyPasses } from '../helpers/eventually.ts';
import { ctlRequest } from '../helpers/lattice-client.ts';
import { freePort } from '../helpers/nats-server.ts';
import { ACK, type ProviderArchive, ProviderLattice } from '../helpers/provider-lattice.ts';

const CONTRACT = 'wasmcloud:httpserver';

let lattice: ProviderLattice;
let provider: ProviderArchive;
let echoId: string;
let kvcounterId: string;
let wasmbusEchoId: string;

/** An actor no host runs: this test answers its invocations (see `fakeActor`). */
const fakeId = KeyPair.create('module').publicKey;
/** An actor nobody answers for at all. */
const absentId = KeyPair.create('module').publicKey;
/** What the fake actor does with the next invocations: a reply payload, an error, or silence. */
let fakeBehaviour: (request: Record<string, unknown>) => Uint8Array | { error: string } | 'silent' = () =>
  encodePayload({ statusCode: 200, header: {}, body: new Uint8Array() });
const fakeReceived: Invocation[] = [];

function serveFakeActor(): void {
  lattice.nc.subscribe(lattice.subjects.rpc.actor(fakeId), {
    callback: (_error, msg) => {
      void (async () => {
        const invocation = await receiveInvocation(msg.data, undefined);
        fakeReceived.push(invocation);
        const outcome = fakeBehaviour(decodePayload(invocation.msg) as Record<string, unknown>);
        if (outcome === 'silent') return;
        if (outcome instanceof Uint8Array)
          msg.respond(await invocationReply(invocation.id, outcome, undefined));
        else msg.respond(invocationErrorReply(invocation.id, outcome.error));
      })();
    },
  });
}

beforeAll(async () => {
  lattice = await ProviderLattice.start({ lattice: 'httpsrv', name: 'httpserver' });
  provider = await lattice.buildProvider('httpserver');
  echoId = await lattice.startActor('echo');
  kvcounterId = await lattice.startActor('wasmbus-kvcounter');
  wasmbusEchoId = await lattice.startActor('wasmbus-echo');
  serveFakeActor();
  await lattice.nc.flush();
}, 90_000);

afterAll(async () => {
  await lattice?.stop();
});

/** The two forms of the httpserver, each started the way a user starts it. */
const FORMS: Array<{ form: string; start: () => Promise<ProviderArchive> }> = [
  {
    form: 'the provider process (providers/httpserver)',
    start: () => lattice.buildProvider('httpserver'),
  },
  {
    form: 'the built-in (wasmcloud+builtin://httpserver)',
    start: async () => ({
      path: 'wasmcloud+builtin://httpserver',
      providerKey: builtinProviderKey(lattice.clusterKey.seed, 'httpserver').publicKey,
    }),
  },
];

// ---- helpers ----

function putLink(actorId: string, values: Record<string, string>): Promise<void> {
  return lattice.putLink({
    actor_id: actorId,
    provider_id: provider.providerKey,
    link_name: 'default',
    contract_id: CONTRACT,
    values,
  });
}

async function deleteLink(actorId: string): Promise<void> {
  const request = { actor_id: actorId, contract_id: CONTRACT, link_name: 'default' };
  expect(await ctlRequest(lattice.nc, lattice.subjects.ctl.linkDel(), request)).toEqual(ACK);
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Name, value, name, value, … as received. */
  rawHeaders: string[];
  body: Buffer;
}

interface RawRequest {
  method?: string;
  path?: string;
  /** Flat name, value, … list: repeated names stay separate lines on the wire. */
  headers?: string[];
  body?: Uint8Array | string;
}

/** One request on its own connection (no pooling, so a closed listener shows at once). */
function send(port: number, options: RawRequest = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        // Raw header lists get no Host header from Node; HTTP/1.1 servers require one.
        headers: ['Host', `127.0.0.1:${port}`, ...(options.headers ?? [])],
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** What a plain GET on `port` gets now: 'serving', or the connection error's code. */
function probe(port: number): Promise<string> {
  return send(port).then(
    () => 'serving',
    (error: NodeJS.ErrnoException) => error.code ?? error.message,
  );
}

/** Waits until the provider answers on `port` (its link has been applied). */
async function waitServing(port: number): Promise<void> {
  await eventually(async () => (await probe(port)) === 'serving', `a listener on port ${port}`, 15_000);
}

async function waitClosed(port: number): Promise<void> {
  await eventually(async () => (await probe(port)) === 'ECONNREFUSED', `port ${port} to close`, 15_000);
}

function providerLogs(pattern: RegExp): string[] {
  return lattice.host.logs.filter((line) => line.includes(provider.providerKey) && pattern.test(line));
}

const text = (response: RawResponse) => response.body.toString('utf8');

// ---- the tests ----

describe.each(FORMS)('$form', ({ start }) => {
  beforeAll(async () => {
    provider = await start();
    const started = await lattice.startProvider(provider);
    expect(started.data).toMatchObject({ contract_id: CONTRACT, link_name: 'default' });
  }, 60_000);

  afterAll(async () => {
    // The next form's links replace this one's: this one must be gone by then.
    const stop = { provider_ref: provider.providerKey, link_name: 'default' };
    expect(await ctlRequest(lattice.nc, lattice.subjects.ctl.stopProvider(lattice.host.id), stop)).toEqual(
      ACK,
    );
    await lattice.events.waitFor(
      'provider_stopped',
      (data) => data.public_key === provider.providerKey && data.reason === 'normal',
    );
  }, 30_000);

  describe('echo through a real host', () => {
    let port: number;

    beforeAll(async () => {
      port = await freePort();
      await putLink(echoId, { ADDRESS: `127.0.0.1:${port}` });
      await waitServing(port);
    }, 30_000);

    test('GET / answers the 2022 echo JSON byte for byte', async () => {
      const response = await fetch(`http://127.0.0.1:${port}/`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.text()).toBe('{"body":[],"method":"GET","path":"/","query_string":""}');
    });

    test('POST with a body and a query string: the actor sees both, raw', async () => {
      const response = await fetch(`http://127.0.0.1:${port}/items/a%20b?x=1&y=two&x=3`, {
        method: 'POST',
        body: 'hi!',
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(
        '{"body":[104,105,33],"method":"POST","path":"/items/a%20b","query_string":"x=1&y=two&x=3"}',
      );
    });

    test('a body with no content type and other methods reach the actor too', async () => {
      const put = await send(port, { method: 'PUT', path: '/p', body: new Uint8Array([0, 255, 7]) });
      expect(text(put)).toBe('{"body":[0,255,7],"method":"PUT","path":"/p","query_string":""}');
      const del = await send(port, { method: 'DELETE', path: '/d?' });
      expect(text(del)).toBe('{"body":[],"method":"DELETE","path":"/d","query_string":""}');
      const head = await send(port, { method: 'HEAD', path: '/h' });
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
    });

    test('a body over the chunking threshold goes through the object store both ways', async () => {
      const body = new Uint8Array(800 * 1024).fill(7);
      const response = await send(port, { method: 'POST', path: '/big', body });
      expect(response.status).toBe(200);
      const echoed = JSON.parse(text(response)) as { body: number[]; path: string };
      expect(echoed.path).toBe('/big');
      expect(echoed.body.length).toBe(body.length);
      expect(echoed.body.every((byte) => byte === 7)).toBe(true);
    }, 30_000);

    test('many requests in flight at once all get their own answer', async () => {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => fetch(`http://127.0.0.1:${port}/n/${i}`).then((r) => r.text())),
      );
      answers.forEach((answer, i) => {
        expect(answer).toBe(`{"body":[],"method":"GET","path":"/n/${i}","query_string":""}`);
      });
    });
  });

  describe('what the provider sends and how it reads replies (the fake actor)', () => {
    let port: number;

    beforeAll(async () => {
      port = await freePort();
      await putLink(fakeId, {
        config_json: JSON.stringify({ address: `127.0.0.1:${port}`, timeout_ms: 400 }),
      });
      await waitServing(port);
    }, 30_000);

    test('a signed HandleRequest from the provider link entity with the 2022 HttpRequest', async () => {
      fakeReceived.length = 0;
      fakeBehaviour = () =>
        encodePayload({
          statusCode: 201,
          header: { 'set-cookie': ['a=1', 'b=2'], 'x-one': ['only'], 'x-lone': 'string' },
          body: new TextEncoder().encode('made'),
        });
      const response = await send(port, {
        method: 'PATCH',
        path: '/things/7?q=%2F&flag',
        headers: ['X-Multi', 'first', 'x-multi', 'second', 'Content-Type', 'text/plain'],
        body: 'payload',
      });
      expect(response.status).toBe(201);
      expect(text(response)).toBe('made');
      expect(response.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      expect(response.headers['x-one']).toBe('only');
      expect(response.headers['x-lone']).toBe('string');

      expect(fakeReceived).toHaveLength(1);
      const invocation = fakeReceived[0]!;
      expect(invocation.operation).toBe('HttpServer.HandleRequest');
      expect(invocation.origin).toEqual(providerEntity(provider.providerKey, CONTRACT, 'default'));
      expect(invocation.target).toEqual(actorEntity(fakeId));
      expect(
        validateInvocation(invocation, { clusterIssuers: new Set([lattice.clusterKey.publicKey]) }),
      ).toEqual({
        issuer: lattice.clusterKey.publicKey,
      });
      const sent = decodePayload(invocation.msg) as Record<string, unknown>;
      expect(Object.keys(sent)).toEqual(['method', 'path', 'queryString', 'header', 'body']);
      expect(sent).toMatchObject({ method: 'PATCH', path: '/things/7', queryString: 'q=%2F&flag' });
      expect(sent.header).toMatchObject({
        'x-multi': ['first', 'second'],
        'content-type': ['text/plain'],
        host: [`127.0.0.1:${port}`],
      });
      expect(Buffer.from(sent.body as Uint8Array).toString()).toBe('payload');
    });

    test('no answer within timeout_ms is 503 (and the default 2 s timeout was not used)', async () => {
      fakeBehaviour = () => 'silent';
      const started = Date.now();
      const response = await send(port, { path: '/slow' });
      const elapsed = Date.now() - started;
      expect(response.status).toBe(503);
      expect(text(response)).toBe('Service Unavailable: the actor did not answer in time\n');
      expect(elapsed).toBeGreaterThanOrEqual(350);
      expect(elapsed).toBeLessThan(1_900);
      await eventuallyPasses(
        async () =>
          expect(await providerLogs(/did not answer HttpServer.HandleRequest within 400 ms/)).not.toEqual([]),
        { what: 'providerLogs(/did not answer HttpServer.HandleRequest within 400 ms/) not to equal ([])' },
      );
    });

    test('an actor error is 500 with a short body; the detail goes to the log', async () => {
      fakeBehaviour = () => ({ error: 'database on fire' });
      const response = await send(port);
      expect(response.status).toBe(500);
      expect(text(response)).toBe('Internal Server Error: the actor failed to handle the request\n');
      expect(text(response)).not.toContain('database');
      await eventuallyPasses(async () => expect(await providerLogs(/database on fire/)).not.toEqual([]), {
        what: 'providerLogs(/database on fire/) not to equal ([])',
      });
    });

    test.each([
      [
        'a status code above 999',
        encodePayload({ statusCode: 1000, header: {}, body: new Uint8Array() }),
        /statusCode 1000 is not 100–999/,
      ],
      [
        'a status code below 100',
        encodePayload({ statusCode: 42, header: {}, body: new Uint8Array() }),
        /statusCode 42 is not/,
      ],
      [
        'an informational status code',
        encodePayload({ statusCode: 101, header: {}, body: new Uint8Array() }),
        /statusCode 101 is informational/,
      ],
      ['no status code', encodePayload({ header: {}, body: new Uint8Array() }), /statusCode/],
      [
        'a header value with a newline',
        encodePayload({ statusCode: 200, header: { 'x-bad': ['a\nb'] }, body: new Uint8Array() }),
        /header "x-bad"/,
      ],
      ['bytes that are not msgpack', new Uint8Array([0xc1]), /invalid HttpResponse/],
    ])('%s is 500', async (_case, reply, logged) => {
      fakeBehaviour = () => reply;
      const response = await send(port);
      expect(response.status).toBe(500);
      expect(text(response)).toBe('Internal Server Error: the actor sent an invalid response\n');
      await eventuallyPasses(async () => expect(await providerLogs(logged)).not.toEqual([]), {
        what: 'providerLogs(logged) not to equal ([])',
      });
    });

    test('a refusal told by another host is 403 with only the key and the claim, nothing else of the text', async () => {
      const refused = KeyPair.create('module').publicKey;
      fakeBehaviour = () => ({
        error: `blob: Invocation not authorized: actor ${refused} is missing capability claim for wasmcloud:blobstore.\n    at secret (/srv/app.js:1:1) <b>`,
      });
      const response = await send(port);
      expect(response.status).toBe(403);
      expect(text(response)).toBe(
        `Forbidden: missing capability claim: wasmcloud:blobstore (actor ${refused} is not signed with it; sign it with wash claims sign --cap wasmcloud:blobstore)\n`,
      );
      // A contract that is not a contract ID is not echoed: the generic 500.
      fakeBehaviour = () => ({ error: `actor ${refused} is missing capability claim for <script>` });
      const forged = await send(port);
      expect(forged.status).toBe(500);
      expect(text(forged)).toBe('Internal Server Error: the actor failed to handle the request\n');
    });

    test('the provider keeps serving after all of that', async () => {
      fakeBehaviour = () => encodePayload({ statusCode: 204, header: {}, body: new Uint8Array() });
      expect((await send(port)).status).toBe(204);
    });
  });

  describe('wasmbus-echo (C) answers what echo (TypeScript) answers', () => {
    test('the same bytes and headers for every kind of request', async () => {
      const [tsPort, cPort] = [await freePort(), await freePort()];
      await putLink(echoId, { ADDRESS: `127.0.0.1:${tsPort}` });
      await putLink(wasmbusEchoId, { ADDRESS: `127.0.0.1:${cPort}` });
      await Promise.all([waitServing(tsPort), waitServing(cPort)]);
      const requests: RawRequest[] = [
        {},
        { method: 'POST', path: '/bytes', body: new Uint8Array(256).map((_, i) => i) },
        { method: 'PURGE', path: '/cache?all' },
        { method: 'DELETE', path: '/a"b\\c?q="1"&r=\\' },
        { method: 'PUT', path: `/${'long/'.repeat(200)}?${'k=v&'.repeat(300)}`, body: 'x'.repeat(70_000) },
      ];
      for (const request of requests) {
        const [ts, c] = await Promise.all([send(tsPort, request), send(cPort, request)]);
        expect(c.status).toBe(200);
        expect(c.headers['content-type']).toBe('application/json');
        expect(c.headers['content-length']).toBe(String(c.body.length));
        expect(text(c)).toBe(text(ts));
      }
      const purge = JSON.parse(text(await send(cPort, requests[2]))) as Record<string, unknown>;
      expect(purge).toEqual({ body: [], method: 'PURGE', path: '/cache', query_string: 'all' });
      await deleteLink(wasmbusEchoId);
    }, 30_000);
  });

  describe('errors from real actors and missing ones', () => {
    test('the kvcounter without a keyvalue link fails: 500', async () => {
      const port = await freePort();
      await putLink(kvcounterId, { port: String(port) });
      await waitServing(port);
      const response = await send(port);
      expect(response.status).toBe(500);
      expect(text(response)).toBe('Internal Server Error: the actor failed to handle the request\n');
      await eventuallyPasses(
        async () =>
          expect(await providerLogs(/missing link definition .* on wasmcloud:keyvalue/)).not.toEqual([]),
        { what: 'providerLogs(/missing link definition .* on wasmcloud:keyvalue/) not to equal ([])' },
      );
      await deleteLink(kvcounterId);
      await waitClosed(port);
    }, 30_000);

    test('a kvcounter whose claims lack wasmcloud:keyvalue: 403 naming the claim it needs', async () => {
      const unprivileged = signForTest(unsignedActor('wasmbus-kvcounter'), {
        name: 'kvcounter-unpriv',
        caps: [CONTRACT],
      });
      const actorId = await lattice.startSignedActor(unprivileged.bytes, 'kvcounter-unpriv');
      const port = await freePort();
      await putLink(actorId, { port: String(port) });
      await waitServing(port);
      const response = await send(port);
      expect(response.status).toBe(403);
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(text(response)).toBe(
        `Forbidden: missing capability claim: wasmcloud:keyvalue (actor ${actorId} is not signed with it; sign it with wash claims sign --cap wasmcloud:keyvalue)\n`,
      );
      await eventuallyPasses(
        async () =>
          expect(
            await providerLogs(
              /Invocation not authorized: actor M\w+ is missing capability claim for wasmcloud:keyvalue/,
            ),
          ).not.toEqual([]),
        {
          what: 'providerLogs(/Invocation not authorized: actor M\\w+ is missing capability claim for wasmcloud:key...',
        },
      );
      await deleteLink(actorId);
      await waitClosed(port);
    }, 30_000);

    test('an actor whose claims lack wasmcloud:httpserver: 403 naming that claim', async () => {
      const notForHttp = signForTest(unsignedActor('wasmbus-echo'), { name: 'echo-no-http', caps: [] });
      const actorId = await lattice.startSignedActor(notForHttp.bytes, 'echo-no-http');
      const port = await freePort();
      await putLink(actorId, { port: String(port) });
      await waitServing(port);
      const response = await send(port);
      expect(response.status).toBe(403);
      expect(text(response)).toBe(
        `Forbidden: missing capability claim: wasmcloud:httpserver (actor ${actorId} is not signed with it; sign it with wash claims sign --cap wasmcloud:httpserver)\n`,
      );
      await deleteLink(actorId);
      await waitClosed(port);
    }, 30_000);

    test('an actor no host runs: 503 at once', async () => {
      const port = await freePort();
      await putLink(absentId, { address: `127.0.0.1:${port}` });
      await waitServing(port);
      const response = await send(port);
      expect(response.status).toBe(503);
      expect(text(response)).toBe('Service Unavailable: no host is running the actor\n');
      await deleteLink(absentId);
      await waitClosed(port);
    }, 30_000);
  });

  describe('listeners follow the links', () => {
    test('a body over max_content_len is 413; one at the limit passes', async () => {
      const port = await freePort();
      await putLink(echoId, { ADDRESS: `127.0.0.1:${port}`, max_content_len: '1k' });
      await waitServing(port);
      const over = await send(port, { method: 'POST', body: new Uint8Array(1025) });
      expect(over.status).toBe(413);
      expect(text(over)).toBe('Payload Too Large: the request body is over 1024 bytes\n');
      const at = await send(port, { method: 'POST', body: new Uint8Array(1024) });
      expect(at.status).toBe(200);
      expect((JSON.parse(text(at)) as { body: number[] }).body).toHaveLength(1024);
    }, 30_000);

    test('a repeated put is a no-op; new values move the listener; deleting the link closes its port', async () => {
      const first = await freePort();
      await putLink(echoId, { ADDRESS: `127.0.0.1:${first}` });
      await waitServing(first);
      const opened = () =>
        providerLogs(new RegExp(`actor ${echoId} listening on http://127.0.0.1:${first}(?!\\d)`));
      expect(opened()).toHaveLength(1);
      await putLink(echoId, { ADDRESS: `127.0.0.1:${first}` });
      await eventuallyPasses(
        async () => expect(await providerLogs(/Ignoring duplicate link put/)).not.toEqual([]),
        { what: 'providerLogs(/Ignoring duplicate link put/) not to equal ([])' },
      );
      expect(await probe(first)).toBe('serving');
      expect(opened()).toHaveLength(1);
      const second = await freePort();
      await putLink(echoId, { ADDRESS: `127.0.0.1:${second}` });
      await waitServing(second);
      await waitClosed(first);
      await deleteLink(echoId);
      await waitClosed(second);
      await eventuallyPasses(
        async () =>
          expect(await providerLogs(new RegExp(`actor ${echoId} no longer listening`))).not.toEqual([]),
        { what: 'providerLogs(new RegExp(`actor {echoId} no longer listening`)) not to equal ([])' },
      );
    }, 30_000);

    test('two links on two ports serve at once; a third on a taken port is refused, the others keep serving', async () => {
      const echoPort = await freePort();
      const fakePort = await freePort();
      fakeBehaviour = () =>
        encodePayload({ statusCode: 200, header: {}, body: new TextEncoder().encode('fake here') });
      await putLink(echoId, { ADDRESS: `127.0.0.1:${echoPort}` });
      await putLink(fakeId, { PORT: String(fakePort) });
      await Promise.all([waitServing(echoPort), waitServing(fakePort)]);
      const [echoed, faked] = await Promise.all([
        send(echoPort, { path: '/e' }),
        send(fakePort, { path: '/f' }),
      ]);
      expect(text(echoed)).toBe('{"body":[],"method":"GET","path":"/e","query_string":""}');
      expect(text(faked)).toBe('fake here');

      // Taken by this provider's own listener for echo.
      await putLink(kvcounterId, { ADDRESS: `127.0.0.1:${echoPort}` });
      await eventuallyPasses(
        async () =>
          expect(await providerLogs(/Refused the link of actor/)).toContainEqual(
            expect.stringContaining(
              `Refused the link of actor ${kvcounterId}: address 127.0.0.1:${echoPort} is already in use by the listener of actor ${echoId}`,
            ),
          ),
        {
          what: 'providerLogs(/Refused the link of actor/) toContainEqual(expect.stringContaining( `Refused the li...',
          timeoutMs: 10_000,
        },
      );
      expect(text(await send(echoPort, { path: '/still' }))).toContain('"path":"/still"');
      expect(text(await send(fakePort))).toBe('fake here');

      // Taken by another process.
      const blocker: Server = createServer();
      const blockedPort = await freePort();
      await new Promise<void>((resolve) => blocker.listen(blockedPort, '127.0.0.1', resolve));
      try {
        await deleteLink(kvcounterId);
        await putLink(kvcounterId, { port: String(blockedPort) });
        await eventuallyPasses(
          async () =>
            expect(await providerLogs(/Refused the link of actor/)).toContainEqual(
              expect.stringContaining(
                `address 127.0.0.1:${blockedPort} is already in use (by another process)`,
              ),
            ),
          {
            what: 'providerLogs(/Refused the link of actor/) toContainEqual(expect.stringContaining(`address 127.0.0...',
            timeoutMs: 10_000,
          },
        );
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
      expect(text(await send(fakePort))).toBe('fake here');
      for (const id of [echoId, fakeId, kvcounterId]) await deleteLink(id);
      await Promise.all([waitClosed(echoPort), waitClosed(fakePort)]);
    }, 60_000);

    test('link values that are wrong refuse the link with the reason', async () => {
      await putLink(echoId, { address: 'not-an-address', CONFIG_JSON: '{}' });
      await eventuallyPasses(
        async () =>
          expect(
            await providerLogs(
              new RegExp(`Refused the link of actor ${echoId}: invalid address 'not-an-address'`),
            ),
          ).not.toEqual([]),
        {
          what: "providerLogs(new RegExp(`Refused the link of actor {echoId}: invalid address 'not-an-address'`))...",
        },
      );
      await deleteLink(echoId);
    }, 30_000);
  });
});
