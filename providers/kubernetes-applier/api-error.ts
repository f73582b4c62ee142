// One line for whatever a Kubernetes API call failed with: the API server's Status (code, reason,
// message), a network failure (its cause: "connect ECONNREFUSED …"), or a request timeout. These
// lines become OperationResponse.error and link refusals, so they must say what went wrong.

import { z } from 'zod';

const statusSchema = z.looseObject({
  kind: z.literal('Status'),
  reason: z.string().optional(),
  message: z.string().optional(),
});

/** client-node's ApiException, recognized by shape (its class lives in the library's internals). */
interface ApiExceptionLike {
  code: number;
  body: unknown;
}

function isApiException(error: unknown): error is ApiExceptionLike & Error {
  return (
    error instanceof Error && typeof (error as Partial<ApiExceptionLike>).code === 'number' && 'body' in error
  );
}

/** The HTTP status of an API server's answer, or undefined when there was none. */
export function httpStatusOf(error: unknown): number | undefined {
  return isApiException(error) ? error.code : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeBody(code: number, body: unknown): string {
  // The object API hands the body over as text.
  const status = statusSchema.safeParse(typeof body === 'string' ? parseJson(body) : body);
  if (status.success) {
    const { reason, message } = status.data;
    const head = reason ? `${code} ${reason}` : `${code}`;
    return message ? `${head}: ${message}` : head;
  }
  if (typeof body === 'string' && body.trim() !== '') return `${code}: ${body.trim().slice(0, 300)}`;
  return `HTTP ${code}`;
}

/** Describes an error from a call to the API server at `server`. */
export function describeApiError(error: unknown, server: string, timeoutMs: number): string {
  if (isApiException(error)) return describeBody(error.code, error.body);
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') {
      return `no answer from the Kubernetes API server at ${server} within ${timeoutMs / 1000} s`;
    }
    // fetch failures are "fetch failed" with the reason in `cause`.
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error)
      return `cannot reach the Kubernetes API server at ${server}: ${cause.message}`;
    return error.message;
  }
  return String(error);
}
