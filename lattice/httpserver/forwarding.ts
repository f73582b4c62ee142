// One HTTP request through the actor: the request as the contract's HttpRequest, the call, and the
// reply as what to send back. Failures become the 2022 provider's statuses: no answer in time (or
// no host running the actor) is 503, an actor error or a reply that is not a valid HttpResponse
// is 500; each with a short text body, the detail going to the provider's log. A call the host refused
// because the actor's bounded queue is full (ACTOR_QUEUE_FULL) is 503 with Retry-After, at once. A call refused for a
// missing capability claim (the actor's call out, or this provider's call in) is 403 with a body
// naming the claim, since the fix is to sign the actor with it.

import { validateHeaderName, validateHeaderValue } from 'node:http';
import { errorMessage } from '../errors.ts';
import { findMissingCapability } from '../missing-capability.ts';
import { QUEUE_FULL_RETRY_AFTER_SECONDS } from '../rpc.ts';
import {
  decodeHttpResponse,
  encodeHttpRequest,
  type HeaderMap,
  type HttpRequest,
  InvalidHttpResponseError,
} from './http-contract.ts';

const EMPTY = new Uint8Array(0);

/** Builds the contract's request from what Node parsed; `rawHeaders` keeps repeated headers apart. */
export function httpRequestFrom(
  method: string,
  url: string,
  rawHeaders: readonly string[],
  body: Uint8Array | undefined,
): HttpRequest {
  const question = url.indexOf('?');
  const header: HeaderMap = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const values = header[name];
    if (values === undefined) header[name] = [rawHeaders[i + 1]!];
    else values.push(rawHeaders[i + 1]!);
  }
  return {
    method: method.toUpperCase(),
    path: question === -1 ? url : url.slice(0, question),
    queryString: question === -1 ? '' : url.slice(question + 1),
    header,
    body: body ?? EMPTY,
  };
}

/** What goes back to the HTTP client. */
export interface Reply {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Uint8Array | string;
}

/** Calls the actor with the encoded HttpRequest; resolves with its raw reply. */
export type ActorCall = (payload: Uint8Array) => Promise<Uint8Array>;

/** Says why a request failed, for the provider's log. */
export type FailureLog = (message: string) => void;

/**
 * What kind of failure a rejected call was, in the terms of the 2022 statuses: `timeout` and
 * `unreachable` are 503, `overloaded` (the actor's queue is full) 503 with Retry-After, `invalid-reply` and `actor-error` (`failed`: anything else the caller
 * knows) 500, and an `actor-error` naming a missing capability claim 403. `message` goes to the log.
 */
export interface CallFailure {
  kind: 'timeout' | 'unreachable' | 'overloaded' | 'invalid-reply' | 'actor-error' | 'failed';
  message: string;
}

/** Each caller (the provider process, the host's built-in) knows its own errors; undefined: unknown. */
export type FailureClassifier = (error: unknown) => CallFailure | undefined;

// Framing is the server's job: the actor's own length or encoding could contradict the body.
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding']);

function textReply(statusCode: number, text: string): Reply {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${text}\n` };
}

/** Names the claim and how to add it; built only from the key and contract ID the refusal names. */
function missingClaimReply(actorId: string, contract: string): Reply {
  return textReply(
    403,
    `Forbidden: missing capability claim: ${contract} (actor ${actorId} is not signed with it; sign it with wash claims sign --cap ${contract})`,
  );
}

function failureReply(error: unknown, logFailure: FailureLog, classify: FailureClassifier): Reply {
  const failure = classify(error);
  if (failure !== undefined) {
    logFailure(failure.message);
    const missing = failure.kind === 'actor-error' ? findMissingCapability(failure.message) : undefined;
    if (missing !== undefined) return missingClaimReply(missing.actorId, missing.contract);
    switch (failure.kind) {
      case 'timeout':
        return textReply(503, 'Service Unavailable: the actor did not answer in time');
      case 'unreachable':
        return textReply(503, 'Service Unavailable: no host is running the actor');
      case 'overloaded': {
        const reply = textReply(503, 'Service Unavailable: the actor is busy, retry later');
        reply.headers['retry-after'] = String(QUEUE_FULL_RETRY_AFTER_SECONDS);
        return reply;
      }
      case 'invalid-reply':
        return textReply(500, 'Internal Server Error: the actor sent an invalid response');
      default:
        return textReply(500, 'Internal Server Error: the actor failed to handle the request');
    }
  }
  if (error instanceof InvalidHttpResponseError) {
    logFailure(`the actor's reply cannot be sent: ${error.message}`);
    return textReply(500, 'Internal Server Error: the actor sent an invalid response');
  }
  logFailure(`forwarding the request failed: ${errorMessage(error)}`);
  return textReply(500, 'Internal Server Error');
}

/** The actor's headers as Node sends them; throws InvalidHttpResponseError on a name or value Node refuses. */
function responseHeaders(header: HeaderMap): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(header)) {
    if (FRAMING_HEADERS.has(name.toLowerCase())) continue;
    try {
      validateHeaderName(name);
      for (const value of values) validateHeaderValue(name, value);
    } catch (error) {
      throw new InvalidHttpResponseError(
        `invalid HttpResponse: header ${JSON.stringify(name)}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    out[name] = values.length === 1 ? values[0]! : values;
  }
  return out;
}

/** Sends one request through the actor; never rejects (failures are 500/503 replies). */
export async function forwardToActor(
  request: HttpRequest,
  call: ActorCall,
  logFailure: FailureLog,
  classify: FailureClassifier,
): Promise<Reply> {
  try {
    const response = decodeHttpResponse(await call(encodeHttpRequest(request)));
    if (response.statusCode < 200)
      throw new InvalidHttpResponseError(
        `invalid HttpResponse: statusCode ${response.statusCode} is informational, not a final response`,
      );
    return {
      statusCode: response.statusCode,
      headers: responseHeaders(response.header),
      body: response.body,
    };
  } catch (error) {
    return failureReply(error, logFailure, classify);
  }
}
