// Both ends of one wasmbus RPC (protocol.md §3): the caller sends a signed Invocation as a NATS
// request and reads the InvocationResponse; the callee reads the Invocation (fetching a chunked
// payload first, so the signed hash covers the real bytes) and replies. Hosts, providers and wash
// all call through here, so timeouts, chunking and error texts are the same everywhere.

import { SpanKind } from '@opentelemetry/api';
import { CHUNK_THRESHOLD_BYTES, type ChunkStore, rpcTimeoutFor } from './chunking.ts';
import { errorFields, errorMessage, LatticeError, type LatticeErrorCode } from './errors.ts';
import {
  decodeInvocation,
  decodeInvocationResponse,
  encodeInvocation,
  encodeInvocationResponse,
  type Invocation,
  type InvocationResponse,
  isChunked,
} from './invocation.ts';
import type { Msg, MsgHdrs, NatsConnection } from './nats.ts';
import { RequestFailedError, type RequestFailure, requestMuxFor } from './request-mux.ts';
import { inSpan } from './telemetry/spans.ts';
import {
  incomingTraceContext,
  traceCarrierOf,
  traceHeaders,
  withTraceContext,
} from './telemetry/trace-context.ts';

/**
 * The code a host starts an InvocationResponse's error text with when the actor's bounded queue is
 * full (`ACTOR_QUEUE_FULL: …`): the call was refused at once and may be retried later.
 */
export const QUEUE_FULL = 'ACTOR_QUEUE_FULL' satisfies LatticeErrorCode;

/** How long a caller refused with ACTOR_QUEUE_FULL is told to wait before retrying (HTTP Retry-After). */
export const QUEUE_FULL_RETRY_AFTER_SECONDS = 1;

/** The call did not get an answer: nobody serves the subject, or no reply in time. */
export class RpcTransportError extends LatticeError<LatticeErrorCode> {}

/** The callee answered with `error` set. */
export class RpcRemoteError extends LatticeError<LatticeErrorCode> {}

const EMPTY = new Uint8Array(0);

export interface SendOptions {
  timeoutMs: number;
  /** Needed to send or receive payloads above the chunking threshold. */
  chunks?: ChunkStore | undefined;
}

const FAILURE_CODES = {
  'no-responders': 'RPC_NO_RESPONDERS',
  timeout: 'RPC_TIMEOUT',
  closed: 'RPC_FAILED',
} as const satisfies Record<RequestFailure, LatticeErrorCode>;

function describeRequestFailure(error: unknown, subject: string): RpcTransportError {
  if (error instanceof RequestFailedError)
    return new RpcTransportError(FAILURE_CODES[error.failure], error.message, { cause: error });
  return new RpcTransportError('RPC_FAILED', `request on ${subject} failed: ${errorMessage(error)}`, {
    cause: error,
  });
}

/**
 * Sends a signed invocation and resolves with the reply payload. Rejects with an RpcTransportError
 * (no responders, timeout) or an RpcRemoteError carrying the callee's `error` text. The current
 * trace context (lattice/telemetry/trace-context.ts) goes along in both the NATS headers and the
 * invocation's `traceContext`; neither is part of what the invocation's token signs.
 */
export async function sendInvocation(
  nc: NatsConnection,
  subject: string,
  invocation: Invocation,
  options: SendOptions,
): Promise<Uint8Array> {
  const size = invocation.msg.length;
  let wire = invocation;
  if (size > CHUNK_THRESHOLD_BYTES) {
    if (!options.chunks)
      throw new RpcTransportError('RPC_TOO_LARGE', `a ${size}-byte payload needs the object store`);
    await options.chunks.putRequest(invocation.id, invocation.msg);
    wire = { ...invocation, msg: EMPTY, content_length: size };
  }
  const carrier = traceCarrierOf();
  let headers: MsgHdrs | undefined;
  if (carrier !== undefined) {
    wire = { ...wire, traceContext: { ...wire.traceContext, ...carrier } };
    headers = traceHeaders(carrier);
  }
  const timeoutMs = rpcTimeoutFor(size, options.timeoutMs);
  let reply: Msg;
  try {
    reply = await requestMuxFor(nc).request(subject, encodeInvocation(wire), timeoutMs, headers);
  } catch (error) {
    throw describeRequestFailure(error, subject);
  }
  const response = decodeInvocationResponse(reply.data);
  if (response.error !== undefined && response.error !== '') {
    // A callee refusing for backpressure names the code first: callers tell it from a failure.
    const code = response.error.startsWith(`${QUEUE_FULL}:`) ? QUEUE_FULL : 'RPC_REMOTE_ERROR';
    throw new RpcRemoteError(code, response.error);
  }
  if (isChunked(response)) {
    if (!options.chunks)
      throw new RpcTransportError('RPC_TOO_LARGE', 'the reply was chunked and no object store is open');
    return options.chunks.takeResponse(invocation.id, Number(response.content_length));
  }
  return response.msg;
}

/** Decodes an incoming invocation and, when chunked, puts the real payload back into `msg`. */
export async function receiveInvocation(
  bytes: Uint8Array,
  chunks: ChunkStore | undefined,
): Promise<Invocation> {
  const invocation = decodeInvocation(bytes);
  if (isChunked(invocation)) {
    if (!chunks)
      throw new RpcTransportError(
        'RPC_TOO_LARGE',
        'a chunked invocation arrived and no object store is open',
      );
    invocation.msg = await chunks.takeRequest(invocation.id, Number(invocation.content_length));
  }
  return invocation;
}

/**
 * The bytes of a reply to `invocationId`: the payload inline, or in the object store when large.
 * `content_length` is always the real size, as wasmbus-rpc sends it.
 */
export async function invocationReply(
  invocationId: string,
  payload: Uint8Array,
  chunks: ChunkStore | undefined,
): Promise<Uint8Array> {
  const response: InvocationResponse = {
    msg: payload,
    invocation_id: invocationId,
    content_length: payload.length,
  };
  if (payload.length > CHUNK_THRESHOLD_BYTES && chunks) {
    await chunks.putResponse(invocationId, payload);
    response.msg = EMPTY;
  }
  return encodeInvocationResponse(response);
}

/** The bytes of an error reply (`msg` empty, `error` set). */
export function invocationErrorReply(invocationId: string, error: string): Uint8Array {
  return encodeInvocationResponse({ msg: EMPTY, invocation_id: invocationId, error });
}

/** Where answerInvocation reports what it could not send back. */
export interface AnswerLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** The span of a provider answering one invocation, continuing the caller's trace. */
function answering(
  msg: Msg,
  invocation: Invocation,
  handle: (invocation: Invocation) => Promise<Uint8Array | undefined>,
): Promise<Uint8Array | undefined> {
  const { target, origin, operation } = invocation;
  return withTraceContext(incomingTraceContext(msg.headers, invocation.traceContext), () =>
    inSpan(
      `${target.contract_id}/${operation}`,
      SpanKind.SERVER,
      {
        'rpc.system': 'wasmbus',
        'rpc.service': target.contract_id,
        'rpc.method': operation,
        'wasmcloud.provider.id': target.public_key,
        'wasmcloud.link_name': target.link_name,
        'wasmcloud.origin.id': origin.public_key,
        'wasmcloud.invocation.id': invocation.id,
      },
      () => handle(invocation),
    ),
  );
}

/**
 * Answers one invocation message as a provider does (wasmbus-rpc's `subscribe_rpc`): reads it
 * (fetching a chunked payload), runs `handle` (in a span continuing the caller's trace, when traces
 * are on), replies with its result or its error text — `deser error: …` when the invocation cannot
 * be read. Nothing thrown escapes; `label` starts log lines.
 */
export async function answerInvocation(
  msg: Msg,
  chunks: ChunkStore | undefined,
  handle: (invocation: Invocation) => Promise<Uint8Array | undefined>,
  log: AnswerLog,
  label: string,
): Promise<void> {
  let invocation: Invocation | undefined;
  let reply: Uint8Array;
  try {
    invocation = await receiveInvocation(msg.data, chunks);
    reply = await invocationReply(invocation.id, (await answering(msg, invocation, handle)) ?? EMPTY, chunks);
  } catch (error) {
    // Before an invocation was read there is no id to answer to: wasmbus-rpc's `deser error`.
    if (invocation === undefined) {
      reply = invocationErrorReply('', `deser error: ${errorMessage(error)}`);
    } else {
      log.debug(
        `${label}invocation ${invocation.id} (${invocation.operation}) failed: ${errorMessage(error)}`,
        errorFields(error),
      );
      reply = invocationErrorReply(invocation.id, errorMessage(error));
    }
  }
  if (msg.reply === undefined || msg.reply === '') return;
  try {
    msg.respond(reply);
  } catch (replyError) {
    log.warn(
      `${label}could not reply to invocation ${invocation?.id ?? '?'}: ${errorMessage(replyError)}`,
      errorFields(replyError),
    );
  }
}
