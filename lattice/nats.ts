// The one place the NATS client library is touched (design.md, "Layout"): connection settings as the
// 2022 host takes them (host + port, JWT + seed, a creds file, TLS), and the client types the rest of
// the code base talks to. Swapping the client means changing this file.

import { readFile } from 'node:fs/promises';
import {
  type Authenticator,
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  jwtAuthenticator,
  type NatsConnection,
  DebugEvents as NatsDebugEvents,
  ErrorCode as NatsErrorCode,
  Events as NatsEvents,
  type Status as NatsStatus,
  nkeyAuthenticator,
  type QueuedIterator,
} from 'nats';
import { errorMessage, LatticeError, type LatticeErrorCode } from './errors.ts';

export type {
  JetStreamClient,
  JetStreamManager,
  KV,
  KvEntry,
  KvOptions,
  Msg,
  MsgHdrs,
  NatsConnection,
  ObjectStore,
  ObjectStoreOptions,
  StreamInfo,
  Subscription,
} from 'nats';
export { createInbox, headers, StorageType } from 'nats';

/** Raised when a NATS connection cannot be set up from the given settings. */
export class NatsConnectError extends LatticeError<LatticeErrorCode> {}

export interface NatsTlsSettings {
  /** PEM file of the CA that signed the server's certificate; default: the system's CAs. */
  caFile?: string;
  /** Client certificate and key for mutual TLS. */
  certFile?: string;
  keyFile?: string;
}

export interface NatsConnectionSettings {
  /** `host:port` or a `nats://`/`tls://` URL. */
  url: string;
  /** More servers of the same cluster, tried after `url` (a comma list of URIs in link values). */
  moreUrls?: readonly string[];
  /** A user JWT, used with `seed` (the 2022 `*_JWT` + `*_SEED` pair). */
  jwt?: string;
  /** A user nkey seed (S…); alone it authenticates as that nkey, with `jwt` as the JWT's owner. */
  seed?: string;
  /** A `.creds` file holding both a JWT and a seed. */
  credsFile?: string;
  /** `true` for TLS with the system's CAs, or the files to use. */
  tls?: boolean | NatsTlsSettings;
  /** Shown in the server's connection list (`nats-server` monitoring). */
  name?: string;
  /** Reconnect forever (hosts, providers); default false (one-shot clients such as wash). */
  reconnect?: boolean;
  /** Give up connecting after this many milliseconds; default 2000. */
  timeoutMs?: number;
  /**
   * Where the credentials and the TLS CA are set (`WASMCLOUD_CTL_JWT/SEED or …_CREDSFILE`), named
   * when the server refuses them or its certificate is not trusted.
   */
  sources?: { credentials?: string; tlsCa?: string };
}

/** Node's codes for a server certificate the client does not trust. */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A failed connect in one line: what went wrong and, for refused credentials or TLS, what to check. */
function connectFailure(
  error: unknown,
  settings: NatsConnectionSettings,
): { code: LatticeErrorCode; reason: string } {
  const code = (error as { code?: unknown } | undefined)?.code;
  // nats.js quotes the server's -ERR text; Node appends advice about system CAs after a ';'.
  const text = errorMessage(error)
    .replace(/^'(.*)'$/, '$1')
    .split(';')[0]!
    .trim();
  const credentials = settings.sources?.credentials ?? 'the user JWT and seed, or the creds file';
  const tlsCa = settings.sources?.tlsCa ?? 'the TLS CA file';
  if (code === NatsErrorCode.AuthorizationViolation)
    return {
      code: 'NATS_AUTH_REFUSED',
      reason: `${text}: the server refused the credentials (check ${credentials})`,
    };
  if (code === NatsErrorCode.AuthenticationExpired || code === NatsErrorCode.AccountExpired)
    return {
      code: 'NATS_AUTH_EXPIRED',
      reason: `${text}: the credentials have expired (check ${credentials})`,
    };
  if (typeof code === 'string' && UNTRUSTED_CERTIFICATE_CODES.has(code)) {
    return {
      code: 'NATS_TLS_UNTRUSTED',
      reason: `the server's TLS certificate is not trusted (${text}; check ${tlsCa})`,
    };
  }
  if (code === NatsErrorCode.ServerOptionNotAvailable && text === 'tls')
    return { code: 'NATS_TLS_UNAVAILABLE', reason: 'TLS was asked for but the server does not offer it' };
  return { code: 'NATS_CONNECT_FAILED', reason: text };
}

async function authenticatorFor(settings: NatsConnectionSettings): Promise<Authenticator | undefined> {
  const encoder = new TextEncoder();
  if (settings.credsFile !== undefined) {
    let creds: Uint8Array;
    try {
      creds = await readFile(settings.credsFile);
    } catch (error) {
      throw new NatsConnectError(
        'NATS_CREDS_UNREADABLE',
        `cannot read NATS creds file ${settings.credsFile}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    return credsAuthenticator(creds);
  }
  if (settings.jwt !== undefined && settings.jwt !== '') {
    if (settings.seed === undefined || settings.seed === '') {
      throw new NatsConnectError('NATS_SEED_MISSING', 'a NATS JWT was given without the seed it belongs to');
    }
    return jwtAuthenticator(settings.jwt, encoder.encode(settings.seed));
  }
  if (settings.seed !== undefined && settings.seed !== '')
    return nkeyAuthenticator(encoder.encode(settings.seed));
  return undefined;
}

/** Opens a NATS connection; rejects with a NatsConnectError that names the server on failure. */
export async function connectNats(settings: NatsConnectionSettings): Promise<NatsConnection> {
  const options: ConnectionOptions = {
    servers: [settings.url, ...(settings.moreUrls ?? [])],
    name: settings.name,
    timeout: settings.timeoutMs ?? 2000,
    reconnect: settings.reconnect ?? false,
    maxReconnectAttempts: settings.reconnect ? -1 : 0,
    // Otherwise every request builds two Errors for their stacks (~12% of a provider's CPU per
    // call in bench/http.bench.ts); our callers re-tell request failures in their own words anyway.
    noAsyncTraces: true,
  };
  const authenticator = await authenticatorFor(settings);
  if (authenticator) options.authenticator = authenticator;
  if (settings.tls) {
    options.tls = settings.tls === true ? {} : { ...settings.tls };
  }
  try {
    return await connect(options);
  } catch (error) {
    const { code, reason } = connectFailure(error, settings);
    throw new NatsConnectError(
      code,
      `cannot connect to NATS at ${[settings.url, ...(settings.moreUrls ?? [])].join(', ')}: ${reason}`,
      { cause: error },
    );
  }
}

/** The NATS a link's values name (URI: the servers of one cluster; CLIENT_JWT and CLIENT_SEED). */
export interface LinkNatsSettings {
  servers: string[];
  jwt?: string | undefined;
  seed?: string | undefined;
}

/** Connects, reconnecting on loss, to the NATS a link names (keyvalue and messaging links with URI). */
export function connectLinkNats(link: LinkNatsSettings, name: string): Promise<NatsConnection> {
  const [url = '', ...moreUrls] = link.servers;
  return connectNats({ url, moreUrls, jwt: link.jwt, seed: link.seed, reconnect: true, name });
}

/** nats-server's default `max_payload`, assumed until the server's INFO has arrived. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * The largest message the server `nc` is connected to accepts (`max_payload` of its INFO). Read it
 * at each use: after a reconnect the connection may be on a server with another limit.
 */
export function maxPayloadOf(nc: NatsConnection): number {
  return nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
}

/** Codes of the client's errors (a request timeout is `ErrorCode.Timeout`, no subscriber `ErrorCode.NoResponders`). */
export { ErrorCode } from 'nats';

/**
 * A change in a connection's link to its server, as the client reports it (`server` is `host:port`).
 * `reconnecting` comes before each attempt to dial a server again; a connection made with
 * `reconnect: true` keeps trying until it is closed.
 */
export type NatsConnectionStatus =
  | { kind: 'disconnected'; server: string }
  | { kind: 'reconnecting'; server: string }
  | { kind: 'reconnected'; server: string }
  /** The server is shutting down gracefully (lame duck mode); the client will move elsewhere. */
  | { kind: 'lame_duck'; server: string }
  /** An error the server sent outside any request (a permissions violation, …). */
  | { kind: 'server_error'; message: string };

function statusOf(status: NatsStatus): NatsConnectionStatus | undefined {
  const text = typeof status.data === 'string' ? status.data : String(status.data);
  switch (status.type) {
    case NatsEvents.Disconnect:
      return { kind: 'disconnected', server: text };
    case NatsDebugEvents.Reconnecting:
      return { kind: 'reconnecting', server: text };
    case NatsEvents.Reconnect:
      return { kind: 'reconnected', server: text };
    case NatsEvents.LDM:
      return { kind: 'lame_duck', server: text };
    case NatsEvents.Error:
      return { kind: 'server_error', message: text };
    default:
      return undefined; // cluster updates, ping timers: nothing to tell
  }
}

/**
 * Calls `onStatus` with each status change of `nc`, from now until it is closed or the returned
 * function is called.
 */
export function watchNatsStatus(
  nc: NatsConnection,
  onStatus: (status: NatsConnectionStatus) => void,
): () => void {
  const statuses = nc.status() as QueuedIterator<NatsStatus>;
  void (async () => {
    for await (const status of statuses) {
      const change = statusOf(status);
      if (change !== undefined) onStatus(change);
    }
  })();
  return () => statuses.stop();
}
