// Asks hosts for their load (`get.{host}.load`, lattice/control.ts hostLoadSchema) every
// `intervalMs`, only while some autoscaler wants it and only the hosts it names (those running
// or eligible for an autoscaled actor), and keeps the last rounds for the autoscalers to read.
// One request per host per round, answered from counters the host keeps anyway: nothing per call.
// A host that does not answer (a 2022 host has no such subject, a busy one may be late) is simply
// absent from that round.

import type { HostLoad } from '../../lattice/control.ts';
import type { ControlClient } from '../../lattice/control-client.ts';
import { errorMessage } from '../../lattice/errors.ts';
import type { Logger } from '../../lattice/log.ts';

/** One round: when it was taken, and the answer of each host that answered. */
export interface LoadRound {
  /** A number that grows by one each round: autoscalers take each round once. */
  serial: number;
  at: number;
  hosts: ReadonlyMap<string, HostLoad>;
}

/** Rounds kept: enough for every autoscaler's window. */
const ROUNDS_KEPT = 20;

export interface LoadPollerOptions {
  client: ControlClient;
  log: Logger;
  intervalMs: number;
  /** The hosts to ask this round; none: no round (and no request). */
  hostsToPoll: () => Iterable<string>;
  /** After each round: the autoscalers may decide something new. */
  onRound: () => void;
}

export class LoadPoller {
  readonly #options: LoadPollerOptions;
  readonly #rounds: LoadRound[] = [];
  /** Hosts already logged as not answering, so a 2022 host is said once, not every second. */
  readonly #silent = new Set<string>();
  #serial = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: LoadPollerOptions) {
    this.#options = options;
  }

  /** The rounds kept, oldest first. */
  get rounds(): readonly LoadRound[] {
    return this.#rounds;
  }

  start(): void {
    this.#schedule();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.#round().finally(() => this.#schedule());
    }, this.#options.intervalMs);
  }

  async #round(): Promise<void> {
    const hostIds = [...new Set(this.#options.hostsToPoll())];
    if (hostIds.length === 0) return;
    const at = Date.now();
    const answers = await Promise.all(hostIds.map((hostId) => this.#ask(hostId)));
    if (this.#closed) return;
    const hosts = new Map<string, HostLoad>();
    for (const answer of answers) if (answer !== undefined) hosts.set(answer.host_id, answer);
    this.#rounds.push({ serial: ++this.#serial, at, hosts });
    if (this.#rounds.length > ROUNDS_KEPT) this.#rounds.shift();
    this.#options.onRound();
  }

  async #ask(hostId: string): Promise<HostLoad | undefined> {
    try {
      const load = await this.#options.client.getLoad(hostId);
      this.#silent.delete(hostId);
      return load;
    } catch (error) {
      if (!this.#silent.has(hostId))
        this.#options.log.debug(
          `no load from host ${hostId} (${errorMessage(error)}); autoscalers do without it`,
        );
      this.#silent.add(hostId);
      return undefined;
    }
  }
}
