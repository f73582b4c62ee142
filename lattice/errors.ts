// The error model of the whole code base, and the lattice library's catalogue of error codes.
// Every error thrown on purpose is a LatticeError: a stable `code` (for programs, tests, wash's
// `-o json`, control-interface refusals and log lines), a message that tells a person what was wrong,
// and, when it wraps another error, that error as its `cause`. Each layer lists every code it
// throws in one catalogue, as fastify's lib/errors.js lists every FST_ERR_*: this file for lattice/,
// host/errors.ts, providers/sdk/errors.ts, wash-cli/errors.ts, controller/errors.ts,
// dashboard/errors.ts; each layer's errors extend its base class, which extends LatticeError.
// docs/errors.md is written from the catalogues (test/helpers/errors-doc.ts), and
// test/error-model.test.ts keeps both so.

/** A layer's catalogue: every code it throws, and what the code means (as docs/errors.md says). */
export type ErrorCatalogue = Readonly<Record<string, string>>;

/** The base of every error in the code base; a layer's base narrows `Code` to its catalogue. */
export class LatticeError<Code extends string = string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Every code the lattice library (lattice/) throws. */
export const LATTICE_ERROR_CODES = {
  // nkeys (keys.ts)
  KEY_INVALID_ENCODING: 'A key or seed that is not base32 nkey text of the right length.',
  KEY_BAD_CHECKSUM: 'A key or seed whose CRC-16 checksum does not match: mistyped or cut.',
  KEY_INVALID_LENGTH: 'Raw key material that is not 32 bytes.',
  KEY_INVALID_PREFIX: 'A key or seed whose prefix names no known kind of key.',
  KEY_WRONG_KIND: 'A valid key or seed of another kind than expected (e.g. an account key for an actor).',
  // WebAssembly framing (wasm.ts)
  WASM_NOT_WASM: 'Bytes that do not start with the WebAssembly magic number.',
  WASM_UNSUPPORTED_VERSION: 'A WebAssembly version or layer that is neither a core module nor a component.',
  WASM_TRUNCATED: 'WebAssembly cut off in the middle of a section.',
  WASM_MALFORMED: 'WebAssembly whose section framing is broken (bad length, bad custom section name).',
  // claims (claims.ts)
  CLAIMS_MISSING: 'A module or component without a signed claims section.',
  CLAIMS_MALFORMED: 'A claims token that is not a JWT of the expected shape.',
  CLAIMS_BAD_SIGNATURE: 'A claims token whose signature does not verify against its issuer.',
  CLAIMS_EXPIRED: 'A claims token whose `exp` has passed.',
  CLAIMS_NOT_YET_VALID: 'A claims token whose `nbf` has not come yet.',
  CLAIMS_WRONG_ISSUER: 'A claims token issued by a key that is not an account (A…) key.',
  CLAIMS_WRONG_SUBJECT:
    'A claims token whose subject is not the kind of key it must be (M… for an actor, V… for a provider).',
  CLAIMS_HASH_MISMATCH: 'Claims signed for other bytes: the module or archive was changed after signing.',
  // provider archives (provider-archive.ts)
  PAR_BAD_TARGET: 'A target name that is not {arch}-{os} or the JavaScript target.',
  PAR_NO_BINARIES: 'A provider archive to create without any binary.',
  PAR_EMPTY: 'A provider archive of 0 bytes.',
  PAR_NOT_AN_ARCHIVE: 'Bytes that are not a (gzipped) tar archive.',
  PAR_BAD_GZIP: 'A provider archive whose gzip is corrupt.',
  PAR_CORRUPT_TAR: 'A provider archive whose tar is corrupt.',
  PAR_TRUNCATED: 'A provider archive whose tar ends in the middle of an entry.',
  PAR_TOO_LARGE: 'A provider archive that unpacks to more bytes than the host accepts.',
  PAR_DUPLICATE_ENTRY: 'A provider archive that holds the same file twice.',
  PAR_BAD_ENTRY: 'A provider archive entry that is not a plain file named after a target.',
  PAR_NO_CLAIMS: 'A provider archive without its claims file: it is not signed.',
  PAR_UNSIGNED_TARGET: "A binary that the archive's claims do not list: it was added after signing.",
  PAR_TARGET_HASH_MISMATCH: 'A binary changed since the archive was signed.',
  PAR_MISSING_TARGET: "A target the archive's claims list but whose binary the archive lacks.",
  PAR_NO_TARGET: 'A provider archive without a binary for the target asked for.',
  // decoding what comes from outside (msgpack.ts, payload.ts, host-data.ts, subjects.ts, link-definition.ts)
  MSGPACK_TRUNCATED: 'msgpack that ends before the value it announces.',
  MSGPACK_TYPE: 'A msgpack value of another type than the protocol requires there.',
  MSGPACK_INVALID: 'A byte that is not a msgpack marker.',
  MSGPACK_TOO_DEEP: 'msgpack nested deeper than the decoder allows.',
  MSGPACK_TRAILING: 'Bytes after the end of a msgpack message.',
  MSGPACK_UNENCODABLE: 'A value the msgpack encoder cannot write (a negative number as an unsigned integer).',
  PAYLOAD_INVALID: "A contract payload that does not have the contract's shape.",
  HOST_DATA_EMPTY: 'Provider start-up data (the stdin line) that is empty.',
  HOST_DATA_NOT_BASE64: 'Provider start-up data that is not base64.',
  HOST_DATA_NOT_JSON: 'Provider start-up data that does not decode to JSON.',
  HOST_DATA_INVALID: 'Provider start-up data whose JSON lacks a field or has one of the wrong type.',
  SUBJECT_INVALID_TOKEN: 'A lattice prefix, key or name that cannot be one token of a NATS subject.',
  LINK_MESSAGE_INVALID: 'A link definition message (from the host or the KV bucket) of the wrong shape.',
  // invocations (invocation-validation.ts, invocation-signer.ts, replay-guard.ts)
  INVOCATION_TOKEN_MALFORMED: 'An invocation whose token is not a JWT with the Ed25519 header.',
  INVOCATION_BAD_SIGNATURE: "An invocation whose token's signature does not verify.",
  INVOCATION_EXPIRED: "An invocation whose token's `exp` has passed.",
  INVOCATION_NOT_YET_VALID: "An invocation whose token's `nbf` has not come yet.",
  INVOCATION_NO_METADATA: 'An invocation token without its wascap metadata (target, origin, hash).',
  INVOCATION_HASH_MISMATCH:
    'An invocation altered after it was signed: its hash differs from the signed one.',
  INVOCATION_BAD_HOST_ID: 'An invocation whose host_id is not a host key.',
  INVOCATION_UNKNOWN_ISSUER: 'An invocation signed by a cluster key this lattice does not trust.',
  INVOCATION_TARGET_MISMATCH: 'An invocation whose token names another target than the invocation.',
  INVOCATION_ORIGIN_MISMATCH: 'An invocation whose token names another origin than the invocation.',
  INVOCATION_WRONG_PROVIDER: 'An invocation delivered to a provider it is not addressed to.',
  INVOCATION_NOT_LINKED: 'An invocation from an actor that has no link to the provider.',
  INVOCATION_MISSING_CAPABILITY: "A call from a provider whose contract the actor's claims do not list.",
  INVOCATION_STALE: 'An invocation issued longer ago than the replay window (a replay, or a slow clock).',
  INVOCATION_ISSUED_IN_FUTURE: 'An invocation issued further ahead of this clock than the allowed skew.',
  INVOCATION_REPLAYED: 'A copy of an invocation already accepted within the replay window.',
  REPLAY_GUARD_FULL: 'An invocation refused because the replay guard has no room left.',
  REPLAY_GUARD_BAD_TABLE: 'Shared memory handed to the replay guard that does not hold its table.',
  // the HTTP server shared by the httpserver provider and the host's built-in one (httpserver/)
  HTTPSERVER_SETTINGS_INVALID: 'Link values that do not give usable listener settings (the link is refused).',
  HTTPSERVER_ADDRESS_IN_USE: 'The address to listen on is in use (by another process or another link).',
  HTTPSERVER_LISTEN_DENIED: 'No permission to listen on the address (ports below 1024 need privileges).',
  HTTPSERVER_ADDRESS_UNAVAILABLE: 'No network interface has the address to listen on.',
  HTTPSERVER_LISTEN_FAILED: 'The listener could not start for another reason (the message says which).',
  TLS_FILE_UNREADABLE: 'A TLS certificate or key file that cannot be read.',
  HTTPSERVER_BAD_RESPONSE: 'An actor answer that is not an HttpResponse the provider can send (a 500 then).',
  // the keyvalue and messaging contracts shared by their providers and the host's built-ins (keyvalue/, messaging/)
  KEYVALUE_SETTINGS_INVALID: 'Link values that do not give usable bucket settings (the link is refused).',
  KEYVALUE_NO_JETSTREAM: 'The NATS server of the bucket has no JetStream.',
  KEYVALUE_BUCKET_UNAVAILABLE: 'The KV bucket could not be opened or created.',
  KEYVALUE_KEY_INVALID: 'An empty key, or one longer than a KV key may be.',
  KEYVALUE_WRONG_TYPE: 'A key that holds another kind of value than the operation works on.',
  KEYVALUE_NOT_AN_INTEGER: 'An increment of a value that is not an integer.',
  KEYVALUE_OUT_OF_RANGE: 'An increment that would leave the 32-bit integer range.',
  KEYVALUE_CONFLICT: 'A change that lost to concurrent writers on every attempt.',
  KEYVALUE_OPERATION_FAILED:
    'A keyvalue operation that failed for a reason without a code of its own (the message says which).',
  MESSAGING_SETTINGS_INVALID: 'Link values that do not give a usable NATS connection (the link is refused).',
  MESSAGING_BAD_SUBJECT: 'A subject an actor cannot publish or subscribe to.',
  MESSAGING_PUBLISH_FAILED: 'A publish the NATS connection refused.',
  MESSAGING_NO_RESPONDERS: 'A request nobody is subscribed to answer.',
  MESSAGING_TIMEOUT: 'A request that got no reply within its timeout.',
  MESSAGING_REQUEST_FAILED: 'A request that failed for another reason (the message says which).',
  // telemetry (telemetry/)
  TELEMETRY_SETTING_INVALID:
    'A WASMCLOUD_*_ENABLED or OTEL_* variable whose value is unusable (the message names it).',
  // built-in providers (builtin-providers.ts)
  BUILTIN_UNKNOWN: 'A wasmcloud+builtin:// reference that names no built-in provider.',
  BUILTIN_NOT_BUILT_IN:
    'A built-in provider name that is reserved but not yet built in (start its archive instead).',
  // NATS (nats.ts, request-mux.ts)
  NATS_CREDS_UNREADABLE: 'A NATS creds file that cannot be read.',
  NATS_SEED_MISSING: 'A NATS JWT given without its seed.',
  NATS_AUTH_REFUSED: 'The NATS server refused the credentials.',
  NATS_AUTH_EXPIRED: 'The NATS credentials have expired.',
  NATS_TLS_UNTRUSTED: "The NATS server's TLS certificate is not trusted.",
  NATS_TLS_UNAVAILABLE: 'TLS was asked for and the NATS server does not offer it.',
  NATS_CONNECT_FAILED: 'The NATS server could not be reached or refused the connection.',
  REQUEST_TIMEOUT: 'A NATS request got no reply within its timeout.',
  REQUEST_NO_RESPONDERS: 'A NATS request nobody is subscribed to answer.',
  REQUEST_CLOSED: 'A NATS request cut short: the connection closed, or the request could not be published.',
  // JetStream buckets (jetstream-replicas.ts)
  JETSTREAM_REPLICAS_UNPLACEABLE:
    'WASMCLOUD_JS_REPLICAS asks for more copies of a bucket than the NATS cluster has servers with JetStream.',
  // RPC (rpc.ts, chunking.ts)
  RPC_NO_RESPONDERS: 'An RPC to an actor or provider that nobody serves.',
  RPC_TIMEOUT: 'An RPC that got no reply within its timeout.',
  RPC_FAILED: 'An RPC whose request failed (connection closed, publish refused).',
  RPC_TOO_LARGE: 'A payload above the chunking threshold without an object store to put it in.',
  RPC_REMOTE_ERROR: 'The callee answered the RPC with an error; the message is its text.',
  ACTOR_QUEUE_FULL:
    "The actor's queue of calls waiting for an instance is full (WASMCLOUD_ACTOR_QUEUE_SIZE): refused at once, retry later (HTTP: 503 with Retry-After).",
  CHUNK_MISSING: 'A chunked payload missing from the object store.',
  CHUNK_SIZE_MISMATCH: 'A chunked payload of another size than announced.',
  CHUNK_CORRUPT: "A chunked payload whose bytes do not hash to the object store's digest of it.",
  // the control interface and lattice events (control-client.ts)
  CTL_NO_RESPONDERS: 'A control request nobody answers (no host, or not that host).',
  CTL_TIMEOUT: 'A control request that got no reply in time.',
  CTL_REQUEST_FAILED: 'A control request that could not be sent.',
  CTL_BAD_REPLY: 'A control reply that is not what the protocol says it must be.',
  CTL_CHUNKED_REPLY_UNREADABLE:
    'A control reply larger than max_payload whose object could not be read from the object store (gone, or not the size announced).',
  CTL_REJECTED: 'A host refused the command (`accepted: false`); the message carries its reason.',
  EVENT_TIMEOUT: 'The lattice event that settles a command did not arrive in time.',
  EVENT_SUBSCRIPTION_CLOSED: 'The subscription to lattice events failed or was closed.',
  // the application controller's API (wadm-client.ts)
  WADM_NO_CONTROLLER: 'No application controller is running in the lattice.',
  WADM_TIMEOUT: 'The application controller did not answer in time.',
  WADM_REQUEST_FAILED: 'A request to the application controller could not be sent.',
  WADM_BAD_REPLY: "A reply from the application controller that is not the API's shape.",
  WADM_REFUSED: 'The application controller answered a request with an error reply.',
  // OCI registries (oci/)
  OCI_BAD_REFERENCE: 'Text that is not registry[:port]/repository[:tag|@digest].',
  OCI_LATEST_REFUSED: 'A reference with the tag `latest` (named or implied) where that is not allowed.',
  OCI_UNAUTHORIZED: 'The registry wants credentials and none were given.',
  OCI_CREDENTIALS_REFUSED: 'The registry (or its token server) refused the credentials given.',
  OCI_FORBIDDEN: 'Authenticated, but not allowed to do this (403).',
  OCI_NOT_FOUND: 'No such repository, tag, manifest or blob (404).',
  OCI_DIGEST_MISMATCH: 'Bytes whose sha256 is not the digest they were asked for or announced with.',
  OCI_BAD_DIGEST: 'A digest that is not sha256:<64 hex digits>.',
  OCI_UNEXPECTED_MEDIA_TYPE:
    'A manifest or layer of a kind this client does not handle (or not the kind asked for).',
  OCI_BAD_MANIFEST: 'A manifest that is not valid OCI image manifest JSON.',
  OCI_TOO_LARGE: 'More bytes than allowed, or than announced.',
  OCI_UNREACHABLE: 'The registry could not be reached (connection, TLS, timeout).',
  OCI_BAD_TOKEN_RESPONSE: 'The token server answered with something other than a token.',
  OCI_REGISTRY_ERROR: 'Any other error status from the registry.',
} as const satisfies ErrorCatalogue;

export type LatticeErrorCode = keyof typeof LATTICE_ERROR_CODES;

/** A key or seed string that is not a valid nkey of the expected kind. */
export class KeyError extends LatticeError<LatticeErrorCode> {}

/** Bytes that are not a well-formed WebAssembly module or component. */
export class WasmFormatError extends LatticeError<LatticeErrorCode> {}

/** A claims token (JWT) that is missing, malformed, badly signed, out of date or for other bytes. */
export class ClaimsError extends LatticeError<LatticeErrorCode> {}

/** A provider archive (PAR) that cannot be read, or whose contents do not match its claims. */
export class ProviderArchiveError extends LatticeError<LatticeErrorCode> {}

/** Bytes or text from outside that do not match the shape the protocol requires. */
export class DecodeError extends LatticeError<LatticeErrorCode> {}

/** The message of anything thrown (an Error's message, else its text). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The code of an error (a LatticeError, a Node system error, a NATS error), when it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
}

/** Whether `code` is listed in one of `catalogues`: a code that crossed a thread as a string, or one to pass on. */
export function isCataloguedCode<const Catalogues extends readonly ErrorCatalogue[]>(
  code: unknown,
  ...catalogues: Catalogues
): code is { [I in keyof Catalogues]: keyof Catalogues[I] }[number] & string {
  return typeof code === 'string' && catalogues.some((catalogue) => Object.hasOwn(catalogue, code));
}

/**
 * The fields a log line about `error` carries: `{ code }` when it has a code (a text line then ends
 * ` code=…`, a JSON line has a "code" field), so an operator can look it up in docs/errors.md.
 */
export function errorFields(error: unknown): { code?: string } {
  const code = errorCode(error);
  return code === undefined ? {} : { code };
}
