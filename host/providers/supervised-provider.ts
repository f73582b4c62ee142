// One provider (key + link name) under supervision: its process, health checks, link messages,
// restarts and stop. A process that dies on its own is announced (provider_stopped with the exit
// reason) and started again after a back-off with a new instance ID and the links of that moment;
// a stop request during the back-off cancels the restart.
//
// Link messages sent between a launch and the moment the new process has subscribed would reach
// nobody, so until the process first answers a health request they are queued; then the links
// are reconciled with the host's current table and the queue is replayed (puts are idempotent).

import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { DISPLAY_ERROR_LIMIT, truncateForDisplay } from '../../lattice/display-text.ts';
import { errorFields, errorMessage } from '../../lattice/errors.ts';
import { encodeHostDataLine } from '../../lattice/host-data.ts';
import { encodeJsonMessage } from '../../lattice/json-message.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import type { Logger } from '../../lattice/log.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import type { ProviderKind } from './archive-install.ts';
import { checkHealth, waitUntilAnswering } from './health-check.ts';
import { buildHostData, providerCredentials } from './host-data-builder.ts';
import { encodeLinkMessage, linkSlot, sameLinkValues } from './link-delivery.ts';
import { launchCommand, spawnProvider } from './process-launch.ts';
import {
  type AnnouncedProvider,
  providerSnapshot,
  publishProviderStarted,
  publishProviderStopped,
} from './provider-announcements.ts';
import type { ProviderHostContext, RunningProvider } from './provider-types.ts';
import { RestartBackoff } from './restart-backoff.ts';

const DEFAULT_HEALTH_INTERVAL_MS = 30_000;
const DEFAULT_FIRST_HEALTH_CHECK_MS = 5_000;
/** How long the host waits for its shutdown request to be answered (OTP: 2 s). */
const SHUTDOWN_REPLY_TIMEOUT_MS = 2_000;
/** How long a new process may take to subscribe before queued link messages are given up. */
const READY_DEADLINE_MS = 30_000;
const READY_POLL_MS = 50;
/** After SIGKILL the exit is reported promptly; this only bounds a stuck wait. */
const KILL_WAIT_MS = 5_000;

export interface ProviderSpec extends AnnouncedProvider {
  kind: ProviderKind;
  /** The executable or bundle written to the cache. */
  path: string;
  configuration: string | undefined;
}

type LinkMessage = { kind: 'put' | 'del'; link: LinkDefinition };

function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `killed by signal ${signal}` : `exited with code ${code ?? 'unknown'}`;
}

function isAlive(child: ChildProcessWithoutNullStreams): boolean {
  return child.exitCode === null && child.signalCode === null;
}

export class SupervisedProvider {
  readonly spec: ProviderSpec;
  readonly #context: ProviderHostContext;
  readonly #log: Logger;
  readonly #backoff: RestartBackoff;
  readonly #subjects: {
    health: string;
    shutdown: string;
    linkPut: string;
    linkDel: string;
  };
  #instanceId = '';
  #child: ChildProcessWithoutNullStreams | undefined;
  #startedAt = 0;
  #healthy = false;
  /** Restarts after the process died on its own, for the host's metrics. */
  #restarts = 0;
  #ready = false;
  #linksAtLaunch: LinkDefinition[] = [];
  #queued: LinkMessage[] = [];
  #launching: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #healthTimer: NodeJS.Timeout | undefined;
  #exitWaiters = new Set<() => void>();

  constructor(spec: ProviderSpec, context: ProviderHostContext) {
    this.spec = spec;
    this.#context = context;
    this.#log = context.log;
    this.#backoff = new RestartBackoff(context.restartPolicy);
    const rpc = latticeSubjects(context.latticePrefix).rpc;
    this.#subjects = {
      health: rpc.providerHealth(spec.id, spec.linkName),
      shutdown: rpc.providerShutdown(spec.id, spec.linkName),
      linkPut: rpc.providerLinkPut(spec.id, spec.linkName),
      linkDel: rpc.providerLinkDel(spec.id, spec.linkName),
    };
  }

  get #label(): string {
    return `provider ${this.spec.id} (link ${truncateForDisplay(this.spec.linkName)})`;
  }

  snapshot(): RunningProvider {
    return providerSnapshot(this.spec, this.#instanceId, this.#healthy, this.#child?.pid, this.#restarts);
  }

  /** Starts a process; rejects with ProviderStartError when it cannot be spawned. */
  launch(): Promise<void> {
    const launching = this.#launch();
    this.#launching = launching;
    return launching;
  }

  async #launch(): Promise<void> {
    const instanceId = randomUUID();
    const links = this.#context.linksFor(this.spec.id, this.spec.linkName);
    const hostData = buildHostData(
      this.#context,
      {
        providerId: this.spec.id,
        linkName: this.spec.linkName,
        instanceId,
        configuration: this.spec.configuration,
      },
      links,
      providerCredentials(this.#context),
    );
    const child = await spawnProvider(launchCommand(this.spec.kind, this.spec.path), {
      cwd: this.#context.cacheDir,
      providerId: this.spec.id,
      log: this.#log,
    });
    child.once('exit', (code, signal) => this.#onExit(child, code, signal));
    this.#child = child;
    this.#instanceId = instanceId;
    this.#startedAt = Date.now();
    this.#healthy = false;
    this.#ready = false;
    this.#linksAtLaunch = links;
    this.#queued = [];
    child.stdin.write(encodeHostDataLine(hostData));
    this.#log.info(`${this.#label} started, pid ${child.pid}, ${links.length} link(s)`);
    publishProviderStarted(this.#context.events, this.spec, instanceId);
    void this.#whenReady(child);
    this.#scheduleHealthCheck(child, this.#context.healthFirstCheckMs ?? DEFAULT_FIRST_HEALTH_CHECK_MS);
  }

  #onExit(child: ChildProcessWithoutNullStreams, code: number | null, signal: NodeJS.Signals | null): void {
    for (const wake of this.#exitWaiters) wake();
    if (child !== this.#child) return;
    this.#child = undefined;
    this.#healthy = false;
    this.#ready = false;
    clearTimeout(this.#healthTimer);
    if (this.#stopping !== undefined) return; // the stop sequence reports it
    const reason = exitReason(code, signal);
    const wait = this.#backoff.next(Date.now() - this.#startedAt);
    this.#log.warn(`${this.#label} ${reason}; restarting it in ${wait} ms`);
    publishProviderStopped(this.#context.events, this.spec, this.#instanceId, reason);
    this.#scheduleRestart(wait);
  }

  #scheduleRestart(wait: number): void {
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#stopping !== undefined) return;
      this.#restarts++;
      this.launch().catch((error: unknown) => {
        const retry = this.#backoff.next(0);
        this.#log.error(
          `restarting ${this.#label} failed: ${truncateForDisplay(errorMessage(error), DISPLAY_ERROR_LIMIT)}; next try in ${retry} ms`,
        );
        if (this.#stopping === undefined) this.#scheduleRestart(retry);
      });
    }, wait);
  }

  // ---- health ----

  #scheduleHealthCheck(child: ChildProcessWithoutNullStreams, wait: number): void {
    clearTimeout(this.#healthTimer);
    this.#healthTimer = setTimeout(async () => {
      await this.#checkHealth(child);
      if (child === this.#child && this.#stopping === undefined)
        this.#scheduleHealthCheck(child, this.#context.healthIntervalMs ?? DEFAULT_HEALTH_INTERVAL_MS);
    }, wait);
  }

  async #checkHealth(child: ChildProcessWithoutNullStreams): Promise<void> {
    const verdict = await checkHealth(this.#context.nc, this.#subjects.health, this.#context.rpcTimeoutMs);
    if (child !== this.#child || this.#stopping !== undefined) return;
    if (verdict.healthy === this.#healthy) return;
    // Events only on a change, starting from unhealthy: the first pass is announced (OTP).
    this.#healthy = verdict.healthy;
    const data = { public_key: this.spec.id, link_name: this.spec.linkName };
    if (verdict.healthy) {
      this.#log.info(`${this.#label} passed its health check`);
      this.#context.events.publish('health_check_passed', data);
    } else {
      // The message is the provider's own: bounded like any text from another process.
      const why = truncateForDisplay(verdict.message ?? 'unhealthy', DISPLAY_ERROR_LIMIT);
      this.#log.warn(`${this.#label} failed its health check: ${why}`);
      this.#context.events.publish('health_check_failed', data);
    }
  }

  // ---- links ----

  /** Sends a link put to the process (queued until it is ready; a restart gets it from linksFor). */
  linkPut(link: LinkDefinition): void {
    this.#deliver({ kind: 'put', link });
  }

  linkDel(link: LinkDefinition): void {
    this.#deliver({ kind: 'del', link });
  }

  #deliver(message: LinkMessage): void {
    if (this.#child === undefined || this.#stopping !== undefined) return;
    if (!this.#ready) {
      this.#queued.push(message);
      return;
    }
    this.#publishLink(message);
  }

  #publishLink({ kind, link }: LinkMessage): void {
    try {
      this.#context.nc.publish(
        kind === 'put' ? this.#subjects.linkPut : this.#subjects.linkDel,
        encodeLinkMessage(link),
      );
    } catch (error) {
      this.#log.warn(`link ${kind} to ${this.#label} not sent: ${errorMessage(error)}`, errorFields(error));
    }
  }

  async #whenReady(child: ChildProcessWithoutNullStreams): Promise<void> {
    const answering = await waitUntilAnswering(this.#context.nc, this.#subjects.health, {
      deadlineMs: READY_DEADLINE_MS,
      pollMs: READY_POLL_MS,
      keepTrying: () => child === this.#child && this.#stopping === undefined,
    });
    if (child !== this.#child || this.#stopping !== undefined) return;
    if (!answering) {
      this.#log.warn(`${this.#label} did not answer within ${READY_DEADLINE_MS} ms of starting`);
      return;
    }
    this.#ready = true;
    // Links that changed since HostData was written, then what arrived meanwhile, in order.
    const atLaunch = new Map(this.#linksAtLaunch.map((link) => [linkSlot(link), link]));
    const current = this.#context.linksFor(this.spec.id, this.spec.linkName);
    const currentSlots = new Set<string>();
    for (const link of current) {
      currentSlots.add(linkSlot(link));
      const sent = atLaunch.get(linkSlot(link));
      if (sent === undefined || !sameLinkValues(sent, link)) this.#publishLink({ kind: 'put', link });
    }
    for (const [slot, link] of atLaunch)
      if (!currentSlots.has(slot)) this.#publishLink({ kind: 'del', link });
    const queued = this.#queued;
    this.#queued = [];
    for (const message of queued) this.#publishLink(message);
  }

  // ---- stop ----

  /** The shutdown sequence of protocol.md §6.3; publishes provider_stopped "normal". Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    clearTimeout(this.#restartTimer);
    clearTimeout(this.#healthTimer);
    // A failed launch was reported where it failed; the stop only waits for it to settle.
    await this.#launching?.catch(() => undefined);
    const child = this.#child;
    if (child !== undefined && isAlive(child)) {
      try {
        await this.#context.nc.request(
          this.#subjects.shutdown,
          encodeJsonMessage({ host_id: this.#context.hostId }),
          { timeout: SHUTDOWN_REPLY_TIMEOUT_MS },
        );
      } catch (error) {
        this.#log.debug(
          `${this.#label} did not answer the shutdown request: ${errorMessage(error)}`,
          errorFields(error),
        );
      }
      child.stdin.end(); // the SDK also stops at end of input
      if (!(await this.#waitForExit(child, this.#context.shutdownDelayMs))) {
        this.#log.info(`${this.#label} still running after ${this.#context.shutdownDelayMs} ms; killing it`);
        child.kill('SIGKILL');
        await this.#waitForExit(child, KILL_WAIT_MS);
      }
    }
    this.#child = undefined;
    this.#log.info(`${this.#label} stopped`);
    publishProviderStopped(this.#context.events, this.spec, this.#instanceId, 'normal');
  }

  /** True when the process exited within `timeoutMs`. */
  #waitForExit(child: ChildProcessWithoutNullStreams, timeoutMs: number): Promise<boolean> {
    if (!isAlive(child)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        if (isAlive(child)) return;
        clearTimeout(timer);
        this.#exitWaiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#exitWaiters.delete(wake);
        resolve(!isAlive(child));
      }, timeoutMs);
      this.#exitWaiters.add(wake);
    });
  }
}
