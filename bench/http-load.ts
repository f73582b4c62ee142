// A small HTTP/1.1 load generator for the HTTP benchmark: N keep-alive connections, each with one
// request in flight at a time, for a fixed duration. It speaks just enough HTTP (a GET, replies
// framed by Content-Length) to cost far less CPU than node:http's client, so on a 2-core machine
// the servers being measured keep most of the CPU. A reply it cannot read stops the run.

import { connect, type Socket } from 'node:net';

export interface LoadOptions {
  port: number;
  path: string;
  /** Connections, i.e. requests in flight. */
  connections: number;
  durationMs: number;
  /** The body every reply must carry, exactly or matching (checked on each connection's first reply). */
  expectBody: string | RegExp;
}

export interface LoadResult {
  requests: number;
  /** Non-200 replies. */
  failures: number;
  seconds: number;
  /** Latency of every request in µs, unsorted. */
  latencies: number[];
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** One connection's request loop; resolves when `deadline` has passed and its last reply came. */
function runConnection(
  options: LoadOptions,
  deadline: bigint,
  result: LoadResult,
  request: Buffer,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: '127.0.0.1', port: options.port, noDelay: true });
    let buffered: Buffer = Buffer.alloc(0);
    let sentAt = 0n;
    let checked = false;
    const fail = (message: string) => {
      socket.destroy();
      reject(new Error(`load generator on port ${options.port}: ${message}`));
    };
    const next = () => {
      if (process.hrtime.bigint() >= deadline) {
        socket.end();
        resolve();
        return;
      }
      sentAt = process.hrtime.bigint();
      socket.write(request);
    };
    socket.on('connect', next);
    socket.on('error', (error) => fail(error.message));
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const headerEnd = buffered.indexOf(HEADER_END);
      if (headerEnd === -1) return;
      const head = buffered.subarray(0, headerEnd).toString('latin1');
      const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (lengthMatch === null) return fail(`a reply without Content-Length: ${head.split('\r\n')[0]}`);
      const total = headerEnd + 4 + Number(lengthMatch[1]);
      if (buffered.length < total) return;
      if (buffered.length > total) return fail('more bytes than one reply (nothing was pipelined)');
      const status = Number(head.slice(9, 12));
      if (!checked) {
        checked = true;
        const body = buffered.subarray(headerEnd + 4).toString('utf8');
        const expected = options.expectBody;
        if (status !== 200 || (typeof expected === 'string' ? body !== expected : !expected.test(body)))
          return fail(`unexpected first reply ${status}: ${body.slice(0, 200)}`);
      }
      if (status !== 200) result.failures++;
      result.requests++;
      result.latencies.push(Number(process.hrtime.bigint() - sentAt) / 1000);
      buffered = Buffer.alloc(0);
      next();
    });
  });
}

/** Runs the load for `durationMs`; every connection is closed when it resolves. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const request = Buffer.from(`GET ${options.path} HTTP/1.1\r\nHost: 127.0.0.1:${options.port}\r\n\r\n`);
  const result: LoadResult = { requests: 0, failures: 0, seconds: 0, latencies: [] };
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(options.durationMs) * 1_000_000n;
  await Promise.all(
    Array.from({ length: options.connections }, () => runConnection(options, deadline, result, request)),
  );
  result.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return result;
}
