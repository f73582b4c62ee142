// CORS as the 2022 provider (warp's cors filter) applied it: a request without an Origin header is
// not a CORS request and passes untouched; a preflight (OPTIONS with Origin and
// Access-Control-Request-Method) is answered here and never reaches the actor; any other request
// from an origin, method or header outside the settings is refused with 403.

import type { CorsSettings } from './settings.ts';

export type CorsOutcome =
  | { kind: 'pass' }
  | { kind: 'forbidden'; reason: string }
  | { kind: 'preflight'; headers: Record<string, string> }
  | { kind: 'actual'; headers: Record<string, string> };

const PASS: CorsOutcome = { kind: 'pass' };

export class CorsPolicy {
  readonly #anyOrigin: boolean;
  readonly #origins: ReadonlySet<string>;
  readonly #methods: ReadonlySet<string>;
  readonly #headers: ReadonlySet<string>;
  readonly #preflightHeaders: Readonly<Record<string, string>>;
  readonly #exposed: string;

  constructor(settings: CorsSettings) {
    this.#anyOrigin = settings.allowedOrigins.length === 0;
    this.#origins = new Set(settings.allowedOrigins.map((origin) => origin.toLowerCase()));
    this.#methods = new Set(settings.allowedMethods);
    this.#headers = new Set(settings.allowedHeaders);
    this.#preflightHeaders = {
      'access-control-allow-methods': settings.allowedMethods.join(', '),
      'access-control-allow-headers': settings.allowedHeaders.join(', '),
      'access-control-max-age': String(settings.maxAgeSecs),
    };
    this.#exposed = settings.exposedHeaders.join(', ');
  }

  /** What to do with a request, given its method and a reader of its (lower-case) headers. */
  outcome(method: string, header: (name: string) => string | undefined): CorsOutcome {
    const origin = header('origin');
    if (origin === undefined) return PASS;
    if (!this.#anyOrigin && !this.#origins.has(origin.toLowerCase()))
      return { kind: 'forbidden', reason: `origin ${origin} is not allowed` };
    const requestedMethod = method === 'OPTIONS' ? header('access-control-request-method') : undefined;
    if (requestedMethod !== undefined) {
      if (!this.#methods.has(requestedMethod.toUpperCase()))
        return { kind: 'forbidden', reason: `method ${requestedMethod} is not allowed` };
      const requested = (header('access-control-request-headers') ?? '')
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter((name) => name !== '');
      const refused = requested.filter((name) => !this.#headers.has(name));
      if (refused.length > 0)
        return { kind: 'forbidden', reason: `header ${refused.join(', ')} is not allowed` };
      return {
        kind: 'preflight',
        headers: { 'access-control-allow-origin': origin, ...this.#preflightHeaders },
      };
    }
    if (!this.#methods.has(method)) return { kind: 'forbidden', reason: `method ${method} is not allowed` };
    const headers: Record<string, string> = { 'access-control-allow-origin': origin };
    if (this.#exposed !== '') headers['access-control-expose-headers'] = this.#exposed;
    return { kind: 'actual', headers };
  }
}
