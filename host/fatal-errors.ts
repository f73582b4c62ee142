// What the host process does with an error nothing caught (an uncaught exception, an unhandled
// rejection). Such an error means some part of the host is in a state nobody planned for, so the
// host does not serve on as if nothing happened: it logs the error once, at error level with its
// code, stops as it would on SIGTERM (actors, providers, host_stopped, connections, temp folder)
// within a bounded time, and exits 1, for its supervisor (Kubernetes, `wash up`, compose, systemd)
// to start a fresh one. Failures the host expects (NATS gone, a bad request, a reply too large to
// send) are caught where they arise and never reach this.

import { errorCode, errorMessage } from '../lattice/errors.ts';
import type { Logger } from '../lattice/log.ts';

/** The exit code after an uncaught error (and after a stop of which a step failed). */
export const FATAL_EXIT_CODE = 1;
/** How long the stop after an uncaught error may take before the process exits anyway. */
export const FATAL_STOP_LIMIT_MS = 10_000;

export type UncaughtKind = 'uncaught exception' | 'unhandled rejection';

export interface FatalErrorPolicy {
  log: Logger;
  /** Stops the host; undefined while there is none yet (an error during start-up exits at once). */
  stop: () => Promise<void> | undefined;
  exit: (code: number) => void;
  stopLimitMs?: number;
}

export interface FatalErrorHandler {
  handle(error: unknown, kind: UncaughtKind): void;
  /** Whether an uncaught error has been handled (the process is on its way out). */
  readonly failed: boolean;
}

/** The stack on one line (the log writes one line per entry). */
function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack?.replace(/\n\s*/g, ' | ') : undefined;
}

export function fatalErrorHandler(policy: FatalErrorPolicy): FatalErrorHandler {
  let failed = false;
  return {
    get failed() {
      return failed;
    },
    handle(error, kind) {
      const code = errorCode(error) ?? 'UNCAUGHT';
      const stack = stackOf(error);
      if (failed) {
        // Already stopping because of an earlier one: tell it, but stop and exit only once.
        policy.log.error(`${kind} while stopping: ${errorMessage(error)}`, { code, stack });
        return;
      }
      failed = true;
      policy.log.error(
        `${kind}: ${errorMessage(error)}; stopping the host and exiting with ${FATAL_EXIT_CODE}`,
        { code, stack },
      );
      const stopping = policy.stop();
      if (stopping === undefined) return policy.exit(FATAL_EXIT_CODE);
      const limit = policy.stopLimitMs ?? FATAL_STOP_LIMIT_MS;
      const timer = setTimeout(() => {
        policy.log.error(`the host did not stop within ${limit} ms; exiting`, { code: 'HOST_STOP_TIMEOUT' });
        policy.exit(FATAL_EXIT_CODE);
      }, limit);
      // A failed step of the stop is logged by the stop itself; the exit code is the same.
      void stopping
        .catch(() => undefined)
        .finally(() => {
          clearTimeout(timer);
          policy.exit(FATAL_EXIT_CODE);
        });
    },
  };
}
