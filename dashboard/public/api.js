// The page's client of the dashboard's JSON API (docs/dashboard.md). Errors come back as
// `{"error": {"code", "message", "issues"}}`; they are thrown as ApiError so forms can show the
// message and mark the fields named in `issues`.

export class ApiError extends Error {
  constructor(message, code, issues) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.issues = issues ?? [];
  }
}

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

async function send(path, init) {
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError('cannot reach the dashboard: is the host still running?', 'UNREACHABLE');
  }
  return readReply(response);
}

export function getJson(path) {
  return send(path, { headers: { accept: 'application/json' } });
}

export function postJson(path, body) {
  return send(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Uploads a file (a File from an <input type=file>); resolves with the upload's description. */
export function uploadFile(kind, file) {
  const query = new URLSearchParams({ kind, name: file.name });
  return send(`/api/uploads?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', accept: 'application/json' },
    body: file,
  });
}
