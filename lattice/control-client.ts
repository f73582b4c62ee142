// A client of the 2022 control interface (protocol.md §1.3–§1.4) and of lattice events (§2):
// what wash ctl and the dashboard use to drive hosts. Directed calls are NATS requests with a
// timeout; `ping.hosts` and the auctions publish with a private inbox and gather every reply until
// their timeout (scatter/gather). Every reply is validated; a nack becomes a ControlRejectedError
// carrying the host's own message. No printing here: callers decide how to show things.

import type { z } from 'zod';
import { ChunkStore } from './chunking.ts';
import {
  type ActorAuctionReply,
  type ActorDescription,
  actorAuctionReplySchema,
  type ClaimsList,
  type CtlAck,
  claimsListSchema,
  ctlAckSchema,
  type HostInventory,
  type HostLoad,
  type HostMetricsReply,
  type HostPingReply,
  type HostPingRequest,
  hostInventorySchema,
  hostLoadSchema,
  hostMetricsSchema,
  hostPingReplySchema,
  linksListSchema,
  type ProviderAuctionReply,
  providerAuctionReplySchema,
  type RegistriesPutRequest,
} from './control.ts';
import { ACCEPT_CHUNKED_REPLY_HEADER, chunkedReplySchema } from './control-chunking.ts';
import { errorMessage, LatticeError, type LatticeErrorCode } from './errors.ts';
import { type CloudEvent, parseCloudEvent } from './events.ts';
import { encodeJsonMessage, parseJsonMessage } from './json-message.ts';
import { DEFAULT_LINK_NAME, type LinkDefinition } from './link-definition.ts';
import {
  createInbox,
  ErrorCode,
  headers,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from './nats.ts';
import { type LatticeSubjects, latticeSubjects } from './subjects.ts';

/** Nobody answered a control request: no subscriber, or no reply in time. */
export class ControlNoReplyError extends LatticeError<LatticeErrorCode> {}

/**
 * A host answered `{"accepted": false}`; `hostMessage` is its reason, `hostCode` the code our hosts
 * add to a refusal (undefined from a 2022 host).
 */
export class ControlRejectedError extends LatticeError<LatticeErrorCode> {
  readonly hostMessage: string;
  readonly hostCode: string | undefined;
  constructor(message: string, hostMessage: string, hostCode?: string) {
    super('CTL_REJECTED', message);
    this.hostMessage = hostMessage;
    this.hostCode = hostCode;
  }
}

/** A reply that is not what the protocol says it must be. */
export class ControlReplyError extends LatticeError<LatticeErrorCode> {}

/** No matching lattice event arrived in time. */
export class EventTimeoutError extends LatticeError<LatticeErrorCode> {}

export const DEFAULT_CTL_TIMEOUT_MS = 2000;
export const DEFAULT_AUCTION_TIMEOUT_MS = 2000;
export const DEFAULT_LATTICE_PREFIX = 'default';

/** Events kept for a late `waitFor`; older ones are dropped. */
const MAX_BUFFERED_EVENTS = 1000;

export interface ControlClientOptions {
  /** The lattice to talk to; default `default`. */
  latticePrefix?: string | undefined;
  /** How long a directed request waits for its reply, and `getHosts` gathers; default 2000 ms. */
  timeoutMs?: number | undefined;
  /** Told about each reply or event that fails validation and is skipped (a log line, say). */
  onInvalidMessage?: ((subject: string, error: string) => void) | undefined;
}

export interface GetHostsOptions {
  /** `false`: ask hosts not to publish the heartbeat that follows a ping (default: they do). */
  heartbeat?: boolean | undefined;
  /**
   * Stop gathering once no new reply has come for this long, or for twice as long as the first
   * reply took if that is longer (`timeoutMs` still bounds the wait): hosts answer a ping at once,
   * so a person need not wait out the timeout, and a lattice whose hosts answer slowly (far away, or
   * busy) is given time in proportion. Default: gather for the whole timeout, as 2022's wash did.
   */
  settleMs?: number | undefined;
}

/** A link to put; `link_name` defaults to `default` and `values` to `{}`. */
export interface LinkToPut {
  actor_id: string;
  provider_id: string;
  contract_id: string;
  link_name?: string | undefined;
  values?: Record<string, string> | undefined;
}

/**
 * What `waitFor` looks for: return a value (anything but `undefined`) for the event that settles
 * the wait, `undefined` to keep waiting.
 */
export type EventMatcher<T> = (event: CloudEvent) => T | undefined;

interface Waiter {
  match: EventMatcher<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * A subscription to `wasmbus.evt.{lattice}`. Events are buffered from the moment it is open, so a
 * command's outcome cannot be missed when the stream is opened before the command is sent.
 */
export class LatticeEventStream {
  readonly subject: string;
  readonly #subscription: Subscription;
  readonly #buffer: CloudEvent[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #listeners = new Set<(event: CloudEvent) => void>();
  #closed = false;

  constructor(nc: NatsConnection, subject: string, onInvalid?: (subject: string, error: string) => void) {
    this.subject = subject;
    this.#subscription = nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) {
          return this.#fail(
            new EventTimeoutError(
              'EVENT_SUBSCRIPTION_CLOSED',
              `event subscription on ${subject} failed: ${error.message}`,
              { cause: error },
            ),
          );
        }
        const parsed = parseCloudEvent(msg.data);
        if (!parsed.ok) return onInvalid?.(subject, parsed.error);
        this.#deliver(parsed.value);
      },
    });
    // The iterator ends when the connection closes; nobody would be woken otherwise.
    void this.#subscription.closed.then(() =>
      this.#fail(
        new EventTimeoutError('EVENT_SUBSCRIPTION_CLOSED', `event subscription on ${subject} closed`),
      ),
    );
  }

  #deliver(event: CloudEvent): void {
    for (const listener of this.#listeners) listener(event);
    for (const waiter of this.#waiters) {
      const value = waiter.match(event);
      if (value !== undefined) {
        this.#settle(waiter);
        waiter.resolve(value);
        return;
      }
    }
    this.#buffer.push(event);
    if (this.#buffer.length > MAX_BUFFERED_EVENTS) this.#buffer.shift();
  }

  #settle(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    this.#waiters.delete(waiter);
  }

  #fail(error: Error): void {
    for (const waiter of this.#waiters) {
      this.#settle(waiter);
      waiter.reject(error);
    }
  }

  /** Calls `listener` with every event from now on, until the stream is closed. */
  onEvent(listener: (event: CloudEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * The value `match` gives for the first event it accepts, among the events received since the
   * stream opened and not yet taken by an earlier wait, then among new ones. Rejects with an
   * EventTimeoutError naming `description` (e.g. "actor_started or actor_start_failed").
   */
  waitFor<T>(match: EventMatcher<T>, timeoutMs: number, description = 'matching'): Promise<T> {
    if (this.#closed) {
      return Promise.reject(
        new EventTimeoutError('EVENT_SUBSCRIPTION_CLOSED', `event subscription on ${this.subject} is closed`),
      );
    }
    for (const [index, event] of this.#buffer.entries()) {
      const value = match(event);
      if (value !== undefined) {
        this.#buffer.splice(index, 1);
        return Promise.resolve(value);
      }
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer: setTimeout(() => {
          this.#settle(waiter);
          reject(
            new EventTimeoutError(
              'EVENT_TIMEOUT',
              `no ${description} event within ${timeoutMs} ms on ${this.subject}`,
            ),
          );
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscription.unsubscribe();
    this.#fail(
      new EventTimeoutError('EVENT_SUBSCRIPTION_CLOSED', `event subscription on ${this.subject} was closed`),
    );
    this.#listeners.clear();
    this.#buffer.length = 0;
  }
}

/** OTP 0.57 lists an actor once per running instance, each with the full instance list: keep one. */
function dedupeActors(actors: ActorDescription[]): ActorDescription[] {
  const byId = new Map<string, ActorDescription>();
  for (const actor of actors) if (!byId.has(actor.id)) byId.set(actor.id, actor);
  return [...byId.values()];
}

function noReason(text: string): string {
  return text === '' ? 'no reason given' : text;
}

export class ControlClient {
  readonly latticePrefix: string;
  readonly timeoutMs: number;
  readonly subjects: LatticeSubjects;
  readonly #nc: NatsConnection;
  readonly #onInvalid: ((subject: string, error: string) => void) | undefined;
  /** Where chunked replies are read, by JetStream domain ('' for none); opened on first use. */
  readonly #chunkStores = new Map<string, ChunkStore>();

  constructor(nc: NatsConnection, options: ControlClientOptions = {}) {
    this.#nc = nc;
    this.latticePrefix = options.latticePrefix ?? DEFAULT_LATTICE_PREFIX;
    this.subjects = latticeSubjects(this.latticePrefix);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CTL_TIMEOUT_MS;
    this.#onInvalid = options.onInvalidMessage;
  }

  // ---- transport ----

  #noReply(error: unknown, subject: string, hostId: string | undefined): Error {
    const code = (error as { code?: unknown }).code;
    const lattice = `lattice "${this.latticePrefix}"`;
    if (code === ErrorCode.NoResponders) {
      return new ControlNoReplyError(
        'CTL_NO_RESPONDERS',
        hostId
          ? `no host ${hostId} in ${lattice}: nobody is listening on ${subject}`
          : `no host is running in ${lattice}: nobody is listening on ${subject}`,
      );
    }
    if (code === ErrorCode.Timeout) {
      return new ControlNoReplyError(
        'CTL_TIMEOUT',
        hostId
          ? `no reply from host ${hostId} within ${this.timeoutMs} ms on ${subject}`
          : `no reply within ${this.timeoutMs} ms on ${subject}`,
      );
    }
    return new ControlNoReplyError(
      'CTL_REQUEST_FAILED',
      `request on ${subject} failed: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }

  async #request(
    subject: string,
    body: unknown,
    hostId: string | undefined,
    requestHeaders?: MsgHdrs,
  ): Promise<Msg> {
    const data = body === undefined ? new Uint8Array(0) : encodeJsonMessage(body);
    try {
      return await this.#nc.request(subject, data, {
        timeout: this.timeoutMs,
        ...(requestHeaders ? { headers: requestHeaders } : {}),
      });
    } catch (error) {
      throw this.#noReply(error, subject, hostId);
    }
  }

  /** The header that tells our hosts this client follows `chunked_reply` (control-chunking.ts). */
  #acceptChunked(): MsgHdrs {
    const requestHeaders = headers();
    requestHeaders.set(ACCEPT_CHUNKED_REPLY_HEADER, '1');
    return requestHeaders;
  }

  /**
   * The reply's bytes: its own, or, when it is a `chunked_reply` (larger than max_payload), the
   * object it names, read from the lattice's object store and deleted there.
   */
  async #replyBytes(subject: string, data: Uint8Array): Promise<Uint8Array> {
    // A chunked reply is a short refusal; anything larger is an answer, not worth parsing twice.
    if (data.length > 4096) return data;
    const chunked = parseJsonMessage(chunkedReplySchema, data);
    if (!chunked.ok) return data;
    const { object, bytes, js_domain } = chunked.value.chunked_reply;
    const domain = js_domain ?? '';
    let store = this.#chunkStores.get(domain);
    if (store === undefined) {
      store = new ChunkStore(this.#nc, this.subjects, js_domain);
      this.#chunkStores.set(domain, store);
    }
    try {
      return await store.takeObject(object, bytes);
    } catch (error) {
      throw new ControlReplyError(
        'CTL_CHUNKED_REPLY_UNREADABLE',
        `reply on ${subject}: its ${bytes} bytes could not be read from object ${object} of the object store: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }

  /** A nack from whoever answered, or undefined when the bytes are not one. */
  #nackOf(reply: Msg): CtlAck | undefined {
    const ack = parseJsonMessage(ctlAckSchema, reply.data);
    return ack.ok && !ack.value.accepted ? ack.value : undefined;
  }

  /** Sends a command and checks its ack; `what` names the request in a rejection message. */
  async #command(subject: string, body: unknown, hostId: string | undefined, what: string): Promise<void> {
    const reply = await this.#request(subject, body, hostId);
    const ack = parseJsonMessage(ctlAckSchema, reply.data);
    if (!ack.ok) throw new ControlReplyError('CTL_BAD_REPLY', `reply on ${subject}: ${ack.error}`);
    if (!ack.value.accepted) {
      const who = hostId ? `host ${hostId}` : 'the lattice';
      throw new ControlRejectedError(
        `${who} rejected the ${what}: ${noReason(ack.value.error)}`,
        ack.value.error,
        ack.value.code,
      );
    }
  }

  /** Sends a query and validates the reply; a nack in place of the answer is a rejection. */
  async #query<S extends z.ZodType>(
    subject: string,
    schema: S,
    hostId: string | undefined,
    what: string,
  ): Promise<z.output<S>> {
    const reply = await this.#request(subject, undefined, hostId, this.#acceptChunked());
    const parsed = parseJsonMessage(schema, await this.#replyBytes(subject, reply.data));
    if (parsed.ok) return parsed.value;
    const nack = this.#nackOf(reply);
    if (nack !== undefined) {
      const who = hostId ? `host ${hostId}` : 'the lattice';
      throw new ControlRejectedError(
        `${who} refused the ${what}: ${noReason(nack.error)}`,
        nack.error,
        nack.code,
      );
    }
    throw new ControlReplyError('CTL_BAD_REPLY', `reply on ${subject}: ${parsed.error}`);
  }

  /** Publishes with a private inbox and keeps every valid reply that arrives within `timeoutMs`. */
  async #gather<S extends z.ZodType>(
    subject: string,
    body: unknown,
    schema: S,
    timeoutMs: number,
    settleMs?: number,
  ) {
    const inbox = createInbox();
    const subscription = this.#nc.subscribe(inbox);
    const timer = setTimeout(() => subscription.unsubscribe(), timeoutMs);
    let settled: NodeJS.Timeout | undefined;
    const replies: Array<Promise<z.output<S> | undefined>> = [];
    const publishedAt = performance.now();
    try {
      this.#nc.publish(subject, body === undefined ? new Uint8Array(0) : encodeJsonMessage(body), {
        reply: inbox,
        headers: this.#acceptChunked(),
      });
      for await (const msg of subscription) {
        // The server's "no responders" status (headers, no body) is not a reply from anyone.
        if (msg.data.length === 0 && msg.headers !== undefined) continue;
        if (settleMs !== undefined) {
          if (replies.length === 0) settleMs = Math.max(settleMs, 2 * (performance.now() - publishedAt));
          clearTimeout(settled);
          settled = setTimeout(() => subscription.unsubscribe(), settleMs);
        }
        replies.push(
          this.#replyBytes(subject, msg.data).then(
            (bytes) => {
              const parsed = parseJsonMessage(schema, bytes);
              if (parsed.ok) return parsed.value;
              this.#onInvalid?.(subject, parsed.error);
              return undefined;
            },
            (error: unknown) => {
              this.#onInvalid?.(subject, errorMessage(error));
              return undefined;
            },
          ),
        );
      }
    } finally {
      clearTimeout(timer);
      clearTimeout(settled);
      subscription.unsubscribe();
    }
    const valid: z.output<S>[] = [];
    for (const reply of await Promise.all(replies)) if (reply !== undefined) valid.push(reply);
    return valid;
  }

  // ---- queries ----

  /**
   * Every host that answers `ping.hosts` within `timeoutMs` (default: the client's timeout). Each
   * host heartbeats after a ping; `{ heartbeat: false }` asks ours not to (the body
   * `{"heartbeat":false}`), for callers that ping often. The default sends the 2022 empty body.
   */
  async getHosts(timeoutMs = this.timeoutMs, options: GetHostsOptions = {}): Promise<HostPingReply[]> {
    const body: HostPingRequest | undefined = options.heartbeat === false ? { heartbeat: false } : undefined;
    return this.#gather(this.subjects.ctl.ping(), body, hostPingReplySchema, timeoutMs, options.settleMs);
  }

  /** One host's inventory, with OTP 0.57's repeated actor entries merged. */
  async getInventory(hostId: string): Promise<HostInventory> {
    const subject = this.subjects.ctl.hostInventory(hostId);
    const inventory = await this.#query(subject, hostInventorySchema, hostId, 'inventory request');
    return { ...inventory, actors: dedupeActors(inventory.actors) };
  }

  /**
   * One host's calls in flight and queued per actor (`get.{host}.load`, a wasmcloud-ts addition:
   * a 2022 host does not answer, so this rejects with CTL_NO_RESPONDERS).
   */
  async getLoad(hostId: string): Promise<HostLoad> {
    return this.#query(this.subjects.ctl.hostLoad(hostId), hostLoadSchema, hostId, 'load query');
  }

  /**
   * One host's call counters per actor and provider (`get.{host}.metrics`, a wasmcloud-ts
   * addition: a 2022 host does not answer, so this rejects with CTL_NO_RESPONDERS).
   */
  async getMetrics(hostId: string): Promise<HostMetricsReply> {
    return this.#query(this.subjects.ctl.hostMetrics(hostId), hostMetricsSchema, hostId, 'metrics query');
  }

  /** The claims of every actor and provider the lattice has seen (string-to-string maps). */
  async getClaims(): Promise<ClaimsList['claims']> {
    const list = await this.#query(
      this.subjects.ctl.getClaims(),
      claimsListSchema,
      undefined,
      'claims query',
    );
    return list.claims;
  }

  async getLinks(): Promise<LinkDefinition[]> {
    const list = await this.#query(this.subjects.ctl.getLinks(), linksListSchema, undefined, 'links query');
    return list.links;
  }

  // ---- links ----

  async putLink(link: LinkToPut): Promise<void> {
    const body = {
      actor_id: link.actor_id,
      provider_id: link.provider_id,
      contract_id: link.contract_id,
      link_name: link.link_name ?? DEFAULT_LINK_NAME,
      values: link.values ?? {},
    };
    return this.#command(this.subjects.ctl.linkPut(), body, undefined, 'link definition');
  }

  async deleteLink(actorId: string, contractId: string, linkName = DEFAULT_LINK_NAME): Promise<void> {
    const body = { actor_id: actorId, contract_id: contractId, link_name: linkName };
    return this.#command(this.subjects.ctl.linkDel(), body, undefined, 'link deletion');
  }

  // ---- host commands (acked at once; the outcome arrives as an event) ----

  async startActor(
    hostId: string,
    actorRef: string,
    count = 1,
    annotations: Record<string, string> = {},
  ): Promise<void> {
    const body = { actor_ref: actorRef, count, annotations, host_id: hostId };
    return this.#command(this.subjects.ctl.launchActor(hostId), body, hostId, `start of actor ${actorRef}`);
  }

  /** A count of 0 stops every instance. */
  async stopActor(
    hostId: string,
    actorRef: string,
    count = 1,
    annotations: Record<string, string> = {},
  ): Promise<void> {
    const body = { actor_ref: actorRef, count, annotations, host_id: hostId };
    return this.#command(this.subjects.ctl.stopActor(hostId), body, hostId, `stop of actor ${actorRef}`);
  }

  /**
   * `scaleToZero` (with count 0) asks our hosts to keep the actor dormant rather than remove it; the
   * field is left out otherwise, so the body is the 2022 one.
   */
  async scaleActor(
    hostId: string,
    actorId: string,
    actorRef: string,
    count: number,
    annotations: Record<string, string> = {},
    scaleToZero = false,
  ): Promise<void> {
    const body = {
      actor_id: actorId,
      actor_ref: actorRef,
      count,
      annotations,
      host_id: hostId,
      ...(scaleToZero ? { scale_to_zero: true } : {}),
    };
    return this.#command(this.subjects.ctl.scaleActor(hostId), body, hostId, `scaling of actor ${actorId}`);
  }

  async updateActor(
    hostId: string,
    actorId: string,
    newActorRef: string,
    annotations: Record<string, string> = {},
  ): Promise<void> {
    const body = { actor_id: actorId, new_actor_ref: newActorRef, annotations, host_id: hostId };
    return this.#command(this.subjects.ctl.updateActor(hostId), body, hostId, `update of actor ${actorId}`);
  }

  /** `configuration` is handed to the provider as is (often JSON or base64 JSON). */
  async startProvider(
    hostId: string,
    providerRef: string,
    linkName = DEFAULT_LINK_NAME,
    configuration?: string,
    annotations: Record<string, string> = {},
  ): Promise<void> {
    const body = {
      provider_ref: providerRef,
      link_name: linkName,
      ...(configuration === undefined ? {} : { configuration }),
      annotations,
      host_id: hostId,
    };
    const what = `start of provider ${providerRef}`;
    return this.#command(this.subjects.ctl.launchProvider(hostId), body, hostId, what);
  }

  async stopProvider(
    hostId: string,
    providerRef: string,
    linkName: string,
    contractId: string,
    annotations: Record<string, string> = {},
  ): Promise<void> {
    const body = {
      provider_ref: providerRef,
      link_name: linkName,
      contract_id: contractId,
      annotations,
      host_id: hostId,
    };
    const what = `stop of provider ${providerRef}`;
    return this.#command(this.subjects.ctl.stopProvider(hostId), body, hostId, what);
  }

  /** `timeoutMs` is passed on; the 2022 host ignores it. */
  async stopHost(hostId: string, timeoutMs?: number): Promise<void> {
    const body: Record<string, unknown> = { host_id: hostId };
    if (timeoutMs !== undefined) body.timeout = timeoutMs;
    return this.#command(this.subjects.ctl.stopHost(hostId), body, hostId, 'stop request');
  }

  /**
   * Sends registry credentials to every host. CIC only publishes this; hosts ack when there is a
   * reply subject, so this resolves with how many hosts acked within `timeoutMs`.
   */
  async putRegistries(credentials: RegistriesPutRequest, timeoutMs = this.timeoutMs): Promise<number> {
    const acks = await this.#gather(this.subjects.ctl.registriesPut(), credentials, ctlAckSchema, timeoutMs);
    const rejected = acks.find((ack) => !ack.accepted);
    if (rejected) {
      throw new ControlRejectedError(
        `a host rejected the registry credentials: ${noReason(rejected.error)}`,
        rejected.error,
        rejected.code,
      );
    }
    return acks.length;
  }

  // ---- auctions (an empty list is normal: hosts that do not qualify stay silent) ----

  async auctionActor(
    actorRef: string,
    constraints: Record<string, string> = {},
    timeoutMs = DEFAULT_AUCTION_TIMEOUT_MS,
  ): Promise<ActorAuctionReply[]> {
    const body = { actor_ref: actorRef, constraints };
    return this.#gather(this.subjects.ctl.actorAuction(), body, actorAuctionReplySchema, timeoutMs);
  }

  async auctionProvider(
    providerRef: string,
    linkName = DEFAULT_LINK_NAME,
    constraints: Record<string, string> = {},
    timeoutMs = DEFAULT_AUCTION_TIMEOUT_MS,
  ): Promise<ProviderAuctionReply[]> {
    const body = { provider_ref: providerRef, link_name: linkName, constraints };
    return this.#gather(this.subjects.ctl.providerAuction(), body, providerAuctionReplySchema, timeoutMs);
  }

  // ---- events ----

  /**
   * Opens a subscription to the lattice's events and waits until the server has registered it, so
   * a command sent afterwards cannot produce an event this stream misses. Close it when done.
   */
  async subscribeEvents(): Promise<LatticeEventStream> {
    const stream = new LatticeEventStream(this.#nc, this.subjects.events.subject(), this.#onInvalid);
    try {
      await this.#nc.flush();
    } catch (error) {
      stream.close();
      throw error;
    }
    return stream;
  }

  /** Waits for one event, listening from now on. */
  async waitForEvent<T>(match: EventMatcher<T>, timeoutMs: number, description?: string): Promise<T> {
    const stream = await this.subscribeEvents();
    try {
      return await stream.waitFor(match, timeoutMs, description);
    } finally {
      stream.close();
    }
  }

  /**
   * Runs `command` with the event stream already open, then waits for the event that tells its
   * outcome: the way to send a command whose result arrives as an event (start, stop, …).
   */
  async commandWithOutcome<T>(
    command: () => Promise<void>,
    match: EventMatcher<T>,
    timeoutMs: number,
    description?: string,
  ): Promise<T> {
    const stream = await this.subscribeEvents();
    try {
      await command();
      return await stream.waitFor(match, timeoutMs, description);
    } finally {
      stream.close();
    }
  }
}
