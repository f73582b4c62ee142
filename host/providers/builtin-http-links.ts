// The link server of the built-in httpserver (wasmcloud+builtin://httpserver): each link's
// listener opened in every runtime worker (runtime/builtin-http.ts). The host keeps one table of
// the addresses its built-in listeners hold, so a second link on a taken address is refused with
// the name of the actor holding it (two workers' SO_REUSEPORT would otherwise share the port).

import { errorCode, errorMessage } from '../../lattice/errors.ts';
import { describeAddress, loadSettings } from '../../lattice/httpserver/settings.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { HostError } from '../errors.ts';
import type { BuiltinHttpLink } from '../runtime/types.ts';
import { type BuiltinLinkServer, builtinLinkId } from './builtin-provider.ts';

/** What the built-in httpserver needs from the runtime: listeners opened and closed in every worker. */
export interface BuiltinHttpHost {
  httpListen(link: BuiltinHttpLink): Promise<void>;
  httpClose(listenerId: string): Promise<void>;
}

interface Listening {
  /** `host:port`, as the address table keys it. */
  address: string;
  url: string;
}

export class HttpLinkServer implements BuiltinLinkServer {
  readonly #http: BuiltinHttpHost;
  /** Addresses taken by the host's built-in listeners (any built-in httpserver): address → listener. */
  readonly #addresses: Map<string, string>;
  readonly #listening = new Map<string, Listening>();

  constructor(http: BuiltinHttpHost, addresses: Map<string, string>) {
    this.#http = http;
    this.#addresses = addresses;
  }

  async open(link: LinkDefinition, _before: LinkDefinition | undefined): Promise<string> {
    const listenerId = builtinLinkId(link);
    const { settings } = loadSettings(link.values);
    const address = describeAddress(settings.address);
    const url = `${settings.tls === undefined ? 'http' : 'https'}://${address}`;
    const holder = this.#addresses.get(address);
    if (holder !== undefined && holder !== listenerId)
      throw new HostError(
        'BUILTIN_LISTEN_REFUSED',
        `address ${address} is already in use by the listener of actor ${holder.split('\u0000')[0]}`,
      );
    // New values replace the listener (the workers close the old one first).
    const before = this.#listening.get(listenerId);
    if (before !== undefined && before.address !== address) this.#addresses.delete(before.address);
    this.#listening.delete(listenerId);
    this.#addresses.set(address, listenerId);
    try {
      await this.#http.httpListen({
        listenerId,
        actorId: link.actor_id,
        providerId: link.provider_id,
        linkName: link.link_name,
        contractId: link.contract_id,
        values: link.values,
      });
    } catch (error) {
      this.#addresses.delete(address);
      if (errorCode(error) === 'BUILTIN_LISTEN_REFUSED')
        throw new HostError('BUILTIN_LISTEN_REFUSED', `${errorMessage(error)} (by another process)`, {
          cause: error,
        });
      throw error;
    }
    this.#listening.set(listenerId, { address, url });
    return `actor ${link.actor_id} listening on ${url}`;
  }

  async close(link: LinkDefinition): Promise<string> {
    const listenerId = builtinLinkId(link);
    const listening = this.#listening.get(listenerId);
    this.#listening.delete(listenerId);
    try {
      await this.#http.httpClose(listenerId);
    } finally {
      if (listening !== undefined && this.#addresses.get(listening.address) === listenerId)
        this.#addresses.delete(listening.address);
    }
    return `actor ${link.actor_id} no longer listening on ${listening?.url ?? 'its address'}`;
  }
}
