// Answers the host's health checks on `….{link}.health` (protocol.md §6.2) with msgpack
// `{healthy, message?}`: the provider's own check, or healthy when it has none. A check that
// throws or hangs past the host's timeout counts as unhealthy.

import { errorMessage } from '../../lattice/errors.ts';
import type { Logger } from '../../lattice/log.ts';
import type { NatsConnection, Subscription } from '../../lattice/nats.ts';
import { encodePayload } from '../../lattice/payload.ts';
import type { HealthStatus } from './provider-types.ts';

const ALWAYS_HEALTHY = encodePayload({ healthy: true });

export function encodeHealthStatus(status: HealthStatus): Uint8Array {
  return encodePayload(
    status.message === undefined
      ? { healthy: status.healthy }
      : { healthy: status.healthy, message: status.message },
  );
}

export function answerHealthChecks(
  nc: NatsConnection,
  subject: string,
  check: (() => HealthStatus | Promise<HealthStatus>) | undefined,
  log: Logger,
): Subscription {
  return nc.subscribe(subject, {
    callback: (error, msg) => {
      if (error) {
        log.error(`health subscription failed: ${error.message}`);
        return;
      }
      if (check === undefined) {
        msg.respond(ALWAYS_HEALTHY);
        return;
      }
      void (async () => {
        let status: HealthStatus;
        try {
          status = await check();
        } catch (checkError) {
          status = { healthy: false, message: `health check failed: ${errorMessage(checkError)}` };
        }
        if (!status.healthy) log.warn(`reporting unhealthy: ${status.message ?? 'no reason given'}`);
        msg.respond(encodeHealthStatus(status));
      })();
    },
  });
}
