// Replies and events that grow with the lattice, on a nats-server whose max_payload is 64 KB (set in
// the config file the helper writes), so the paths past it run cheaply (issue 19, items 1 and 6).
// One host process (`node host/main.ts`, as operators run it: an unhandled rejection would show in
// its log and stop it) with 2,000 instances of one actor and 1,000 links: ControlClient and wash
// read both whole through the object store (an object no client reads expires); a 2022 client
// gets a refusal naming the size; the heartbeat fits, parses with the 2022 schema and carries the
// whole picture in its added fields.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { NatsEventPublisher } from '../../host/events.ts';
import { CHUNK_OBJECT_TTL_MS } from '../../lattice/chunking.ts';
import { ACCEPT_CHUNKED_REPLY_HEADER, chunkedReplySchema } from '../../lattice/control-chunking.ts';
import { ControlClient } from '../../lattice/control-client.ts';
import {
  type CloudEvent,
  eventDataSchemas,
  eventNameOf,
  type HostHeartbeatData,
  parseCloudEvent,
} from '../../lattice/events.ts';
import { actorSummaryOf, heartbeatAgreesWith } from '../../lattice/heartbeat-actors.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { createLogger } from '../../lattice/log.ts';
import { connectNats, headers, type NatsConnection } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { eventually } from '../helpers/eventually.ts';
import { type HostProcess, startHostProcess } from '../helpers/host-process.ts';
import { ctlRequest } from '../helpers/lattice-client.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { runWash } from '../helpers/wash.ts';
import { forwarderActor } from '../helpers/wat-forwarder.ts';

const MAX_PAYLOAD = 64 * 1024;
const LATTICE = 'maxpayload';
const subjects = latticeSubjects(LATTICE);
const INSTANCES = 2000;
const LINKS = 1000;

let nats: NatsServer;
let nc: NatsConnection;
let dir: string;
let host: HostProcess;
let client: ControlClient;
let actorId: string;
/** Every heartbeat received, with its size on the wire. */
const heartbeats: Array<{ bytes: number; event: CloudEvent<HostHeartbeatData> }> = [];

beforeAll(async () => {
  nats = await startNatsServer({ maxPayload: MAX_PAYLOAD });
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-max-payload-'));
  const actor = await forwarderActor();
  actorId = actor.id;
  writeFileSync(join(dir, 'actor.wasm'), actor.bytes);
  nc = await connectNats({ url: nats.url });
  nc.subscribe(subjects.events.subject(), {
    callback: (_error, msg) => {
      const parsed = parseCloudEvent(msg.data);
      if (parsed.ok && eventNameOf(parsed.value) === 'host_heartbeat')
        heartbeats.push({ bytes: msg.data.length, event: parsed.value as CloudEvent<HostHeartbeatData> });
    },
  });
  host = await startHostProcess({
    env: { WASMCLOUD_DASHBOARD_PORT: 'off' },
    args: ['--rpc-port', String(nats.port), '--lattice-prefix', LATTICE, '--allow-file-load'],
    timeoutMs: 20_000,
  });
  client = new ControlClient(nc, { latticePrefix: LATTICE, timeoutMs: 10_000 });
  await client.startActor(host.id, join(dir, 'actor.wasm'), INSTANCES);
  await eventually(
    async () => (await client.getLoad(host.id)).actors[0]?.instances === INSTANCES,
    `${INSTANCES} instances running`,
    30_000,
  );
  const provider = KeyPair.create('service').publicKey;
  for (let start = 0; start < LINKS; start += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, LINKS - start) }, () =>
        client.putLink({
          actor_id: KeyPair.create('module').publicKey,
          provider_id: provider,
          contract_id: 'wasmcloud:keyvalue',
          values: { NOTE: 'n'.repeat(100) },
        }),
      ),
    );
  }
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await nc?.close();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function wash(...args: string[]) {
  return runWash([...args, '-p', String(nats.port), '-x', LATTICE, '-o', 'json'], {
    env: { WASH_HOME: join(dir, 'wash-home'), HOME: dir },
  });
}

describe('replies over max_payload', () => {
  test(`an inventory of ${INSTANCES} instances is read whole by ControlClient and wash`, async () => {
    const inventory = await client.getInventory(host.id);
    expect(inventory.actors).toHaveLength(1);
    expect(inventory.actors[0]?.instances).toHaveLength(INSTANCES);
    expect(new Set(inventory.actors[0]?.instances.map((instance) => instance.instance_id)).size).toBe(
      INSTANCES,
    );

    const run = await wash('ctl', 'get', 'inventory', host.id);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const fromWash = JSON.parse(run.stdout) as { inventory: { actors: Array<{ instances: unknown[] }> } };
    expect(fromWash.inventory.actors[0]?.instances).toHaveLength(INSTANCES);
  });

  test(`a link query of ${LINKS} links is read whole by ControlClient and wash`, async () => {
    const links = await client.getLinks();
    expect(links).toHaveLength(LINKS);
    expect(links.every((link) => link.values.NOTE === 'n'.repeat(100))).toBe(true);

    const run = await wash('ctl', 'link', 'query');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { links: unknown[] }).links).toHaveLength(LINKS);
  });

  test('a 2022 client (no header) gets a refusal that names the size, and no object is left', async () => {
    const reply = await ctlRequest(nc, subjects.ctl.getLinks());
    expect(reply).toMatchObject({ accepted: false, code: 'CONTROL_REPLY_TOO_LARGE' });
    const size = Number(/^the reply \((\d+) bytes\)/.exec(String(reply.error))?.[1]);
    expect(size).toBeGreaterThan(LINKS * 100);
    expect(String(reply.error)).toContain(`max_payload of ${MAX_PAYLOAD} bytes`);
    expect(reply).not.toHaveProperty('chunked_reply');
    // The chunked replies read above were deleted by their reader; this one was never written.
    const store = await nc.jetstream().views.os(LATTICE);
    const objects = await store.list();
    expect(objects.filter((object) => object.name.startsWith('ctl-reply-'))).toEqual([]);
    expect(host.output()).toMatch(
      /control request on \S+\.get\.links: the reply \(\d+ bytes\) could not be sent/,
    );
  });

  test('a chunked reply its client never read expires with the store', async () => {
    // A client that follows chunked replies and timed out before reading the object.
    const requestHeaders = headers();
    requestHeaders.set(ACCEPT_CHUNKED_REPLY_HEADER, '1');
    const msg = await nc.request(subjects.ctl.getLinks(), new Uint8Array(0), {
      timeout: 10_000,
      headers: requestHeaders,
    });
    const reply = chunkedReplySchema.parse(JSON.parse(new TextDecoder().decode(msg.data)));
    const store = await nc.jetstream().views.os(LATTICE);
    expect((await store.info(reply.chunked_reply.object))?.size).toBe(reply.chunked_reply.bytes);
    // The server removes it after max_age (test/lattice/chunk-expiry.test.ts waits for that).
    expect((await store.status()).streamInfo.config.max_age).toBe(CHUNK_OBJECT_TTL_MS * 1_000_000);
    await store.delete(reply.chunked_reply.object);
  });
});

describe('the heartbeat at 2,000 instances', () => {
  test('fits max_payload, parses with the 2022 schema and carries the whole picture', async () => {
    const before = heartbeats.length;
    await client.getHosts(1000);
    await eventually(() => heartbeats.length > before, 'the heartbeat after a ping');
    const { bytes, event } = heartbeats.at(-1)!;
    expect(bytes).toBeLessThanOrEqual(MAX_PAYLOAD);

    // The 2022 fields as OTP 0.57 sent them: a list of instances (cut to fit), providers, labels.
    const otp057 = z.looseObject({
      actors: z.array(z.strictObject({ public_key: z.string(), instance_id: z.string() })),
      providers: z.array(z.looseObject({ public_key: z.string(), link_name: z.string() })),
      labels: z.record(z.string(), z.string()),
      friendly_name: z.string(),
      uptime_seconds: z.number(),
    });
    const data = otp057.parse(event.data);
    expect(data.actors.length).toBeGreaterThan(0);
    expect(data.actors.length).toBeLessThan(INSTANCES);
    expect(data.actors.every((instance) => instance.public_key === actorId)).toBe(true);
    expect(eventDataSchemas.host_heartbeat.safeParse(event.data).success).toBe(true);

    // The added fields have all of it; readers compare them with an inventory.
    expect(event.data.actor_counts).toEqual({ [actorId]: INSTANCES });
    expect(event.data.actor_summary).toEqual(actorSummaryOf([[actorId, INSTANCES]]));
    expect(heartbeatAgreesWith(event.data, new Map([[actorId, INSTANCES]]))).toBe(true);
    expect(heartbeatAgreesWith(event.data, new Map([[actorId, INSTANCES - 1]]))).toBe(false);
  });

  test('a 2022 heartbeat without the added fields is read from its list', () => {
    const otp = eventDataSchemas.host_heartbeat.parse({
      actors: [
        { public_key: actorId, instance_id: 'a' },
        { public_key: actorId, instance_id: 'b' },
      ],
      providers: [],
      labels: { 'hostcore.os': 'linux' },
    });
    expect(heartbeatAgreesWith(otp, new Map([[actorId, 2]]))).toBe(true);
    expect(heartbeatAgreesWith(otp, new Map([[actorId, 3]]))).toBe(false);
  });
});

describe('publishes over the limit', () => {
  test('an event over max_payload is logged with its subject and size, not thrown', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', structured: false, write: (line) => lines.push(line) });
    const publisher = new NatsEventPublisher(nc, subjects, host.id, log);
    expect(() =>
      publisher.publish('actor_start_failed', {
        actor_ref: 'ref',
        error: 'e'.repeat(MAX_PAYLOAD),
      }),
    ).not.toThrow();
    expect(lines.join('')).toMatch(
      new RegExp(
        `WARN +event actor_start_failed on ${subjects.events.subject().replaceAll('.', '\\.')} not published: \\d{5} bytes, over the NATS server's max_payload of ${MAX_PAYLOAD} bytes`,
      ),
    );
  });

  test('the host logged no unhandled rejection and still runs', () => {
    expect(host.output()).not.toMatch(/unhandled rejection|MAX_PAYLOAD_EXCEEDED/i);
    expect(host.output()).not.toMatch(/event host_heartbeat .*not published/);
    expect(host.child.exitCode).toBeNull();
  });
});
