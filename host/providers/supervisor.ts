// The host's providers: one supervised process per provider key and link name (protocol.md §6).
// The control interface starts and stops them, the lattice-data watch sends them link changes,
// and the host stops them all when it stops. No provider outlives the host: each runs under
// `setpriv --pdeathsig SIGKILL` and also exits when its stdin closes.

import { builtinProviderClaims, resolveBuiltinRef } from '../../lattice/builtin-providers.ts';
import { errorFields, errorMessage } from '../../lattice/errors.ts';
import { InvocationSigner } from '../../lattice/invocation-signer.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { isSubjectToken, latticeSubjects } from '../../lattice/subjects.ts';
import { KEYVALUE_CONTRACT, MESSAGING_CONTRACT, WorkerBuiltinLinks } from '../runtime/builtin-links.ts';
import { chooseTarget, verifyArchive, writeProviderBinary } from './archive-install.ts';
import { CapabilityLinkServer } from './builtin-capability-links.ts';
import { HttpLinkServer } from './builtin-http-links.ts';
import { type BuiltinLinkServer, BuiltinProvider } from './builtin-provider.ts';
import { BuiltinRpcServer } from './builtin-rpc.ts';
import type { MessageRoute } from './builtin-subscriptions.ts';
import { findSetpriv } from './process-launch.ts';
import { ProviderStartError } from './provider-start-error.ts';
import type {
  ProviderHostContext,
  RunningProvider,
  StartBuiltinRequest,
  StartProviderRequest,
} from './provider-types.ts';
import { SupervisedProvider } from './supervised-provider.ts';

/** A process, or a built-in served by the runtime's workers: the supervisor treats both alike. */
type Supervised = SupervisedProvider | BuiltinProvider;

function keyOf(providerId: string, linkName: string): string {
  return `${providerId}\u0000${linkName}`;
}

export class ProviderSupervisor {
  readonly #context: ProviderHostContext;
  readonly #providers = new Map<string, Supervised>();
  /** Signs a built-in messaging's deliveries to actors on other hosts; made on first use. */
  #signer: InvocationSigner | undefined;
  /** Addresses the built-in httpserver listens on, shared by all its links on this host. */
  readonly #builtinAddresses = new Map<string, string>();
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
    this.#checkCanStart(request.linkName);
    const archive = await verifyArchive(request.archive);
    const { claims } = archive;
    const { target, kind } = chooseTarget(archive.targets);
    const key = keyOf(claims.sub, request.linkName);
    this.#checkNotRunning(key, claims.sub, request.linkName);
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

  /**
   * Starts a built-in provider (wasmcloud+builtin://NAME) inside this host: its key and claims are
   * derived from the cluster seed (lattice/builtin-providers.ts), its links served by the workers.
   * Resolves after provider_started, with its links opened. Rejects with a coded error.
   */
  /** What serves the links of the built-in `name`, provider key `providerKey`. */
  #linkServer(
    name: string,
    providerKey: string,
    linkName: string,
    runtime: NonNullable<ProviderHostContext['builtinHttp']>,
  ): BuiltinLinkServer {
    const context = this.#context;
    if (name === 'httpserver') return new HttpLinkServer(runtime, this.#builtinAddresses);
    const subjects = latticeSubjects(context.latticePrefix);
    // The main thread holds the links as well, to answer actors of hosts without the built-in.
    const links = new WorkerBuiltinLinks(async () => ({ nc: context.nc }), context.rpcTimeoutMs, context.log);
    const rpc = new BuiltinRpcServer({
      nc: context.nc,
      subjects,
      providerKey,
      linkName,
      contractId: name === 'messaging' ? MESSAGING_CONTRACT : KEYVALUE_CONTRACT,
      clusterIssuers: context.clusterIssuers,
      rpcTimeoutMs: context.rpcTimeoutMs,
      links,
      log: context.log,
    });
    if (name !== 'messaging') return new CapabilityLinkServer(runtime, context, undefined, { links, rpc });
    this.#signer ??= new InvocationSigner(context.clusterKey, context.hostId);
    const route: MessageRoute = {
      capsOf: (actorId) => {
        const actor = runtime.actor(actorId);
        return actor === undefined ? undefined : (actor.claims.wascap.caps ?? []);
      },
      invokeHere: (actorId, operation, payload) => runtime.invoke(actorId, operation, payload),
      nc: context.nc,
      signer: this.#signer,
      subjects,
      rpcTimeoutMs: context.rpcTimeoutMs,
      log: context.log,
    };
    return new CapabilityLinkServer(runtime, context, route, { links, rpc });
  }

  async startBuiltin(request: StartBuiltinRequest): Promise<RunningProvider> {
    this.#checkCanStart(request.linkName);
    const info = resolveBuiltinRef(request.ref);
    const runtime = this.#context.builtinHttp;
    if (runtime === undefined)
      throw new ProviderStartError(
        'PROVIDER_NO_TARGET',
        `this host cannot run ${request.ref}: it has no runtime workers`,
      );
    const claims = builtinProviderClaims(this.#context.clusterKey.seed, info);
    const key = keyOf(claims.sub, request.linkName);
    this.#checkNotRunning(key, claims.sub, request.linkName);
    const provider = new BuiltinProvider(
      {
        id: claims.sub,
        linkName: request.linkName,
        contractId: info.contractId,
        imageRef: request.ref,
        name: info.title,
        revision: claims.wascap.rev ?? 0,
        annotations: request.annotations,
        claims,
      },
      this.#context,
      this.#linkServer(info.name, claims.sub, request.linkName, runtime),
    );
    this.#providers.set(key, provider);
    // The claims are for `get claims` and the dashboard; a bucket that refuses them stops nothing.
    await this.#context
      .recordClaims?.(claims)
      .catch((error: unknown) =>
        this.#context.log.warn(
          `cannot record the claims of ${request.ref} (${claims.sub}): ${errorMessage(error)}`,
          errorFields(error),
        ),
      );
    // Refused links are reported by the provider itself (log, health): launching cannot fail.
    await provider.launch();
    return provider.snapshot();
  }

  #checkCanStart(linkName: string): void {
    if (this.#closing)
      throw new ProviderStartError('PROVIDER_HOST_STOPPING', 'this host is stopping; it starts no providers');
    if (!isSubjectToken(linkName)) {
      throw new ProviderStartError(
        'PROVIDER_BAD_LINK_NAME',
        `invalid link name "${linkName}": it must be non-empty and contain no '.', '*', '>' or whitespace`,
      );
    }
  }

  #checkNotRunning(key: string, providerId: string, linkName: string): void {
    if (this.#providers.has(key) || this.#starting.has(key))
      throw new ProviderStartError(
        'PROVIDER_ALREADY_RUNNING',
        `provider ${providerId} link ${linkName} is already running`,
      );
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
