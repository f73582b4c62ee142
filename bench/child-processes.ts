// What the benchmarks that run a host process share: waiting until the host answers a ping on its
// lattice, and stopping a child process they started.

import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { hostPingReplySchema } from '../lattice/control.ts';
import type { NatsConnection } from '../lattice/nats.ts';
import { latticeSubjects } from '../lattice/subjects.ts';

/** Pings the lattice until a host answers; returns its id. */
export async function waitForHostPing(
  nc: NatsConnection,
  lattice: string,
  timeoutMs = 10_000,
): Promise<string> {
  const ping = latticeSubjects(lattice).ctl.ping();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reply = await nc.request(ping, new Uint8Array(), { timeout: 1_000 }).catch(() => undefined); // no host yet: ask again
    if (reply) return hostPingReplySchema.parse(JSON.parse(new TextDecoder().decode(reply.data))).id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the host did not answer a ping within ${timeoutMs} ms`);
}

/** SIGTERM, then waits for the exit; a child that has already exited is left as it is. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}
