// The control interface's NATS side (protocol.md §1.2): the subscriptions a host makes, each
// message dispatched by subject to its handler, and the reply sent. Whatever arrives — bad JSON,
// a wrong shape, a handler that throws — the sender gets `{"accepted":false,"error":…}` and the
// host keeps running.

import { DISPLAY_ERROR_LIMIT, truncateForDisplay } from '../../lattice/display-text.ts';
import { errorFields, errorMessage } from '../../lattice/errors.ts';
import type { Msg, NatsConnection, Subscription } from '../../lattice/nats.ts';
import type { LatticeSubjects } from '../../lattice/subjects.ts';
import { hostCommand } from './host-commands.ts';
import { actorAuction, deleteLink, providerAuction, putLink, putRegistries } from './lattice-commands.ts';
import {
  claimsReply,
  inventoryReply,
  linksReply,
  loadReply,
  metricsReply,
  pingReply,
  pingWantsHeartbeat,
} from './queries.ts';
import { refusalCode, refuse } from './refusal.ts';
import { sendReply } from './reply-sender.ts';
import type { ControlContext } from './types.ts';

type Reply = object | undefined;

function wrongHost(context: ControlContext, hostId: string): Reply {
  return refuse('CONTROL_WRONG_HOST', `this is host ${context.host.hostId}, not ${hostId}`);
}

async function dispatch(context: ControlContext, subjects: LatticeSubjects, msg: Msg): Promise<Reply> {
  const operation = subjects.ctl.operationOf(msg.subject);
  if (!operation) return refuse('CONTROL_UNKNOWN_SUBJECT', `unknown control subject ${msg.subject}`);
  switch (operation.kind) {
    case 'ping_hosts':
      if (pingWantsHeartbeat(msg.data)) setImmediate(() => context.heartbeat());
      return pingReply(context);
    case 'host_inventory':
      if (operation.hostId !== context.host.hostId) return wrongHost(context, operation.hostId);
      return inventoryReply(context);
    case 'host_load':
      if (operation.hostId !== context.host.hostId) return wrongHost(context, operation.hostId);
      return loadReply(context);
    case 'host_metrics':
      if (operation.hostId !== context.host.hostId) return wrongHost(context, operation.hostId);
      return metricsReply(context);
    case 'get_claims':
      return claimsReply(context);
    case 'get_links':
      return linksReply(context);
    case 'linkdefs_put':
      return putLink(context, msg.data);
    case 'linkdefs_del':
      return deleteLink(context, msg.data);
    case 'registries_put':
      return putRegistries(context, msg.data);
    case 'auction_actor':
      return actorAuction(context, msg.data);
    case 'auction_provider':
      return providerAuction(context, msg.data);
    case 'host_command':
      if (operation.hostId !== context.host.hostId) return wrongHost(context, operation.hostId);
      return hostCommand(context, operation.command, msg.data);
  }
}

/** Subscribes to every control subject of §1.2; returns the subscriptions (to drain on stop). */
export function serveControlInterface(
  nc: NatsConnection,
  subjects: LatticeSubjects,
  context: ControlContext,
): Subscription[] {
  const { subscriptions, queueGroup } = subjects.ctl;
  const handle = (error: Error | null, msg: Msg) => {
    if (error) return context.log.warn(`control subscription: ${errorMessage(error)}`, errorFields(error));
    void dispatch(context, subjects, msg)
      .catch((failure: unknown) => {
        const reason = truncateForDisplay(errorMessage(failure), DISPLAY_ERROR_LIMIT);
        const code = refusalCode(failure, 'CONTROL_FAILED');
        context.log.error(`control request on ${msg.subject} failed: ${reason}`, { code });
        return refuse(code, reason);
      })
      .then((reply) => {
        if (reply !== undefined && msg.reply) return sendReply(context.replies, msg, reply);
      })
      .catch((failure: unknown) => {
        // sendReply logs what it cannot send; this is for a reply that cannot even be written
        // (a value JSON cannot hold), so it is never an unhandled rejection.
        context.log.error(`control request on ${msg.subject}: no reply sent: ${errorMessage(failure)}`, {
          code: 'CONTROL_REPLY_UNSENT',
          subject: msg.subject,
        });
      });
  };
  const hostId = context.host.hostId;
  return [
    nc.subscribe(subscriptions.registries(), { callback: handle }),
    nc.subscribe(subscriptions.hostCommands(hostId), { callback: handle }),
    nc.subscribe(subscriptions.ping(), { callback: handle }),
    nc.subscribe(subscriptions.linkdefs(), { queue: queueGroup, callback: handle }),
    nc.subscribe(subscriptions.get(), { queue: queueGroup, callback: handle }),
    nc.subscribe(subscriptions.hostInventory(hostId), { callback: handle }),
    nc.subscribe(subscriptions.hostLoad(hostId), { callback: handle }),
    nc.subscribe(subscriptions.hostMetrics(hostId), { callback: handle }),
    nc.subscribe(subscriptions.auctions(), { callback: handle }),
  ];
}
