// The host's settings (protocol.md §1.1): the 2022 `WASMCLOUD_*` environment variables, overridden
// by command-line flags of the same name (`WASMCLOUD_RPC_HOST` ↔ `--rpc-host`), validated with zod.
// A bad value stops start-up with a message naming the variable or flag it came from.

import { arch, availableParallelism, homedir, platform } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { z } from 'zod';
import { jsReplicasText } from '../lattice/jetstream-replicas-setting.ts';
import { describeIssues } from '../lattice/json-message.ts';
import { isPublicKey, KeyPair } from '../lattice/keys.ts';
import type { NatsConnectionSettings } from '../lattice/nats.ts';
import { isSubjectToken } from '../lattice/subjects.ts';
import {
  readTelemetrySettings,
  type TelemetryEnvironment,
  TelemetrySettingError,
  type TelemetrySettings,
} from '../lattice/telemetry/settings.ts';
import { HostError } from './errors.ts';

/** One setting: its environment variable, its flag, and what it holds (for `--help`). */
export interface SettingSpec {
  env: string;
  flag: string;
  help: string;
  /** `switch`: the flag alone means true; `repeatable`: the flag may be given more than once. */
  flagValue?: 'switch' | 'repeatable';
}

type ConnectionField = 'Host' | 'Port' | 'Jwt' | 'Seed' | 'Credsfile' | 'Tls';

function connectionSettings<Key extends string>(
  key: Key,
  kind: 'RPC' | 'CTL' | 'PROV_RPC',
  what: string,
): Record<`${Key}${ConnectionField}`, SettingSpec> {
  const flag = kind.toLowerCase().replace('_', '-');
  const spec = (field: string, help: string): SettingSpec => ({
    env: `WASMCLOUD_${kind}_${field.toUpperCase()}`,
    flag: `${flag}-${field.toLowerCase()}`,
    help: `${help} for ${what}`,
  });
  return {
    [`${key}Host`]: spec('Host', 'NATS host'),
    [`${key}Port`]: spec('Port', 'NATS port'),
    [`${key}Jwt`]: spec('Jwt', 'NATS user JWT'),
    [`${key}Seed`]: spec('Seed', 'NATS user seed'),
    [`${key}Credsfile`]: spec('Credsfile', 'NATS creds file'),
    [`${key}Tls`]: spec('Tls', 'use TLS (true/false)'),
  } as Record<`${Key}${ConnectionField}`, SettingSpec>;
}

/** Every setting the host reads, by the name it has in `HostConfig`'s input. */
export const HOST_SETTINGS = {
  latticePrefix: {
    env: 'WASMCLOUD_LATTICE_PREFIX',
    flag: 'lattice-prefix',
    help: 'lattice to join (default "default")',
  },
  ...connectionSettings('rpc', 'RPC', 'actor and provider RPC'),
  ...connectionSettings('ctl', 'CTL', 'the control interface'),
  ...connectionSettings('provRpc', 'PROV_RPC', 'providers (handed to them at start-up)'),
  tlsCaFile: {
    env: 'WASMCLOUD_TLS_CA_FILE',
    flag: 'tls-ca-file',
    help: 'CA certificate (PEM) for NATS TLS; turns TLS on',
  },
  rpcTimeoutMs: {
    env: 'WASMCLOUD_RPC_TIMEOUT_MS',
    flag: 'rpc-timeout-ms',
    help: 'RPC timeout in ms (default 2000)',
  },
  clusterSeed: {
    env: 'WASMCLOUD_CLUSTER_SEED',
    flag: 'cluster-seed',
    help: 'cluster seed (SC…) that signs invocations; generated when absent',
  },
  clusterIssuers: {
    env: 'WASMCLOUD_CLUSTER_ISSUERS',
    flag: 'cluster-issuers',
    help: 'comma-separated cluster keys (C…) whose invocations are accepted',
  },
  hostSeed: { env: 'WASMCLOUD_HOST_SEED', flag: 'host-seed', help: 'host seed (SN…); generated when absent' },
  jsDomain: { env: 'WASMCLOUD_JS_DOMAIN', flag: 'js-domain', help: 'JetStream domain' },
  jsReplicas: {
    env: 'WASMCLOUD_JS_REPLICAS',
    flag: 'js-replicas',
    help: 'NATS servers keeping a copy of each JetStream bucket the lattice creates, 1 to 5 (default: 3, or fewer when the cluster has fewer servers)',
  },
  allowLatest: {
    env: 'WASMCLOUD_OCI_ALLOW_LATEST',
    flag: 'allow-latest',
    help: 'allow OCI references tagged latest (true/false)',
  },
  allowedInsecure: {
    env: 'WASMCLOUD_OCI_ALLOWED_INSECURE',
    flag: 'allowed-insecure',
    help: 'comma-separated registries that may be reached over plain HTTP',
  },
  allowFileLoad: {
    env: 'WASMCLOUD_ALLOW_FILE_LOAD',
    flag: 'allow-file-load',
    help: 'start actors and providers from file paths and file:// URLs (true/false; default false)',
    flagValue: 'switch',
  },
  allowFileLoadDirs: {
    env: 'WASMCLOUD_ALLOW_FILE_LOAD_DIRS',
    flag: 'allow-file-load-dir',
    help: 'load files only from these directories (comma- or colon-separated; the flag repeats)',
    flagValue: 'repeatable',
  },
  ociRegistry: {
    env: 'OCI_REGISTRY',
    flag: 'oci-registry',
    help: 'registry (host[:port]) that OCI_REGISTRY_USER and OCI_REGISTRY_PASSWORD are for',
  },
  ociRegistryUser: { env: 'OCI_REGISTRY_USER', flag: 'oci-registry-user', help: 'username for OCI_REGISTRY' },
  ociRegistryPassword: {
    env: 'OCI_REGISTRY_PASSWORD',
    flag: 'oci-registry-password',
    help: 'password for OCI_REGISTRY',
  },
  providerShutdownDelayMs: {
    env: 'WASMCLOUD_PROV_SHUTDOWN_DELAY_MS',
    flag: 'provider-shutdown-delay-ms',
    help: 'grace period before a stopping provider is killed (default 300)',
  },
  structuredLogging: {
    env: 'WASMCLOUD_STRUCTURED_LOGGING_ENABLED',
    flag: 'structured-logging',
    help: 'log JSON lines (true/false)',
  },
  logLevel: {
    env: 'WASMCLOUD_LOG_LEVEL',
    flag: 'log-level',
    help: 'trace, debug, info, warn or error (default info)',
  },
  friendlyName: {
    env: 'WASMCLOUD_HOST_NAME',
    flag: 'friendly-name',
    help: 'friendly name; generated when absent',
  },
  actorWorkers: {
    env: 'WASMCLOUD_ACTOR_WORKERS',
    flag: 'actor-workers',
    help: 'worker threads that run actors (default: one per core but one, at least 1)',
  },
  actorQueueSize: {
    env: 'WASMCLOUD_ACTOR_QUEUE_SIZE',
    flag: 'actor-queue-size',
    help: 'calls of one actor that may wait for a free instance, per worker (default 100); one more gets ACTOR_QUEUE_FULL (HTTP 503)',
  },
  artifactCacheDir: {
    env: 'WASMCLOUD_ARTIFACT_CACHE_DIR',
    flag: 'artifact-cache-dir',
    help: 'where pulled OCI layers are kept across restarts (default $XDG_CACHE_HOME or ~/.cache, then wasmcloud-ts/artifacts)',
  },
  artifactCacheMaxBytes: {
    env: 'WASMCLOUD_ARTIFACT_CACHE_MAX_BYTES',
    flag: 'artifact-cache-max-bytes',
    help: 'most bytes of layers kept there, least recently used evicted first (default 1073741824)',
  },
  dashboardPort: {
    env: 'WASMCLOUD_DASHBOARD_PORT',
    flag: 'dashboard-port',
    help: 'port of the dashboard (default 4000; 0 picks a free port; off serves none)',
  },
  invocationEvents: {
    env: 'WASMCLOUD_INVOCATION_EVENTS',
    flag: 'invocation-events',
    help: 'each: an invocation_succeeded/failed event per actor call (default); off: none',
  },
  observabilityEnabled: {
    env: 'WASMCLOUD_OBSERVABILITY_ENABLED',
    flag: 'enable-observability',
    help: 'metrics and traces on (true/false); OTEL_* variables say where they go (docs/host.md, Telemetry)',
  },
  metricsEnabled: {
    env: 'WASMCLOUD_METRICS_ENABLED',
    flag: 'enable-metrics',
    help: 'count calls for /metrics and OTLP (true/false; default true)',
  },
  tracesEnabled: {
    env: 'WASMCLOUD_TRACES_ENABLED',
    flag: 'enable-traces',
    help: 'record spans and send them over OTLP (true/false; default: when an OTLP endpoint is set)',
  },
  metricsPort: {
    env: 'WASMCLOUD_METRICS_PORT',
    flag: 'metrics-port',
    help: 'serve /metrics (Prometheus text) on this port of its own (default: only on the dashboard port)',
  },
  metricsHost: {
    env: 'WASMCLOUD_METRICS_HOST',
    flag: 'metrics-host',
    help: 'address the metrics port listens on (default 127.0.0.1; 0.0.0.0 for every interface)',
  },
  dashboardHost: {
    env: 'WASMCLOUD_DASHBOARD_HOST',
    flag: 'dashboard-host',
    help: 'address the dashboard listens on (default 127.0.0.1; 0.0.0.0 for every interface)',
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof HOST_SETTINGS;
/** Raw setting values as strings, from the environment or flags. */
export type RawSettings = Partial<Record<SettingName, string>>;

/** Settings the host cannot use: HOST_CONFIG_INVALID (a variable or flag), HOST_LABEL_INVALID. */
export class HostConfigError extends HostError {}

const booleanText = z
  .string()
  .transform((text) => text.trim().toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], 'expected true or false'))
  .transform((text) => text === 'true' || text === '1' || text === 'yes');

const portText = z
  .string()
  .regex(/^\d+$/, 'expected a port number')
  .transform(Number)
  .pipe(
    z.number().int().min(1, 'expected a port from 1 to 65535').max(65_535, 'expected a port from 1 to 65535'),
  );

const millisecondsText = (minimum: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number of milliseconds')
    .transform(Number)
    .pipe(
      z.number().int().min(minimum, `must be at least ${minimum}`).max(3_600_000, 'must be at most 3600000'),
    );

/** Directories, comma- or path-delimiter-separated (`:` on Linux), made absolute from the working directory. */
const directoryListText = z
  .string()
  .transform((text) =>
    text
      .split(new RegExp(`[,${delimiter}]`))
      .map((item) => item.trim())
      .filter((item) => item !== '')
      .map((item) => resolve(item)),
  )
  .refine((directories) => directories.length > 0, 'expected at least one directory');

const listText = z.string().transform((text) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== ''),
);

const seedText = (kind: 'cluster' | 'server', prefix: 'SC' | 'SN') =>
  z.string().refine((seed) => {
    try {
      KeyPair.fromSeed(seed, kind);
      return true;
    } catch {
      return false;
    }
  }, `expected a ${kind} seed (${prefix}…)`);

const logLevelText = z
  .string()
  .transform((level) => level.trim().toLowerCase())
  .pipe(z.enum(['trace', 'debug', 'info', 'warn', 'error'], 'expected trace, debug, info, warn or error'));

/** A port, `0` for any free one, or `off` (false: zod's default would replace an undefined). */
const dashboardPortText = z
  .string()
  .transform((text) => text.trim().toLowerCase())
  .refine(
    (text) => text === 'off' || (/^\d+$/.test(text) && Number(text) <= 65_535),
    'expected a port from 0 to 65535, or off',
  )
  .transform((text) => (text === 'off' ? false : Number(text)));

const bindAddressText = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9.:-]+$/, 'expected an IP address or a host name, such as 127.0.0.1 or 0.0.0.0');

/** Whether an event goes out per actor call (`each`, as in 2022) or none (`off`). */
const invocationEventsText = z
  .string()
  .transform((text) => text.trim().toLowerCase())
  .pipe(z.enum(['each', 'off'], 'expected each or off'));

export type InvocationEventsSetting = z.output<typeof invocationEventsText>;

/** 1 GiB of layers: a few hundred actors and providers. */
const DEFAULT_ARTIFACT_CACHE_MAX_BYTES = 1024 * 1024 * 1024;

const settingsSchema = z.object({
  latticePrefix: z
    .string()
    .refine(isSubjectToken, "expected a name without '.', '*', '>' or spaces")
    .default('default'),
  rpcHost: z.string().min(1).default('127.0.0.1'),
  rpcPort: portText.default(4222),
  rpcJwt: z.string().optional(),
  rpcSeed: z.string().optional(),
  rpcCredsfile: z.string().optional(),
  rpcTls: booleanText.default(false),
  ctlHost: z.string().min(1).optional(),
  ctlPort: portText.optional(),
  ctlJwt: z.string().optional(),
  ctlSeed: z.string().optional(),
  ctlCredsfile: z.string().optional(),
  ctlTls: booleanText.optional(),
  provRpcHost: z.string().min(1).optional(),
  provRpcPort: portText.optional(),
  provRpcJwt: z.string().optional(),
  provRpcSeed: z.string().optional(),
  provRpcCredsfile: z.string().optional(),
  provRpcTls: booleanText.optional(),
  tlsCaFile: z.string().optional(),
  rpcTimeoutMs: millisecondsText(1).default(2000),
  clusterSeed: seedText('cluster', 'SC').optional(),
  clusterIssuers: listText
    .refine(
      (keys) => keys.every((key) => isPublicKey(key, 'cluster')),
      'expected comma-separated cluster keys (C…)',
    )
    .optional(),
  hostSeed: seedText('server', 'SN').optional(),
  jsDomain: z.string().refine(isSubjectToken, "expected a name without '.', '*', '>' or spaces").optional(),
  jsReplicas: jsReplicasText.optional(),
  allowLatest: booleanText.default(false),
  allowedInsecure: listText.default([]),
  allowFileLoad: booleanText.default(false),
  allowFileLoadDirs: directoryListText.optional(),
  ociRegistry: z.string().min(1).optional(),
  ociRegistryUser: z.string().min(1).optional(),
  ociRegistryPassword: z.string().optional(),
  providerShutdownDelayMs: millisecondsText(0).default(300),
  structuredLogging: booleanText.default(false),
  logLevel: logLevelText.default('info'),
  friendlyName: z.string().min(1).optional(),
  actorWorkers: z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1').max(256, 'must be at most 256'))
    .optional(),
  actorQueueSize: z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1').max(100_000, 'must be at most 100000'))
    .default(100),
  artifactCacheDir: z.string().trim().min(1, 'expected a directory').optional(),
  artifactCacheMaxBytes: z
    .string()
    .regex(/^\d+$/, 'expected a whole number of bytes')
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(1024 * 1024, 'must be at least 1048576 (1 MiB)')
        .max(Number.MAX_SAFE_INTEGER),
    )
    .default(DEFAULT_ARTIFACT_CACHE_MAX_BYTES),
  dashboardPort: dashboardPortText.default(4000),
  invocationEvents: invocationEventsText.default('each'),
  dashboardHost: bindAddressText.default('127.0.0.1'),
  // Checked as the telemetry settings (lattice/telemetry/settings.ts), with the OTEL_* variables.
  observabilityEnabled: z.string().optional(),
  metricsEnabled: z.string().optional(),
  tracesEnabled: z.string().optional(),
  metricsPort: portText.optional(),
  metricsHost: bindAddressText.default('127.0.0.1'),
});

/** A username or password for no registry would be silently unused. */
const checkedSettingsSchema = settingsSchema.superRefine((settings, context) => {
  for (const name of ['ociRegistryUser', 'ociRegistryPassword'] as const) {
    if (settings[name] !== undefined && settings.ociRegistry === undefined)
      context.addIssue({ code: 'custom', path: [name], message: 'set OCI_REGISTRY (--oci-registry) too' });
  }
  // Directories narrow file loading; they do not turn it on behind the operator's back.
  if (settings.allowFileLoadDirs !== undefined && !settings.allowFileLoad) {
    context.addIssue({
      code: 'custom',
      path: ['allowFileLoadDirs'],
      message: 'file loading is off: set WASMCLOUD_ALLOW_FILE_LOAD=true (--allow-file-load) too',
    });
  }
});

/** The user's cache folder as the XDG base directory spec says, then ours in it. */
function defaultArtifactCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'wasmcloud-ts', 'artifacts');
}

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** The host's validated settings, with everything generated that was not given. */
export interface HostConfig {
  latticePrefix: string;
  rpc: NatsConnectionSettings;
  ctl: NatsConnectionSettings;
  /** What providers are told to connect to (HostData). */
  providerRpc: NatsConnectionSettings;
  rpcTimeoutMs: number;
  clusterKey: KeyPair;
  /** True when the cluster seed was made up at start (the host warns about it). */
  clusterSeedGenerated: boolean;
  /** Always holds the host's own cluster key (OTP did not add it: wasmcloud-otp#224). */
  clusterIssuers: string[];
  hostKey: KeyPair;
  labels: Record<string, string>;
  jsDomain: string | undefined;
  /**
   * Copies of each JetStream bucket the lattice creates (lattice data, chunking store, built-in
   * keyvalue buckets, and the providers' through HostData); undefined: min(3, servers in the cluster).
   */
  jsReplicas: number | undefined;
  allowLatest: boolean;
  allowedInsecure: string[];
  /**
   * Whether actors and providers may be started from files (off by default, as in wasmCloud), and
   * from which directories (absolute; empty: anywhere the host can read).
   */
  fileLoad: { allowed: boolean; directories: string[] };
  /** Credentials for one registry from OCI_REGISTRY, OCI_REGISTRY_USER and OCI_REGISTRY_PASSWORD. */
  ociRegistry: { registry: string; username: string | undefined; password: string | undefined } | undefined;
  providerShutdownDelayMs: number;
  structuredLogging: boolean;
  logLevel: LogLevelName;
  friendlyName: string;
  /**
   * Worker threads for actors. By default one core is left to the main thread, NATS and provider
   * processes: on 2 cores one worker answers a sequential call ~8 % sooner than two (bench/lattice).
   */
  actorWorkers: number;
  /**
   * Calls of one actor that may wait for a free instance in each worker (in arrival order); one more
   * is refused at once with ACTOR_QUEUE_FULL, 503 with Retry-After over HTTP (runtime/actor-slot.ts).
   */
  actorQueueSize: number;
  /** Pulled OCI layers by digest, kept across restarts in `dir` up to `maxBytes` (least recently used evicted). */
  artifactCache: { dir: string; maxBytes: number };
  /** Where the dashboard listens (port 0: any free port); undefined when it is turned off. */
  dashboard: { host: string; port: number } | undefined;
  /**
   * `each`: every actor call the host serves is reported on `wasmbus.rpcevt.{lattice}` (2022); `off`:
   * none (the CPU of building and publishing one event per call saved).
   */
  invocationEvents: InvocationEventsSetting;
  /** What is exported as OpenTelemetry, and where (WASMCLOUD_*_ENABLED, OTEL_*). */
  telemetry: TelemetrySettings;
  /** A listener of its own for /metrics (WASMCLOUD_METRICS_PORT); undefined: the dashboard's port only. */
  metricsListener: { host: string; port: number } | undefined;
}

/** Reads the settings from an environment (`process.env`) only. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): RawSettings {
  const raw: RawSettings = {};
  for (const [name, spec] of Object.entries(HOST_SETTINGS) as [SettingName, SettingSpec][]) {
    const value = env[spec.env];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  return raw;
}

/**
 * Host labels from `HOST_{NAME}` variables (label `{name}` lower-cased) plus the `hostcore.*` labels
 * the 2022 host detected. Extra labels (from flags) override both.
 */
export function hostLabels(
  env: NodeJS.ProcessEnv,
  extra: Record<string, string> = {},
): Record<string, string> {
  const nodeArch: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'x86' };
  const os = platform() === 'darwin' ? 'macos' : platform();
  const labels: Record<string, string> = {
    'hostcore.arch': nodeArch[arch()] ?? arch(),
    'hostcore.os': os,
    'hostcore.osfamily': os === 'win32' ? 'windows' : 'unix',
  };
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('HOST_') && name.length > 5 && value !== undefined)
      labels[name.slice(5).toLowerCase()] = value;
  }
  return { ...labels, ...extra };
}

function connection(
  host: string,
  port: number,
  auth: { jwt?: string | undefined; seed?: string | undefined; credsFile?: string | undefined },
  tls: boolean,
  caFile: string | undefined,
  name: string,
  credentialsFrom: 'RPC' | 'CTL' | 'PROV_RPC',
): NatsConnectionSettings {
  const settings: NatsConnectionSettings = { url: `${host}:${port}`, name, reconnect: true };
  if (auth.jwt) settings.jwt = auth.jwt;
  if (auth.seed) settings.seed = auth.seed;
  if (auth.credsFile) settings.credsFile = auth.credsFile;
  // A CA file is only for TLS: giving one turns TLS on.
  if (tls || caFile) settings.tls = caFile ? { caFile } : true;
  // Named when the server refuses the credentials or its certificate is not trusted.
  const variable = `WASMCLOUD_${credentialsFrom}`;
  settings.sources = {
    credentials: `${variable}_JWT and ${variable}_SEED, or ${variable}_CREDSFILE`,
    tlsCa: 'WASMCLOUD_TLS_CA_FILE',
  };
  return settings;
}

/** Whose credentials a connection that falls back to the RPC ones ends up with. */
function credentialsOwner(
  own: 'CTL' | 'PROV_RPC',
  given: Array<string | undefined>,
): 'RPC' | 'CTL' | 'PROV_RPC' {
  return given.some((value) => value !== undefined) ? own : 'RPC';
}

const ADJECTIVES = ['bold', 'calm', 'dark', 'eager', 'fancy', 'gentle', 'misty', 'quiet', 'rapid', 'wild'];
const NOUNS = ['wind', 'river', 'forest', 'meadow', 'sound', 'cloud', 'field', 'leaf', 'snow', 'sun'];

function generatedFriendlyName(): string {
  const pick = (words: string[]) => words[Math.floor(Math.random() * words.length)]!;
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${1000 + Math.floor(Math.random() * 9000)}`;
}

/**
 * Validates raw settings (environment merged with flags) into a HostConfig. Throws a
 * HostConfigError whose message names each bad variable, e.g.
 * `WASMCLOUD_RPC_PORT (--rpc-port): expected a port number`.
 */
export function resolveHostConfig(
  raw: RawSettings,
  labels: Record<string, string>,
  env: TelemetryEnvironment = process.env,
): HostConfig {
  const parsed = checkedSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path[0] as SettingName | undefined;
      const spec = name ? HOST_SETTINGS[name] : undefined;
      const where = spec ? `${spec.env} (--${spec.flag})` : 'settings';
      return `${where}: ${describeIssues([{ ...issue, path: [] }])}`;
    });
    throw new HostConfigError('HOST_CONFIG_INVALID', `invalid host configuration: ${lines.join('; ')}`);
  }
  const s = parsed.data;
  const telemetry = telemetrySettings(s, env);
  const clusterKey = s.clusterSeed ? KeyPair.fromSeed(s.clusterSeed, 'cluster') : KeyPair.create('cluster');
  const hostKey = s.hostSeed ? KeyPair.fromSeed(s.hostSeed, 'server') : KeyPair.create('server');
  const issuers = new Set(s.clusterIssuers ?? []);
  issuers.add(clusterKey.publicKey);
  const friendlyName = s.friendlyName ?? generatedFriendlyName();
  const rpc = connection(
    s.rpcHost,
    s.rpcPort,
    { jwt: s.rpcJwt, seed: s.rpcSeed, credsFile: s.rpcCredsfile },
    s.rpcTls,
    s.tlsCaFile,
    `${friendlyName} rpc`,
    'RPC',
  );
  const ctl = connection(
    s.ctlHost ?? s.rpcHost,
    s.ctlPort ?? s.rpcPort,
    { jwt: s.ctlJwt ?? s.rpcJwt, seed: s.ctlSeed ?? s.rpcSeed, credsFile: s.ctlCredsfile ?? s.rpcCredsfile },
    s.ctlTls ?? s.rpcTls,
    s.tlsCaFile,
    `${friendlyName} ctl`,
    credentialsOwner('CTL', [s.ctlJwt, s.ctlSeed, s.ctlCredsfile]),
  );
  const providerRpc = connection(
    s.provRpcHost ?? s.rpcHost,
    s.provRpcPort ?? s.rpcPort,
    {
      jwt: s.provRpcJwt ?? s.rpcJwt,
      seed: s.provRpcSeed ?? s.rpcSeed,
      credsFile: s.provRpcCredsfile ?? s.rpcCredsfile,
    },
    s.provRpcTls ?? s.rpcTls,
    s.tlsCaFile,
    'provider',
    credentialsOwner('PROV_RPC', [s.provRpcJwt, s.provRpcSeed, s.provRpcCredsfile]),
  );
  return {
    latticePrefix: s.latticePrefix,
    rpc,
    ctl,
    providerRpc,
    rpcTimeoutMs: s.rpcTimeoutMs,
    clusterKey,
    clusterSeedGenerated: s.clusterSeed === undefined,
    clusterIssuers: [...issuers],
    hostKey,
    labels,
    jsDomain: s.jsDomain,
    jsReplicas: s.jsReplicas,
    allowLatest: s.allowLatest,
    allowedInsecure: s.allowedInsecure,
    fileLoad: { allowed: s.allowFileLoad, directories: s.allowFileLoadDirs ?? [] },
    ociRegistry:
      s.ociRegistry === undefined
        ? undefined
        : { registry: s.ociRegistry, username: s.ociRegistryUser, password: s.ociRegistryPassword },
    providerShutdownDelayMs: s.providerShutdownDelayMs,
    structuredLogging: s.structuredLogging,
    logLevel: s.logLevel,
    friendlyName,
    actorWorkers: s.actorWorkers ?? Math.max(1, availableParallelism() - 1),
    actorQueueSize: s.actorQueueSize,
    artifactCache: {
      dir: resolve(s.artifactCacheDir ?? defaultArtifactCacheDir()),
      maxBytes: s.artifactCacheMaxBytes,
    },
    dashboard: s.dashboardPort === false ? undefined : { host: s.dashboardHost, port: s.dashboardPort },
    invocationEvents: s.invocationEvents,
    telemetry,
    metricsListener: s.metricsPort === undefined ? undefined : { host: s.metricsHost, port: s.metricsPort },
  };
}

/** The OTEL_* variables of the environment, with the WASMCLOUD_*_ENABLED switches as flags or variables gave them. */
function telemetrySettings(
  s: {
    observabilityEnabled?: string | undefined;
    metricsEnabled?: string | undefined;
    tracesEnabled?: string | undefined;
  },
  env: TelemetryEnvironment,
): TelemetrySettings {
  try {
    return readTelemetrySettings({
      ...env,
      WASMCLOUD_OBSERVABILITY_ENABLED: s.observabilityEnabled,
      WASMCLOUD_METRICS_ENABLED: s.metricsEnabled,
      WASMCLOUD_TRACES_ENABLED: s.tracesEnabled,
    });
  } catch (error) {
    if (!(error instanceof TelemetrySettingError)) throw error;
    // The switches may have come as flags: name both, as every other setting's message does.
    const message = error.message
      .replace(/^WASMCLOUD_OBSERVABILITY_ENABLED/, 'WASMCLOUD_OBSERVABILITY_ENABLED (--enable-observability)')
      .replace(/^WASMCLOUD_METRICS_ENABLED/, 'WASMCLOUD_METRICS_ENABLED (--enable-metrics)')
      .replace(/^WASMCLOUD_TRACES_ENABLED/, 'WASMCLOUD_TRACES_ENABLED (--enable-traces)');
    throw new HostConfigError('HOST_CONFIG_INVALID', `invalid host configuration: ${message}`, {
      cause: error,
    });
  }
}
