// How the dashboard API says no: one JSON shape, `{"error": {"code", "message", "issues"?}}`, with
// the HTTP status that fits (docs/dashboard.md lists them), and the lattice's own errors (a host's
// nack, nobody answering, a timeout) turned into that shape with the host's words kept; so are
// the application controller's (no controller in the lattice, no reply in time, a malformed reply).

import type { z } from 'zod';
import {
  ControlNoReplyError,
  ControlRejectedError,
  ControlReplyError,
  EventTimeoutError,
} from '../lattice/control-client.ts';
import { errorMessage } from '../lattice/errors.ts';
import { decodeJsonBytes, describeIssues } from '../lattice/json-message.ts';
import { WadmRequestError } from '../lattice/wadm-client.ts';
import { DashboardError } from './errors.ts';

export interface ApiIssue {
  /** The field, dotted (`values.PORT`); empty for the body as a whole. */
  path: string;
  message: string;
}

export interface ApiErrorBody {
  error: { code: string; message: string; issues?: ApiIssue[] };
}

/** A refusal of the API: its HTTP status, a code of dashboard/errors.ts, and the fields at fault. */
export class DashboardApiError extends DashboardError {
  readonly status: number;
  readonly issues: ApiIssue[] | undefined;

  constructor(
    status: number,
    code: DashboardError['code'],
    message: string,
    issues?: ApiIssue[],
    options?: ErrorOptions,
  ) {
    super(code, message, options);
    this.status = status;
    this.issues = issues;
  }

  toBody(): ApiErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) },
    };
  }
}

/** Validates a decoded value against a described schema, or throws a 400 naming each bad field. */
export function validateInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: describeIssues([{ ...issue, path: [] }]),
  }));
  throw new DashboardApiError(
    400,
    'INVALID_REQUEST',
    `invalid ${schema.description ?? 'request'}: ${describeIssues(result.error.issues)}`,
    issues,
  );
}

/** A JSON request body (raw bytes, as the server keeps them) validated against `schema`. */
export function parseJsonBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (!(body instanceof Uint8Array)) {
    throw new DashboardApiError(
      400,
      'BODY_MISSING',
      `a ${schema.description ?? 'request'} needs a JSON body with Content-Type: application/json`,
    );
  }
  const decoded = decodeJsonBytes(body);
  if (!decoded.ok) throw new DashboardApiError(400, 'INVALID_JSON', decoded.error);
  return validateInput(schema, decoded.value);
}

/** A JSON body that may be left out (an empty body is `{}`), validated against `schema`. */
export function parseOptionalJsonBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === undefined || body === null || (body instanceof Uint8Array && body.length === 0)) {
    return validateInput(schema, {});
  }
  return parseJsonBody(schema, body);
}

/** The application controller's codes: nobody answers, no answer in time, an answer off the protocol. */
const WADM_STATUS: Record<string, number> = {
  WADM_NO_CONTROLLER: 503,
  WADM_TIMEOUT: 504,
  WADM_BAD_REPLY: 502,
  WADM_REQUEST_FAILED: 502,
  // The controller runs but could not serve the request (its store unreadable, say).
  WADM_REFUSED: 502,
};

/** The lattice's errors in API form; anything unexpected is a 500 with its message. */
export function apiErrorOf(error: unknown): DashboardApiError {
  if (error instanceof DashboardApiError) return error;
  const options = { cause: error };
  if (error instanceof ControlRejectedError)
    return new DashboardApiError(409, 'REJECTED', error.message, undefined, options);
  if (error instanceof ControlNoReplyError) {
    const timedOut = error.code === 'CTL_TIMEOUT';
    return new DashboardApiError(timedOut ? 504 : 503, error.code, error.message, undefined, options);
  }
  if (error instanceof EventTimeoutError)
    return new DashboardApiError(504, 'OUTCOME_TIMEOUT', error.message, undefined, options);
  if (error instanceof ControlReplyError)
    return new DashboardApiError(502, 'BAD_REPLY', error.message, undefined, options);
  if (error instanceof WadmRequestError) {
    const cause = error.cause === undefined ? '' : `: ${errorMessage(error.cause)}`;
    const status = WADM_STATUS[error.code] ?? 502;
    return new DashboardApiError(status, error.code, `${error.message}${cause}`, undefined, options);
  }
  return new DashboardApiError(500, 'INTERNAL', errorMessage(error), undefined, options);
}
