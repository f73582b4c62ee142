// The reconciler's lattice watcher (controller/reconcile/lattice-watcher.ts) against a real
// nats-server and one scripted host, on what replaced the heartbeat hosts used to send after each
// of its 2 s pings: its pings ask for no heartbeat (`{"heartbeat": false}`), and what a heartbeat
// used to catch within 2 s — events the lattice never delivered — is caught by reading again a host
// whose NATS connection came back (its `nats_reconnected`), and every host when the watcher's own
// connection came back. The ping interval and the resync are long here, so neither can be what
// reads a host again.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LatticeState } from '../../controller/reconcile/lattice-state.ts';
import { LatticeWatcher } from '../../controller/reconcile/lattice-watcher.ts';
import { ControlClient } from '../../lattice/control-client.ts';
import { cloudEvent } from '../../lattice/events.ts';
import { decodeJsonBytes, encodeJsonMessage } from '../../lattice/json-message.ts';
import { createLogger } from '../../lattice/log.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { eventually } from '../helpers/eventually.ts';
import { ACTOR, HOST } from '../helpers/keys.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const LATTICE = 'watcher';
const subjects = latticeSubjects(LATTICE);

let nats: NatsServer;
let nc: NatsConnection;
let watcher: LatticeWatcher;
const state = new LatticeState(() => {});
/** The body of every ping the watcher sent, decoded (`undefined` for an empty one). */
const pingBodies: unknown[] = [];
let inventoryReads = 0;
let linkReads = 0;
/** How many instances of ACTOR the scripted host runs now (changed without any event). */
let runningInstances = 0;

function inventory() {
  const instances = Array.from({ length: runningInstances }, (_, index) => ({
    instance_id: `instance-${index}`,
    revision: 0,
    annotations: {},
  }));
  return {
    host_id: HOST,
    labels: { zone: 'east' },
    actors: instances.length > 0 ? [{ id: ACTOR, image_ref: 'echo.wasm', instances }] : [],
    providers: [],
  };
}

const instancesInThePicture = () => state.host(HOST)?.actors.size;

beforeAll(async () => {
  nats = await startNatsServer({ jetstream: false });
  // The scripted host shares the watcher's connection, so both are back at the same moment.
  nc = await connectNats({ url: nats.url, reconnect: true });
  nc.subscribe(subjects.ctl.ping(), {
    callback: (_error, msg) => {
      const decoded = msg.data.length === 0 ? undefined : decodeJsonBytes(msg.data);
      pingBodies.push(decoded?.ok ? decoded.value : undefined);
      msg.respond(encodeJsonMessage({ id: HOST, uptime_seconds: 5, labels: { zone: 'east' } }));
    },
  });
  nc.subscribe(subjects.ctl.hostInventory(HOST), {
    callback: (_error, msg) => {
      inventoryReads += 1;
      msg.respond(encodeJsonMessage(inventory()));
    },
  });
  nc.subscribe(subjects.ctl.getLinks(), {
    callback: (_error, msg) => {
      linkReads += 1;
      msg.respond(encodeJsonMessage({ links: [] }));
    },
  });
  await nc.flush();
  watcher = new LatticeWatcher({
    nc,
    client: new ControlClient(nc, { latticePrefix: LATTICE, timeoutMs: 2000 }),
    state,
    log: createLogger({ level: 'error' }),
    timings: {
      pingIntervalMs: 600_000,
      pingTimeoutMs: 200,
      missedPingsBeforeGone: 2,
      resyncIntervalMs: 600_000,
    },
    onEvent: () => {},
  });
  await watcher.start();
});

afterAll(async () => {
  watcher?.close();
  await nc?.close();
  await nats?.stop();
});

describe('the lattice watcher', () => {
  test('pings with {"heartbeat": false}, and has read the host it found (once) when it has started', () => {
    expect(pingBodies).toEqual([{ heartbeat: false }]);
    expect(state.host(HOST)?.synced).toBe(true);
    expect(inventoryReads).toBe(1);
    expect(instancesInThePicture()).toBe(0);
  });

  test("a host's nats_reconnected: its inventory is read again (what it published while down was lost)", async () => {
    runningInstances = 1; // its actor_started went nowhere
    const readsBefore = inventoryReads;
    nc.publish(
      subjects.events.subject(),
      encodeJsonMessage(
        cloudEvent('nats_reconnected', HOST, {
          connection: 'control',
          server: '127.0.0.1:4222',
          down_ms: 1500,
        }),
      ),
    );
    await eventually(() => instancesInThePicture() === 1, 'the instance started while the host was cut off');
    expect(inventoryReads).toBe(readsBefore + 1);
  });

  test("the watcher's own connection back: every host and the links are read again", async () => {
    const [inventoryReadsBefore, linkReadsBefore] = [inventoryReads, linkReads];
    await nats.restart(async () => {
      runningInstances = 2; // events sent while the watcher was cut off never reach it
    });
    await eventually(
      () => instancesInThePicture() === 2,
      'the picture read again after the reconnection',
      20_000,
    );
    expect(inventoryReads).toBe(inventoryReadsBefore + 1);
    expect(linkReads).toBe(linkReadsBefore + 1);
    expect(pingBodies.every((body) => JSON.stringify(body) === '{"heartbeat":false}')).toBe(true);
  }, 30_000);
});
