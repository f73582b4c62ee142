// What `wash dev` does on the lattice for one project: start the built actor (or provider), put the
// links its [dev] section declares (starting their providers when the host does not run them),
// live-update the actor after each rebuild (`upd`: same key, links kept) or restart the provider,
// and take all of it down again. Only what this session started is stopped.

import type { ControlClient } from '../../../lattice/control-client.ts';
import {
  actorStarted,
  actorStopped,
  providerStarted,
  providerStopped,
} from '../../../lattice/control-outcomes.ts';
import { errorMessage } from '../../../lattice/errors.ts';
import { WashError } from '../../errors.ts';
import type { DevLink, Project } from '../../project/project-file.ts';

const START_WAIT_MS = 30_000;
const STOP_WAIT_MS = 10_000;

interface StartedProvider {
  ref: string;
  publicKey: string;
  linkName: string;
  contract: string;
}

export class DevSession {
  readonly #client: ControlClient;
  readonly #hostId: string;
  readonly #project: Project;
  /** The path the build writes, and so the reference the host loads (file references). */
  readonly #ref: string;
  #publicKey: string | undefined;
  readonly #providers: StartedProvider[] = [];
  readonly #links: Array<{ contract: string; linkName: string }> = [];

  constructor(client: ControlClient, hostId: string, project: Project, ref: string) {
    this.#client = client;
    this.#hostId = hostId;
    this.#project = project;
    this.#ref = ref;
  }

  /** Starts the built artifact; its public key. */
  async start(): Promise<string> {
    if (this.#project.type === 'actor') {
      const outcome = await this.#client.commandWithOutcome(
        () => this.#client.startActor(this.#hostId, this.#ref, 1),
        actorStarted(this.#hostId, this.#ref, undefined),
        START_WAIT_MS,
        'actor_started or actor_start_failed',
      );
      if (!outcome.ok) throw new WashError('WASH_DEV_FAILED', `the actor did not start: ${outcome.error}`);
      this.#publicKey = outcome.publicKey;
      return outcome.publicKey;
    }
    const provider = await this.#startProvider(this.#ref, 'default');
    this.#publicKey = provider.publicKey;
    return provider.publicKey;
  }

  async #startProvider(ref: string, linkName: string): Promise<StartedProvider> {
    const outcome = await this.#client.commandWithOutcome(
      () => this.#client.startProvider(this.#hostId, ref, linkName),
      providerStarted(this.#hostId, ref, undefined, linkName),
      START_WAIT_MS,
      'provider_started or provider_start_failed',
    );
    if (!outcome.ok)
      throw new WashError(
        'WASH_DEV_FAILED',
        `provider ${ref} (link ${linkName}) did not start: ${outcome.error}`,
      );
    return { ref, publicKey: outcome.publicKey, linkName, contract: '' };
  }

  /** The provider's key: the one the host already runs for this reference and link name, else one started now. */
  async #providerFor(link: DevLink): Promise<string> {
    const inventory = await this.#client.getInventory(this.#hostId);
    const running = inventory.providers.find(
      (provider) => provider.image_ref === link.provider && provider.link_name === link.link_name,
    );
    if (running) return running.id;
    const started = await this.#startProvider(link.provider, link.link_name);
    this.#providers.push({ ...started, contract: link.contract });
    return started.publicKey;
  }

  /** Puts the [dev] links of an actor project. */
  async putLinks(): Promise<void> {
    if (this.#project.type !== 'actor' || this.#publicKey === undefined) return;
    for (const link of this.#project.dev.links) {
      const providerId = await this.#providerFor(link);
      await this.#client.putLink({
        actor_id: this.#publicKey,
        provider_id: providerId,
        contract_id: link.contract,
        link_name: link.link_name,
        values: link.values,
      });
      this.#links.push({ contract: link.contract, linkName: link.link_name });
    }
  }

  /** Loads the new build in place of the running one: a live update, or a provider restart. */
  async update(): Promise<void> {
    if (this.#publicKey === undefined) return;
    if (this.#project.type === 'actor') {
      // The host runs the update before it acks: once this returns, new calls run the new code.
      await this.#client.updateActor(this.#hostId, this.#publicKey, this.#ref);
      return;
    }
    await this.#stopProvider(this.#publicKey, this.#ref, 'default', this.#project.provider.capability_id);
    await this.#startProvider(this.#ref, 'default');
  }

  async #stopProvider(publicKey: string, ref: string, linkName: string, contract: string): Promise<void> {
    await this.#client.commandWithOutcome(
      // The 2022 stop names the provider by its key (the reference is kept for the message).
      () => this.#client.stopProvider(this.#hostId, publicKey, linkName, contract),
      providerStopped(this.#hostId, publicKey, linkName),
      STOP_WAIT_MS,
      `provider_stopped of ${ref}`,
    );
  }

  /** Deletes the links put, stops the actor or provider and the providers started; reports what failed. */
  async stop(): Promise<string[]> {
    const problems: string[] = [];
    const attempt = async (what: string, step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (error) {
        problems.push(`${what}: ${errorMessage(error)}`);
      }
    };
    const key = this.#publicKey;
    if (key === undefined) return problems;
    for (const link of this.#links)
      await attempt(`deleting the ${link.contract} link`, () =>
        this.#client.deleteLink(key, link.contract, link.linkName),
      );
    if (this.#project.type === 'actor') {
      await attempt('stopping the actor', () =>
        this.#client.commandWithOutcome(
          () => this.#client.stopActor(this.#hostId, key, 0),
          actorStopped(this.#hostId, key),
          STOP_WAIT_MS,
          'actor_stopped',
        ),
      );
    } else {
      const capability = this.#project.provider.capability_id;
      await attempt('stopping the provider', () => this.#stopProvider(key, this.#ref, 'default', capability));
    }
    for (const provider of this.#providers)
      await attempt(`stopping ${provider.ref}`, () =>
        this.#stopProvider(provider.publicKey, provider.ref, provider.linkName, provider.contract),
      );
    return problems;
  }
}
