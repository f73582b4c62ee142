// The processes `wash up` starts: how to recognise them later (`wash down`, a second `wash up -d`)
// and how long each gets to stop before it is killed.

import { stopChild } from './child-process.ts';
import type { StartedController } from './controller-process.ts';
import type { StartedHost } from './host-process.ts';
import type { ChosenNats } from './nats-for-up.ts';

/** What identifies our processes in /proc/{pid}/cmdline (see up-state.ts). */
/** host/main.ts replaces itself (execve) with the compiled host, dist/host.js, when one is current. */
export const HOST_MARKER = ['host/main.ts', 'dist/host.js'] as const;
export const NATS_MARKER = 'nats-server';
export const CONTROLLER_MARKER = 'controller/main.ts';

/** The host stops its actors and providers and says goodbye on the lattice first. */
export const HOST_STOP_GRACE_MS = 15_000;
export const NATS_STOP_GRACE_MS = 5_000;
/**
 * The controller gives up its leadership lease and closes its connection; it allows itself 15 s
 * (controller/main.ts) before exiting 1, so wash waits a little longer before SIGKILL.
 */
export const CONTROLLER_STOP_GRACE_MS = 20_000;

/**
 * Stops what this run started: the application controller first (so it does not act on the host
 * going away), then the host, then the nats-server if wash up started it.
 */
export async function stopStarted(
  host: StartedHost | undefined,
  nats: ChosenNats | undefined,
  controller: StartedController | undefined,
): Promise<void> {
  if (controller) await stopChild(controller.child, CONTROLLER_STOP_GRACE_MS);
  if (host) await stopChild(host.child, HOST_STOP_GRACE_MS);
  if (nats?.child) await stopChild(nats.child, NATS_STOP_GRACE_MS);
}
