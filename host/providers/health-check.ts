// Health requests to a provider (protocol.md §6.2): msgpack `{placeholder: true}` on `.health`.
// Any reply counts as healthy unless it is msgpack `{healthy: false}`; no reply is unhealthy.
// The same request tells when a fresh process has made its subscriptions ("ready").

import { errorMessage } from '../../lattice/errors.ts';
import type { NatsConnection } from '../../lattice/nats.ts';
import { decodePayload, encodePayload } from '../../lattice/payload.ts';

const HEALTH_REQUEST = encodePayload({ placeholder: true });

export interface HealthVerdict {
  healthy: boolean;
  message: string | undefined;
}

function verdictOf(reply: Uint8Array): HealthVerdict {
  let body: unknown;
  try {
    body = decodePayload(reply, 'health reply');
  } catch {
    return { healthy: true, message: undefined }; // any reply at all counts (OTP)
  }
  if (typeof body !== 'object' || body === null) return { healthy: true, message: undefined };
  const { healthy, message } = body as Record<string, unknown>;
  return {
    healthy: healthy !== false,
    message: typeof message === 'string' && message !== '' ? message : undefined,
  };
}

export async function checkHealth(
  nc: NatsConnection,
  subject: string,
  timeoutMs: number,
): Promise<HealthVerdict> {
  try {
    const reply = await nc.request(subject, HEALTH_REQUEST, { timeout: timeoutMs });
    return verdictOf(reply.data);
  } catch (error) {
    return { healthy: false, message: `no health reply: ${errorMessage(error)}` };
  }
}

/**
 * Resolves true once the provider answers a health request, false when `keepTrying()` turns false
 * or `deadlineMs` passes. "No responders" comes back at once, so this polls every `pollMs`.
 */
export async function waitUntilAnswering(
  nc: NatsConnection,
  subject: string,
  options: { deadlineMs: number; pollMs: number; keepTrying: () => boolean },
): Promise<boolean> {
  const giveUpAt = Date.now() + options.deadlineMs;
  while (options.keepTrying() && Date.now() < giveUpAt) {
    try {
      await nc.request(subject, HEALTH_REQUEST, {
        timeout: Math.max(100, Math.min(1_000, giveUpAt - Date.now())),
      });
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, options.pollMs));
    }
  }
  return false;
}
