// What the host does when an actor call runs to its timeout (host/runtime: yield points, worker
// replacement): a warning in the log naming the actor, and an `actor_interrupted` event the
// dashboard lists; and, when the stuck worker could not answer the caller, the ACTOR_TIMEOUT reply
// sent from the host's own connection.

import { errorFields, errorMessage } from '../lattice/errors.ts';
import type { Logger } from '../lattice/log.ts';
import type { NatsConnection } from '../lattice/nats.ts';
import { invocationErrorReply } from '../lattice/rpc.ts';
import type { EventPublisher } from './events.ts';
import type { RunawayReport, UnansweredCall } from './runtime/mod.ts';

/** Kept of an operation name in the log and the event: it comes from the caller. */
const OPERATION_SHOWN = 128;

export function reportRunaway(report: RunawayReport, log: Logger, events: EventPublisher): void {
  const operation = JSON.stringify(report.operation.slice(0, OPERATION_SHOWN)).slice(1, -1);
  const what =
    report.action === 'interrupted'
      ? 'stopped at a yield point; its worker kept serving other calls'
      : 'its worker did not yield and was replaced';
  log.warn(`actor ${report.actorId} ran ${operation} into its ${report.timeoutMs} ms timeout: ${what}`, {
    actor: report.actorId,
  });
  events.publish('actor_interrupted', {
    public_key: report.actorId,
    operation,
    timeout_ms: report.timeoutMs,
    action: report.action,
  });
}

/** Sends the error reply a stuck worker could not send. */
export function answerForWorker(nc: NatsConnection, call: UnansweredCall, log: Logger): void {
  try {
    nc.publish(call.replySubject, invocationErrorReply(call.invocationId, call.error));
  } catch (error) {
    log.debug(
      `could not answer ${call.invocationId} for its worker: ${errorMessage(error)}`,
      errorFields(error),
    );
  }
}
