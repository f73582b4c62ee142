// One actor's listener of the httpserver provider on real sockets, with the actor call stubbed:
// CORS as the 2022 provider applied it, TLS from cert and key files made by openssl, bodies sent
// without a length, and closing with a request in flight.

import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ActorListener, ListenError } from '../../lattice/httpserver/actor-listener.ts';
import { type HttpServerSettings, loadSettings } from '../../lattice/httpserver/settings.ts';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';
import { classifyActorCallError } from '../../providers/httpserver/listeners.ts';
import { tempDir } from '../fixtures/providers/provider-test-kit.ts';
import { eventually } from '../helpers/eventually.ts';
import { freePort } from '../helpers/nats-server.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface Call {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | ((write: (chunk: string) => void) => void);
  ca?: Buffer;
}

/** Whether a TCP connect to `port` is refused (no HTTP request is sent). */
function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

function send(port: number, call: Call = {}): Promise<Answer> {
  const request = call.ca === undefined ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: call.method ?? 'GET',
        path: call.path ?? '/',
        headers: call.headers,
        agent: false,
        ...(call.ca === undefined ? {} : { ca: call.ca }),
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    if (typeof call.body === 'function') {
      call.body((chunk) => req.write(chunk));
      req.end();
    } else req.end(call.body);
  });
}

/** A listener whose "actor" answers 200 with the HttpRequest it got, and counts its calls. */
async function openListener(values: Record<string, string>, answer?: () => Promise<Uint8Array>) {
  const port = await freePort();
  const settings: HttpServerSettings = loadSettings({ ...values, port: String(port) }).settings;
  const calls: Record<string, unknown>[] = [];
  const failures: string[] = [];
  const listener = await ActorListener.open({
    actorId: 'MTEST',
    settings,
    call: async (payload) => {
      calls.push(decodePayload(payload) as Record<string, unknown>);
      if (answer) return answer();
      return encodePayload({
        statusCode: 200,
        header: { 'x-from': ['actor'] },
        body: new TextEncoder().encode('ok'),
      });
    },
    logFailure: (message) => failures.push(message),
    classifyFailure: classifyActorCallError,
  });
  return { port, listener, calls, failures };
}

describe('CORS', () => {
  test('default settings: any origin; preflights are answered here; PATCH is not in the default methods', async () => {
    const { port, listener, calls } = await openListener({});
    try {
      const simple = await send(port, { headers: { origin: 'https://app.example' } });
      expect(simple.status).toBe(200);
      expect(simple.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(simple.headers['x-from']).toBe('actor');
      expect(calls).toHaveLength(1);

      const preflight = await send(port, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'Content-Type, Accept',
        },
      });
      expect(preflight.status).toBe(200);
      expect(preflight.headers).toMatchObject({
        'access-control-allow-origin': 'https://app.example',
        'access-control-allow-methods': 'GET, POST, PUT, DELETE, HEAD, OPTIONS',
        'access-control-allow-headers': 'accept, accept-language, content-type, content-language',
        'access-control-max-age': '300',
      });
      expect(calls).toHaveLength(1);

      const badHeader = await send(port, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'x-secret',
        },
      });
      expect(badHeader).toMatchObject({
        status: 403,
        body: 'CORS request forbidden: header x-secret is not allowed\n',
      });
      const patch = await send(port, { method: 'PATCH', headers: { origin: 'https://app.example' } });
      expect(patch).toMatchObject({
        status: 403,
        body: 'CORS request forbidden: method PATCH is not allowed\n',
      });
      // Without an Origin it is not a CORS request at all, and an OPTIONS without a requested method goes on.
      expect((await send(port, { method: 'PATCH' })).status).toBe(200);
      expect(
        (await send(port, { method: 'OPTIONS', headers: { origin: 'https://app.example' } })).status,
      ).toBe(200);
      expect(calls.map((call) => call.method)).toEqual(['GET', 'PATCH', 'OPTIONS']);
    } finally {
      await listener.close();
    }
  });

  test('configured origins, methods and exposed headers', async () => {
    const cors = {
      allowed_origins: ['https://good.example', 'http://localhost:3000'],
      allowed_methods: ['get', 'patch'],
      exposed_headers: ['x-from'],
      max_age_secs: 60,
    };
    const { port, listener, calls } = await openListener({ config_json: JSON.stringify({ cors }) });
    try {
      const good = await send(port, { method: 'PATCH', headers: { origin: 'http://localhost:3000' } });
      expect(good.status).toBe(200);
      expect(good.headers['access-control-allow-origin']).toBe('http://localhost:3000');
      expect(good.headers['access-control-expose-headers']).toBe('x-from');
      const evil = await send(port, { headers: { origin: 'https://evil.example' } });
      expect(evil).toMatchObject({
        status: 403,
        body: 'CORS request forbidden: origin https://evil.example is not allowed\n',
      });
      const preflight = await send(port, {
        method: 'OPTIONS',
        headers: { origin: 'https://good.example', 'access-control-request-method': 'PATCH' },
      });
      expect(preflight.headers['access-control-allow-methods']).toBe('GET, PATCH');
      expect(preflight.headers['access-control-max-age']).toBe('60');
      expect(calls).toHaveLength(1);
    } finally {
      await listener.close();
    }
  });
});

describe('TLS', () => {
  let dir: string;
  let cert: Buffer;
  let certFile: string;
  let keyFile: string;

  beforeAll(() => {
    dir = tempDir('httpserver-tls');
    certFile = join(dir, 'cert.pem');
    keyFile = join(dir, 'key.pem');
    // biome-ignore format: flag and value pairs
    const args = [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1',
    ];
    execFileSync('openssl', args, { stdio: 'ignore' });
    cert = readFileSync(certFile);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('tls.cert_file and tls.priv_key_file serve HTTPS; plain HTTP is not answered', async () => {
    const tls = { cert_file: certFile, priv_key_file: keyFile };
    const { port, listener } = await openListener({ config_json: JSON.stringify({ tls }) });
    try {
      expect(listener.url).toBe(`https://127.0.0.1:${port}`);
      const answer = await send(port, { ca: cert, path: '/secure' });
      expect(answer).toMatchObject({ status: 200, body: 'ok' });
      await expect(send(port)).rejects.toThrow();
    } finally {
      await listener.close();
    }
  });

  test('an unreadable key file refuses the listener with the file named', async () => {
    const tls = { cert_file: certFile, priv_key_file: join(dir, 'missing.pem') };
    await expect(openListener({ config_json: JSON.stringify({ tls }) })).rejects.toThrow(
      new ListenError(
        'TLS_FILE_UNREADABLE',
        `cannot read tls.priv_key_file '${join(dir, 'missing.pem')}': ENOENT: no such file or directory, open '${join(dir, 'missing.pem')}'`,
      ),
    );
  });
});

describe('bodies and closing', () => {
  test("the actor's own framing headers are replaced by the body's real length", async () => {
    const { port, listener } = await openListener({}, async () =>
      encodePayload({
        statusCode: 200,
        header: { 'content-length': ['999'], 'transfer-encoding': ['chunked'], 'x-kept': ['yes'] },
        body: new TextEncoder().encode('four'),
      }),
    );
    try {
      const answer = await send(port);
      expect(answer).toMatchObject({ status: 200, body: 'four' });
      expect(answer.headers['content-length']).toBe('4');
      expect(answer.headers['transfer-encoding']).toBeUndefined();
      expect(answer.headers['x-kept']).toBe('yes');
    } finally {
      await listener.close();
    }
  });

  test('a body sent without a length is read whole, and cut off at max_content_len with 413', async () => {
    const { port, listener, calls } = await openListener({ max_content_len: '100' });
    try {
      const chunked = await send(port, {
        method: 'POST',
        headers: { 'transfer-encoding': 'chunked' },
        body: (write) => {
          for (let i = 0; i < 5; i++) write('0123456789');
        },
      });
      expect(chunked.status).toBe(200);
      expect(Buffer.from(calls[0]!.body as Uint8Array).toString()).toBe('0123456789'.repeat(5));
      const tooMuch = await send(port, {
        method: 'POST',
        headers: { 'transfer-encoding': 'chunked' },
        body: (write) => {
          for (let i = 0; i < 20; i++) write('0123456789');
        },
      });
      expect(tooMuch).toMatchObject({
        status: 413,
        body: 'Payload Too Large: the request body is over 100 bytes\n',
      });
      expect(calls).toHaveLength(1);
    } finally {
      await listener.close();
    }
  });

  test('closing lets a request in flight finish, then the port is free', async () => {
    let release: () => void = () => undefined;
    let called = false;
    const { port, listener } = await openListener({}, async () => {
      called = true;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return encodePayload({ statusCode: 200, header: {}, body: new TextEncoder().encode('late') });
    });
    const inFlight = send(port);
    await eventually(() => called, 'the request to reach the actor');
    const closed = listener.close(5_000);
    // fastify stops listening a moment after close() begins: wait for a bare connect to be refused.
    await eventually(() => connectRefused(port), `port ${port} to stop listening`);
    await expect(send(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    release();
    expect(await inFlight).toMatchObject({ status: 200, body: 'late' });
    await closed;
  });

  test('a request still in flight after the grace period loses its connection', async () => {
    let arrived = false;
    const { port, listener } = await openListener({}, () => {
      arrived = true;
      return new Promise<Uint8Array>(() => undefined);
    });
    const inFlight = send(port);
    await eventually(() => arrived, 'the request to reach the actor');
    await listener.close(100);
    await expect(inFlight).rejects.toThrow(/socket hang up|ECONNRESET/);
  });
});
