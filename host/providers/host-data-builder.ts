// The HostData a provider process gets on stdin (protocol.md §6.1 step 3), built fresh for every
// launch so a restarted provider gets the links of that moment.

import { resolve } from 'node:path';
import { errorMessage } from '../../lattice/errors.ts';
import type { HostData } from '../../lattice/host-data.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { readCredsFile } from './creds-file.ts';
import { ProviderStartError } from './provider-start-error.ts';
import type { ProviderHostContext } from './provider-types.ts';

export interface LaunchIdentity {
  providerId: string;
  linkName: string;
  instanceId: string;
  configuration: string | undefined;
}

/** The NATS credentials providers are given: JWT + seed directly, or out of a creds file. */
export function providerCredentials(context: ProviderHostContext): { jwt: string; seed: string } {
  const settings = context.providerRpc;
  if (settings.credsFile !== undefined && settings.credsFile !== '') {
    try {
      return readCredsFile(settings.credsFile);
    } catch (error) {
      throw new ProviderStartError('PROVIDER_CREDENTIALS_UNREADABLE', errorMessage(error), {
        cause: error,
      });
    }
  }
  return { jwt: settings.jwt ?? '', seed: settings.seed ?? '' };
}

export function buildHostData(
  context: ProviderHostContext,
  launch: LaunchIdentity,
  links: LinkDefinition[],
  credentials: { jwt: string; seed: string },
): HostData {
  const hostData: HostData = {
    host_id: context.hostId,
    lattice_rpc_prefix: context.latticePrefix,
    link_name: launch.linkName,
    lattice_rpc_user_jwt: credentials.jwt,
    lattice_rpc_user_seed: credentials.seed,
    lattice_rpc_url: context.providerRpc.url,
    lattice_rpc_tls: Boolean(context.providerRpc.tls),
    env_values: {},
    instance_id: launch.instanceId,
    provider_key: launch.providerId,
    link_definitions: links,
    default_rpc_timeout_ms: context.rpcTimeoutMs,
    cluster_issuers: context.clusterIssuers,
    invocation_seed: context.clusterKey.seed,
    log_level: context.logLevel,
    structured_logging: context.structuredLogging,
  };
  const tls = context.providerRpc.tls;
  // Absolute: the provider runs in a directory of its own.
  if (typeof tls === 'object' && tls.caFile !== undefined)
    hostData.lattice_rpc_tls_ca_file = resolve(tls.caFile);
  if (launch.configuration !== undefined) hostData.config_json = launch.configuration;
  if (context.jsDomain !== undefined && context.jsDomain !== '') hostData.js_domain = context.jsDomain;
  if (context.jsReplicas !== undefined) hostData.js_replicas = context.jsReplicas;
  return hostData;
}
