// How a provider reaches its lattice's NATS, from HostData: the URL, the user JWT and seed the host
// handed over, and TLS (with the CA file the host names, wasmcloud-ts's `lattice_rpc_tls_ca_file`,
// so a lattice whose certificate no system CA signed works too). Refusals name the host settings.

import type { HostData } from '../../lattice/host-data.ts';
import type { NatsConnectionSettings } from '../../lattice/nats.ts';

/** Settings for a (reconnecting) connection to the lattice's NATS, shown to the server as `name`. */
export function latticeConnectionSettings(hostData: HostData, name: string): NatsConnectionSettings {
  return {
    url: hostData.lattice_rpc_url,
    jwt: hostData.lattice_rpc_user_jwt,
    seed: hostData.lattice_rpc_user_seed,
    tls:
      hostData.lattice_rpc_tls_ca_file === undefined
        ? hostData.lattice_rpc_tls
        : { caFile: hostData.lattice_rpc_tls_ca_file },
    name,
    reconnect: true,
    sources: {
      credentials:
        "the host's WASMCLOUD_PROV_RPC_JWT and WASMCLOUD_PROV_RPC_SEED, or WASMCLOUD_PROV_RPC_CREDSFILE",
      tlsCa: "the host's WASMCLOUD_TLS_CA_FILE",
    },
  };
}
