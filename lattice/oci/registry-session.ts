// HTTP to one registry: the scheme (HTTPS unless the registry was listed as insecure), the auth
// dance (a 401 names Bearer or Basic; Bearer means fetching a token from the realm it names, with
// the credentials as Basic auth, then retrying), and errors that say what happened and what to do.

import { z } from 'zod';
import { OciError } from './errors.ts';
import { parseAuthChallenge } from './www-authenticate.ts';

/** Credentials for one registry: a username and password, or a bearer token used as is. */
export interface RegistryCredentials {
  username?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
}

export interface RegistrySessionOptions {
  /** `host[:port]` */
  registry: string;
  /** Plain HTTP instead of HTTPS. */
  insecure: boolean;
  credentials: RegistryCredentials | undefined;
  requestTimeoutMs: number;
  /** Appended to errors: how to allow plain HTTP, how to give credentials (they differ per program). */
  hints: { insecure: string; credentials: string };
  userAgent: string;
}

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT';
  /** A path under the registry (`/v2/…`) or an absolute URL (an upload location). */
  target: string;
  /** e.g. `repository:echo:pull` */
  scope: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
}

/** Token-server replies carry `token` (the distribution spec) or `access_token` (OAuth 2). */
const tokenResponseSchema = z
  .looseObject({ token: z.string().min(1).optional(), access_token: z.string().min(1).optional() })
  .refine((body) => body.token !== undefined || body.access_token !== undefined, 'no token in it');

const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

const registryErrorsSchema = z.looseObject({
  errors: z.array(z.looseObject({ code: z.string().optional(), message: z.string().optional() })),
});

function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * Lets go of a body nobody reads, so the connection can be reused. Cancelling fails only for a
 * stream that already failed or closed: nothing is left to release then, so that is not an error.
 */
export async function discardBody(
  body: ReadableStream<Uint8Array> | ReadableStreamDefaultReader<Uint8Array> | null,
): Promise<void> {
  // Failing to cancel a stream that already ended is no failure: see above.
  await body?.cancel().catch(() => undefined);
}

/** Reads at most `limit` bytes of a body; OCI_TOO_LARGE beyond that, before or while reading. */
export async function readLimitedBody(response: Response, limit: number, what: string): Promise<Uint8Array> {
  const tooLarge = (size: string) =>
    new OciError('OCI_TOO_LARGE', `${what} is ${size}, over the limit of ${limit} bytes`);
  const announced = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(announced) && announced > limit) {
    await discardBody(response.body);
    throw tooLarge(`${announced} bytes`);
  }
  if (response.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await discardBody(reader);
      throw tooLarge(`more than ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** The registry's own words for an error status (`CODE: message; …`), when its body has them. */
export async function registryErrorText(response: Response): Promise<string> {
  try {
    const bytes = await readLimitedBody(response, MAX_ERROR_BODY_BYTES, 'the error body');
    const parsed = registryErrorsSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    if (!parsed.success) return '';
    return parsed.data.errors
      .map((error) => [error.code, error.message].filter((part) => part !== undefined).join(': '))
      .join('; ');
  } catch {
    return '';
  }
}

function statusText(response: Response): string {
  return `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
}

export class RegistrySession {
  readonly registry: string;
  readonly baseUrl: URL;
  readonly #options: RegistrySessionOptions;
  /** Set once the registry asked for Basic auth: later requests send it up front. */
  #basic = false;
  readonly #tokens = new Map<string, string>();

  constructor(options: RegistrySessionOptions) {
    this.#options = options;
    this.registry = options.registry;
    this.baseUrl = new URL(`${options.insecure ? 'http' : 'https'}://${options.registry}/`);
  }

  /**
   * Sends a request, authenticating when the registry asks to. Returns the response whatever its
   * status, except that a 401 after authenticating, or no answer at all, throws an OciError.
   */
  async request(request: RegistryRequest): Promise<Response> {
    const url = new URL(request.target, this.baseUrl);
    const first = await this.#send(url, request, this.#authorization(url, request.scope));
    if (first.status !== 401) return first;
    const challenge = parseAuthChallenge(first.headers.get('www-authenticate'));
    await discardBody(first.body);
    const authorization = await this.#answerChallenge(challenge, request.scope);
    const second = await this.#send(url, request, authorization);
    if (second.status !== 401) return second;
    const again = parseAuthChallenge(second.headers.get('www-authenticate'));
    await discardBody(second.body);
    if (again?.params.error === 'insufficient_scope') {
      throw new OciError(
        'OCI_FORBIDDEN',
        `registry ${this.registry} did not grant ${request.scope}${this.#who()} (401 insufficient_scope)`,
      );
    }
    throw this.#refused('401 Unauthorized');
  }

  /** An OciError for an error status (not 401: `request` handles that); `what` is a noun phrase. */
  async failure(response: Response, what: string): Promise<OciError> {
    const detail = await registryErrorText(response);
    const said = `${statusText(response)}${detail ? `: ${detail}` : ''}`;
    switch (response.status) {
      case 403:
        return new OciError(
          'OCI_FORBIDDEN',
          `registry ${this.registry} denied access to ${what}${this.#who()} (${said})`,
        );
      case 404:
        return new OciError('OCI_NOT_FOUND', `${what} was not found in registry ${this.registry} (${said})`);
      default:
        return new OciError('OCI_REGISTRY_ERROR', `registry ${this.registry} failed on ${what} (${said})`);
    }
  }

  #who(): string {
    const username = this.#options.credentials?.username;
    return username ? ` to user "${username}"` : '';
  }

  /** The Authorization header to send before being asked (same origin only: never to upload URLs elsewhere). */
  #authorization(url: URL, scope: string): string | undefined {
    if (url.origin !== this.baseUrl.origin) return undefined;
    const token = this.#tokens.get(scope);
    if (token !== undefined) return `Bearer ${token}`;
    const credentials = this.#options.credentials;
    if (this.#basic && credentials?.username !== undefined)
      return basicHeader(credentials.username, credentials.password ?? '');
    return undefined;
  }

  async #answerChallenge(challenge: ReturnType<typeof parseAuthChallenge>, scope: string): Promise<string> {
    const credentials = this.#options.credentials;
    if (challenge?.scheme === 'basic') {
      if (credentials?.username === undefined) throw this.#required('Basic');
      this.#basic = true;
      return basicHeader(credentials.username, credentials.password ?? '');
    }
    if (challenge?.scheme === 'bearer') {
      if (credentials?.token !== undefined && credentials.username === undefined) {
        this.#tokens.set(scope, credentials.token);
        return `Bearer ${credentials.token}`;
      }
      const token = await this.#fetchToken(challenge.params, scope);
      this.#tokens.set(scope, token);
      return `Bearer ${token}`;
    }
    throw new OciError(
      'OCI_UNAUTHORIZED',
      `registry ${this.registry} answered 401 with ${challenge ? `an unsupported "${challenge.scheme}" challenge` : 'no WWW-Authenticate challenge'}; only Basic and Bearer are supported`,
    );
  }

  /** The distribution token flow: GET {realm}?service=…&scope=…, with Basic credentials if any. */
  async #fetchToken(params: Record<string, string>, scope: string): Promise<string> {
    const realm = params.realm;
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw new OciError(
        'OCI_BAD_TOKEN_RESPONSE',
        `registry ${this.registry} asked for a bearer token without a valid realm URL (${realm ?? 'none'})`,
      );
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.#options.insecure)) {
      throw new OciError(
        'OCI_BAD_TOKEN_RESPONSE',
        `registry ${this.registry} sends for tokens to ${url.href}; only HTTPS is used for that unless the registry is listed as insecure`,
      );
    }
    if (params.service !== undefined) url.searchParams.set('service', params.service);
    // Our own scope, not the challenge's: a HEAD is challenged for pull, but the push needs pull,push.
    url.searchParams.set('scope', scope);
    const credentials = this.#options.credentials;
    const headers: Record<string, string> = { 'user-agent': this.#options.userAgent };
    if (credentials?.username !== undefined)
      headers.authorization = basicHeader(credentials.username, credentials.password ?? '');
    const response = await this.#fetch(url, { method: 'GET', headers }, `the token server ${url.origin}`);
    if (response.status === 401 || response.status === 403) {
      await discardBody(response.body);
      if (credentials?.username === undefined) throw this.#required('Bearer');
      throw this.#refused(`${statusText(response)} from the token server ${url.origin}`);
    }
    if (response.status !== 200) {
      const detail = await registryErrorText(response);
      throw new OciError(
        'OCI_BAD_TOKEN_RESPONSE',
        `the token server ${url.origin} of registry ${this.registry} answered ${statusText(response)}${detail ? `: ${detail}` : ''}`,
      );
    }
    const bytes = await readLimitedBody(response, MAX_TOKEN_RESPONSE_BYTES, 'the token response');
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      body = undefined;
    }
    const parsed = tokenResponseSchema.safeParse(body);
    if (!parsed.success) {
      throw new OciError(
        'OCI_BAD_TOKEN_RESPONSE',
        `the token server ${url.origin} of registry ${this.registry} answered without a token`,
      );
    }
    return (parsed.data.token ?? parsed.data.access_token)!;
  }

  #required(scheme: string): OciError {
    return new OciError(
      'OCI_UNAUTHORIZED',
      `registry ${this.registry} requires credentials (${scheme} auth) and none were given; ${this.#options.hints.credentials}`,
    );
  }

  #refused(status: string): OciError {
    const credentials = this.#options.credentials;
    const what =
      credentials?.username !== undefined
        ? `the credentials of user "${credentials.username}"`
        : 'the token given';
    return new OciError('OCI_CREDENTIALS_REFUSED', `registry ${this.registry} refused ${what} (${status})`);
  }

  async #send(url: URL, request: RegistryRequest, authorization: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': this.#options.userAgent, ...request.headers };
    if (authorization !== undefined) headers.authorization = authorization;
    const init: RequestInit = { method: request.method, headers };
    // The types allow a SharedArrayBuffer behind a Uint8Array; bodies here never have one.
    if (request.body !== undefined) init.body = request.body as Uint8Array<ArrayBuffer>;
    return this.#fetch(url, init, `registry ${this.registry}`);
  }

  async #fetch(url: URL, init: RequestInit, who: string): Promise<Response> {
    const timeoutMs = this.#options.requestTimeoutMs;
    try {
      return await fetch(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw this.#unreachable(error, url, who, timeoutMs);
    }
  }

  #unreachable(error: unknown, url: URL, who: string, timeoutMs: number): OciError {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return new OciError('OCI_UNREACHABLE', `${who} did not answer ${url.href} within ${timeoutMs} ms`);
    }
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const code = (cause as { code?: unknown }).code;
    const message = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0]!;
    const tls =
      url.protocol === 'https:' &&
      ((typeof code === 'string' && (code.startsWith('ERR_SSL') || code === 'EPROTO')) ||
        /ssl|tls|certificate/i.test(message));
    // OpenSSL's own text is a long internal trace; its code says enough.
    const detail =
      tls && typeof code === 'string'
        ? `TLS handshake failed: ${code}`
        : typeof code === 'string' && !message.includes(code)
          ? `${code}: ${message}`
          : message;
    const hint = tls ? `; if it serves plain HTTP, ${this.#options.hints.insecure}` : '';
    return new OciError('OCI_UNREACHABLE', `cannot reach ${who} at ${url.origin} (${detail})${hint}`, {
      cause: error,
    });
  }
}
