// The reconcile pass and what schedules it. A pass asks every scaler of every deployed application
// for its plan against the picture of the lattice, sends the commands of scalers whose gate is open,
// takes down what applications no longer want (cleanup.ts), and records statuses, telling listeners
// of the ones that changed. Passes run only when something happened: the picture changed (a burst of
// events makes one pass), a batch settled, a back-off ran out, or the desired applications changed;
// a pass computes and sends, it never waits, so an idle lattice costs no work here.

import { errorFields, errorMessage } from '../../lattice/errors.ts';
import { type LinkDefinition, linkDefinitionId } from '../../lattice/link-definition.ts';
import type { Logger } from '../../lattice/log.ts';
import type { AppStatus, ScalerStatus, StatusInfo } from '../../lattice/wadm-api.ts';
import type { DeployedApp, Reconciler } from '../types.ts';
import { type AppScalers, buildAppScalers } from './app-scalers.ts';
import { AutoScaler } from './autoscaler.ts';
import { appsInLattice, planCleanup } from './cleanup.ts';
import type { CommandRunner } from './command-runner.ts';
import type { Command } from './commands.ts';
import type { LatticeState } from './lattice-state.ts';
import type { LoadRound } from './load-poller.ts';
import { type BackoffTimings, ScalerGate } from './scaler-gate.ts';
import { appStatus, StatusBoard } from './status.ts';

/** Events come in bursts (six actor_started for one start of six): one pass after the burst. */
const PASS_DELAY_MS = 20;

/**
 * How long a pass sends nothing while a host it just heard of is still being read: placing now
 * would put that host's share elsewhere, and stopping extras a moment later is churn.
 */
const NEW_HOST_GRACE_MS = 5000;

/** The status of an application before the lattice has been read. */
const READING: StatusInfo = { type: 'reconciling', message: 'reading the state of the lattice' };
const TAKING_DOWN_OLDER: StatusInfo = {
  type: 'reconciling',
  message: 'stopping what an older version started',
};

export interface ReconcileLoopOptions {
  state: LatticeState;
  runner: CommandRunner;
  log: Logger;
  backoff: BackoffTimings;
  /** Stops the lattice watcher and the runner. */
  closeParts: () => void;
  /** The hosts' load as the load poller gathers it, for autoscalers (none: autoscalers hold). */
  loadRounds?: (() => readonly LoadRound[]) | undefined;
}

export class ReconcileLoop implements Reconciler {
  readonly #options: ReconcileLoopOptions;
  readonly #apps = new Map<string, AppScalers>();
  readonly #gates = new Map<string, ScalerGate>();
  /** One gate per application being taken down (or rid of an older version's leftovers). */
  readonly #cleanupGates = new Map<string, ScalerGate>();
  /** Per application, the links its link scalers wanted (by link id and provider). */
  readonly #linksWanted = new Map<string, Map<string, LinkDefinition>>();
  readonly #board = new StatusBoard();
  readonly #listeners = new Set<(appName: string, status: AppStatus) => void>();
  #ready = false;
  #closed = false;
  /** Set for a pass that only computes statuses (a host just heard of is being read). */
  #holding = false;
  #passTimer: ReturnType<typeof setTimeout> | undefined;
  #passAt = Number.POSITIVE_INFINITY;

  constructor(options: ReconcileLoopOptions) {
    this.#options = options;
  }

  // ---- Reconciler ----

  setDesired(apps: readonly DeployedApp[]): void {
    const names = new Set<string>();
    for (const { manifest } of apps) {
      names.add(manifest.name);
      const held = this.#apps.get(manifest.name);
      // The same manifest again (setDesired follows every store change) keeps its scalers.
      if (held !== undefined && sameManifest(held, manifest)) continue;
      this.#apps.set(manifest.name, buildAppScalers(manifest, this.#options.loadRounds));
      this.#options.log.info(`application ${manifest.name} ${manifest.version}: reconciling`);
    }
    for (const name of [...this.#apps.keys()]) {
      if (names.has(name)) continue;
      this.#apps.delete(name);
      this.#board.delete(name);
      this.#options.log.info(`application ${name}: no longer deployed; taking down what it started`);
    }
    this.#schedulePass(0);
  }

  status(appName: string): AppStatus | undefined {
    if (!this.#apps.has(appName)) return undefined;
    return this.#board.get(appName) ?? { status: READING, scalers: [] };
  }

  onStatusChange(listener: (appName: string, status: AppStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#passTimer);
    this.#options.closeParts();
  }

  // ---- driving ----

  /** The lattice has been read once: passes may run. */
  markReady(): void {
    this.#ready = true;
    this.#schedulePass(0);
  }

  /** Hosts whose load some autoscaler reads (those running or eligible for its actor). */
  autoscaledHosts(): Set<string> {
    const hosts = new Set<string>();
    for (const app of this.#apps.values())
      for (const scaler of app.workloads)
        if (scaler instanceof AutoScaler)
          for (const hostId of scaler.hostsOfInterest(this.#options.state)) hosts.add(hostId);
    return hosts;
  }

  /** A load round came in: autoscalers may want another count. */
  loadChanged(): void {
    this.#schedulePass(0);
  }

  /** The picture changed: settle commands it shows done, and pass again soon. */
  latticeChanged(): void {
    this.#options.runner.checkDone();
    this.#schedulePass(PASS_DELAY_MS);
  }

  #schedulePass(delayMs: number): void {
    if (this.#closed) return;
    const at = Date.now() + delayMs;
    if (this.#passTimer !== undefined && this.#passAt <= at) return;
    clearTimeout(this.#passTimer);
    this.#passAt = at;
    this.#passTimer = setTimeout(() => {
      this.#passTimer = undefined;
      this.#passAt = Number.POSITIVE_INFINITY;
      try {
        this.#pass();
      } catch (error) {
        // A bug in a plan must not stop reconciling for good: say so, and try again later.
        this.#options.log.error(`reconcile pass failed: ${errorMessage(error)}`, errorFields(error));
        this.#schedulePass(this.#options.backoff.backoffBaseMs);
      }
    }, delayMs);
  }

  #gate(map: Map<string, ScalerGate>, key: string): ScalerGate {
    let gate = map.get(key);
    if (gate === undefined) {
      gate = new ScalerGate(this.#options.backoff, () => this.#schedulePass(0));
      map.set(key, gate);
    }
    return gate;
  }

  // ---- the pass ----

  #pass(): void {
    if (!this.#ready || this.#closed) return;
    const { state } = this.#options;
    const now = Date.now();
    const waitFor = state.unsyncedUntil(NEW_HOST_GRACE_MS, now);
    this.#holding = waitFor !== undefined;
    if (waitFor !== undefined) this.#schedulePass(waitFor - now);
    const wantedLinkIds = new Set<string>();
    const scalerStatuses = new Map<string, ScalerStatus[]>();
    for (const app of this.#apps.values()) {
      scalerStatuses.set(app.manifest.name, this.#runScalers(app, wantedLinkIds));
    }
    for (const app of this.#apps.values()) {
      const statuses = scalerStatuses.get(app.manifest.name) ?? [];
      const settled = statuses.every((scaler) => scaler.status.type === 'deployed');
      // An older version's instances go only once the new one runs in full: no moment without any.
      const leftovers = settled ? this.#cleanUp(app.manifest.name, app.ids, wantedLinkIds) : false;
      this.#publish(app.manifest.name, appStatus(statuses, leftovers ? TAKING_DOWN_OLDER : undefined));
    }
    const gone = new Set([
      ...appsInLattice(state),
      ...this.#linksWanted.keys(),
      ...this.#cleanupGates.keys(),
    ]);
    for (const name of gone) if (!this.#apps.has(name)) this.#cleanUp(name, undefined, wantedLinkIds);
    this.#forgetUnusedGates();
  }

  /** Plans every scaler of `app`, sends what the open gates allow; the scalers' statuses. */
  #runScalers(app: AppScalers, wantedLinkIds: Set<string>): ScalerStatus[] {
    const { state } = this.#options;
    const now = Date.now();
    const wanted = this.#linksWantedBy(app.manifest.name);
    for (const scaler of app.links) {
      for (const link of scaler.desiredLinks(state)) {
        const id = linkDefinitionId(link.actor_id, link.contract_id, link.link_name);
        wantedLinkIds.add(id);
        wanted.set(`${id}\n${link.provider_id}`, link);
      }
    }
    return [...app.workloads, ...app.links].map((scaler) => {
      const gate = this.#gate(this.#gates, scaler.id);
      const plan = scaler.plan({ state, failures: gate.failures });
      this.#send(gate, plan.commands, now);
      return { id: scaler.id, kind: scaler.kind, name: scaler.name, status: plan.status };
    });
  }

  /**
   * Sends what takes down `appName`'s unwanted instances, providers and links (all of them when
   * `currentScalers` is undefined); true while something is left to take down.
   */
  #cleanUp(
    appName: string,
    currentScalers: ReadonlySet<string> | undefined,
    wantedLinkIds: ReadonlySet<string>,
  ): boolean {
    const { state } = this.#options;
    const linksWanted = this.#linksWantedBy(appName);
    const commands = planCleanup({
      appName,
      state,
      currentScalers,
      linksWanted: linksWanted.values(),
      wantedLinkIds,
    });
    // Forget links that are neither wanted any more nor still pointing where this app pointed them.
    for (const [key, link] of linksWanted) {
      const id = linkDefinitionId(link.actor_id, link.contract_id, link.link_name);
      const held = state.link(link.actor_id, link.contract_id, link.link_name);
      if (!wantedLinkIds.has(id) && held?.provider_id !== link.provider_id) linksWanted.delete(key);
    }
    const gate = this.#gate(this.#cleanupGates, appName);
    if (commands.length === 0) {
      if (!gate.busy) {
        this.#cleanupGates.delete(appName);
        if (currentScalers === undefined) this.#linksWanted.delete(appName);
      }
      return false;
    }
    this.#send(gate, commands, Date.now());
    return true;
  }

  /** Sends `commands` if the gate is open; a gate backing off gets a pass when its wait is over. */
  #send(gate: ScalerGate, commands: readonly Command[], now: number): void {
    if (this.#holding) return;
    if (commands.length === 0) {
      if (!gate.busy) gate.reset();
    } else if (gate.canRun(now)) {
      void gate.run(commands, this.#options.runner);
    } else if (!gate.busy) {
      this.#schedulePass(gate.retryAt - now);
    }
  }

  #linksWantedBy(appName: string): Map<string, LinkDefinition> {
    let links = this.#linksWanted.get(appName);
    if (links === undefined) {
      links = new Map();
      this.#linksWanted.set(appName, links);
    }
    return links;
  }

  /** Gates of scalers no deployed application has any more (a busy one settles unheard). */
  #forgetUnusedGates(): void {
    const ids = new Set<string>();
    for (const app of this.#apps.values()) for (const id of app.ids) ids.add(id);
    for (const [id, gate] of this.#gates) if (!ids.has(id) && !gate.busy) this.#gates.delete(id);
  }

  #publish(appName: string, status: AppStatus): void {
    if (!this.#board.set(appName, status)) return;
    const { type, message } = status.status;
    this.#options.log.info(`application ${appName}: ${type}${message === '' ? '' : ` (${message})`}`);
    for (const listener of this.#listeners) {
      try {
        listener(appName, status);
      } catch (error) {
        this.#options.log.warn(`a status listener failed: ${errorMessage(error)}`, errorFields(error));
      }
    }
  }
}

function sameManifest(held: AppScalers, manifest: DeployedApp['manifest']): boolean {
  if (held.manifest === manifest) return true;
  return (
    held.manifest.version === manifest.version &&
    JSON.stringify(held.manifest.components) === JSON.stringify(manifest.components)
  );
}
