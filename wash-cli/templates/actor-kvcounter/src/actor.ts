// The {{name}} actor: counts HTTP requests in the key-value store (wasmcloud:keyvalue) and answers
// {"counter":N}. `wash dev` links it to the host's built-in keyvalue provider (a JetStream KV bucket).

import type { HttpRequest, HttpResponse } from 'wasmcloud:httpserver/types@0.1.0';
import { increment } from 'wasmcloud:keyvalue/key-value@0.1.0';

const COUNTER_KEY = 'counter';

const encoder = new TextEncoder();

function handleRequest(_request: HttpRequest): HttpResponse {
  const counter = increment(COUNTER_KEY, 1);
  return {
    statusCode: 200,
    header: [['content-type', ['application/json']]],
    body: encoder.encode(JSON.stringify({ counter })),
  };
}

/** wasmcloud:httpserver/handler@0.1.0 */
export const handler = { handleRequest };
