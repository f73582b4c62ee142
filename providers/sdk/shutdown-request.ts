// The body of a `.shutdown` request (protocol.md §6.3): empty from OTP 0.57, JSON `{"host_id"}`
// from 0.58.4 so that only the owning host's provider exits. The request is unsigned, so a
// provider acts only on an empty body or one naming its own host.

import { z } from 'zod';
import { decodeJsonBytes, validateMessage } from '../../lattice/json-message.ts';

const shutdownMessageSchema = z.looseObject({ host_id: z.string().nullish() }).describe('shutdown request');

export type ShutdownDecision = { act: true } | { act: false; reason: string };

/** Whether this provider (started by `hostId`) should stop for this request body. */
export function shutdownDecision(body: Uint8Array, hostId: string): ShutdownDecision {
  if (body.length === 0 || (body.length === 2 && body[0] === 0x22 && body[1] === 0x22)) return { act: true };
  const decoded = decodeJsonBytes(body, 'shutdown request');
  if (!decoded.ok) return { act: false, reason: decoded.error };
  const validated = validateMessage(shutdownMessageSchema, decoded.value);
  if (!validated.ok) return { act: false, reason: validated.error };
  const requester = validated.value.host_id;
  if (requester === undefined || requester === null || requester === '') return { act: true };
  if (requester !== hostId)
    return { act: false, reason: `it is for the provider of host ${requester}, this is host ${hostId}'s` };
  return { act: true };
}
