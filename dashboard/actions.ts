// What the dashboard's buttons do, through the control interface as wash does: pick a host (the one
// given, or the first bidder of an auction), send the command, then wait for the event that tells
// how it went, so the page can show the real outcome ("started on host …" or the host's reason)
// rather than just "accepted". References are passed to hosts unchanged (paths, OCI references);
// uploads become the path of the stored file.

import type { ControlClient } from '../lattice/control-client.ts';
import {
  actorStarted,
  actorStartFailed,
  actorStopped,
  type ControlOutcome,
  providerStarted,
  providerStopped,
} from '../lattice/control-outcomes.ts';
import { linkDefinitionId, type StoredLinkDefinition, withLinkId } from '../lattice/link-definition.ts';
import type { Logger } from '../lattice/log.ts';
import { DashboardApiError } from './api-errors.ts';
import type {
  DeleteLinkBody,
  PutLinkBody,
  ScaleActorBody,
  StartActorBody,
  StartProviderBody,
  StopActorBody,
  StopProviderBody,
} from './api-schemas.ts';
import type { LatticeView } from './lattice-view.ts';
import type { LatticeDataReader } from './snapshot.ts';
import type { UploadStore } from './uploads.ts';

export interface ActionTimeouts {
  /** How long an auction gathers bids; default 1 s. */
  auctionMs: number;
  /** Waits for actor_started (wash waits 5 s; compiling a large component can take longer). */
  actorStartMs: number;
  /** Waits for provider_started, as wash does. */
  providerStartMs: number;
  /** Waits for actor_stopped / provider_stopped, and for a scale to show in the inventory. */
  settleMs: number;
}

export const DEFAULT_ACTION_TIMEOUTS: ActionTimeouts = {
  auctionMs: 1_000,
  actorStartMs: 15_000,
  providerStartMs: 60_000,
  settleMs: 10_000,
};

/** Every action answers with a sentence for the page, plus what it acted on. */
export interface ActionResult {
  message: string;
  [field: string]: unknown;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function constraintsText(constraints: Record<string, string>): string {
  const pairs = Object.entries(constraints).map(([key, value]) => `${key}=${value}`);
  return pairs.length > 0 ? ` with labels ${pairs.join(', ')}` : '';
}

function failed(outcome: ControlOutcome, what: string): asserts outcome is ControlOutcome & { ok: true } {
  if (!outcome.ok) throw new DashboardApiError(422, 'ACTION_FAILED', `${what} failed: ${outcome.error}`);
}

export class DashboardActions {
  readonly #client: ControlClient;
  readonly #view: LatticeView;
  readonly #uploads: UploadStore;
  readonly #data: LatticeDataReader;
  readonly #log: Logger;
  readonly #timeouts: ActionTimeouts;

  constructor(parts: {
    client: ControlClient;
    view: LatticeView;
    uploads: UploadStore;
    data: LatticeDataReader;
    log: Logger;
    timeouts?: Partial<ActionTimeouts> | undefined;
  }) {
    this.#client = parts.client;
    this.#view = parts.view;
    this.#uploads = parts.uploads;
    this.#data = parts.data;
    this.#log = parts.log;
    this.#timeouts = { ...DEFAULT_ACTION_TIMEOUTS, ...parts.timeouts };
  }

  /** "bold-wind-1234 (NABC…)" for a host the view knows, else its key. */
  #hostName(hostId: string): string {
    const name = this.#view.host(hostId)?.friendlyName;
    return name ? `${name} (${hostId.slice(0, 8)}…)` : hostId;
  }

  /** Logs the outcome and, once `hostId`'s inventory has been re-read, answers with it. */
  async #done(result: ActionResult, hostId?: string): Promise<ActionResult> {
    this.#log.info(`dashboard: ${result.message}`);
    if (hostId !== undefined) await this.#view.refreshHost(hostId);
    return result;
  }

  /** Waits (briefly) until this host's copy of the lattice data agrees, so the page's next state does. */
  async #linkSettled(present: (links: ReturnType<LatticeDataReader['links']>) => boolean): Promise<void> {
    const deadline = Date.now() + 2_000;
    while (!present(this.#data.links()) && Date.now() < deadline) await sleep(20);
  }

  /** The name an actor or provider goes by in the view ("echo (MBCF…)"), or its key. */
  #artifactName(publicKey: string): string {
    for (const host of this.#view.hosts()) {
      const entry =
        host.inventory?.actors.find((actor) => actor.id === publicKey) ??
        host.inventory?.providers.find((provider) => provider.id === publicKey);
      if (entry?.name) return DashboardActions.#named(entry.name, publicKey);
    }
    return DashboardActions.#named(this.#view.claimsFromEvents(publicKey)?.name, publicKey);
  }

  /** "echo (MBCF…)" */
  static #named(name: string | undefined, publicKey: string): string {
    return name && name !== publicKey ? `${name} (${publicKey.slice(0, 8)}…)` : publicKey;
  }

  async #auction(
    given: string | undefined,
    what: string,
    bid: () => Promise<Array<{ host_id: string }>>,
    constraints: Record<string, string>,
    hint = '',
  ): Promise<string> {
    if (given !== undefined) return given;
    const bids = await bid();
    const first = bids[0];
    if (first === undefined) {
      throw new DashboardApiError(
        409,
        'NO_HOST',
        `no host bid to run ${what}${constraintsText(constraints)} within ${this.#timeouts.auctionMs} ms${hint}`,
      );
    }
    return first.host_id;
  }

  async startActor(request: StartActorBody): Promise<ActionResult> {
    const upload =
      request.upload_id === undefined ? undefined : this.#uploads.get(request.upload_id, 'actor');
    const ref = upload?.path ?? request.actor_ref ?? '';
    const what = upload ? `actor ${upload.name} (uploaded ${upload.file_name})` : `actor ${ref}`;
    const hostId = await this.#auction(
      request.host_id,
      what,
      () => this.#client.auctionActor(ref, request.constraints, this.#timeouts.auctionMs),
      request.constraints,
    );
    const outcome = await this.#client.commandWithOutcome(
      () => this.#client.startActor(hostId, ref, request.count),
      actorStarted(hostId, ref, upload?.public_key),
      this.#timeouts.actorStartMs,
      'actor_started or actor_start_failed',
    );
    failed(outcome, `starting ${what} on host ${this.#hostName(hostId)}`);
    const count = request.count === 1 ? '' : ` ×${request.count}`;
    const actor = DashboardActions.#named(outcome.name ?? upload?.name, outcome.publicKey);
    return this.#done(
      {
        message: `started actor ${actor}${count} on host ${this.#hostName(hostId)}`,
        host_id: hostId,
        actor_id: outcome.publicKey,
        actor_ref: upload ? null : ref,
        count: request.count,
      },
      hostId,
    );
  }

  /** Scales, then waits until the host's inventory shows the new count (or the host says why not). */
  async scaleActor(request: ScaleActorBody): Promise<ActionResult> {
    const { host_id: hostId, actor_id: actorId, count } = request;
    const running = this.#view.host(hostId)?.inventory?.actors.find((actor) => actor.id === actorId);
    const ref = request.actor_ref ?? running?.image_ref ?? actorId;
    const name = running?.name || actorId;
    const stream = await this.#client.subscribeEvents();
    let failure: string | undefined;
    stream.onEvent((event) => {
      const outcome = actorStartFailed(hostId, ref)(event);
      if (outcome && !outcome.ok) failure = outcome.error;
    });
    try {
      await this.#client.scaleActor(hostId, actorId, ref, count);
      const deadline = Date.now() + this.#timeouts.settleMs;
      let now = -1;
      while (Date.now() < deadline) {
        if (failure !== undefined) {
          throw new DashboardApiError(422, 'ACTION_FAILED', `scaling actor ${name} failed: ${failure}`);
        }
        const inventory = await this.#client.getInventory(hostId);
        now = inventory.actors.find((actor) => actor.id === actorId)?.instances.length ?? 0;
        if (now === count) {
          return this.#done(
            {
              message: `scaled actor ${name} to ${count} on host ${this.#hostName(hostId)}`,
              host_id: hostId,
              actor_id: actorId,
              count,
            },
            hostId,
          );
        }
        await sleep(150);
      }
      throw new DashboardApiError(
        504,
        'OUTCOME_TIMEOUT',
        `host ${this.#hostName(hostId)} accepted scaling actor ${name} to ${count}, but it runs ${now} after ${this.#timeouts.settleMs} ms`,
      );
    } finally {
      stream.close();
    }
  }

  async stopActor(request: StopActorBody): Promise<ActionResult> {
    const { host_id: hostId, actor_id: actorId, count } = request;
    const name =
      this.#view.host(hostId)?.inventory?.actors.find((actor) => actor.id === actorId)?.name || actorId;
    const outcome = await this.#client.commandWithOutcome(
      () => this.#client.stopActor(hostId, actorId, count),
      actorStopped(hostId, actorId),
      this.#timeouts.settleMs,
      'actor_stopped',
    );
    failed(outcome, `stopping actor ${name}`);
    const how = count === 0 ? 'every instance of' : `${count} instance${count === 1 ? '' : 's'} of`;
    return this.#done(
      {
        message: `stopped ${how} actor ${name} on host ${this.#hostName(hostId)}`,
        host_id: hostId,
        actor_id: actorId,
      },
      hostId,
    );
  }

  async startProvider(request: StartProviderBody): Promise<ActionResult> {
    const upload =
      request.upload_id === undefined ? undefined : this.#uploads.get(request.upload_id, 'provider');
    const ref = upload?.path ?? request.provider_ref ?? '';
    const linkName = request.link_name;
    const what = upload
      ? `provider ${upload.name} (uploaded ${upload.file_name}) with link name ${linkName}`
      : `provider ${ref} with link name ${linkName}`;
    const hostId = await this.#auction(
      request.host_id,
      what,
      () => this.#client.auctionProvider(ref, linkName, request.constraints, this.#timeouts.auctionMs),
      request.constraints,
      ' (a host that already runs it under this link name does not bid)',
    );
    const outcome = await this.#client.commandWithOutcome(
      () => this.#client.startProvider(hostId, ref, linkName, request.configuration),
      providerStarted(hostId, ref, upload?.public_key, linkName),
      this.#timeouts.providerStartMs,
      'provider_started or provider_start_failed',
    );
    failed(outcome, `starting ${what} on host ${this.#hostName(hostId)}`);
    const provider = DashboardActions.#named(outcome.name ?? upload?.name, outcome.publicKey);
    return this.#done(
      {
        message: `started provider ${provider} with link name ${linkName} on host ${this.#hostName(hostId)}`,
        host_id: hostId,
        provider_id: outcome.publicKey,
        link_name: linkName,
        provider_ref: upload ? null : ref,
      },
      hostId,
    );
  }

  async stopProvider(request: StopProviderBody): Promise<ActionResult> {
    const {
      host_id: hostId,
      provider_id: providerId,
      link_name: linkName,
      contract_id: contractId,
    } = request;
    const name =
      this.#view
        .host(hostId)
        ?.inventory?.providers.find(
          (provider) => provider.id === providerId && provider.link_name === linkName,
        )?.name || providerId;
    const outcome = await this.#client.commandWithOutcome(
      () => this.#client.stopProvider(hostId, providerId, linkName, contractId),
      providerStopped(hostId, providerId, linkName),
      this.#timeouts.settleMs,
      'provider_stopped',
    );
    failed(outcome, `stopping provider ${name}`);
    return this.#done(
      {
        message: `stopped provider ${name} (link name ${linkName}) on host ${this.#hostName(hostId)}`,
        host_id: hostId,
        provider_id: providerId,
        link_name: linkName,
      },
      hostId,
    );
  }

  async putLink(request: PutLinkBody): Promise<ActionResult> {
    await this.#client.putLink(request);
    const link: StoredLinkDefinition = withLinkId(request);
    await this.#linkSettled((links) => links.some((stored) => stored.id === link.id));
    return this.#done({
      message: `defined link ${link.link_name} on ${link.contract_id} from actor ${this.#artifactName(link.actor_id)} to provider ${this.#artifactName(link.provider_id)}`,
      link,
    });
  }

  async deleteLink(request: DeleteLinkBody): Promise<ActionResult> {
    await this.#client.deleteLink(request.actor_id, request.contract_id, request.link_name);
    const id = linkDefinitionId(request.actor_id, request.contract_id, request.link_name);
    await this.#linkSettled((links) => !links.some((stored) => stored.id === id));
    return this.#done({
      message: `deleted link ${request.link_name} on ${request.contract_id} of actor ${this.#artifactName(request.actor_id)}`,
      actor_id: request.actor_id,
      contract_id: request.contract_id,
      link_name: request.link_name,
    });
  }
}
