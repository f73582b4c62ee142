// The controller's settings: where the lattice's NATS is and how to authenticate (the names wash's
// connection options use), which lattice and JetStream domain, this replica's name, and logging.
// A flag wins over its environment variable, which wins over the default. Every value is checked
// with zod, and each bad one is named by the flag or variable it came from.

import { hostname } from 'node:os';
import { z } from 'zod';
import type { LogLevel } from '../lattice/host-data.ts';
import { jsReplicasText } from '../lattice/jetstream-replicas-setting.ts';
import { describeIssues } from '../lattice/json-message.ts';
import type { NatsConnectionSettings } from '../lattice/nats.ts';
import { isSubjectToken } from '../lattice/subjects.ts';
import { ControllerError } from './errors.ts';

/** One setting: its flag, its environment variable and what it holds (for `--help`). */
export interface ControllerSettingSpec {
  flag: string;
  /** A one-letter alias, as wash has for the same setting. */
  short?: string;
  env: string;
  help: string;
}

export const CONTROLLER_SETTINGS = {
  latticePrefix: {
    flag: 'lattice-prefix',
    short: 'x',
    env: 'WASMCLOUD_LATTICE_PREFIX',
    help: 'lattice to manage (default "default")',
  },
  ctlHost: {
    flag: 'ctl-host',
    short: 'r',
    env: 'WASMCLOUD_CTL_HOST',
    help: 'NATS host of the lattice (default 127.0.0.1)',
  },
  ctlPort: { flag: 'ctl-port', short: 'p', env: 'WASMCLOUD_CTL_PORT', help: 'NATS port (default 4222)' },
  ctlJwt: { flag: 'ctl-jwt', env: 'WASMCLOUD_CTL_JWT', help: 'NATS user JWT, used with the seed' },
  ctlSeed: { flag: 'ctl-seed', env: 'WASMCLOUD_CTL_SEED', help: 'NATS user nkey seed (SU…)' },
  ctlCredsfile: {
    flag: 'ctl-credsfile',
    env: 'WASMCLOUD_CTL_CREDSFILE',
    help: 'NATS .creds file holding a JWT and a seed',
  },
  ctlTls: {
    flag: 'ctl-tls',
    env: 'WASMCLOUD_CTL_TLS',
    help: "use TLS with the system's CAs (true/false; default false)",
  },
  tlsCaFile: {
    flag: 'tls-ca-file',
    env: 'WASMCLOUD_TLS_CA_FILE',
    help: "CA certificate (PEM) that signed the NATS server's certificate; turns TLS on",
  },
  jsDomain: { flag: 'js-domain', env: 'WASMCLOUD_JS_DOMAIN', help: 'JetStream domain of the buckets' },
  jsReplicas: {
    flag: 'js-replicas',
    env: 'WASMCLOUD_JS_REPLICAS',
    help: 'NATS servers keeping a copy of each bucket, 1 to 5 (default: 3, or fewer when the cluster has fewer servers)',
  },
  replicaId: {
    flag: 'replica-id',
    env: 'WASMCLOUD_CONTROLLER_REPLICA_ID',
    help: 'name of this replica in the leadership lease and the logs (default: host name and a random suffix)',
  },
  logLevel: {
    flag: 'log-level',
    env: 'WASMCLOUD_LOG_LEVEL',
    help: 'trace, debug, info, warn or error (default info)',
  },
  structuredLogging: {
    flag: 'structured-logging',
    env: 'WASMCLOUD_STRUCTURED_LOGGING_ENABLED',
    help: 'log JSON lines (true/false; default false)',
  },
} as const satisfies Record<string, ControllerSettingSpec>;

export type ControllerSettingName = keyof typeof CONTROLLER_SETTINGS;

/** A setting's text and where it came from (`--ctl-port` or `WASMCLOUD_CTL_PORT`), for messages. */
interface RawSetting {
  value: string;
  source: string;
}

/** A bad setting; the message names each one. */
export class ControllerConfigError extends ControllerError {}

export interface ControllerConfig {
  latticePrefix: string;
  nats: NatsConnectionSettings;
  jsDomain: string | undefined;
  /** Copies of each bucket; undefined: min(3, servers in the NATS cluster). */
  jsReplicas: number | undefined;
  replicaId: string;
  logLevel: LogLevel;
  structuredLogging: boolean;
}

const yesNo = z
  .string()
  .transform((text) => text.trim().toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], 'expected true or false'))
  .transform((text) => ['true', '1', 'yes'].includes(text));

/** Letters, digits, '-' and '_': the lattice prefix names keys in JetStream KV, as in `LATTICEDATA_{lattice}`. */
const keyToken = z.string().regex(/^[A-Za-z0-9_-]+$/, "expected letters, digits, '-' and '_' only");

const settingsSchema = z.object({
  latticePrefix: keyToken.optional(),
  ctlHost: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9.:[\]-]+$/, 'expected a host name or an IP address')
    .optional(),
  ctlPort: z
    .string()
    .trim()
    .regex(/^\d+$/, 'expected a port number')
    .transform(Number)
    .pipe(z.number().min(1, 'expected a port from 1 to 65535').max(65_535, 'expected a port from 1 to 65535'))
    .optional(),
  ctlJwt: z.string().min(1, 'it is empty').optional(),
  ctlSeed: z
    .string()
    .regex(/^S[A-Z2-7]{57}$/, 'expected an nkey seed (58 characters, starting with S)')
    .optional(),
  ctlCredsfile: z.string().min(1, 'it is empty').optional(),
  ctlTls: yesNo.optional(),
  tlsCaFile: z.string().min(1, 'it is empty').optional(),
  jsDomain: z.string().refine(isSubjectToken, "expected a name without '.', '*', '>' or spaces").optional(),
  jsReplicas: jsReplicasText.optional(),
  replicaId: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, 'expected 1 to 128 printable characters without spaces')
    .optional(),
  logLevel: z
    .string()
    .transform((text) => text.trim().toLowerCase())
    .pipe(z.enum(['trace', 'debug', 'info', 'warn', 'error'], 'expected trace, debug, info, warn or error'))
    .optional(),
  structuredLogging: yesNo.optional(),
} satisfies Record<ControllerSettingName, z.ZodType>);

/** Each setting's text: the flag's when given, else the environment's (an empty variable is unset). */
export function rawSettings(
  flags: Partial<Record<ControllerSettingName, string>>,
  env: NodeJS.ProcessEnv,
): Partial<Record<ControllerSettingName, RawSetting>> {
  const raw: Partial<Record<ControllerSettingName, RawSetting>> = {};
  for (const [name, spec] of Object.entries(CONTROLLER_SETTINGS) as [
    ControllerSettingName,
    ControllerSettingSpec,
  ][]) {
    const flag = flags[name];
    const fromEnv = env[spec.env];
    if (flag !== undefined) raw[name] = { value: flag, source: `--${spec.flag}` };
    else if (fromEnv !== undefined && fromEnv !== '') raw[name] = { value: fromEnv, source: spec.env };
  }
  return raw;
}

function defaultReplicaId(): string {
  const host = hostname().replace(/[^\x21-\x7e]/g, '') || 'controller';
  return `${host}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Validates the settings; throws a ControllerConfigError naming every bad one. */
export function resolveControllerConfig(
  flags: Partial<Record<ControllerSettingName, string>>,
  env: NodeJS.ProcessEnv = process.env,
): ControllerConfig {
  const raw = rawSettings(flags, env);
  const texts = Object.fromEntries(Object.entries(raw).map(([name, setting]) => [name, setting.value]));
  const parsed = settingsSchema.safeParse(texts, { reportInput: true });
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path[0] as ControllerSettingName;
      problems.push(`${raw[name]?.source ?? name}: ${describeIssues([{ ...issue, path: [] }])}`);
    }
  }
  if (raw.ctlJwt !== undefined && raw.ctlSeed === undefined) {
    problems.push(`${raw.ctlJwt.source} needs the seed it belongs to: set --ctl-seed or WASMCLOUD_CTL_SEED`);
  }
  if (!parsed.success || problems.length > 0) {
    throw new ControllerConfigError(
      'CONTROLLER_CONFIG_INVALID',
      `invalid controller settings: ${problems.join('; ')}`,
    );
  }
  const settings = parsed.data;
  const replicaId = settings.replicaId ?? defaultReplicaId();
  // A CA file is only for TLS: giving one turns TLS on.
  const tls = settings.tlsCaFile !== undefined ? { caFile: settings.tlsCaFile } : settings.ctlTls === true;
  return {
    latticePrefix: settings.latticePrefix ?? 'default',
    nats: {
      url: `${settings.ctlHost ?? '127.0.0.1'}:${settings.ctlPort ?? 4222}`,
      jwt: settings.ctlJwt,
      seed: settings.ctlSeed,
      credsFile: settings.ctlCredsfile,
      tls,
      name: `wadm controller ${replicaId}`,
      reconnect: true,
      sources: {
        credentials: '--ctl-jwt and --ctl-seed, or --ctl-credsfile, or their WASMCLOUD_CTL_* variables',
        tlsCa: '--tls-ca-file or WASMCLOUD_TLS_CA_FILE',
      },
    },
    jsDomain: settings.jsDomain,
    jsReplicas: settings.jsReplicas,
    replicaId,
    logLevel: settings.logLevel ?? 'info',
    structuredLogging: settings.structuredLogging ?? false,
  };
}
