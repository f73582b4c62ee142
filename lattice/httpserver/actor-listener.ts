// One linked actor's HTTP(S) listener on fastify: every request, whatever its method and path, is
// read whole (up to max_content_len, else 413), checked against the CORS settings, and forwarded
// to the actor; the reply is written straight to Node's response (no serialization step on the
// hot path).

import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type RawServerBase,
  type RouteHandlerMethod,
} from 'fastify';
import { errorCode, errorMessage, LatticeError, type LatticeErrorCode } from '../errors.ts';
import { CorsPolicy } from './cors.ts';
import {
  type ActorCall,
  type FailureClassifier,
  type FailureLog,
  forwardToActor,
  httpRequestFrom,
  type Reply,
} from './forwarding.ts';
import { inServerSpan } from './server-span.ts';
import { describeAddress, type HttpServerSettings, type ListenAddress } from './settings.ts';

/** The listener could not start: the message says why in the operator's terms. */
export class ListenError extends LatticeError<LatticeErrorCode> {}

export interface ActorListenerOptions {
  actorId: string;
  settings: HttpServerSettings;
  call: ActorCall;
  logFailure: FailureLog;
  /** Says what kind of failure a rejected call was (the caller knows its own errors). */
  classifyFailure: FailureClassifier;
  /**
   * Lets several listeners (the host's workers) bind the same address, the kernel spreading
   * connections over them (SO_REUSEPORT; Linux). Default false: a second bind is EADDRINUSE.
   */
  reusePort?: boolean;
}

/** How long a closing listener lets requests in flight finish before dropping their connections. */
const DEFAULT_CLOSE_GRACE_MS = 2_000;

function send(res: ServerResponse, reply: Reply, extraHeaders?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  const headers = extraHeaders ? { ...reply.headers, ...extraHeaders } : { ...reply.headers };
  // Known up front, so Node frames the body with a length rather than chunked encoding.
  headers['content-length'] = String(
    typeof reply.body === 'string' ? Buffer.byteLength(reply.body) : reply.body.byteLength,
  );
  res.writeHead(reply.statusCode, headers);
  res.end(reply.body);
}

function text(statusCode: number, message: string): Reply {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${message}\n` };
}

function readTls(settings: HttpServerSettings): { cert: Buffer; key: Buffer } | undefined {
  const tls = settings.tls;
  if (tls === undefined) return undefined;
  const read = (path: string, field: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new ListenError(
        'TLS_FILE_UNREADABLE',
        `cannot read tls.${field} '${path}': ${errorMessage(error)}`,
        { cause: error },
      );
    }
  };
  return { cert: read(tls.certFile, 'cert_file'), key: read(tls.privKeyFile, 'priv_key_file') };
}

function listenFailure(error: unknown, address: ListenAddress): ListenError {
  const where = describeAddress(address);
  const options = { cause: error };
  switch (errorCode(error)) {
    case 'EADDRINUSE':
      return new ListenError('HTTPSERVER_ADDRESS_IN_USE', `address ${where} is already in use`, options);
    case 'EACCES':
      return new ListenError(
        'HTTPSERVER_LISTEN_DENIED',
        `no permission to listen on ${where} (ports below 1024 need privileges)`,
        options,
      );
    case 'EADDRNOTAVAIL':
      return new ListenError(
        'HTTPSERVER_ADDRESS_UNAVAILABLE',
        `cannot listen on ${where}: no network interface has that address`,
        options,
      );
    default:
      return new ListenError(
        'HTTPSERVER_LISTEN_FAILED',
        `cannot listen on ${where}: ${errorMessage(error)}`,
        options,
      );
  }
}

/** Fastify's own refusals (413, malformed requests) as short text; anything else as 500. */
function fastifyErrorReply(error: FastifyError, maxContentLen: number): Reply {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413)
    return text(413, `Payload Too Large: the request body is over ${maxContentLen} bytes`);
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500)
    return text(status, `Bad Request: ${error.message}`);
  return text(500, 'Internal Server Error');
}

function configure<Server extends RawServerBase>(
  app: FastifyInstance<Server>,
  options: ActorListenerOptions,
): void {
  const { settings, call, logFailure, classifyFailure } = options;
  const cors = new CorsPolicy(settings.cors);
  // Every body is handed over as bytes, whatever its content type (or none).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    reply.hijack();
    send(reply.raw as ServerResponse, fastifyErrorReply(error, settings.maxContentLen));
  });
  const scheme = settings.tls === undefined ? 'http' : 'https';
  /** The reply to one request, and the CORS headers that go with it. */
  const answer = async (
    raw: IncomingMessage,
    body: Uint8Array | undefined,
  ): Promise<Reply & { corsHeaders?: Record<string, string> | undefined }> => {
    const method = raw.method ?? 'GET';
    const decision = cors.outcome(method, (name) => {
      const value = raw.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    });
    if (decision.kind === 'forbidden') return text(403, `CORS request forbidden: ${decision.reason}`);
    if (decision.kind === 'preflight') return { statusCode: 200, headers: decision.headers, body: '' };
    const forwarded = httpRequestFrom(method, raw.url ?? '/', raw.rawHeaders, body);
    const reply = await forwardToActor(forwarded, call, logFailure, classifyFailure);
    return decision.kind === 'actual' ? { ...reply, corsHeaders: decision.headers } : reply;
  };
  const handler: RouteHandlerMethod<Server> = async (request, reply) => {
    reply.hijack();
    const raw = request.raw as IncomingMessage;
    const body = request.body instanceof Uint8Array ? request.body : undefined;
    const sent = await inServerSpan(raw, settings.address, scheme, () => answer(raw, body));
    send(reply.raw as ServerResponse, sent, sent.corsHeaders);
  };
  app.route({ method: app.supportedMethods, url: '*', handler });
  // Methods fastify has no route table for (PURGE, PROPFIND, …) reach the actor as well.
  app.setNotFoundHandler(handler);
}

export class ActorListener {
  readonly actorId: string;
  readonly address: ListenAddress;
  readonly url: string;
  readonly #close: () => Promise<void>;
  readonly #dropConnections: () => void;

  private constructor(
    actorId: string,
    address: ListenAddress,
    url: string,
    close: () => Promise<void>,
    dropConnections: () => void,
  ) {
    this.actorId = actorId;
    this.address = address;
    this.url = url;
    this.#close = close;
    this.#dropConnections = dropConnections;
  }

  /** Starts listening; rejects with ListenError (address in use, unreadable TLS files, …). */
  static async open(options: ActorListenerOptions): Promise<ActorListener> {
    const { settings } = options;
    const tls = readTls(settings);
    const common = {
      bodyLimit: settings.maxContentLen,
      logger: false,
      forceCloseConnections: 'idle' as const,
    };
    const app = tls === undefined ? Fastify(common) : Fastify({ ...common, https: tls });
    configure(app, options);
    try {
      await app.listen({
        host: settings.address.host,
        port: settings.address.port,
        ...(options.reusePort === true ? { reusePort: true } : {}),
      });
    } catch (error) {
      // The listen failure is what the caller needs; a server that never listened has little to close.
      await app.close().catch(() => undefined);
      throw listenFailure(error, settings.address);
    }
    const scheme = tls === undefined ? 'http' : 'https';
    return new ActorListener(
      options.actorId,
      settings.address,
      `${scheme}://${describeAddress(settings.address)}`,
      () => app.close(),
      () => app.server.closeAllConnections(),
    );
  }

  /**
   * Stops accepting connections and closes idle ones at once; requests in flight get `graceMs`
   * to finish before their connections are dropped. Resolves once the port is free.
   */
  async close(graceMs = DEFAULT_CLOSE_GRACE_MS): Promise<void> {
    const closed = this.#close();
    const timer = setTimeout(() => this.#dropConnections(), graceMs);
    try {
      await closed;
    } finally {
      clearTimeout(timer);
    }
  }
}
