// What a link's values say about the actor's bucket. Keys are matched in any case.
//   BUCKET      the JetStream KV bucket; default: the actor's public key (one bucket per actor).
//               Links naming the same bucket share its data.
//   URI         a NATS other than the lattice's: `host:port` or a URL, or a comma list of a
//               cluster's servers. Default: the lattice's NATS, with the host's credentials.
//   CLIENT_JWT, CLIENT_SEED   credentials for URI (both or neither).
//   JS_DOMAIN   the JetStream domain; default: the lattice's (HostData js_domain) on the lattice's
//               NATS, none on a URI.
// A new bucket gets the replicas the lattice's buckets get (lattice/jetstream-replicas.ts): the
// host's WASMCLOUD_JS_REPLICAS (HostData js_replicas) on the lattice's NATS, min(3, servers) on a URI.

import { KeyValueError } from './errors.ts';

export interface KeyValueLinkSettings {
  bucket: string;
  /** Servers of the NATS named by URI; undefined: the lattice's NATS. */
  servers?: string[] | undefined;
  jwt?: string | undefined;
  seed?: string | undefined;
  jsDomain?: string | undefined;
  /** WASMCLOUD_JS_REPLICAS of the lattice, for a bucket on the lattice's NATS; undefined: the default rule. */
  jsReplicas?: number | undefined;
}

/** The link's values do not give usable bucket settings; the link is refused with this message. */
export class KeyvalueLinkSettingsError extends KeyValueError {
  constructor(message: string, options?: ErrorOptions) {
    super('KEYVALUE_SETTINGS_INVALID', message, options);
  }
}

const BUCKET_NAME = /^[A-Za-z0-9_-]+$/;

/** The value of `name` in any case; an error when two spellings disagree. */
function linkValue(values: Readonly<Record<string, string>>, name: string): string | undefined {
  const found = Object.entries(values).filter(([key]) => key.toUpperCase() === name);
  const distinct = new Set(found.map(([, value]) => value));
  if (distinct.size > 1) {
    throw new KeyvalueLinkSettingsError(
      `link values ${found.map(([key]) => key).join(' and ')} disagree; give ${name} once`,
    );
  }
  return found[0]?.[1];
}

function serverList(uri: string): string[] {
  const servers = uri
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
  if (servers.length === 0)
    throw new KeyvalueLinkSettingsError('URI is empty; give host:port or a nats:// URL');
  const bad = servers.find((server) => /\s/.test(server));
  if (bad !== undefined)
    throw new KeyvalueLinkSettingsError(`URI ${JSON.stringify(bad)} contains whitespace`);
  return servers;
}

export function keyValueLinkSettings(
  actorId: string,
  values: Readonly<Record<string, string>>,
): KeyValueLinkSettings {
  const bucket = linkValue(values, 'BUCKET') ?? actorId;
  if (!BUCKET_NAME.test(bucket)) {
    throw new KeyvalueLinkSettingsError(
      `BUCKET ${JSON.stringify(bucket)} is not a KV bucket name: use letters, digits, '_' and '-' only`,
    );
  }
  const uri = linkValue(values, 'URI');
  const jwt = linkValue(values, 'CLIENT_JWT') || undefined;
  const seed = linkValue(values, 'CLIENT_SEED') || undefined;
  if ((jwt === undefined) !== (seed === undefined)) {
    throw new KeyvalueLinkSettingsError('CLIENT_JWT and CLIENT_SEED must be given together (or neither)');
  }
  if (jwt !== undefined && uri === undefined) {
    throw new KeyvalueLinkSettingsError(
      "CLIENT_JWT and CLIENT_SEED need URI: without it the link uses the lattice's NATS connection",
    );
  }
  return {
    bucket,
    servers: uri === undefined ? undefined : serverList(uri),
    jwt,
    seed,
    jsDomain: linkValue(values, 'JS_DOMAIN') || undefined,
  };
}
