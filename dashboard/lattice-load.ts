// `GET /api/load`: every host's load (`get.{host}.load`, a wasmcloud-ts addition) in one JSON
// document, with totals, for something outside the lattice that scales by it (a KEDA metrics-api
// scaler, an HPA fed by an exporter: docs/deploy.md). Asked of the hosts the dashboard's view knows,
// in parallel, when the route is called; a host that does not answer (a 2022 host, a busy one) is
// named under `unanswered` rather than failing the whole reply.

import type { ActorLoad, HostLoad } from '../lattice/control.ts';
import type { ControlClient } from '../lattice/control-client.ts';
import { errorMessage } from '../lattice/errors.ts';

export interface HostLoadEntry extends HostLoad {
  labels: Record<string, string>;
}

export interface LatticeLoad {
  /** ms since the epoch, when the hosts were asked. */
  at: number;
  hosts: HostLoadEntry[];
  unanswered: { host_id: string; error: string }[];
  /** Over every host that answered: calls in flight and queued, actor instances. */
  totals: { in_flight: number; queued: number; instances: number };
}

function sum(actors: readonly ActorLoad[], field: 'in_flight' | 'queued' | 'instances'): number {
  return actors.reduce((total, actor) => total + actor[field], 0);
}

export async function readLatticeLoad(
  client: ControlClient,
  hosts: readonly { id: string; labels: Record<string, string> }[],
): Promise<LatticeLoad> {
  const at = Date.now();
  const answers = await Promise.all(
    hosts.map(async (host) => {
      try {
        return { ok: true as const, load: { ...(await client.getLoad(host.id)), labels: host.labels } };
      } catch (error) {
        return { ok: false as const, unanswered: { host_id: host.id, error: errorMessage(error) } };
      }
    }),
  );
  const loads = answers.flatMap((answer) => (answer.ok ? [answer.load] : []));
  const actors = loads.flatMap((load) => load.actors);
  return {
    at,
    hosts: loads.sort((a, b) => (a.host_id < b.host_id ? -1 : 1)),
    unanswered: answers.flatMap((answer) => (answer.ok ? [] : [answer.unanswered])),
    totals: {
      in_flight: sum(actors, 'in_flight'),
      queued: sum(actors, 'queued'),
      instances: sum(actors, 'instances'),
    },
  };
}
