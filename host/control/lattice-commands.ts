// The control requests any host may answer (protocol.md §1.4): link put/del (one host, by queue
// group), registry credentials (every host), and auctions (every host that qualifies; the rest
// stay silent, so an empty auction result is normal). Values from the request are bounded
// (truncateForDisplay) before they reach a log line or a reply.

import {
  type ActorAuctionReply,
  ack,
  actorAuctionRequestSchema,
  type CtlAck,
  linkDelRequestSchema,
  linkPutRequestSchema,
  type ProviderAuctionReply,
  providerAuctionRequestSchema,
  registriesPutRequestSchema,
} from '../../lattice/control.ts';
import { DISPLAY_ERROR_LIMIT, truncateForDisplay } from '../../lattice/display-text.ts';
import { errorMessage } from '../../lattice/errors.ts';
import { parseJsonMessage } from '../../lattice/json-message.ts';
import { refuse } from './refusal.ts';
import type { ControlContext } from './types.ts';

export async function putLink(context: ControlContext, body: Uint8Array): Promise<CtlAck> {
  const request = parseJsonMessage(linkPutRequestSchema, body);
  if (!request.ok) return refuse('CONTROL_BAD_REQUEST', request.error);
  const { actor_id, provider_id, link_name, contract_id, values } = request.value;
  try {
    // Every host (this one too) hears of it through the bucket and tells its providers.
    const stored = await context.data.putLink({ actor_id, provider_id, link_name, contract_id, values });
    context.events.publish('linkdef_set', stored);
    return ack();
  } catch (error) {
    return refuse(
      'LINK_STORE_FAILED',
      `cannot store the link: ${truncateForDisplay(errorMessage(error), DISPLAY_ERROR_LIMIT)}`,
    );
  }
}

export async function deleteLink(context: ControlContext, body: Uint8Array): Promise<CtlAck> {
  const request = parseJsonMessage(linkDelRequestSchema, body);
  if (!request.ok) return refuse('CONTROL_BAD_REQUEST', request.error);
  const { actor_id, contract_id, link_name } = request.value;
  try {
    const deleted = await context.data.deleteLink(actor_id, contract_id, link_name);
    if (!deleted) {
      const [contract, link] = [truncateForDisplay(contract_id), truncateForDisplay(link_name)];
      return refuse('LINK_NOT_FOUND', `no link for actor ${actor_id} on ${contract} (link ${link})`);
    }
    context.events.publish('linkdef_deleted', deleted);
    return ack();
  } catch (error) {
    return refuse(
      'LINK_STORE_FAILED',
      `cannot delete the link: ${truncateForDisplay(errorMessage(error), DISPLAY_ERROR_LIMIT)}`,
    );
  }
}

export function putRegistries(context: ControlContext, body: Uint8Array): CtlAck {
  const request = parseJsonMessage(registriesPutRequestSchema, body);
  if (!request.ok) return refuse('CONTROL_BAD_REQUEST', request.error);
  for (const [registry, credential] of Object.entries(request.value))
    context.registries.set(registry, credential);
  const names = Object.keys(request.value).join(', ');
  context.log.info(`registry credentials updated for ${truncateForDisplay(names) || 'no registry'}`);
  return ack();
}

function satisfies(labels: Record<string, string>, constraints: Record<string, string>): boolean {
  return Object.entries(constraints).every(([key, value]) => labels[key] === value);
}

/** A bid, or undefined to stay silent. A malformed request gets a nack, which no client takes for a bid. */
export function actorAuction(
  context: ControlContext,
  body: Uint8Array,
): ActorAuctionReply | CtlAck | undefined {
  const request = parseJsonMessage(actorAuctionRequestSchema, body);
  if (!request.ok) return refuse('CONTROL_BAD_REQUEST', request.error);
  const { actor_ref, constraints } = request.value;
  if (!satisfies(context.host.labels, constraints)) return undefined;
  return { actor_ref, constraints, host_id: context.host.hostId };
}

export function providerAuction(
  context: ControlContext,
  body: Uint8Array,
): ProviderAuctionReply | CtlAck | undefined {
  const request = parseJsonMessage(providerAuctionRequestSchema, body);
  if (!request.ok) return refuse('CONTROL_BAD_REQUEST', request.error);
  const { provider_ref, link_name, constraints } = request.value;
  if (!satisfies(context.host.labels, constraints)) return undefined;
  const running = context.providers
    .running()
    .some(
      (provider) =>
        (provider.id === provider_ref || provider.imageRef === provider_ref) &&
        provider.linkName === link_name,
    );
  if (running) return undefined;
  return { provider_ref, link_name, constraints, host_id: context.host.hostId };
}
