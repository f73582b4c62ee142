// A large lattice made cheaply, for the dashboard's scale test and bench: `actors` distinct signed
// actors (the WAT forwarder, one instance each) started on one in-process host, and `links` link
// definitions put straight into the lattice data (a third to running actors, the rest to actors
// that run nowhere, all to a few providers that run nowhere either).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlClient } from '../../lattice/control-client.ts';
import { KeyPair } from '../../lattice/keys.ts';
import type { NatsConnection } from '../../lattice/nats.ts';
import type { TestHost } from './host.ts';
import { forwarderActor } from './wat-forwarder.ts';

export interface LargeLattice {
  actorIds: string[];
  providerIds: string[];
  /** How long starting the actors and putting the links took (ms). */
  startMs: number;
  linkMs: number;
}

const PROVIDERS = 4;
const START_BATCH = 25;
const LINK_BATCH = 500;

export async function fillLattice(
  nc: NatsConnection,
  lattice: string,
  testHost: TestHost,
  dir: string,
  counts: { actors: number; links: number },
): Promise<LargeLattice> {
  const client = new ControlClient(nc, { latticePrefix: lattice, timeoutMs: 60_000 });
  mkdirSync(dir, { recursive: true });
  const actorIds: string[] = [];
  const files: string[] = [];
  for (let i = 0; i < counts.actors; i++) {
    const actor = await forwarderActor(['wasmcloud:keyvalue'], `scale-${String(i).padStart(5, '0')}`);
    const path = join(dir, `actor-${i}.wasm`);
    writeFileSync(path, actor.bytes);
    files.push(path);
    actorIds.push(actor.id);
  }
  const startedAt = performance.now();
  for (let i = 0; i < files.length; i += START_BATCH) {
    await Promise.all(files.slice(i, i + START_BATCH).map((path) => client.startActor(testHost.id, path, 1)));
  }
  for (;;) {
    const load = await client.getLoad(testHost.id);
    if (load.actors.length >= counts.actors) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const startMs = performance.now() - startedAt;

  const providerIds = Array.from({ length: PROVIDERS }, () => KeyPair.create('service').publicKey);
  const data = testHost.host.latticeData;
  const linkedAt = performance.now();
  for (let i = 0; i < counts.links; i += LINK_BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(LINK_BATCH, counts.links - i) }, (_, j) => {
        const n = i + j;
        const running = n % 3 === 0 && actorIds.length > 0;
        return data.putLink({
          actor_id: running ? (actorIds[n % actorIds.length] as string) : KeyPair.create('module').publicKey,
          provider_id: providerIds[n % PROVIDERS] as string,
          contract_id: 'wasmcloud:keyvalue',
          link_name: `link${actorIds.length > 0 ? Math.floor(n / actorIds.length) : 0}`,
          values: { URL: 'nats://127.0.0.1:4222' },
        });
      }),
    );
  }
  while (data.links().length < counts.links) await new Promise((resolve) => setTimeout(resolve, 50));
  return { actorIds, providerIds, startMs, linkMs: performance.now() - linkedAt };
}
