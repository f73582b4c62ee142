// A test's client of a host's dashboard: a host serving one on a free port, JSON calls that return
// status and body as they came, the check of a refused input, raw HTTP requests (to send headers
// fetch refuses to, such as Host), and a reader of the server-sent `state` events that can wait
// for a state matching a condition (rebuilt from the first state and the `delta` events after it,
// by the page's own dashboard/public/lattice-delta.js).

import { request as httpRequest } from 'node:http';
import { expect } from 'vitest';
import type { LatticeDelta } from '../../dashboard/page-data.ts';
import type { LatticeSnapshot } from '../../dashboard/snapshot.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { startTestHost, type TestHost } from './host.ts';
import { freePort } from './nats-server.ts';

/** A host of its own lattice (a fresh cluster key) serving its dashboard on a free port. */
export async function startDashboardHost(natsUrl: string, lattice: string): Promise<TestHost> {
  return startTestHost({
    natsUrl,
    settings: {
      latticePrefix: lattice,
      clusterSeed: KeyPair.create('cluster').seed,
      dashboardPort: String(await freePort()),
    },
    providerHealthIntervalMs: 300,
  });
}

export interface ApiReply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export async function apiGet<T = Record<string, unknown>>(base: string, path: string): Promise<ApiReply<T>> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: (await response.json()) as T, headers: response.headers };
}

/** The API's error shape (docs/dashboard.md). */
export interface ApiErrorBody {
  error: { code: string; message: string; issues?: Array<{ path: string; message: string }> };
}

/** POSTs `body` and checks the 400 INVALID_REQUEST that names `field` and says `message`. */
export async function expectInvalidInput(
  base: string,
  path: string,
  body: unknown,
  field: string,
  message: RegExp,
): Promise<void> {
  const reply = await apiPost<ApiErrorBody>(base, path, body);
  expect(reply.status).toBe(400);
  expect(reply.body.error.code).toBe('INVALID_REQUEST');
  expect(reply.body.error.message).toMatch(message);
  expect(reply.body.error.issues?.map((issue) => issue.path)).toContain(field);
}

/** POSTs `body` as JSON (a string is sent as it is, to test malformed JSON). */
export async function apiPost<T = Record<string, unknown>>(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<ApiReply<T>> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T, headers: response.headers };
}

export async function apiUpload<T = Record<string, unknown>>(
  base: string,
  query: string,
  bytes: Uint8Array,
): Promise<ApiReply<T>> {
  const response = await fetch(`${base}/api/uploads?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: new Uint8Array(bytes),
  });
  return { status: response.status, body: (await response.json()) as T, headers: response.headers };
}

export interface RawReply {
  status: number;
  body: string;
}

/** An HTTP request with exactly these headers (fetch will not send a Host header of our choosing). */
export function rawRequest(
  port: number,
  options: { method: string; path: string; headers: Record<string, string>; body?: string },
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, method: options.method, path: options.path, headers: options.headers },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

type ApplyDelta = (state: LatticeSnapshot, delta: LatticeDelta) => LatticeSnapshot | undefined;

/** The page's own code that applies a delta (plain JavaScript, imported untyped by path). */
export async function pageApplyDelta(): Promise<ApplyDelta> {
  const path = new URL('../../dashboard/public/lattice-delta.js', import.meta.url).href;
  return ((await import(path)) as { applyDelta: ApplyDelta }).applyDelta;
}

/** Follows `GET /api/events`, keeping every state: the first, then each one a `delta` event makes. */
export class StateStream {
  readonly states: LatticeSnapshot[] = [];
  /** The `delta` events as they came. */
  readonly deltas: LatticeDelta[] = [];
  #applyDelta: ApplyDelta | undefined;
  /** Why reading stopped early, if it did. */
  failure: string | undefined;
  readonly #abort = new AbortController();
  readonly #waiters = new Set<() => void>();
  #done: Promise<void> = Promise.resolve();

  static async open(base: string): Promise<StateStream> {
    const stream = new StateStream();
    stream.#applyDelta = await pageApplyDelta();
    const response = await fetch(`${base}/api/events`, { signal: stream.#abort.signal });
    if (response.status !== 200 || response.body === null)
      throw new Error(`GET /api/events answered ${response.status}`);
    if (!response.headers.get('content-type')?.startsWith('text/event-stream'))
      throw new Error(`GET /api/events is not an event stream: ${response.headers.get('content-type')}`);
    stream.#done = stream.#read(response.body);
    return stream;
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of body) {
        buffered += decoder.decode(chunk, { stream: true });
        let end = buffered.indexOf('\n\n');
        while (end >= 0) {
          const frame = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event === 'state' && data !== undefined) {
            this.states.push(JSON.parse(data) as LatticeSnapshot);
            for (const wake of this.#waiters) wake();
          } else if (event === 'delta' && data !== undefined) {
            const delta = JSON.parse(data) as LatticeDelta;
            this.deltas.push(delta);
            const latest = this.states.at(-1);
            const next = latest && this.#applyDelta?.(latest, delta);
            if (!next) throw new Error(`delta ${delta.version} does not follow state ${latest?.version}`);
            this.states.push(next);
            for (const wake of this.#waiters) wake();
          }
          end = buffered.indexOf('\n\n');
        }
      }
    } catch (error) {
      // Aborted by close(), or a delta that does not follow: said by waitFor's timeout.
      if (!this.#abort.signal.aborted) this.failure = String(error);
    }
  }

  /** The latest state, or the first one after it, for which `match` holds. */
  waitFor(
    match: (state: LatticeSnapshot) => boolean,
    what: string,
    timeoutMs = 15_000,
  ): Promise<LatticeSnapshot> {
    const from = Math.max(0, this.states.length - 1);
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.states.slice(from).find(match);
        if (!found) return false;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `no state with ${what} within ${timeoutMs} ms (${this.states.length} states seen${this.failure ? `; ${this.failure}` : ''})`,
          ),
        );
      }, timeoutMs);
      if (!check()) this.#waiters.add(check);
    });
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#done;
  }
}
