// Where a link's Kubernetes credentials come from (protocol.md §7.3). Link values, keys matched
// case-insensitively:
//   config_b64   a whole kubeconfig, base64. It comes over the lattice, so it must embed its
//                certificates and tokens: anything that would make the provider read a file or
//                run a command on its machine (certificate paths, token-file, exec, auth-provider)
//                is refused, before the client library parses it (it reads token-file at parse time).
//   config_file  an absolute path to a kubeconfig on the provider's machine.
//   neither      the pod's service account, else $KUBECONFIG or ~/.kube/config.

import { existsSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { load as parseYaml } from 'js-yaml';
import { errorMessage } from '../../lattice/errors.ts';
import { ProviderError } from '../sdk/errors.ts';

export const CONFIG_B64_KEY = 'config_b64';
export const CONFIG_FILE_KEY = 'config_file';
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The link's values do not give a usable kubeconfig. */
export class KubeConfigError extends ProviderError {
  constructor(message: string, options?: ErrorOptions) {
    super('KUBECONFIG_INVALID', message, options);
  }
}

/** What inference looks at; tests pass their own. */
export interface KubeConfigEnvironment {
  serviceAccountDir: string;
  homeDir: string;
  env: Readonly<Record<string, string | undefined>>;
}

export function processEnvironment(): KubeConfigEnvironment {
  // homedir() falls back to the passwd entry: the host starts providers without HOME.
  return { serviceAccountDir: SERVICE_ACCOUNT_DIR, homeDir: homedir(), env: process.env };
}

export interface LoadedKubeConfig {
  kubeConfig: KubeConfig;
  /** Where it came from, for log lines and errors (`config_b64`, `config_file /x`, …). */
  source: string;
  /** The API server's URL. */
  server: string;
  /** The current context's namespace, if it names one. */
  namespace: string | undefined;
}

/** Fields that point at files or run programs, and what to use instead. */
const CLUSTER_FILE_FIELDS: Record<string, string> = {
  'certificate-authority': 'use certificate-authority-data',
};
const USER_FILE_FIELDS: Record<string, string> = {
  'client-certificate': 'use client-certificate-data',
  'client-key': 'use client-key-data',
  'token-file': 'use token',
  exec: 'it runs a command; use token or client-certificate-data',
  'auth-provider': 'auth providers read files or run commands; use token or client-certificate-data',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function entries(config: Record<string, unknown>, key: string): Record<string, unknown>[] {
  const list = config[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new KubeConfigError(`${CONFIG_B64_KEY}: ${key} is not a list`);
  return list.filter(isRecord);
}

function refuseFilePaths(config: Record<string, unknown>): void {
  const check = (list: string, inner: string, fields: Record<string, string>) => {
    for (const entry of entries(config, list)) {
      const body = entry[inner];
      if (!isRecord(body)) continue;
      for (const [field, instead] of Object.entries(fields)) {
        if (body[field] === undefined || body[field] === null) continue;
        throw new KubeConfigError(
          `${CONFIG_B64_KEY} must embed its certificates and tokens: ${inner} ${JSON.stringify(entry.name)} sets ${field} (${instead})`,
        );
      }
    }
  };
  check('clusters', 'cluster', CLUSTER_FILE_FIELDS);
  check('users', 'user', USER_FILE_FIELDS);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeBase64Config(raw: string): string {
  const compact = raw.replace(/\s+/g, '');
  if (compact === '') throw new KubeConfigError(`${CONFIG_B64_KEY} is empty`);
  if (!BASE64.test(compact)) throw new KubeConfigError(`${CONFIG_B64_KEY} is not valid base64`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(compact, 'base64'));
  } catch {
    throw new KubeConfigError(`${CONFIG_B64_KEY} does not decode to UTF-8 text`);
  }
}

function fromBase64(raw: string): KubeConfig {
  const text = decodeBase64Config(raw);
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new KubeConfigError(`${CONFIG_B64_KEY} is not a YAML kubeconfig: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  if (!isRecord(parsed)) throw new KubeConfigError(`${CONFIG_B64_KEY} is not a kubeconfig (not a YAML map)`);
  refuseFilePaths(parsed);
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromString(text);
  } catch (error) {
    throw new KubeConfigError(`${CONFIG_B64_KEY} is not a valid kubeconfig: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  return kubeConfig;
}

function fromFile(path: string): KubeConfig {
  if (!isAbsolute(path)) {
    throw new KubeConfigError(
      `the kubeconfig path ${JSON.stringify(path)} is not absolute (the provider's working directory is its own)`,
    );
  }
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromFile(path);
  } catch (error) {
    throw new KubeConfigError(`cannot load the kubeconfig ${path}: ${errorMessage(error)}`, { cause: error });
  }
  return kubeConfig;
}

/** The pod's service account, as client-node's loadFromCluster, with a server even without the env. */
function fromServiceAccount(environment: KubeConfigEnvironment): KubeConfig {
  const dir = environment.serviceAccountDir;
  const host = environment.env.KUBERNETES_SERVICE_HOST;
  const port = environment.env.KUBERNETES_SERVICE_PORT ?? '443';
  // The host starts providers with an empty environment: then the cluster's own DNS name.
  const server = host
    ? `${['80', '8080', '8001'].includes(port) ? 'http' : 'https'}://${isIPv6(host) ? `[${host}]` : host}:${port}`
    : 'https://kubernetes.default.svc';
  const caFile = join(dir, 'ca.crt');
  const namespaceFile = join(dir, 'namespace');
  const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() : undefined;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'in-cluster',
        server,
        skipTLSVerify: false,
        ...(existsSync(caFile) ? { caFile } : {}),
      },
    ],
    users: [
      {
        name: 'in-cluster',
        authProvider: { name: 'tokenFile', config: { tokenFile: join(dir, 'token') } },
      },
    ],
    contexts: [
      { name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', namespace: namespace || undefined },
    ],
    currentContext: 'in-cluster',
  });
  return kubeConfig;
}

/** The current context's server and namespace; throws when the kubeconfig does not name them. */
function currentTarget(
  kubeConfig: KubeConfig,
  source: string,
): { server: string; namespace: string | undefined } {
  const contextName = kubeConfig.getCurrentContext();
  if (!contextName) throw new KubeConfigError(`the kubeconfig (${source}) has no current-context`);
  const context = kubeConfig.getContextObject(contextName);
  if (!context) {
    throw new KubeConfigError(
      `the kubeconfig (${source}) has no context named by current-context ${JSON.stringify(contextName)}`,
    );
  }
  const cluster = kubeConfig.getCluster(context.cluster);
  if (!cluster) {
    throw new KubeConfigError(
      `the kubeconfig (${source}): context ${JSON.stringify(contextName)} names cluster ${JSON.stringify(context.cluster)}, which it does not define`,
    );
  }
  if (context.user && !kubeConfig.getUser(context.user)) {
    throw new KubeConfigError(
      `the kubeconfig (${source}): context ${JSON.stringify(contextName)} names user ${JSON.stringify(context.user)}, which it does not define`,
    );
  }
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    throw new KubeConfigError(
      `the kubeconfig (${source}): cluster ${JSON.stringify(cluster.name)} has server ${JSON.stringify(cluster.server)}, which is not a URL`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KubeConfigError(
      `the kubeconfig (${source}): cluster ${JSON.stringify(cluster.name)} has server ${cluster.server}, which is not http(s)`,
    );
  }
  if (url.protocol === 'http:' && !cluster.skipTLSVerify && !cluster.proxyUrl) {
    // client-node's own rule, said here before any request is made.
    throw new KubeConfigError(
      `the kubeconfig (${source}): cluster ${JSON.stringify(cluster.name)} has a plain http:// server; that needs insecure-skip-tls-verify: true`,
    );
  }
  return { server: cluster.server, namespace: context.namespace };
}

function loaded(kubeConfig: KubeConfig, source: string): LoadedKubeConfig {
  return { kubeConfig, source, ...currentTarget(kubeConfig, source) };
}

/** The kubeconfig a link's values give; throws a KubeConfigError saying what is wrong. */
export function loadKubeConfig(
  values: Readonly<Record<string, string>>,
  environment: KubeConfigEnvironment,
): LoadedKubeConfig {
  const lower = new Map(Object.entries(values).map(([key, value]) => [key.toLowerCase(), value]));
  const base64 = lower.get(CONFIG_B64_KEY);
  const file = lower.get(CONFIG_FILE_KEY);
  if (base64 !== undefined && file !== undefined) {
    throw new KubeConfigError(`give ${CONFIG_B64_KEY} or ${CONFIG_FILE_KEY}, not both`);
  }
  if (base64 !== undefined) return loaded(fromBase64(base64), CONFIG_B64_KEY);
  if (file !== undefined) return loaded(fromFile(file), `${CONFIG_FILE_KEY} ${file}`);

  const token = join(environment.serviceAccountDir, 'token');
  if (existsSync(token))
    return loaded(fromServiceAccount(environment), `service account ${environment.serviceAccountDir}`);
  const fromEnv = environment.env.KUBECONFIG?.split(delimiter).find((path) => path !== '');
  const defaultPath = fromEnv ?? join(environment.homeDir, '.kube', 'config');
  if (existsSync(defaultPath)) return loaded(fromFile(defaultPath), `kubeconfig ${defaultPath}`);
  throw new KubeConfigError(
    `no ${CONFIG_B64_KEY} or ${CONFIG_FILE_KEY} link value, and none to infer: no service account token at ${token} and no kubeconfig at ${defaultPath}`,
  );
}
