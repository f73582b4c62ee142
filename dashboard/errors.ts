// The dashboard's catalogue of error codes (lattice/errors.ts explains the model): every code the
// dashboard's JSON API answers with (`{"error": {"code", "message", "issues"?}}`, api-errors.ts;
// docs/dashboard.md gives the HTTP status of each) and the codes of its start-up; docs/errors.md
// lists them. The page reads these codes, so they never change. The API passes on the lattice's
// codes of a host nobody answers for (CTL_NO_RESPONDERS, CTL_TIMEOUT, …) and of the application
// controller (WADM_*), and fastify's FST_ERR_* code of a request it refused itself.

import { type ErrorCatalogue, LatticeError, type LatticeErrorCode } from '../lattice/errors.ts';

export const DASHBOARD_ERROR_CODES = {
  // 400
  INVALID_REQUEST: 'A request whose fields are wrong; `issues` names each bad field.',
  INVALID_JSON: 'A request body that is not JSON.',
  BODY_MISSING: 'A request without the JSON body it needs.',
  EMPTY_UPLOAD: 'An upload of 0 bytes.',
  BAD_REQUEST:
    "A request fastify refused before the API saw it (without an FST_ERR_* code of fastify's own).",
  // 403
  FORBIDDEN_ORIGIN: 'A request from another site (its Origin is not the dashboard).',
  FORBIDDEN_HOST: 'A request for another Host name than the dashboard answers to.',
  // 404
  NOT_FOUND: 'No such endpoint.',
  UNKNOWN_UPLOAD: 'No such upload.',
  UNKNOWN_APPLICATION: 'No such application (or version) in the application controller.',
  // 409
  REJECTED: 'A host refused the action; the message has its reason.',
  NO_HOST: 'No host bid in the auction for the actor or provider to start.',
  // 413, 415
  BODY_TOO_LARGE: 'A JSON body over 128 KiB.',
  UPLOAD_TOO_LARGE: 'An upload over the upload limit.',
  UNSUPPORTED_MEDIA_TYPE: 'A body of another content type than the endpoint takes.',
  // 422
  ACTION_FAILED: 'The host tried and failed; the message has its reason.',
  NOT_A_SIGNED_ACTOR: 'An actor upload that is not a signed WebAssembly module or component.',
  NOT_A_PROVIDER_ARCHIVE: 'A provider upload that is not a signed provider archive.',
  MANIFEST_REFUSED: 'The application controller refused the manifest; the message has its reason.',
  CONTROLLER_REFUSED: 'The application controller refused the request; the message has its reason.',
  // 500, 502, 503, 504, 507
  INTERNAL: 'Something the API did not expect failed; the message says what.',
  BAD_REPLY: 'A host or the application controller answered something that is not the protocol.',
  TOO_MANY_STREAMS: 'Too many pages have the live feed open.',
  CLOSING: 'The dashboard is stopping.',
  OUTCOME_TIMEOUT: 'No event told the outcome in time (the action may still complete).',
  UPLOADS_FULL: 'The uploads kept reach their total limit.',
  // start-up (mod.ts, static-files.ts)
  DASHBOARD_LISTEN_FAILED:
    'The dashboard cannot listen (port in use, address not on this machine, no permission).',
  DASHBOARD_PAGE_MISSING: "The dashboard's page (public/index.html) is not where it should be.",
} as const satisfies ErrorCatalogue;

export type DashboardErrorCode = keyof typeof DASHBOARD_ERROR_CODES;

/** fastify's own code of a request it refused (FST_ERR_CTP_EMPTY_JSON_BODY, …), passed on as it is. */
export type FastifyErrorCode = `FST_ERR_${string}`;

export function isFastifyErrorCode(code: unknown): code is FastifyErrorCode {
  return typeof code === 'string' && code.startsWith('FST_ERR_');
}

/** The base of every dashboard error: a dashboard code, a lattice code passed on, or fastify's. */
export class DashboardError extends LatticeError<DashboardErrorCode | LatticeErrorCode | FastifyErrorCode> {}
