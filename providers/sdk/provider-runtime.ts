// A provider process from start to exit (protocol.md §6): read HostData from stdin, connect to the
// lattice, apply the initial links, answer RPC, link changes, health checks and shutdown requests,
// and exit when the host asks, when stdin closes (the host is gone) or on SIGTERM.
//
// Subscriptions are made in this order: link changes, then RPC and shutdown, health last, and
// flushed. A host may treat the first health reply as "the provider is ready for link messages".

import { ChunkStore } from '../../lattice/chunking.ts';
import { errorFields, errorMessage, type LatticeErrorCode } from '../../lattice/errors.ts';
import type { HostData } from '../../lattice/host-data.ts';
import { InvocationSigner } from '../../lattice/invocation-signer.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { createLogger, type Logger } from '../../lattice/log.ts';
import { connectNats, type NatsConnection, type Subscription } from '../../lattice/nats.ts';
import { type LatticeSubjects, latticeSubjects } from '../../lattice/subjects.ts';
import { ActorClient, type CallActorOptions } from './actor-client.ts';
import { ProviderError, type ProviderErrorCode, providerCodeOf } from './errors.ts';
import { answerHealthChecks } from './health-responder.ts';
import { type CheckedHostData, readHostData } from './host-data-input.ts';
import { InvocationServer } from './invocation-server.ts';
import { latticeConnectionSettings } from './lattice-connection.ts';
import { decodeLinkMessage, plainLink } from './link-message.ts';
import { LinkTable } from './link-table.ts';
import { type ProviderMetrics, startProviderMetrics } from './provider-metrics.ts';
import { startProviderTracing, stopProviderTracing } from './provider-tracing.ts';
import type { Provider, ProviderDefinition } from './provider-types.ts';
import { shutdownDecision } from './shutdown-request.ts';

export interface StartProviderOptions {
  /** Where HostData is read from; default stdin. Its end also stops the provider. */
  input?: NodeJS.ReadableStream;
  /** How the process ends; default `process.exit`. */
  exit?: (code: number) => void;
  /** Where log lines go; default stderr. */
  writeLog?: (line: string) => void;
}

/** Raised (after `exit(1)` was called) when the provider cannot start. */
export class ProviderStartupError extends ProviderError {}

/** How long `shutdown` hooks and draining may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 2_000;

class ProviderRuntime implements Provider {
  readonly hostData: HostData;
  readonly key: string;
  readonly linkName: string;
  readonly log: Logger;
  readonly #definition: ProviderDefinition;
  readonly #nc: NatsConnection;
  readonly #subjects: LatticeSubjects;
  readonly #exit: (code: number) => void;
  readonly #linkTable: LinkTable;
  readonly #actors: ActorClient;
  readonly #server: InvocationServer;
  readonly #metrics: ProviderMetrics | undefined;
  readonly #subscriptions: Subscription[] = [];
  #stopping: Promise<void> | undefined;

  constructor(
    checked: CheckedHostData,
    definition: ProviderDefinition,
    nc: NatsConnection,
    log: Logger,
    exit: (code: number) => void,
  ) {
    const { hostData, invocationKey } = checked;
    this.hostData = hostData;
    this.key = hostData.provider_key;
    this.linkName = hostData.link_name;
    this.log = log;
    this.#definition = definition;
    this.#nc = nc;
    this.#exit = exit;
    this.#subjects = latticeSubjects(hostData.lattice_rpc_prefix);
    this.#linkTable = new LinkTable(
      this.key,
      this.linkName,
      {
        put: (link) => definition.linkPut?.(link, this),
        del: (link) => definition.linkDel?.(link, this),
      },
      log,
    );
    const chunks = new ChunkStore(nc, this.#subjects, hostData.js_domain, {
      setting: hostData.js_replicas,
      log,
    });
    this.#actors = new ActorClient({
      nc,
      subjects: this.#subjects,
      signer: invocationKey && new InvocationSigner(invocationKey, hostData.host_id),
      chunks,
      links: this.#linkTable,
      providerKey: this.key,
      timeoutMs: hostData.default_rpc_timeout_ms,
    });
    this.#metrics = startProviderMetrics(
      {
        providerKey: this.key,
        linkName: this.linkName,
        hostId: hostData.host_id,
        latticePrefix: hostData.lattice_rpc_prefix,
      },
      log,
    );
    this.#server = new InvocationServer({
      nc,
      subjects: this.#subjects,
      providerKey: this.key,
      linkName: this.linkName,
      clusterIssuers: hostData.cluster_issuers,
      operations: definition.operations,
      links: this.#linkTable,
      chunks,
      provider: this,
      log,
      metrics: this.#metrics,
    });
  }

  links(): LinkDefinition[] {
    return this.#linkTable.all();
  }

  link(actorId: string): LinkDefinition | undefined {
    return this.#linkTable.get(actorId);
  }

  callActor(
    actorId: string,
    operation: string,
    payload: Uint8Array,
    options?: CallActorOptions,
  ): Promise<Uint8Array> {
    return this.#actors.call(actorId, operation, payload, options);
  }

  async run(): Promise<void> {
    const rpc = this.#subjects.rpc;
    this.#subscribeLinks(rpc.providerLinkPut(this.key, this.linkName), 'put');
    this.#subscribeLinks(rpc.providerLinkDel(this.key, this.linkName), 'del');
    for (const link of this.hostData.link_definitions) void this.#linkTable.put(plainLink(link));
    await this.#linkTable.settled();
    this.#server.listen();
    this.#subscriptions.push(
      this.#nc.subscribe(rpc.providerShutdown(this.key, this.linkName), {
        callback: (error, msg) => {
          if (error) return;
          const decision = shutdownDecision(msg.data, this.hostData.host_id);
          if (!decision.act) {
            this.log.info(`Ignoring shutdown request: ${decision.reason}`);
            return;
          }
          msg.respond(new TextEncoder().encode('shutting down'));
          void this.shutdown('the host asked it to');
        },
      }),
    );
    const check = this.#definition.healthCheck;
    this.#subscriptions.push(
      answerHealthChecks(
        this.#nc,
        rpc.providerHealth(this.key, this.linkName),
        check && (() => check(this)),
        this.log,
      ),
    );
    await this.#nc.flush();
    this.log.info(
      `provider ready: ${this.links().length} link(s), lattice ${this.hostData.lattice_rpc_prefix}`,
    );
    void this.#nc.closed().then((error) => {
      if (this.#stopping !== undefined) return;
      this.log.error(`the lattice connection closed${error ? `: ${error.message}` : ''}; exiting`);
      this.#exit(1);
    });
  }

  #subscribeLinks(subject: string, which: 'put' | 'del'): void {
    this.#subscriptions.push(
      this.#nc.subscribe(subject, {
        callback: (error, msg) => {
          if (error) return;
          let link: LinkDefinition;
          try {
            link = decodeLinkMessage(msg.data);
          } catch (decodeError) {
            this.log.warn(`Ignoring link ${which}: ${errorMessage(decodeError)}`, errorFields(decodeError));
            return;
          }
          void this.#linkTable[which](link);
        },
      }),
    );
  }

  /** Stops once (hook, unsubscribe, drain), then exits 0. */
  shutdown(reason = 'shutdown() was called'): Promise<void> {
    this.#stopping ??= this.#stop(reason);
    return this.#stopping;
  }

  async #stop(reason: string): Promise<void> {
    this.log.info(`shutting down: ${reason}`);
    const work = (async () => {
      try {
        await this.#definition.shutdown?.(this);
      } catch (error) {
        this.log.warn(`shutdown hook failed: ${errorMessage(error)}`, errorFields(error));
      }
      this.#server.close();
      for (const subscription of this.#subscriptions) subscription.unsubscribe();
      if (!this.#nc.isClosed()) await this.#nc.drain();
      await this.#metrics?.shutdown();
      await stopProviderTracing();
    })();
    // A failed drain leaves nothing to do but exit, as the grace period running out does.
    await Promise.race([work.catch(() => undefined), delay(SHUTDOWN_GRACE_MS)]);
    this.#exit(0);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Says why on stderr (the host relays it; no log exists before HostData), with the code as log lines have it. */
function fail(
  exit: (code: number) => void,
  error: unknown,
  fallback: ProviderErrorCode | LatticeErrorCode,
): never {
  const code = providerCodeOf(error, fallback);
  const message = errorMessage(error);
  process.stderr.write(`provider cannot start: ${message} code=${code}\n`);
  exit(1);
  throw new ProviderStartupError(code, message, { cause: error });
}

/**
 * Runs a provider: reads HostData from stdin, connects, applies the initial links and starts
 * answering. Resolves with the running provider once every subscription is in place. On bad
 * HostData or a failed connection it prints why to stderr and exits with code 1.
 */
export async function startProvider(
  definition: ProviderDefinition,
  options: StartProviderOptions = {},
): Promise<Provider> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const input = options.input ?? process.stdin;
  let checked: CheckedHostData;
  try {
    checked = await readHostData(input);
  } catch (error) {
    return fail(exit, error, 'HOST_DATA_INVALID');
  }
  const { hostData } = checked;
  const log = createLogger({
    label: { field: 'provider', value: hostData.provider_key },
    level: hostData.log_level,
    structured: hostData.structured_logging,
    write: options.writeLog,
  });
  await startProviderTracing(hostData, log);
  let nc: NatsConnection;
  try {
    nc = await connectNats(
      latticeConnectionSettings(hostData, `provider ${hostData.provider_key} (${hostData.link_name})`),
    );
  } catch (error) {
    return fail(exit, error, 'PROVIDER_CONNECT_FAILED');
  }
  const provider = new ProviderRuntime(checked, definition, nc, log, exit);
  // The host closes stdin when it stops or dies: a second guard besides the shutdown request.
  input.on('end', () => void provider.shutdown('stdin closed (the host is gone)'));
  input.on('error', () => void provider.shutdown('stdin failed (the host is gone)'));
  input.resume();
  const ended = (input as { readableEnded?: boolean }).readableEnded === true;
  if (ended) void provider.shutdown('stdin closed before the provider started');
  process.once('SIGTERM', () => void provider.shutdown('SIGTERM'));
  process.once('SIGINT', () => void provider.shutdown('SIGINT'));
  await provider.run();
  return provider;
}
