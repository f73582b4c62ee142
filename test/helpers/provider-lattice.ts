// The set-up the provider tests share: a nats-server and a real host on a lattice of the test's
// own, then what they do through the control interface as wash would: build a provider into its
// signed archive and start it from there, start built actors, put links, and call the provider as
// a linked actor does (a signed invocation on its RPC subject). Requests and events stay raw
// (ctlRequest, EventLog) so the tests see the wire.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { RawSettings } from '../../host/config.ts';
import { builtinProviderKey } from '../../lattice/builtin-providers.ts';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { errorMessage } from '../../lattice/errors.ts';
import { type CloudEvent, eventNameOf } from '../../lattice/events.ts';
import { actorEntity, providerEntity, type WasmCloudEntity } from '../../lattice/invocation.ts';
import { InvocationSigner } from '../../lattice/invocation-signer.ts';
import { KeyPair } from '../../lattice/keys.ts';
import type { LinkDefinition } from '../../lattice/link-definition.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { sendInvocation } from '../../lattice/rpc.ts';
import { type LatticeSubjects, latticeSubjects } from '../../lattice/subjects.ts';
import { buildProviderArchive } from '../../providers/build.ts';
import { tempDir } from '../fixtures/providers/provider-test-kit.ts';
import { builtActor } from './actors.ts';
import { eventually } from './eventually.ts';
import { startTestHost, type TestHost } from './host.ts';
import { ctlRequest, EventLog, invokeActor } from './lattice-client.ts';
import { type NatsServer, startNatsServer } from './nats-server.ts';

/** A host's reply to a command it accepted. */
export const ACK = { accepted: true, error: '' };

/** A link definition on the link name `default`. */
export function defaultLink(
  actorId: string,
  providerId: string,
  contractId: string,
  values: Record<string, string>,
): LinkDefinition {
  return {
    actor_id: actorId,
    provider_id: providerId,
    link_name: 'default',
    contract_id: contractId,
    values,
  };
}

export interface ProviderLatticeOptions {
  /** The lattice prefix. */
  lattice: string;
  /** Names the temporary directory (archives, actor files) that stop() removes. */
  name: string;
  providerHealthIntervalMs?: number;
  /** More settings for the host, by their HostConfig names (e.g. invocationEvents). */
  hostSettings?: RawSettings;
}

/** A provider archive to start: where it is and the key it is signed for. */
export interface ProviderArchive {
  path: string;
  providerKey: string;
}

/** A call to a provider as the linked actor `actorId` makes it. */
export interface ProviderCall {
  actorId: string;
  providerKey: string;
  contractId: string;
  linkName?: string;
  operation: string;
  msg: Uint8Array;
  timeoutMs?: number;
}

export class ProviderLattice {
  readonly prefix: string;
  readonly subjects: LatticeSubjects;
  readonly clusterKey: KeyPair;
  readonly nats: NatsServer;
  readonly nc: NatsConnection;
  /** Every event of the lattice since start. */
  readonly events: EventLog;
  readonly host: TestHost;
  readonly dir: string;

  private constructor(parts: {
    prefix: string;
    clusterKey: KeyPair;
    nats: NatsServer;
    nc: NatsConnection;
    events: EventLog;
    host: TestHost;
    dir: string;
  }) {
    this.prefix = parts.prefix;
    this.subjects = latticeSubjects(parts.prefix);
    this.clusterKey = parts.clusterKey;
    this.nats = parts.nats;
    this.nc = parts.nc;
    this.events = parts.events;
    this.host = parts.host;
    this.dir = parts.dir;
  }

  static async start(options: ProviderLatticeOptions): Promise<ProviderLattice> {
    const clusterKey = KeyPair.create('cluster');
    const nats = await startNatsServer();
    let nc: NatsConnection | undefined;
    try {
      nc = await connectNats({ url: nats.url });
      const events = new EventLog(nc, options.lattice);
      const host = await startTestHost({
        natsUrl: nats.url,
        settings: { ...options.hostSettings, latticePrefix: options.lattice, clusterSeed: clusterKey.seed },
        providerHealthIntervalMs: options.providerHealthIntervalMs,
      });
      const dir = tempDir(options.name);
      return new ProviderLattice({ prefix: options.lattice, clusterKey, nats, nc, events, host, dir });
    } catch (error) {
      // afterAll only stops what start returned: leave no nats-server behind.
      await nc?.close();
      await nats.stop();
      throw error;
    }
  }

  /** Builds providers/{folder} as `npm run build` does, but with new keys, into this lattice's dir. */
  buildProvider(folder: string): Promise<ProviderArchive> {
    return buildProviderArchive(folder, {
      issuer: KeyPair.create('account'),
      subject: KeyPair.create('service'),
      out: join(this.dir, `${folder}.par.gz`),
    });
  }

  /** Starts the built actor `name` (actors/build) from a file; its public key once actor_started. */
  startActor(name: string, timeoutMs = 30_000): Promise<string> {
    return this.startSignedActor(builtActor(name), name, timeoutMs);
  }

  /**
   * Starts a signed module or component (e.g. re-signed with other claims) from a file named `name`,
   * on this lattice's host or on another host of the lattice (`hostId`).
   */
  async startSignedActor(
    bytes: Uint8Array,
    name: string,
    timeoutMs = 30_000,
    hostId = this.host.id,
  ): Promise<string> {
    const path = join(this.dir, `${name}.wasm`);
    writeFileSync(path, bytes);
    const actorId = verifySignedWasm(bytes).claims.sub;
    await this.#startAndWait(
      this.subjects.ctl.launchActor(hostId),
      { actor_ref: path },
      (event) =>
        eventNameOf(event) === 'actor_started' &&
        event.data.public_key === actorId &&
        event.source === hostId,
      (event) => eventNameOf(event) === 'actor_start_failed' && event.data.actor_ref === path,
      `actor ${name}`,
      timeoutMs,
    );
    return actorId;
  }

  /** Starts a provider from its archive; its provider_started event (a failed start throws why). */
  startProvider(archive: ProviderArchive, linkName = 'default', timeoutMs = 30_000): Promise<CloudEvent> {
    return this.#startAndWait(
      this.subjects.ctl.launchProvider(this.host.id),
      { provider_ref: archive.path, link_name: linkName },
      (event) =>
        eventNameOf(event) === 'provider_started' &&
        event.data.public_key === archive.providerKey &&
        event.data.link_name === linkName,
      (event) =>
        eventNameOf(event) === 'provider_start_failed' &&
        event.data.provider_ref === archive.path &&
        event.data.link_name === linkName,
      `provider ${archive.path} (link name ${linkName})`,
      timeoutMs,
    );
  }

  /** Starts the built-in provider `name` (wasmcloud+builtin://{name}) on a host; its key once started there. */
  async startBuiltin(hostId: string, name: string): Promise<string> {
    const ref = `wasmcloud+builtin://${name}`;
    const key = builtinProviderKey(this.clusterKey.seed, name).publicKey;
    expect(
      await ctlRequest(this.nc, this.subjects.ctl.launchProvider(hostId), {
        provider_ref: ref,
        link_name: 'default',
      }),
    ).toEqual(ACK);
    await eventually(
      () =>
        this.events
          .named('provider_started')
          .some(
            (event) =>
              event.source === hostId &&
              (event.data as Record<string, unknown>).public_key === key &&
              (event.data as Record<string, unknown>).image_ref === ref,
          ),
      `provider_started of ${ref} on ${hostId}`,
    );
    return key;
  }

  /** Sends a start command and waits for the event that tells how it went (only later ones count). */
  async #startAndWait(
    subject: string,
    command: Record<string, unknown>,
    started: (event: CloudEvent<Record<string, unknown>>) => boolean,
    failed: (event: CloudEvent<Record<string, unknown>>) => boolean,
    what: string,
    timeoutMs: number,
  ): Promise<CloudEvent> {
    const from = this.events.events.length;
    expect(await ctlRequest(this.nc, subject, command)).toEqual(ACK);
    const since = () => this.events.events.slice(from) as CloudEvent<Record<string, unknown>>[];
    const outcome = await eventually(
      () => since().find((event) => started(event) || failed(event)),
      `${what} to start or fail`,
      timeoutMs,
    );
    if (failed(outcome)) throw new Error(`${what} failed to start: ${String(outcome.data.error)}`);
    return outcome;
  }

  async putLink(link: LinkDefinition): Promise<void> {
    expect(await ctlRequest(this.nc, this.subjects.ctl.linkPut(), link)).toEqual(ACK);
  }

  /** Calls a provider as the linked actor would (a signed invocation); the raw reply. */
  callProvider(call: ProviderCall): Promise<Uint8Array> {
    const linkName = call.linkName ?? 'default';
    const invocation = new InvocationSigner(this.clusterKey, this.host.id).sign({
      origin: actorEntity(call.actorId),
      target: providerEntity(call.providerKey, call.contractId, linkName),
      operation: call.operation,
      msg: call.msg,
    });
    return sendInvocation(this.nc, this.subjects.rpc.provider(call.providerKey, linkName), invocation, {
      timeoutMs: call.timeoutMs ?? 5_000,
    });
  }

  /** Calls an actor as a provider would (by default an httpserver; see invokeActor). */
  invokeActor(
    actorId: string,
    operation: string,
    payload: Uint8Array,
    origin?: WasmCloudEntity,
  ): Promise<Uint8Array> {
    return invokeActor(this.nc, this.prefix, this.clusterKey, actorId, operation, payload, origin);
  }

  /** The provider's log lines (the host logs them as `[V…]: …`) matching `pattern`. */
  providerLog(providerKey: string, pattern = /./): string[] {
    return this.host.logs.filter((line) => line.includes(`[${providerKey}]`) && pattern.test(line));
  }

  /**
   * Waits until provider `providerKey` takes a call over a link (`call` stops failing): its link
   * arrived and was accepted. On timeout the error carries the provider's log (start-up, refusals).
   */
  async waitForLink(providerKey: string, what: string, call: () => Promise<unknown>): Promise<void> {
    const accepted = () =>
      call().then(
        () => true,
        () => false,
      );
    await eventually(accepted, what, 20_000).catch((error: unknown) => {
      throw new Error(`${errorMessage(error)}; provider log:\n${this.providerLog(providerKey).join('\n')}`);
    });
  }

  async stop(): Promise<void> {
    await this.host.host.stop();
    await this.nc.close();
    await this.nats.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
