// The wasmcloud:httpserver contract on the wire (protocol.md §7.1, §13): `HttpServer.HandleRequest`
// takes an HttpRequest and answers an HttpResponse, msgpack maps with the 2022 member names
// (camelCase `queryString`, `statusCode`), header values as lists, bodies as bin.

import { z } from 'zod';
import { errorMessage, LatticeError, type LatticeErrorCode } from '../errors.ts';
import { decodePayload, encodePayload } from '../payload.ts';

export const HANDLE_REQUEST = 'HttpServer.HandleRequest';

/** Header names (lower case, as hyper gave them) with every value sent under each. */
export type HeaderMap = Record<string, string[]>;

export interface HttpRequest {
  /** Upper case. */
  method: string;
  /** The path as sent, still percent-encoded. */
  path: string;
  /** What follows the first `?`, as sent; empty when there is none. */
  queryString: string;
  header: HeaderMap;
  body: Uint8Array;
}

export interface HttpResponse {
  statusCode: number;
  header: HeaderMap;
  body: Uint8Array;
}

/** The actor answered something that is not an HttpResponse the provider can send. */
export class InvalidHttpResponseError extends LatticeError<LatticeErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super('HTTPSERVER_BAD_RESPONSE', message, options);
  }
}

/** Encodes in the member order of the 2022 struct: method, path, queryString, header, body. */
export function encodeHttpRequest(request: HttpRequest): Uint8Array {
  return encodePayload({
    method: request.method,
    path: request.path,
    queryString: request.queryString,
    header: request.header,
    body: request.body,
  });
}

const responseSchema = z.object({
  statusCode: z.union([z.number(), z.bigint()]),
  // A lone string where a list belongs is taken as a list of one, as the host's contract code does.
  header: z.record(z.string(), z.union([z.string(), z.array(z.string())])).nullish(),
  // The Elixir host packs binaries as msgpack str.
  body: z.union([z.instanceof(Uint8Array), z.string()]).nullish(),
});

const EMPTY = new Uint8Array(0);

/** Decodes and checks an actor's reply; throws InvalidHttpResponseError saying what is wrong. */
export function decodeHttpResponse(bytes: Uint8Array): HttpResponse {
  let value: unknown;
  try {
    value = decodePayload(bytes, 'HttpResponse');
  } catch (error) {
    throw new InvalidHttpResponseError(errorMessage(error), { cause: error });
  }
  const parsed = responseSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidHttpResponseError(
      `invalid HttpResponse: ${issue.path.join('.') || '(top)'}: ${issue.message}`,
    );
  }
  const { statusCode, header, body } = parsed.data;
  const status = Number(statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 999)
    throw new InvalidHttpResponseError(`invalid HttpResponse: statusCode ${statusCode} is not 100–999`);
  const headers: HeaderMap = {};
  for (const [name, values] of Object.entries(header ?? {}))
    headers[name] = typeof values === 'string' ? [values] : values;
  return {
    statusCode: status,
    header: headers,
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : (body ?? EMPTY),
  };
}
