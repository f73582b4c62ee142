// The settings of one linked actor's listener, read from its link's values as the 2022 httpserver
// provider read them (shared by providers/httpserver and the host's built-in httpserver) (protocol.md §7.1): keys case-insensitive, applied in the order
// `config_file` (.json), `config_b64`, `config_json`, `address`, `port`, `max_content_len`, later
// ones winning field by field. Anything wrong is an HttpServerSettingsError naming the value and
// the field, so the link is refused with a reason the operator can act on.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { errorMessage, LatticeError, type LatticeErrorCode } from '../errors.ts';

export interface ListenAddress {
  /** An IPv4 or IPv6 literal, or `localhost`. */
  host: string;
  port: number;
}

/** `host:port`, or `[host]:port` for an IPv6 host. (Here, not beside the listener: the host names an address without loading fastify.) */
export function describeAddress({ host, port }: ListenAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export interface CorsSettings {
  /** Exact origins (`https://example.com[:port]`); empty allows every origin. */
  allowedOrigins: string[];
  /** Lower case. */
  allowedHeaders: string[];
  /** Upper case. */
  allowedMethods: string[];
  exposedHeaders: string[];
  maxAgeSecs: number;
}

export interface TlsSettings {
  certFile: string;
  privKeyFile: string;
}

export interface HttpServerSettings {
  address: ListenAddress;
  /** How long to wait for the actor before answering 503; undefined: the host's RPC timeout. */
  timeoutMs: number | undefined;
  /** The largest request body accepted; larger ones get 413. */
  maxContentLen: number;
  cors: CorsSettings;
  tls: TlsSettings | undefined;
}

export interface LoadedSettings {
  settings: HttpServerSettings;
  /** Things that were ignored (unknown keys, `log`): worth a log line, not a refusal. */
  warnings: string[];
}

/** Link values that do not give usable listener settings; the link is refused with this message. */
export class HttpServerSettingsError extends LatticeError<LatticeErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super('HTTPSERVER_SETTINGS_INVALID', message, options);
  }
}

export const DEFAULT_ADDRESS: ListenAddress = { host: '127.0.0.1', port: 8000 };
export const DEFAULT_MAX_CONTENT_LEN = 16 * 1024 * 1024;
/** The 2022 provider's ceiling for max_content_len (a wasm32 guest cannot hold more anyway). */
const MAX_CONTENT_LEN_CEILING = 1024 * 1024 * 1024;

// The 2022 provider's CORS defaults (httpserver-rs settings.rs).
const DEFAULT_CORS: CorsSettings = {
  allowedOrigins: [],
  allowedHeaders: ['accept', 'accept-language', 'content-type', 'content-language'],
  allowedMethods: ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'],
  exposedHeaders: [],
  maxAgeSecs: 300,
};

/** `host:port`: IPv4, `[IPv6]` or `localhost`, and a port 1–65535. */
export function parseAddress(text: string): ListenAddress {
  const bad = (why: string) => new HttpServerSettingsError(`invalid address '${text}': ${why}`);
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(text.trim());
  if (match === null) throw bad('expected ip:port, e.g. 127.0.0.1:8080 or [::1]:8080');
  const host = match[1] ?? match[2]!;
  if (match[1] !== undefined ? isIP(host) !== 6 : isIP(host) !== 4 && host !== 'localhost')
    throw bad(`'${host}' is not an IP address`);
  return { host, port: parsePort(match[3]!, (why) => bad(why)) };
}

function parsePort(text: string, bad: (why: string) => Error): number {
  if (!/^\d+$/.test(text.trim())) throw bad(`'${text}' is not a port number`);
  const port = Number(text.trim());
  if (port < 1 || port > 65535) throw bad(`port ${port} is outside 1–65535`);
  return port;
}

/** Bytes, or bytes with a k/m/g suffix (×1024), as the 2022 provider's max_content_len. */
export function parseContentLength(value: string | number): number {
  const text = String(value).trim();
  const match = /^(\d+)([kmg]?)$/i.exec(text);
  const bad = (why: string) => new HttpServerSettingsError(`invalid max_content_len '${value}': ${why}`);
  if (match === null) throw bad('expected a number of bytes, optionally with k, m or g (e.g. 16m)');
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[
    match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'
  ];
  const bytes = Number(match[1]) * unit;
  if (bytes < 1) throw bad('it must be at least 1 byte');
  if (bytes > MAX_CONTENT_LEN_CEILING) throw bad(`it may not exceed 1g (${MAX_CONTENT_LEN_CEILING} bytes)`);
  return bytes;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerName = z.string().regex(TOKEN, 'not a valid header name');
const origin = z.string().transform((text, context) => {
  try {
    const url = new URL(text);
    const sameOrigin = url.origin.toLowerCase() === text.replace(/\/$/, '').toLowerCase();
    if ((url.protocol === 'http:' || url.protocol === 'https:') && sameOrigin) return url.origin;
  } catch {}
  context.addIssue({
    code: 'custom',
    message: `'${text}' is not an origin such as https://example.com or http://localhost:3000 (no path)`,
  });
  return z.NEVER;
});

const corsSchema = z.object({
  allowed_origins: z.array(origin).optional(),
  allowed_headers: z.array(headerName).optional(),
  allowed_methods: z.array(z.string().regex(TOKEN, 'not a valid HTTP method')).optional(),
  exposed_headers: z.array(headerName).optional(),
  max_age_secs: z.number().int().min(0).optional(),
});

const tlsSchema = z.object({
  cert_file: z.string().min(1).optional(),
  priv_key_file: z.string().min(1).optional(),
});

const documentSchema = z.object({
  address: z.string().optional(),
  timeout_ms: z.number().int().min(1).max(3_600_000).optional(),
  max_content_len: z.union([z.string(), z.number().int()]).optional(),
  cors: corsSchema.optional(),
  tls: tlsSchema.optional(),
});

const KNOWN_KEYS = new Set([...Object.keys(documentSchema.shape), 'log']);

type SettingsDocument = z.infer<typeof documentSchema>;

/** The fields set so far, merged as later sources arrive. */
interface Draft {
  address: ListenAddress;
  timeoutMs: number | undefined;
  maxContentLen: number;
  cors: CorsSettings;
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
}

function parseDocument(text: string, source: string, warnings: string[]): SettingsDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new HttpServerSettingsError(`${source} is not valid JSON: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new HttpServerSettingsError(`${source} must be a JSON object`);
  const parsed = documentSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`);
    throw new HttpServerSettingsError(`${source}: ${issues.join('; ')}`);
  }
  for (const key of Object.keys(json)) {
    if (key === 'log') warnings.push(`${source}: 'log' is ignored (providers log at the host's log level)`);
    else if (!KNOWN_KEYS.has(key)) warnings.push(`${source}: unknown setting '${key}' ignored`);
  }
  return parsed.data;
}

function mergeDocument(draft: Draft, document: SettingsDocument, source: string): void {
  const inSource = <T>(read: () => T): T => {
    try {
      return read();
    } catch (error) {
      throw new HttpServerSettingsError(`${source}: ${errorMessage(error)}`, { cause: error });
    }
  };
  if (document.address !== undefined) draft.address = inSource(() => parseAddress(document.address!));
  if (document.timeout_ms !== undefined) draft.timeoutMs = document.timeout_ms;
  if (document.max_content_len !== undefined)
    draft.maxContentLen = inSource(() => parseContentLength(document.max_content_len!));
  const cors = document.cors;
  if (cors !== undefined) {
    draft.cors = {
      allowedOrigins: cors.allowed_origins ?? draft.cors.allowedOrigins,
      allowedHeaders: cors.allowed_headers?.map((h) => h.toLowerCase()) ?? draft.cors.allowedHeaders,
      allowedMethods: cors.allowed_methods?.map((m) => m.toUpperCase()) ?? draft.cors.allowedMethods,
      exposedHeaders: cors.exposed_headers ?? draft.cors.exposedHeaders,
      maxAgeSecs: cors.max_age_secs ?? draft.cors.maxAgeSecs,
    };
  }
  draft.tlsCertFile = document.tls?.cert_file ?? draft.tlsCertFile;
  draft.tlsKeyFile = document.tls?.priv_key_file ?? draft.tlsKeyFile;
}

/** The link's values with lower-case keys; two spellings of one key are an error. */
function caseInsensitive(values: Readonly<Record<string, string>>): Map<string, string> {
  const byLower = new Map<string, string>();
  const original = new Map<string, string>();
  for (const [key, value] of Object.entries(values)) {
    const lower = key.toLowerCase();
    const earlier = original.get(lower);
    if (earlier !== undefined)
      throw new HttpServerSettingsError(
        `link values name '${lower}' twice ('${earlier}' and '${key}'); keys are case-insensitive`,
      );
    original.set(lower, key);
    byLower.set(lower, value);
  }
  return byLower;
}

function decodeBase64(text: string): string {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed) || trimmed.replace(/=+$/, '').length % 4 === 1)
    throw new HttpServerSettingsError('config_b64 is not valid base64');
  return Buffer.from(trimmed, 'base64').toString('utf8');
}

export interface LoadSettingsOptions {
  /** Reads `config_file`; default: the file system. */
  readFile?: (path: string) => string;
}

/** Reads a link's values into listener settings; throws HttpServerSettingsError when they are wrong. */
export function loadSettings(
  linkValues: Readonly<Record<string, string>>,
  options: LoadSettingsOptions = {},
): LoadedSettings {
  const values = caseInsensitive(linkValues);
  const warnings: string[] = [];
  const draft: Draft = {
    address: { ...DEFAULT_ADDRESS },
    timeoutMs: undefined,
    maxContentLen: DEFAULT_MAX_CONTENT_LEN,
    cors: { ...DEFAULT_CORS },
    tlsCertFile: undefined,
    tlsKeyFile: undefined,
  };

  const file = values.get('config_file');
  if (file !== undefined) {
    if (!/\.json$/i.test(file))
      throw new HttpServerSettingsError(
        `config_file '${file}' must be a .json file (TOML is not supported by this provider)`,
      );
    let text: string;
    try {
      text = (options.readFile ?? ((path) => readFileSync(path, 'utf8')))(file);
    } catch (error) {
      throw new HttpServerSettingsError(`config_file '${file}' cannot be read: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    mergeDocument(draft, parseDocument(text, `config_file '${file}'`, warnings), `config_file '${file}'`);
  }
  const b64 = values.get('config_b64');
  if (b64 !== undefined)
    mergeDocument(draft, parseDocument(decodeBase64(b64), 'config_b64', warnings), 'config_b64');
  const json = values.get('config_json');
  if (json !== undefined) mergeDocument(draft, parseDocument(json, 'config_json', warnings), 'config_json');
  const address = values.get('address');
  if (address !== undefined) draft.address = parseAddress(address);
  const port = values.get('port');
  if (port !== undefined)
    draft.address = {
      host: '127.0.0.1',
      port: parsePort(port, (why) => new HttpServerSettingsError(`invalid port: ${why}`)),
    };
  const maxContentLen = values.get('max_content_len');
  if (maxContentLen !== undefined) draft.maxContentLen = parseContentLength(maxContentLen);

  if ((draft.tlsCertFile === undefined) !== (draft.tlsKeyFile === undefined))
    throw new HttpServerSettingsError("for TLS both 'tls.cert_file' and 'tls.priv_key_file' must be set");
  const tls =
    draft.tlsCertFile !== undefined && draft.tlsKeyFile !== undefined
      ? { certFile: draft.tlsCertFile, privKeyFile: draft.tlsKeyFile }
      : undefined;
  return {
    settings: {
      address: draft.address,
      timeoutMs: draft.timeoutMs,
      maxContentLen: draft.maxContentLen,
      cors: draft.cors,
      tls,
    },
    warnings,
  };
}
