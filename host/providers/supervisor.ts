// The host's providers: one supervised process per provider key and link name (protocol.md §6).
// The control interface starts and stops them, the lattice-data watch sends them link changes,
// and the host stops them all when it stops. No provider outlives the host: each runs under
// `setpriv --pdeathsig SIGKILL` and also exits when its stdin closes.

import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { isSubjectToken } from '../../lattice/subjects.ts';
import { chooseTarget, verifyArchive, writeProviderBinary } from './archive-install.ts';
import { findSetpriv } from './process-launch.ts';
import { ProviderStartError } from './provider-start-error.ts';
import type { ProviderHostContext, RunningProvider, StartProviderRequest } from './provider-types.ts';
import { SupervisedProvider } from './supervised-provider.ts';

function keyOf(providerId: string, linkName: string): string {
  return `${providerId}\u0000${linkName}`;
}

export class ProviderSupervisor {
  readonly #context: ProviderHostContext;
  readonly #providers = new Map<string, SupervisedProvider>();
  readonly #starting = new Set<string>();
  #closing = false;

  constructor(context: ProviderHostContext) {
    this.#context = context;
    if (findSetpriv() === null) {
      context.log.warn(
        'setpriv (util-linux) was not found: providers are spawned directly and may outlive this host if it is killed with SIGKILL (they still exit when their stdin closes)',
      );
    }
  }

  /**
   * Validates the archive (claims, target hash; this machine's native target or js-node), writes
   * the binary to the cache, spawns it and writes its HostData line. Resolves once it is spawned,
   * after provider_started. Rejects with ProviderStartError.
   */
  async start(request: StartProviderRequest): Promise<RunningProvider> {
    if (this.#closing)
      throw new ProviderStartError('PROVIDER_HOST_STOPPING', 'this host is stopping; it starts no providers');
    if (!isSubjectToken(request.linkName)) {
      throw new ProviderStartError(
        'PROVIDER_BAD_LINK_NAME',
        `invalid link name "${request.linkName}": it must be non-empty and contain no '.', '*', '>' or whitespace`,
      );
    }
    const archive = await verifyArchive(request.archive);
    const { claims } = archive;
    const { target, kind } = chooseTarget(archive.targets);
    const key = keyOf(claims.sub, request.linkName);
    if (this.#providers.has(key) || this.#starting.has(key)) {
      throw new ProviderStartError(
        'PROVIDER_ALREADY_RUNNING',
        `provider ${claims.sub} link ${request.linkName} is already running`,
      );
    }
    // Reserved before the first await below, so a second start of the same pair fails at once.
    this.#starting.add(key);
    let provider: SupervisedProvider;
    try {
      const path = await writeProviderBinary(
        claims,
        archive.targets.get(target)!,
        kind,
        request.linkName,
        this.#context.cacheDir,
      );
      provider = new SupervisedProvider(
        {
          id: claims.sub,
          linkName: request.linkName,
          contractId: claims.wascap.capid,
          imageRef: request.imageRef,
          name: claims.wascap.name ?? claims.sub,
          revision: claims.wascap.rev ?? 0,
          annotations: request.annotations,
          claims,
          kind,
          path,
          configuration: request.configuration,
        },
        this.#context,
      );
      this.#providers.set(key, provider);
      await provider.launch();
    } catch (error) {
      this.#providers.delete(key);
      throw error;
    } finally {
      this.#starting.delete(key);
    }
    return provider.snapshot();
  }

  /** Stops one provider with the shutdown sequence; false when it is not running here. */
  async stop(providerId: string, linkName: string): Promise<boolean> {
    const key = keyOf(providerId, linkName);
    const provider = this.#providers.get(key);
    if (provider === undefined) return false;
    try {
      await provider.stop();
    } finally {
      if (this.#providers.get(key) === provider) this.#providers.delete(key);
    }
    return true;
  }

  running(): RunningProvider[] {
    return [...this.#providers.values()].map((provider) => provider.snapshot());
  }

  find(providerId: string, linkName: string): RunningProvider | undefined {
    return this.#providers.get(keyOf(providerId, linkName))?.snapshot();
  }

  /** Sends a link put to the local process of that provider and link name, if there is one. */
  linkPut(link: LinkDefinition): void {
    this.#providers.get(keyOf(link.provider_id, link.link_name))?.linkPut(link);
  }

  linkDel(link: LinkDefinition): void {
    this.#providers.get(keyOf(link.provider_id, link.link_name))?.linkDel(link);
  }

  /** Stops every provider (host shutdown); later starts are refused. */
  async stopAll(): Promise<void> {
    this.#closing = true;
    await Promise.all(
      [...this.#providers.values()].map((provider) => this.stop(provider.spec.id, provider.spec.linkName)),
    );
  }
}
