// The {{name}} actor: answers every HTTP request with a greeting. `wash dev` rebuilds and updates
// the running actor each time this file is saved.

import { writeLog } from 'wasmcloud:builtin/logging@0.1.0';
import type { HttpRequest, HttpResponse } from 'wasmcloud:httpserver/types@0.1.0';

const GREETING = 'Hello from {{name}}';

const encoder = new TextEncoder();

function handleRequest(request: HttpRequest): HttpResponse {
  writeLog('debug', `{{name}}: ${request.method} ${request.path}`);
  return {
    statusCode: 200,
    header: [['content-type', ['text/plain; charset=utf-8']]],
    body: encoder.encode(`${GREETING}!\n`),
  };
}

/** wasmcloud:httpserver/handler@0.1.0 */
export const handler = { handleRequest };
