// The page's client of the dashboard's JSON API (docs/dashboard.md). Errors come back as
// `{"error": {"code", "message", "issues"}}`; they are thrown as ApiError so forms can show the
// message and mark the fields named in `issues`.

/** A field the API found wrong: `path` names it (`count`, `values.0`). */
/** @typedef {{ path?: unknown; message?: unknown }} ApiIssue */
/** What an action answers (start, scale, stop, link): what it did, in words. */
/** @typedef {{ message: string }} ActionReply */
/** What an upload answers: the id a start request names it by, and the file's name. */
/** @typedef {{ upload_id: string; name: string }} UploadReply */

export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {string} [code]
   * @param {ApiIssue[]} [issues]
   */
  constructor(message, code, issues) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.issues = issues ?? [];
  }
}

/**
 * What a caught error says (anything may be thrown; only an Error has a message).
 * @param {unknown} error
 */
export function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}

/**
 * @param {Response} response
 * @returns {Promise<unknown>}
 */
async function readReply(response) {
  const text = await response.text();
  let body;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new ApiError(
      `the dashboard answered ${response.status} with something that is not JSON`,
      'BAD_REPLY',
    );
  }
  if (!response.ok) {
    const error = body?.error;
    throw new ApiError(
      error?.message ?? `the dashboard answered ${response.status}`,
      error?.code,
      error?.issues,
    );
  }
  return body;
}

/**
 * @param {string} path
 * @param {RequestInit} init
 */
async function send(path, init) {
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError('cannot reach the dashboard: is the host still running?', 'UNREACHABLE');
  }
  return readReply(response);
}

/** @param {string} path */
export function getJson(path) {
  return send(path, { headers: { accept: 'application/json' } });
}

/**
 * Sends an action; its reply says what was done.
 * @param {string} path
 * @param {unknown} body
 * @returns {Promise<ActionReply>}
 */
export async function postJson(path, body) {
  return /** @type {ActionReply} */ (
    await send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    })
  );
}

/**
 * Uploads a file (a File from an <input type=file>); resolves with the upload's description.
 * @param {'actor' | 'provider'} kind
 * @param {File} file
 * @returns {Promise<UploadReply>}
 */
export async function uploadFile(kind, file) {
  const query = new URLSearchParams({ kind, name: file.name });
  return /** @type {UploadReply} */ (
    await send(`/api/uploads?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', accept: 'application/json' },
      body: file,
    })
  );
}
