// The lattice `wash dev` runs the project on: a host already answering on the NATS the connection
// flags name, else one started here as `wash up` starts it (nats-server too when nothing listens
// there), with file references allowed. What it started, it stops when asked (Ctrl-C).

import { mkdirSync } from 'node:fs';
import { DEFAULT_LATTICE_PREFIX } from '../../../lattice/control-client.ts';
import type { NatsConnection } from '../../../lattice/nats.ts';
import { type ConnectionFlags, openConnection, resolveConnection } from '../../connection-options.ts';
import { warn } from '../../output.ts';
import { upDirectory } from '../../up-state.ts';
import type { UpFlags } from '../up/flags.ts';
import { planHost } from '../up/host-plan.ts';
import { type StartedHost, startHost, waitForHost } from '../up/host-process.ts';
import { type ChosenNats, chooseNats } from '../up/nats-for-up.ts';
import { stopStarted } from '../up/started-processes.ts';

/** How long to listen for hosts already running before starting one. */
const HOST_PING_MS = 750;

export interface DevLattice {
  nc: NatsConnection;
  latticePrefix: string;
  hostId: string;
  /** `nats://host:port`, for the summary. */
  natsUrl: string;
  /** What wash dev started itself: "a host", "nats-server and a host", or nothing. */
  started: string[];
  /** Stops what was started here (nothing when the lattice was already running). */
  stop(): Promise<void>;
}

function upFlagsFor(host: string, port: number, latticePrefix: string): UpFlags {
  return {
    natsHost: host,
    natsPort: String(port),
    latticePrefix,
    startupTimeoutMs: '30000',
    wadm: false,
    logLevel: 'warn',
  };
}

export async function findOrStartLattice(
  flags: ConnectionFlags,
  interrupted: () => boolean,
): Promise<DevLattice> {
  const connection = resolveConnection(flags);
  const [host = '127.0.0.1', port = '4222'] = connection.url.split(':');
  const latticePrefix = connection.latticePrefix ?? DEFAULT_LATTICE_PREFIX;
  const upFlags = upFlagsFor(host, Number(port), latticePrefix);
  let nats: ChosenNats | undefined;
  let started: StartedHost | undefined;
  const stop = () => stopStarted(started, nats, undefined);
  try {
    mkdirSync(upDirectory(), { recursive: true }); // nats-server's log and store go there
    nats = await chooseNats(upFlags, false);
    const nc = await openConnection({ ...connection, url: `${nats.host}:${nats.port}` });
    const { ControlClient } = await import('../../../lattice/control-client.ts');
    const client = new ControlClient(nc, { latticePrefix, timeoutMs: connection.timeoutMs });
    const running = nats.child ? [] : await client.getHosts(HOST_PING_MS, { heartbeat: false });
    const names = nats.child ? ['nats-server'] : [];
    let hostId = running.toSorted((a, b) => a.id.localeCompare(b.id))[0]?.id;
    if (hostId === undefined) {
      const plan = planHost(upFlags);
      started = startHost(plan, nats, false);
      await waitForHost(started, plan, nats, interrupted);
      hostId = plan.hostId;
      names.push('a host');
      // The host's own log lines (warnings and errors) show beside wash dev's.
      for (const line of started.tail.lines) process.stderr.write(`${line}\n`);
      started.forward.live = true;
    } else if (running.length > 1) {
      warn(`${running.length} hosts answer in lattice "${latticePrefix}": wash dev uses ${hostId}`);
    }
    return { nc, latticePrefix, hostId, natsUrl: nats.url, started: names, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
