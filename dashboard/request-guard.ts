// Who may talk to the dashboard. It can start code on the lattice, and it listens on 127.0.0.1 by
// default, so the browser is the way in for an attacker: a web page posting to localhost (refused
// unless the request comes from the dashboard's own origin) or a DNS name rebound to 127.0.0.1
// (refused by checking the Host header while bound to a loopback address). Bound to another
// address (a pod in Kubernetes), names cannot be known in advance and only the origin is checked.

import { DashboardApiError } from './api-errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopback(address: string): boolean {
  return LOOPBACK_NAMES.has(address) || /^127\.\d+\.\d+\.\d+$/.test(address);
}

/** The name and port of a Host header (`localhost:4000`, `[::1]:4000`). */
function splitHost(header: string): { name: string; port: string | undefined } {
  const bracketed = /^(\[[^\]]+\])(?::(\d+))?$/.exec(header);
  if (bracketed) return { name: bracketed[1]!, port: bracketed[2] };
  const at = header.lastIndexOf(':');
  return at < 0
    ? { name: header, port: undefined }
    : { name: header.slice(0, at), port: header.slice(at + 1) };
}

export interface GuardedRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
}

function header(request: GuardedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Throws a 403 naming the reason when the request may not be served. */
export function guardRequest(request: GuardedRequest, bindHost: string, port: number): void {
  const host = header(request, 'host');
  if (isLoopback(bindHost)) {
    const parsed = host === undefined ? undefined : splitHost(host.toLowerCase());
    if (!parsed || !isLoopback(parsed.name) || (parsed.port !== undefined && parsed.port !== String(port))) {
      throw new DashboardApiError(
        403,
        'FORBIDDEN_HOST',
        `the dashboard answers only to localhost, 127.0.0.1 or [::1] on port ${port}, not to Host: ${host ?? '(none)'}`,
      );
    }
  }
  if (SAFE_METHODS.has(request.method)) return;
  const origin = header(request, 'origin');
  if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) {
    throw new DashboardApiError(
      403,
      'FORBIDDEN_ORIGIN',
      `requests from ${origin} may not change the lattice; use the dashboard's own page`,
    );
  }
  if (header(request, 'sec-fetch-site') === 'cross-site') {
    throw new DashboardApiError(403, 'FORBIDDEN_ORIGIN', 'cross-site requests may not change the lattice');
  }
}
